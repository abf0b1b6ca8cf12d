"""The stored-query catalogue, every query answered on the shipped listing.

Every expected answer below was worked out by hand from ``data/arxiv-listing-ferret.txt`` (read,
grepped, counted; dates subtracted on a calendar) and ``ontology/concepts.ttl``, never by running
the code under test. The table ``PAPERS`` transcribes the listing once; each test's comment says
how its numbers were counted. Cases the listing lacks (single-author papers, chains of three or
four hops) use the small hand-made graph ``tests/data/queries/chain.ttl``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarkg.concepts import ConceptTagger
from scholarkg.errors import UsageError
from scholarkg.queries import Binder, StoredQuery, bind_values, load_catalogue, run_stored
from scholarkg.store import EmbeddedStore, QueryKind, QueryResult, open_store
from scholarkg.terms import IRI, AnyTerm, Literal
from scholarkg.vocab import DEFAULT_BASE

from .conftest import LISTING, ingest

ID = DEFAULT_BASE
SKG = "https://w3id.org/scholarkg/ontology#"
CONCEPT = "https://w3id.org/scholarkg/concepts/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CHAIN = Path(__file__).parent / "data" / "queries" / "chain.ttl"
EX = "https://example.org/chain/"

# The listing, entry by entry (numbered from the top of the file): title, v1 date, latest date,
# authors shown, "N additional authors not shown", and Johan Ferret's position among the shown
# authors (None: he is not shown, the listing credits him as its subject).
PAPERS: dict[int, tuple[str, str, str, int, int, int | None]] = {
    1: (
        "Gemini 2.5: Pushing the Frontier with Advanced Reasoning, Multimodality, Long Context, "
        "and Next Generation Agentic Capabilities",
        "2025-07-07",
        "2025-07-22",
        25,
        3284,
        None,
    ),
    2: ("MedGemma Technical Report", "2025-07-07", "2025-07-12", 25, 56, None),
    3: ("Gemma 3 Technical Report", "2025-03-25", "2025-03-25", 25, 191, 3),
    4: ("On Teacher Hacking in Language Model Distillation", "2025-02-04", "2025-02-04", 7, 0, 3),
    5: ("Humanity's Last Exam", "2025-01-24", "2025-04-19", 25, 1084, None),
    6: ("Diversity-Rewarded CFG Distillation", "2024-10-08", "2024-10-08", 8, 0, 3),
    7: (
        "Assessing the Zero-Shot Capabilities of LLMs for Action Evaluation in RL",
        "2024-09-19",
        "2024-09-19",
        7,
        0,
        2,
    ),
    8: (
        "Gemma 2: Improving Open Language Models at a Practical Size",
        "2024-07-31",
        "2024-10-02",
        25,
        173,
        11,
    ),
    9: (
        "Conditional Language Policy: A General Framework for Steerable Multi-Objective Finetuning",
        "2024-07-22",
        "2024-10-23",
        20,
        0,
        12,
    ),
    10: ("BOND: Aligning LLMs with Best-of-N Distillation", "2024-07-19", "2024-07-19", 20, 0, 4),
    11: (
        "WARP: On the Benefits of Weight Averaged Rewarded Policies",
        "2024-06-24",
        "2024-06-24",
        10,
        0,
        2,
    ),
    12: (
        "RecurrentGemma: Moving Past Transformers for Efficient Open Language Models",
        "2024-04-11",
        "2024-08-28",
        25,
        37,
        12,
    ),
    13: (
        "Gemma: Open Models Based on Gemini Research and Technology",
        "2024-03-13",
        "2024-04-16",
        25,
        83,
        None,
    ),
    14: (
        "Direct Language Model Alignment from Online AI Feedback",
        "2024-02-07",
        "2024-02-29",
        12,
        0,
        11,
    ),
    15: (
        "WARM: On the Benefits of Weight Averaged Reward Models",
        "2024-01-22",
        "2024-01-22",
        7,
        0,
        7,
    ),
    16: (
        "Gemini: A Family of Highly Capable Multimodal Models",
        "2023-12-18",
        "2025-05-09",
        25,
        1326,
        None,
    ),
    17: (
        "A Survey of Temporal Credit Assignment in Deep Reinforcement Learning",
        "2023-12-02",
        "2024-07-04",
        7,
        0,
        2,
    ),
    18: (
        "RLAIF vs. RLHF: Scaling Reinforcement Learning from Human Feedback with AI Feedback",
        "2023-09-01",
        "2024-09-03",
        11,
        0,
        5,
    ),
    19: (
        "Factually Consistent Summarization via Reinforcement Learning with Textual Entailment "
        "Feedback",
        "2023-05-31",
        "2023-05-31",
        19,
        0,
        2,
    ),
    20: (
        "Lazy-MDPs: Towards Interpretable Reinforcement Learning by Learning When to Act",
        "2022-03-16",
        "2022-03-16",
        4,
        0,
        2,
    ),
    21: (
        "More Efficient Exploration with Symbolic Priors on Action Sequence Equivalences",
        "2021-10-20",
        "2021-11-07",
        4,
        0,
        3,
    ),
    22: (
        "There Is No Turning Back: A Self-Supervised Approach for Reversibility-Aware "
        "Reinforcement Learning",
        "2021-06-08",
        "2021-10-29",
        5,
        0,
        2,
    ),
    23: ("Adversarially Guided Actor-Critic", "2021-02-08", "2021-02-08", 5, 0, 2),
    24: ("Self-Imitation Advantage Learning", "2020-12-22", "2020-12-22", 3, 0, 1),
    25: (
        "Acme: A Research Framework for Distributed Reinforcement Learning",
        "2020-06-01",
        "2022-09-20",
        25,
        14,
        16,
    ),
    26: (
        "Self-Attentional Credit Assignment for Transfer in Reinforcement Learning",
        "2019-07-18",
        "2019-11-22",
        4,
        0,
        1,
    ),
}


def title(n: int) -> str:
    return PAPERS[n][0]


def first(n: int) -> str:
    return PAPERS[n][1]


def person(slug: str) -> str:
    return f"{ID}person/{slug}"


def concept(slug: str) -> str:
    return CONCEPT + slug


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue() -> dict[str, StoredQuery]:
    return load_catalogue()


@pytest.fixture(scope="module")
def store(tagger: ConceptTagger) -> Iterator[EmbeddedStore]:
    """The shipped listing, in a store of this module's own (the injection tests try to write)."""
    kg = open_store(None)
    ingest(kg, LISTING, tagger)
    yield kg
    kg.close()


@pytest.fixture(scope="module")
def chain_store() -> Iterator[EmbeddedStore]:
    kg = open_store(None)
    kg.load_file(IRI(f"{ID}graph/chain"), CHAIN, "text/turtle")
    yield kg
    kg.close()


Value = str | int | bool | None


def value(term: AnyTerm | None) -> Value:
    """A result cell as a plain Python value: integers and booleans typed, the rest as text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        if term.datatype == XSD + "integer":
            return int(term.lexical)
        if term.datatype == XSD + "boolean":
            return term.lexical == "true"
        return term.lexical
    return str(term)


def rows(result: QueryResult, *columns: str) -> list[tuple[Value, ...]]:
    """The answer's rows, in the answer's order, reduced to the named columns."""
    assert result.kind is QueryKind.SELECT
    index = [result.variables.index(c) for c in columns]
    return [tuple(value(row[i]) for i in index) for row in result.rows]


Node = str | tuple[str, str, str | None]


def node(term: AnyTerm) -> Node:
    if isinstance(term, Literal):
        if term.lang:  # the store's terms leave a tagged literal's datatype at xsd:string
            return (term.lexical, RDF_LANG_STRING, term.lang)
        return (term.lexical, term.datatype, None)
    return str(term)


def triples(result: QueryResult) -> set[tuple[Node, Node, Node]]:
    """A CONSTRUCT answer as a set of triples (no blank nodes here, so a set is the graph)."""
    assert result.kind is QueryKind.GRAPH
    return {(node(s), node(p), node(o)) for s, p, o in result.triples}


def lit(text: str, datatype: str = "string", lang: str | None = None) -> Node:
    if lang:
        return (text, RDF_LANG_STRING, lang)
    return (text, XSD + datatype, None)


def run(
    kg: EmbeddedStore, catalogue: dict[str, StoredQuery], name: str, **params: object
) -> QueryResult:
    raw = {k: str(v) for k, v in params.items()}
    return run_stored(kg, catalogue[name], raw, base=DEFAULT_BASE)


def count_papers(kg: EmbeddedStore) -> int:
    answer = kg.query(f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{SKG}Paper> }}")
    (cell,) = answer.rows[0]
    assert isinstance(cell, Literal)
    return int(cell.lexical)


# -- the catalogue as a whole ----------------------------------------------------------------

EXPECTED_NAMES = {
    "author_roles",
    "coauthor_network",
    "coauthors_of",
    "collaboration_path",
    "concept_cooccurrence",
    "concept_timeline",
    "concepts_of",
    "dataset_summary",
    "largest_author_lists",
    "new_coauthors_per_year",
    "paper_card",
    "papers_about",
    "papers_of",
    "papers_per_year",
    "possible_duplicate_people",
    "recent_papers",
    "revised_papers",
    "search_papers",
    "venues",
}


def test_every_question_of_the_issue_is_in_the_catalogue(
    catalogue: dict[str, StoredQuery],
) -> None:
    # load_catalogue() already checked each file: header valid, query parses, params used and
    # projected; here the names the issue asks for, and the parameter names others rely on.
    assert set(catalogue) >= EXPECTED_NAMES
    assert list(catalogue["papers_of"].params) == ["person"]
    assert list(catalogue["coauthors_of"].params) == ["person"]
    assert list(catalogue["search_papers"].params) == ["text"]
    for query in catalogue.values():
        assert query.title and query.description
        for param in query.params.values():
            assert param.example is not None, f"{query.name}: {param.name} has no example"


def test_paper_counts_per_person_say_they_go_by_crediting(
    catalogue: dict[str, StoredQuery],
) -> None:
    for name in ("papers_of", "coauthors_of", "papers_per_year", "author_roles"):
        assert "dcterms:creator" in catalogue[name].description, name
    for name in ("new_coauthors_per_year", "concepts_of", "coauthor_network"):
        assert "dcterms:creator" in catalogue[name].description, name


def test_every_example_runs(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    for query in catalogue.values():
        raw = {name: str(p.example) for name, p in query.params.items()}
        result = run_stored(store, query, raw, base=DEFAULT_BASE)
        assert result.kind is query.kind, query.name
        assert result.rows or result.triples, f"{query.name}: its example finds nothing"


def same_answer_both_ways(kg: EmbeddedStore, query: StoredQuery, raw: dict[str, str]) -> None:
    bound = Binder(kg, DEFAULT_BASE).bind(query, raw)
    by_values = kg.query(bind_values(query.sparql, bound))
    by_substitution = kg.query(query.sparql, bound)
    assert by_values.kind is by_substitution.kind
    if by_values.kind is QueryKind.GRAPH:
        assert set(by_values.triples) == set(by_substitution.triples), (query.name, raw)
        return
    assert by_values.variables == by_substitution.variables
    assert sorted(map(repr, by_values.rows)) == sorted(map(repr, by_substitution.rows))
    assert by_values.boolean == by_substitution.boolean


def test_values_and_substitution_bind_alike(
    store: EmbeddedStore, chain_store: EmbeddedStore, catalogue: dict[str, StoredQuery]
) -> None:
    # run_stored binds parameters by VALUES blocks; the same queries bound by pyoxigraph's
    # substitution (SEP-0007) must answer the same: with the examples, with every optional
    # parameter left out, and on the chain graph for the path and role questions.
    for query in catalogue.values():
        examples = {name: str(p.example) for name, p in query.params.items()}
        same_answer_both_ways(store, query, examples)
        required = {name: examples[name] for name, p in query.params.items() if p.required}
        same_answer_both_ways(store, query, required)
    for start, end, k in [
        ("ann", "eve", 4),
        ("ann", "dan", 3),
        ("ann", "ann", 2),
        ("fay", "ann", 4),
    ]:
        raw = {"person": EX + start, "other": EX + end, "k": str(k)}
        same_answer_both_ways(chain_store, catalogue["collaboration_path"], raw)
    for who in ("ann", "gus"):
        same_answer_both_ways(chain_store, catalogue["author_roles"], {"person": EX + who})
        same_answer_both_ways(chain_store, catalogue["papers_of"], {"person": EX + who})


# -- people ------------------------------------------------------------------------------------

# Matthieu Geist, read off the listing: entries 17, 19, 20, 22, 23, 24, 26, each with his position
# among the shown authors and the declared author count (shown + hidden).
GEIST_PAPERS = [
    (title(17), "2023-12-02", 3, 7, False),
    (title(19), "2023-05-31", 7, 19, False),
    (title(20), "2022-03-16", 4, 4, False),
    (title(22), "2021-06-08", 5, 5, False),
    (title(23), "2021-02-08", 5, 5, False),
    (title(24), "2020-12-22", 3, 3, False),
    (title(26), "2019-07-18", 3, 4, False),
]


def test_papers_of(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    columns = ("title", "first_submitted", "position", "author_count", "hidden")
    geist = run(store, catalogue, "papers_of", person="Matthieu Geist")
    assert rows(geist, *columns) == GEIST_PAPERS
    # Johan Ferret: all 26 entries, newest first (MedGemma and Gemini 2.5 share 2025-07-07 and
    # go by title); hidden on the five entries whose shown authors do not include him (1, 2, 5,
    # 13, 16). Position and declared count come from the PAPERS table.
    order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]
    order += [24, 25, 26]
    expected = [
        (title(n), first(n), PAPERS[n][5], PAPERS[n][3] + PAPERS[n][4], PAPERS[n][5] is None)
        for n in order
    ]
    ferret = rows(run(store, catalogue, "papers_of", person="Johan Ferret"), *columns)
    assert ferret == expected
    assert [r[0] for r in ferret if r[4]] == [title(n) for n in (1, 2, 5, 13, 16)]


def test_coauthors_of(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Geist's 7 papers (2019: 26; 2020: 24; 2021: 22, 23; 2022: 20; 2023: 17, 19). Ferret and
    # Pietquin are on all 7; Preux on 22 and 23; everyone else on one paper. Entry 19 brings
    # 16 people seen nowhere else with him (its 19 authors minus Geist, Ferret, Pietquin).
    once_2023 = [
        "Avinatan Hassidim",
        "Eduardo Pignatelli",
        "Gal Elidan",
        "Geoffrey Cideron",
        "Hado van Hasselt",
        "Idan Szpektor",
        "Laura Toni",
        "Lior Shani",
        "Léonard Hussenot",
        "Nikola Momchev",
        "Nino Vieillard",
        "Olivier Bachem",
        "Orgad Keller",
        "Paul Roit",
        "Piotr Stanczyk",  # first written so in entry 8, later also "Stańczyk"
        "Robert Dadashi",
        "Roee Aharoni",
        "Sabela Ramos",
        "Sertan Girgin",
        "Thomas Mesnard",
    ]
    expected = [
        ("Johan Ferret", 7, 2019, 2023),
        ("Olivier Pietquin", 7, 2019, 2023),
        ("Philippe Preux", 2, 2021, 2021),
        *sorted(
            [(n, 1, 2023, 2023) for n in once_2023]
            + [
                ("Alexis Jacq", 1, 2022, 2022),
                ("Nathan Grinsztajn", 1, 2021, 2021),
                ("Raphaël Marinier", 1, 2019, 2019),
                ("Yannis Flet-Berliac", 1, 2021, 2021),
            ]
        ),
    ]
    result = run(store, catalogue, "coauthors_of", person="Matthieu Geist")
    assert rows(result, "name", "papers", "first_year", "last_year") == expected
    assert len(expected) == 27


def test_papers_per_year(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Years of the "v1 submitted" (else "Submitted") dates in PAPERS: 2019: 26; 2020: 24, 25;
    # 2021: 21, 22, 23; 2022: 20; 2023: 16-19; 2024: 6-15; 2025: 1-5.
    overall = [(2019, 1), (2020, 2), (2021, 3), (2022, 1), (2023, 4), (2024, 10), (2025, 5)]
    assert rows(run(store, catalogue, "papers_per_year"), "year", "papers") == overall
    assert sum(n for _, n in overall) == 26
    # Johan Ferret is credited on every entry (shown or as the listing's subject).
    ferret = run(store, catalogue, "papers_per_year", person="Johan Ferret")
    assert rows(ferret, "year", "papers") == overall
    # Geist: the years of GEIST_PAPERS.
    geist = run(store, catalogue, "papers_per_year", person="Matthieu Geist")
    assert rows(geist, "year", "papers") == [(2019, 1), (2020, 1), (2021, 2), (2022, 1), (2023, 2)]
    assert geist.variables == ("year", "papers")


def test_author_roles(
    store: EmbeddedStore, chain_store: EmbeddedStore, catalogue: dict[str, StoredQuery]
) -> None:
    # Ferret per year from PAPERS (position vs declared count): 2019: 26 first (1 of 4).
    # 2020: 24 first (1 of 3), 25 middle (16 of 39). 2021: 21, 22, 23 middle. 2022: 20 middle.
    # 2023: 16 hidden, 17, 18, 19 middle. 2024: 15 last (7 of 7), 13 hidden, 6-12 and 14
    # middle (8). 2025: 1, 2, 5 hidden, 3 (3 of 216) and 4 (3 of 7) middle.
    columns = ("year", "papers", "first", "middle", "last", "solo", "hidden")
    expected = [
        (2019, 1, 1, 0, 0, 0, 0),
        (2020, 2, 1, 1, 0, 0, 0),
        (2021, 3, 0, 3, 0, 0, 0),
        (2022, 1, 0, 1, 0, 0, 0),
        (2023, 4, 0, 3, 0, 0, 1),
        (2024, 10, 0, 8, 1, 0, 1),
        (2025, 5, 0, 2, 0, 0, 3),
    ]
    result = run(store, catalogue, "author_roles", person="Johan Ferret")
    assert rows(result, *columns) == expected
    # The listing has no single-author paper; in chain.ttl Ann is first of 3 on p1 (2020), alone
    # on p5 and last of 2 on p7 (2021), hidden on p9 (2022).
    ann = run(chain_store, catalogue, "author_roles", person=EX + "ann")
    assert rows(ann, *columns) == [
        (2020, 1, 1, 0, 0, 0, 0),
        (2021, 2, 0, 0, 1, 1, 0),
        (2022, 1, 0, 0, 0, 0, 1),
    ]


def test_new_coauthors_per_year(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Geist: 2019 entry 26 brings Ferret, Marinier, Pietquin (3). 2020 entry 24: Ferret and
    # Pietquin again (0). 2021 entries 23 and 22: Flet-Berliac, Preux, Grinsztajn (3). 2022 entry
    # 20: Jacq (1). 2023 entry 17: Pignatelli, Mesnard, van Hasselt, Toni; entry 19: its 18 other
    # authors minus Ferret and Pietquin = 16; together 20. Running total 3, 3, 6, 7, 27.
    columns = ("year", "new_coauthors", "coauthors_so_far")
    geist = run(store, catalogue, "new_coauthors_per_year", person="Matthieu Geist")
    assert rows(geist, *columns) == [
        (2019, 3, 3),
        (2020, 0, 3),
        (2021, 3, 6),
        (2022, 1, 7),
        (2023, 20, 27),
    ]
    # Ferret: 2019 as Geist; 2020 Acme (entry 25) adds its 24 other shown authors but Pietquin
    # (23). He is credited on every paper, so by 2025 every agent of the listing but him is a
    # co-author: 239 persons + 2 teams - 1 = 240.
    ferret = rows(run(store, catalogue, "new_coauthors_per_year", person="Johan Ferret"), *columns)
    assert ferret[:2] == [(2019, 3, 3), (2020, 23, 26)]
    assert [r[0] for r in ferret] == [2019, 2020, 2021, 2022, 2023, 2024, 2025]
    assert ferret[-1][2] == 240
    assert sum(int(r[1] or 0) for r in ferret) == 240


def test_possible_duplicate_people(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Grouping the listing's person names by last word: same family name and same first letter
    # are Aleksandar (12) / Alex (13) Botev, Jilin (16) / Justin (2) Chen, Matt (8, 10) /
    # Matthew W. (25) Hoffman, and Stefanie Anna / Susanna Maria Baby, who share entry 2 and so
    # are two people. Different initials (the Chens K., T.; Lee, Li, Liu, Yang, Yu, Zhang,
    # Aharoni) never pair; the Liu pair Tianlin / Tianqi share entry 14.
    # Shared co-authors: Hoffman, entries 8 + 10 against 25 (listed below); Botev, entry 12
    # against 13: Mesnard, Hardin, Dadashi, Bhupatiraju, Pathak, Sifre, Rivière, Kale, Love,
    # Tafti, Hussenot, Sessa, and Ferret (shown on 12, credited as the subject on 13) = 13; Chen:
    # entries 2 and 16 share no shown author, only Ferret, credited on both = 1.
    columns = ("name1", "name2", "given_names", "shared_coauthors")
    result = run(store, catalogue, "possible_duplicate_people")
    assert rows(result, *columns) == [
        ("Aleksandar Botev", "Alex Botev", "initial", 13),
        ("Matt Hoffman", "Matthew W. Hoffman", "prefix", 10),
        ("Jilin Chen", "Justin Chen", "initial", 1),
    ]
    hoffman = rows(result, "name1", "shared")[1]
    assert set(str(hoffman[1]).split("; ")) == {
        "Bobak Shahriari",
        "Danila Sinopalnikov",
        "Johan Ferret",
        "Léonard Hussenot",
        "Nikola Momchev",
        "Nino Vieillard",
        "Piotr Stanczyk",
        "Robert Dadashi",
        "Sabela Ramos",
        "Sertan Girgin",
    }


def test_collaboration_path_on_the_listing(
    store: EmbeddedStore, catalogue: dict[str, StoredQuery]
) -> None:
    columns = ("connected", "hops", "chain")
    # Johnstone (entry 21 only: Grinsztajn, Ferret, Preux) never wrote with Geist; all three
    # of his co-authors did (22, 23, ...): two hops, through Ferret, the smallest IRI of the
    # three (johan- < nathan- < philippe-).
    two = run(
        store, catalogue, "collaboration_path", person="Toby Johnstone", other="Matthieu Geist"
    )
    assert rows(two, *columns) == [(True, 2, "Toby Johnstone → Johan Ferret → Matthieu Geist")]
    assert rows(two, "via1", "via2", "via3") == [(person("johan-ferret"), None, None)]
    one_hop_only = run(
        store,
        catalogue,
        "collaboration_path",
        person="Toby Johnstone",
        other="Matthieu Geist",
        k=1,
    )
    assert rows(one_hop_only, *columns) == [(False, None, None)]
    direct = run(
        store, catalogue, "collaboration_path", person="Johan Ferret", other="Matthieu Geist"
    )
    assert rows(direct, *columns) == [(True, 1, "Johan Ferret → Matthieu Geist")]
    same = run(
        store, catalogue, "collaboration_path", person="Matthieu Geist", other="Matthieu Geist"
    )
    assert rows(same, *columns) == [(True, 0, "Matthieu Geist")]
    # the two Hoffmans: their 10 shared co-authors (see possible_duplicate_people), Bobak
    # Shahriari first by IRI
    hoffman = run(
        store,
        catalogue,
        "collaboration_path",
        person=person("matt-hoffman"),
        other=person("matthew-w-hoffman"),
    )
    assert rows(hoffman, *columns) == [
        (True, 2, "Matt Hoffman → Bobak Shahriari → Matthew W. Hoffman")
    ]


@pytest.mark.parametrize(
    ("start", "end", "k", "expected"),
    [
        # chain.ttl: Ann-Bob-Cid-Dan-Eve and Ann-Bea-Cid, "Chain Team" on p1 with Ann and Bob.
        # Several shortest chains: the smallest intermediate IRIs (bea < bob), middle first.
        ("ann", "eve", 4, (True, 4, "Ann → Bea → Cid → Dan → Eve", "bea", "cid", "dan")),
        ("ann", "eve", 3, (False, None, None, None, None, None)),
        ("ann", "dan", 3, (True, 3, "Ann → Bea → Cid → Dan", "bea", "cid", None)),
        ("dan", "ann", 3, (True, 3, "Dan → Cid → Bea → Ann", "cid", "bea", None)),
        ("ann", "cid", 3, (True, 2, "Ann → Bea → Cid", "bea", None, None)),
        ("ann", "bob", 3, (True, 1, "Ann → Bob", None, None, None)),
        ("ann", "gus", 1, (True, 1, "Ann → Gus", None, None, None)),  # Ann hidden on p9
        ("ann", "ann", 3, (True, 0, "Ann", None, None, None)),
        ("ann", "fay", 4, (False, None, None, None, None, None)),
        ("eve", "ann", 9, (True, 4, "Eve → Dan → Cid → Bea → Ann", "dan", "cid", "bea")),
        ("cid", "team", 3, (True, 2, "Cid → Bob → Chain Team", "bob", None, None)),  # a co-author
    ],
)
def test_collaboration_path_on_a_chain(
    chain_store: EmbeddedStore,
    catalogue: dict[str, StoredQuery],
    start: str,
    end: str,
    k: int,
    expected: tuple[Value, ...],
) -> None:
    result = run(
        chain_store, catalogue, "collaboration_path", person=EX + start, other=EX + end, k=k
    )
    got = rows(result, "connected", "hops", "chain", "via1", "via2", "via3")
    vias = tuple(None if v is None else EX + str(v) for v in expected[3:])
    assert got == [(*expected[:3], *vias)]


def test_coauthor_network(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Raphaël Marinier is on entry 26 only, with Ferret, Geist and Pietquin.
    paper = f"{ID}paper/title/self-attentional-credit-assignment-for-transfer-in-reinforcement"
    paper += "-learning"
    people = {
        "johan-ferret": "Johan Ferret",
        "raphael-marinier": "Raphaël Marinier",
        "matthieu-geist": "Matthieu Geist",
        "olivier-pietquin": "Olivier Pietquin",
    }
    expected = {
        (paper, RDF_TYPE, SKG + "Paper"),
        (paper, DCT + "title", lit(title(26))),
        (paper, SKG + "firstSubmitted", lit("2019-07-18", "date")),
    }
    for slug, name in people.items():
        expected |= {
            (paper, DCT + "creator", person(slug)),
            (person(slug), RDF_TYPE, SKG + "Person"),
            (person(slug), FOAF + "name", lit(name)),
        }
    result = run(store, catalogue, "coauthor_network", person="Raphaël Marinier")
    assert triples(result) == expected
    assert len(expected) == 15


# -- concepts ----------------------------------------------------------------------------------

# Tags read off the titles and abstracts with the tagging rule of docs/data-model.md (whole
# words, case-insensitive, plural s; acronyms case-sensitive; the longest label wins where labels
# overlap, so "reinforcement learning from human feedback" is RLHF and not also RL):
#   4  teacher hacking, RLHF, reward model, reward hacking, post-training, language model
#      ("LMs", "language models"), knowledge distillation ("distillation"), output diversity
#      ("data diversity")
#   7  zero-shot learning, large language model (LLMs), RL, temporal credit assignment,
#      credit assignment ("credit assignment via ..."), reward shaping (also "auxiliary
#      reward"), language model, hierarchical RL ("subgoals"), fine-tuning, value function
#  17  temporal credit assignment, deep RL, credit assignment ("Credit Assignment Problem",
#      "CAP"), RL
#  21  exploration, RL, deep Q-network ("DQN")
#  22  self-supervised learning, reversibility-aware RL ("Reversibility-Aware Reinforcement
#      Learning", "reversibility", "irreversible actions"), RL, exploration
#  24  self-imitation learning (every "imitation learning" is inside "self-imitation learning")
#  25  imitation learning ("learning from demonstrations"), ...
#  26  attention mechanism ("Self-Attentional", "self-attentive"), credit assignment, transfer
#      in RL, RL, sample efficiency ("sample-efficient"), transfer learning


def test_concepts_of(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # Nathan Grinsztajn: entries 21 {exploration, RL, DQN} and 22 {self-supervised learning,
    # reversibility, RL, exploration}, rolled up: DQN -> value-based RL -> RL and DQN -> deep RL
    # -> RL, deep learning; exploration, reversibility -> RL -> machine learning -> AI;
    # self-supervised -> machine learning.
    expected = [
        ("exploration", 2, 2),
        ("reinforcement learning", 2, 2),
        ("artificial intelligence", 2, 0),
        ("machine learning", 2, 0),
        ("deep Q-network", 1, 1),
        ("reversibility-aware reinforcement learning", 1, 1),
        ("self-supervised learning", 1, 1),
        ("deep learning", 1, 0),
        ("deep reinforcement learning", 1, 0),
        ("value-based reinforcement learning", 1, 0),
    ]
    result = run(store, catalogue, "concepts_of", person="Nathan Grinsztajn")
    assert rows(result, "label", "papers", "direct") == expected
    assert rows(result, "concept")[0] == (concept("exploration"),)


def test_papers_about(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    columns = ("title", "first_submitted", "direct")
    # imitation learning: 25 directly ("learning from demonstrations"), 24 through the narrower
    # self-imitation learning only.
    imitation = run(store, catalogue, "papers_about", concept="imitation learning")
    assert rows(imitation, *columns) == [
        (title(24), "2020-12-22", False),
        (title(25), "2020-06-01", True),
    ]
    # model merging: 6 ("model merging", "merged model") and 11 ("merged model") directly, 15
    # through weight averaging ("Weight Averaged") only; "averag" occurs in 11 and 15 alone.
    merging = run(store, catalogue, "papers_about", concept="model merging")
    assert rows(merging, *columns) == [
        (title(6), "2024-10-08", True),
        (title(11), "2024-06-24", True),
        (title(15), "2024-01-22", False),
    ]


def test_concept_timeline(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    columns = ("topic", "label", "year", "papers")
    ca = concept("credit-assignment")
    # credit assignment with temporal credit assignment under it: entries 26 (2019), 17 (2023),
    # 7 (2024).
    one = run(store, catalogue, "concept_timeline", concept="credit assignment")
    expected = [
        (ca, "credit assignment", 2019, 1),
        (ca, "credit assignment", 2023, 1),
        (ca, "credit assignment", 2024, 1),
    ]
    assert rows(one, *columns) == expected
    imitation = run(store, catalogue, "concept_timeline", concept="imitation learning")
    assert rows(imitation, "year", "papers") == [(2020, 2)]
    # all concepts: the same rows for credit assignment; temporal credit assignment on 17 and 7;
    # teacher hacking on 4 alone; every entry carries some tag under artificial intelligence,
    # so its row per year is papers_per_year.
    every = rows(run(store, catalogue, "concept_timeline"), *columns)
    assert [r for r in every if r[0] == ca] == expected
    assert [r[2:] for r in every if r[0] == concept("temporal-credit-assignment")] == [
        (2023, 1),
        (2024, 1),
    ]
    assert [r[2:] for r in every if r[0] == concept("teacher-hacking")] == [(2025, 1)]
    assert [r[2:] for r in every if r[0] == concept("artificial-intelligence")] == [
        (2019, 1),
        (2020, 2),
        (2021, 3),
        (2022, 1),
        (2023, 4),
        (2024, 10),
        (2025, 5),
    ]


def test_concept_cooccurrence(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # credit assignment is on 7, 17 and 26 (tags above): RL on all three, temporal credit
    # assignment on 7 and 17, each other tag of those papers once.
    once = [
        "zero-shot-learning",
        "large-language-model",
        "reward-shaping",
        "language-model",
        "hierarchical-reinforcement-learning",
        "fine-tuning",
        "value-function",  # 7
        "deep-reinforcement-learning",  # 17
        "attention-mechanism",
        "transfer-in-reinforcement-learning",
        "sample-efficiency",
        "transfer-learning",  # 26
    ]
    expected = {"reinforcement-learning": 3, "temporal-credit-assignment": 2}
    expected |= dict.fromkeys(once, 1)

    def pairs(result: QueryResult) -> dict[frozenset[Value], Value]:
        return {frozenset(r[:2]): r[2] for r in rows(result, "concept1", "concept2", "papers")}

    ca = concept("credit-assignment")
    result = run(store, catalogue, "concept_cooccurrence", concept="credit assignment")
    assert pairs(result) == {frozenset({ca, concept(c)}): n for c, n in expected.items()}
    assert rows(result, "papers")[:2] == [(3,), (2,)]
    assert all(str(r[0]) < str(r[1]) for r in rows(result, "concept1", "concept2"))
    at_least_two = run(
        store, catalogue, "concept_cooccurrence", concept="credit assignment", min_papers=2
    )
    assert rows(at_least_two, "label1", "label2", "papers") == [
        ("credit assignment", "reinforcement learning", 3),
        ("credit assignment", "temporal credit assignment", 2),
    ]
    # teacher hacking is on entry 4 alone, with its 7 other tags
    hacking = run(store, catalogue, "concept_cooccurrence", concept="teacher hacking")
    partners = {c for r in rows(hacking, "concept1", "concept2") for c in r} - {
        concept("teacher-hacking")
    }
    assert partners == {
        concept(c)
        for c in (
            "rlhf",
            "reward-model",
            "reward-hacking",
            "post-training",
            "language-model",
            "knowledge-distillation",
            "generation-diversity",
        )
    }
    # without a concept: the pairs above are among all pairs, counted the same
    everything = pairs(run(store, catalogue, "concept_cooccurrence"))
    assert everything[frozenset({ca, concept("reinforcement-learning")})] == 3
    assert everything[frozenset({concept("teacher-hacking"), concept("rlhf")})] == 1


# -- papers ------------------------------------------------------------------------------------


def test_largest_author_lists(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # shown = authors listed, hidden = "(N additional authors not shown)", declared = the sum;
    # from PAPERS, ordered by declared count, ties by title.
    order = [1, 16, 5, 3, 8, 13, 2, 12, 25, 10, 9, 19, 14, 18, 11, 6, 17, 7, 4, 15, 23, 22]
    order += [20, 21, 26, 24]
    expected = [(title(n), PAPERS[n][3], PAPERS[n][4], PAPERS[n][3] + PAPERS[n][4]) for n in order]
    columns = ("title", "shown", "hidden", "declared")
    result = run(store, catalogue, "largest_author_lists")
    assert rows(result, *columns) == expected
    assert expected[0] == (title(1), 25, 3284, 3309)
    big = run(store, catalogue, "largest_author_lists", min_authors=100)
    assert [r[3] for r in rows(big, *columns)] == [3309, 1351, 1109, 216, 198, 108]


def test_revised_papers(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # the 15 entries with "v1 submitted"; days counted on a calendar, e.g. 25: 2020-06-01 to
    # 2021-06-01 is 365, to 2022-06-01 730, + 30 + 31 + 31 (June to August) + 19 = 841; 16: 14
    # days to 2024-01-01, + 366 (leap year) + 31 + 28 + 31 + 30 (to 1 May) + 8 = 508.
    days = {25: 841, 16: 508, 18: 368, 17: 215, 22: 143, 12: 139, 26: 127, 9: 93, 5: 85, 8: 63}
    days |= {13: 34, 14: 22, 21: 18, 1: 15, 2: 5}
    expected = [(title(n), 2, PAPERS[n][1], PAPERS[n][2], d) for n, d in days.items()]
    columns = ("title", "versions", "first_submitted", "last_submitted", "days")
    assert rows(run(store, catalogue, "revised_papers"), *columns) == expected


def test_venues(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    result = run(store, catalogue, "venues")
    assert rows(result, "venue", "name", "kind", "papers") == [
        (f"{ID}venue/arxiv", "arXiv", SKG + "PreprintServer", 26)
    ]


def test_recent_papers(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # first submitted in 2025: entries 1-5; 1 and 2 share 2025-07-07 (by title: Gemini first)
    columns = ("title", "first_submitted", "last_submitted", "authors")
    recent = run(store, catalogue, "recent_papers", since="2025-01-01")
    assert rows(recent, *columns) == [
        (title(1), "2025-07-07", "2025-07-22", 3309),
        (title(2), "2025-07-07", "2025-07-12", 81),
        (title(3), "2025-03-25", "2025-03-25", 216),
        (title(4), "2025-02-04", "2025-02-04", 7),
        (title(5), "2025-01-24", "2025-04-19", 1109),
    ]
    same_day = run(store, catalogue, "recent_papers", since="2025-07-07")  # the day counts
    assert [r[0] for r in rows(same_day, *columns)] == [title(1), title(2)]
    assert run(store, catalogue, "recent_papers", since="2025-07-08").rows == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # grep -i over the titles and full abstracts of the listing
        ("teacher hacking", [4]),  # "teacher" occurs in 4 only
        ("GEMMA", [2, 3, 8, 10, 11, 12, 13]),  # 10 and 11 fine-tune Gemma in their abstract
        ("distil", [3, 4, 6, 8, 10]),  # inside "distillation", "distilled", "distills"
        ("  Humanity's\n\tlast  ", [5]),  # white space runs; the apostrophe is literal
        ("hacking reward teacher", [4]),  # any order
        # 7 words, then the rest as one phrase: "teacher hacking" is in 4, "hacking teacher" not
        ("post-training language models knowledge teacher student oracle teacher hacking", [4]),
        ("post-training language models knowledge teacher student oracle hacking teacher", []),
        ("", []),
        ("   ", []),
    ],
)
def test_search_papers(
    store: EmbeddedStore, catalogue: dict[str, StoredQuery], text: str, expected: list[int]
) -> None:
    result = run(store, catalogue, "search_papers", text=text)
    assert rows(result, "title") == [(title(n),) for n in expected]


def test_paper_card(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # entry 4 as docs/data-model.md lays it out: 7 authors shown, none hidden, one version,
    # the 8 concepts listed above, arXiv, this listing.
    paper = f"{ID}paper/title/on-teacher-hacking-in-language-model-distillation"
    lines = LISTING.read_text(encoding="utf-8").splitlines()
    start = lines.index(title(4))
    abstract = lines[lines.index("▽ More", start) + 1]  # the full abstract, one line here
    authors = [
        ("daniil-tiapkin", "Daniil Tiapkin"),
        ("daniele-calandriello", "Daniele Calandriello"),
        ("johan-ferret", "Johan Ferret"),
        ("sarah-perrin", "Sarah Perrin"),
        ("nino-vieillard", "Nino Vieillard"),
        ("alexandre-rame", "Alexandre Ramé"),
        ("mathieu-blondel", "Mathieu Blondel"),
    ]
    concepts = {
        "teacher-hacking": "teacher hacking",
        "rlhf": "reinforcement learning from human feedback",
        "reward-model": "reward model",
        "reward-hacking": "reward hacking",
        "post-training": "post-training",
        "language-model": "language model",
        "knowledge-distillation": "knowledge distillation",
        "generation-diversity": "output diversity",
    }
    version = f"{paper}/version/1"
    venue = f"{ID}venue/arxiv"
    source = f"{ID}source/arxiv-listing-ferret"
    expected: set[tuple[Node, Node, Node]] = {
        (paper, RDF_TYPE, SKG + "Paper"),
        (paper, DCT + "title", lit(title(4))),
        (paper, DCT + "abstract", lit(abstract)),
        (paper, SKG + "authorCount", lit("7", "integer")),
        (paper, SKG + "hiddenAuthorCount", lit("0", "integer")),
        (paper, SKG + "authorListComplete", lit("true", "boolean")),
        (paper, SKG + "hasVersion", version),
        (paper, SKG + "firstSubmitted", lit("2025-02-04", "date")),
        (paper, SKG + "lastSubmitted", lit("2025-02-04", "date")),
        (paper, SKG + "announced", lit("2025-02", "gYearMonth")),
        (paper, SKG + "publishedIn", venue),
        (paper, "http://www.w3.org/ns/prov#wasDerivedFrom", source),
        (version, RDF_TYPE, SKG + "Version"),
        (version, SKG + "versionNumber", lit("1", "integer")),
        (version, SKG + "submitted", lit("2025-02-04", "date")),
        (venue, RDF_TYPE, SKG + "PreprintServer"),
        (venue, FOAF + "name", lit("arXiv")),
        (source, RDF_TYPE, SKG + "Source"),
        (source, "http://www.w3.org/2000/01/rdf-schema#label", lit("arxiv-listing-ferret.txt")),
    }
    for position, (slug, name) in enumerate(authors, start=1):
        slot = f"{paper}/authorship/{position}"
        expected |= {
            (paper, SKG + "hasAuthorship", slot),
            (paper, DCT + "creator", person(slug)),
            (slot, RDF_TYPE, SKG + "Authorship"),
            (slot, SKG + "position", lit(str(position), "integer")),
            (slot, SKG + "nameAsWritten", lit(name)),
            (slot, SKG + "author", person(slug)),
            (person(slug), RDF_TYPE, SKG + "Person"),
            (person(slug), FOAF + "name", lit(name)),
        }
    for slug, label in concepts.items():
        expected |= {
            (paper, SKG + "hasConcept", concept(slug)),
            (concept(slug), RDF_TYPE, SKOS + "Concept"),
            (concept(slug), SKOS + "prefLabel", lit(label, lang="en")),
        }
    result = run(store, catalogue, "paper_card", paper=paper)
    assert triples(result) == expected
    assert len(expected) == 99  # 34 about the paper, 7 x 6 authors, 3 version, 16 concepts, 4
    # a hidden credit is on the card too: Ferret on MedGemma (entry 2), without authorship
    medgemma = run(
        store, catalogue, "paper_card", paper=f"{ID}paper/title/medgemma-technical-report"
    )
    ferret = (person("johan-ferret"), FOAF + "name", lit("Johan Ferret"))
    card = triples(medgemma)
    assert ferret in card
    assert not any(o == person("johan-ferret") for s, p, o in card if p == SKG + "author")


def test_dataset_summary(store: EmbeddedStore, catalogue: dict[str, StoredQuery]) -> None:
    # 26 entries; 378 author lines (the shown counts of PAPERS), 244 different names, 241 after
    # accents are dropped (Ramé/Rame, Rivière/Riviere, Stańczyk/Stanczyk), of which 2 teams:
    # 239 persons; 26 v1 + 15 later versions = 41; one venue, one source; 95 "a skos:Concept"
    # in ontology/concepts.ttl, one scheme. Dates: earliest v1 2019-07-18 (entry 26), latest
    # 2025-07-07 (entries 1 and 2).
    assert sum(p[3] for p in PAPERS.values()) == 378
    expected = [
        ("class", SKOS + "Concept", None, 95),
        ("class", SKOS + "ConceptScheme", None, 1),
        ("class", SKG + "Authorship", None, 378),
        ("class", SKG + "Organization", None, 2),
        ("class", SKG + "Paper", None, 26),
        ("class", SKG + "Person", None, 239),
        ("class", SKG + "PreprintServer", None, 1),
        ("class", SKG + "Source", None, 1),
        ("class", SKG + "Version", None, 41),
        ("first submitted", "earliest", "2019-07-18", None),
        ("first submitted", "latest", "2025-07-07", None),
        ("source", f"{ID}source/arxiv-listing-ferret", "arxiv-listing-ferret.txt", 26),
    ]
    result = run(store, catalogue, "dataset_summary")
    assert rows(result, "aspect", "item", "value", "count") == expected


# -- injection ---------------------------------------------------------------------------------

# Hostile values for every text parameter. None occurs in a title or abstract of the listing
# (grep: no braces, no "drop", no '?s', no three quotes, no non-ASCII character at all), except
# the backslash of "90\\%" in the abstract of entry 5; white space alone is no word.
NASTY = {
    'x" } DROP ALL #': [],
    "'; DELETE WHERE {?s ?p ?o} #": [],
    "}": [],
    "{": [],
    '"""': [],
    "\\": [5],
    "x\n} ; DROP ALL ; SELECT * {": [],
    "\r\n": [],
    "\u0000": [],
    "Ramé ∀ 😀": [],
    "DROP ALL": [],
    "?s ?p ?o": [],
    "<http://x/> }": [],
}


@pytest.mark.parametrize("text", NASTY)
def test_string_parameters_are_literal_text(
    store: EmbeddedStore, catalogue: dict[str, StoredQuery], text: str
) -> None:
    before = len(store)
    for query in catalogue.values():
        for name in [n for n, p in query.params.items() if p.type == "string"]:
            raw = {n: str(p.example) for n, p in query.params.items() if n != name}
            result = run_stored(store, query, raw | {name: text}, base=DEFAULT_BASE)
            if query.name == "search_papers":
                assert rows(result, "title") == [(title(n),) for n in NASTY[text]]
    assert len(store) == before
    assert count_papers(store) == 26


@pytest.mark.parametrize("text", NASTY)
def test_people_concepts_and_iris_are_resolved_not_spliced(
    store: EmbeddedStore, catalogue: dict[str, StoredQuery], text: str
) -> None:
    # A person is looked up by a name key that keeps only letters and digits, so punctuation
    # around "Johan Ferret" is dropped and any added letter makes an unknown name; a concept by
    # its label with white space normalised; an IRI must be one. Either way: no injection.
    before = len(store)
    ferret = rows(run(store, catalogue, "papers_of", person="Johan Ferret"), "paper")
    if any(c.isalnum() for c in text):
        with pytest.raises(UsageError, match="no person or organisation named"):
            run(store, catalogue, "papers_of", person="Johan Ferret " + text)
    else:
        again = run(store, catalogue, "papers_of", person="Johan Ferret " + text)
        assert rows(again, "paper") == ferret
    imitation = rows(run(store, catalogue, "papers_about", concept="imitation learning"), "paper")
    if text.split():
        with pytest.raises(UsageError, match="no concept labelled"):
            run(store, catalogue, "papers_about", concept="imitation learning " + text)
    else:
        again = run(store, catalogue, "papers_about", concept="imitation learning " + text)
        assert rows(again, "paper") == imitation
    assert len(store) == before
    assert count_papers(store) == 26


@pytest.mark.parametrize("text", NASTY)
def test_iri_parameters_are_checked_not_spliced(
    store: EmbeddedStore, catalogue: dict[str, StoredQuery], text: str
) -> None:
    # An IRI parameter is trimmed, then must be an absolute IRI: white space alone leaves the
    # IRI of no paper (an empty card); anything else here is not an IRI.
    before = len(store)
    if text.strip():
        with pytest.raises(UsageError, match="is not a valid iri"):
            run(store, catalogue, "paper_card", paper=f"{ID}paper/x{text}")
    else:
        assert run(store, catalogue, "paper_card", paper=f"{ID}paper/x{text}").triples == ()
    assert len(store) == before
    assert count_papers(store) == 26
