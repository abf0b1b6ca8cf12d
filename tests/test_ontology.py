"""The shipped ontology (scholarkg.ttl) and concept scheme (concepts.ttl) are well-formed code.

Only rdflib is used: these files are data that the package ships, checked on their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV

ONTOLOGY_DIR = Path(__file__).parents[1] / "ontology"
DOCS_DATA_MODEL = Path(__file__).parents[1] / "docs" / "data-model.md"

SKG = Namespace("https://w3id.org/scholarkg/ontology#")
SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
VANN = Namespace("http://purl.org/vocab/vann/")
ONTOLOGY = URIRef("https://w3id.org/scholarkg/ontology")
SCHEME = URIRef("https://w3id.org/scholarkg/concepts")
CONCEPT = Namespace("https://w3id.org/scholarkg/concepts/")
APACHE_2 = URIRef("https://www.apache.org/licenses/LICENSE-2.0")

CLASS, OBJECT, DATA = OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

# Every skg: term of DESIGN.md's core vocabulary and of docs/data-model.md, with its kind.
EXPECTED_TERMS: dict[str, URIRef] = {
    # classes
    "Paper": CLASS,
    "Person": CLASS,
    "Organization": CLASS,
    "Authorship": CLASS,
    "Venue": CLASS,
    "PreprintServer": CLASS,
    "Conference": CLASS,
    "Journal": CLASS,
    "Workshop": CLASS,
    "Version": CLASS,
    "Source": CLASS,
    "MergedView": CLASS,
    # object properties
    "hasAuthorship": OBJECT,
    "author": OBJECT,
    "hasVersion": OBJECT,
    "publishedIn": OBJECT,
    "hasConcept": OBJECT,
    "listingSubject": OBJECT,
    "category": OBJECT,
    "primaryCategory": OBJECT,
    "viewIncludes": OBJECT,
    # datatype properties
    "position": DATA,
    "nameAsWritten": DATA,
    "authorCount": DATA,
    "hiddenAuthorCount": DATA,
    "authorListComplete": DATA,
    "versionNumber": DATA,
    "submitted": DATA,
    "firstSubmitted": DATA,
    "lastSubmitted": DATA,
    "announced": DATA,
    "arxivId": DATA,
    "doi": DATA,
    "arxivCategory": DATA,
    "comments": DATA,
    "journalRef": DATA,
    "reportNumber": DATA,
    "mscClass": DATA,
    "acmClass": DATA,
    "pages": DATA,
    "publicationYear": DATA,
    "givenNameAsWritten": DATA,
    "familyNameAsWritten": DATA,
    "affiliationAsWritten": DATA,
    "sourceFormat": DATA,
    "fileName": DATA,
    "sha256": DATA,
    "entryCount": DATA,
}

EXPECTED_RANGES: dict[str, URIRef] = {
    "hasAuthorship": SKG.Authorship,
    "hasVersion": SKG.Version,
    "publishedIn": SKG.Venue,
    "hasConcept": SKOS.Concept,
    "position": XSD.integer,
    "nameAsWritten": XSD.string,
    "authorCount": XSD.integer,
    "hiddenAuthorCount": XSD.integer,
    "authorListComplete": XSD.boolean,
    "versionNumber": XSD.integer,
    "submitted": XSD.date,
    "firstSubmitted": XSD.date,
    "lastSubmitted": XSD.date,
    "announced": XSD.gYearMonth,
    "arxivId": XSD.string,
    "doi": XSD.string,
    "entryCount": XSD.integer,
    "category": SKOS.Concept,
    "primaryCategory": SKOS.Concept,
    "pages": XSD.string,
    "publicationYear": XSD.gYear,
    "givenNameAsWritten": XSD.string,
    "familyNameAsWritten": XSD.string,
    "affiliationAsWritten": XSD.string,
}

FUNCTIONAL = {
    "position", "nameAsWritten", "author", "authorCount", "hiddenAuthorCount",
    "authorListComplete", "versionNumber", "submitted", "firstSubmitted", "lastSubmitted",
    "announced", "arxivId", "sourceFormat", "fileName", "sha256", "entryCount",
    "primaryCategory", "givenNameAsWritten", "familyNameAsWritten",
}  # fmt: skip

# (sub, super) pairs that DESIGN.md requires or that the ontology promises in its comments.
EXPECTED_SUBCLASSES = [
    (SKG.Paper, SCHEMA.ScholarlyArticle),
    (SKG.Paper, BIBO.Document),
    (SKG.Person, FOAF.Person),
    (SKG.Person, SCHEMA.Person),
    (SKG.Organization, FOAF.Organization),
    (SKG.Organization, SCHEMA.Organization),
    (SKG.Source, PROV.Entity),
    (SKG.MergedView, PROV.Entity),
    (SKG.Version, FABIO.Expression),
    (SKG.PreprintServer, SKG.Venue),
    (SKG.Conference, SKG.Venue),
    (SKG.Journal, SKG.Venue),
    (SKG.Workshop, SKG.Venue),
    (SKG.Journal, BIBO.Journal),
    (SKG.Journal, SCHEMA.Periodical),
    (SKG.Conference, SCHEMA.Event),
    (SKG.Workshop, SCHEMA.Event),
    (SKG.Authorship, PROV.Attribution),
]
EXPECTED_SUBPROPERTIES = [
    (SKG.doi, BIBO.doi),
    (SKG.arxivId, DCTERMS.identifier),
    (SKG.hasVersion, DCTERMS.hasVersion),
    (SKG.submitted, DCTERMS.dateSubmitted),
    (SKG.firstSubmitted, DCTERMS.dateSubmitted),
    (SKG.hasConcept, DCTERMS.subject),
    (SKG.author, PROV.agent),
    (SKG.hasAuthorship, PROV.qualifiedAttribution),
    (SKG.category, DCTERMS.subject),
    (SKG.primaryCategory, SKG.category),
    (SKG.pages, BIBO.pages),
    (SKG.publicationYear, DCTERMS.issued),
]

# Reused terms: the ontology refers to them but must not redefine them.
REUSED_TERMS = [
    DCTERMS.title, DCTERMS.abstract, DCTERMS.creator, FOAF.name, FOAF.homepage,
    PROV.wasDerivedFrom, SKOS.Concept, SCHEMA.ScholarlyArticle, FOAF.Person, FOAF.page,
    OWL.sameAs,
]  # fmt: skip

# Labels that would tag nearly every paper; no concept may carry them.
GENERIC_LABELS = {
    "model", "learning", "agent", "method", "algorithm", "data", "training", "network",
    "task", "system", "approach", "performance", "paper", "research", "ai model",
}  # fmt: skip

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SEPARATORS = re.compile(r"[\s\-\u2010\u2011]+")


# ---------------------------------------------------------------------------------- fixtures


def _parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def onto() -> Graph:
    return _parse(ONTOLOGY_DIR / "scholarkg.ttl")


@pytest.fixture(scope="module")
def scheme() -> Graph:
    return _parse(ONTOLOGY_DIR / "concepts.ttl")


@pytest.fixture(scope="module")
def concepts(scheme: Graph) -> set[URIRef]:
    return {c for c in scheme.subjects(RDF.type, SKOS.Concept) if isinstance(c, URIRef)}


@pytest.fixture(scope="module")
def broader(scheme: Graph, concepts: set[URIRef]) -> dict[URIRef, set[URIRef]]:
    return {
        c: {p for p in scheme.objects(c, SKOS.broader) if isinstance(p, URIRef)} for c in concepts
    }


def _skg_terms(graph: Graph) -> set[URIRef]:
    """Every skg: IRI that appears anywhere in the graph."""
    return {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(SKG))
    }


def _ancestors(concept: URIRef, broader: dict[URIRef, set[URIRef]]) -> set[URIRef]:
    seen: set[URIRef] = set()
    todo = list(broader.get(concept, ()))
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(broader.get(parent, ()))
    return seen


def _en(values: Iterator[object]) -> list[Literal]:
    return [v for v in values if isinstance(v, Literal) and v.language == "en"]


def _match_key(label: str) -> str:
    """A label as the concept tagger compares it: separators unified, folded unless an acronym."""
    key = SEPARATORS.sub(" ", label).strip()
    return key if not any(ch.islower() for ch in key) else key.casefold()


# ---------------------------------------------------------------------------------- all files


@pytest.mark.parametrize("path", sorted(ONTOLOGY_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_every_turtle_file_parses(path: Path) -> None:
    assert len(_parse(path)) > 0


def test_ontology_dir_ships_the_ontology_and_the_scheme() -> None:
    names = {p.name for p in ONTOLOGY_DIR.glob("*.ttl")}
    assert {"scholarkg.ttl", "concepts.ttl"} <= names


# ---------------------------------------------------------------------------------- ontology


def test_ontology_header(onto: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY, OWL.versionInfo) == Literal("0.2.0")
    assert _en(onto.objects(ONTOLOGY, DCTERMS.title))
    assert _en(onto.objects(ONTOLOGY, DCTERMS.description))
    assert (ONTOLOGY, DCTERMS.license, APACHE_2) in onto
    assert str(onto.value(ONTOLOGY, VANN.preferredNamespacePrefix)) == "skg"
    assert str(onto.value(ONTOLOGY, VANN.preferredNamespaceUri)) == str(SKG)


@pytest.mark.parametrize(("name", "kind"), EXPECTED_TERMS.items())
def test_expected_term_is_declared_with_label_and_comment(
    onto: Graph, name: str, kind: URIRef
) -> None:
    term = SKG[name]
    assert (term, RDF.type, kind) in onto
    assert len(_en(onto.objects(term, RDFS.label))) == 1
    assert len(_en(onto.objects(term, RDFS.comment))) == 1
    assert (term, RDFS.isDefinedBy, ONTOLOGY) in onto


def test_every_skg_term_is_declared_as_exactly_one_kind(onto: Graph) -> None:
    for term in _skg_terms(onto):
        kinds = [k for k in KINDS if (term, RDF.type, k) in onto]
        assert len(kinds) == 1, f"{term} is declared as {kinds}"


def test_no_undeclared_or_unexpected_skg_terms(onto: Graph) -> None:
    declared = {t for t in _skg_terms(onto) if any((t, RDF.type, k) in onto for k in KINDS)}
    assert _skg_terms(onto) == declared, "an skg: IRI is used but not declared (a typo?)"
    assert declared == {SKG[name] for name in EXPECTED_TERMS}


def test_each_term_has_one_declaration_block_in_the_file() -> None:
    text = (ONTOLOGY_DIR / "scholarkg.ttl").read_text(encoding="utf-8")
    blocks = Counter(re.findall(r"^skg:(\w+)\s*$", text, flags=re.MULTILINE))
    assert {name for name, n in blocks.items() if n > 1} == set()
    assert set(blocks) == set(EXPECTED_TERMS)


def test_every_skg_term_of_the_data_model_doc_is_declared(onto: Graph) -> None:
    used = set(re.findall(r"\bskg:([A-Za-z][A-Za-z0-9]*)", DOCS_DATA_MODEL.read_text("utf-8")))
    assert used <= set(EXPECTED_TERMS), f"not in the ontology: {used - set(EXPECTED_TERMS)}"


def test_every_property_has_one_domain_and_one_range(onto: Graph) -> None:
    for name, kind in EXPECTED_TERMS.items():
        if kind == CLASS:
            continue
        assert len(list(onto.objects(SKG[name], RDFS.domain))) == 1, name
        assert len(list(onto.objects(SKG[name], RDFS.range))) == 1, name


@pytest.mark.parametrize(("name", "range_"), EXPECTED_RANGES.items())
def test_property_range(onto: Graph, name: str, range_: URIRef) -> None:
    assert onto.value(SKG[name], RDFS.range) == range_


def test_author_range_is_person_or_organization(onto: Graph) -> None:
    for prop in (SKG.author, SKG.listingSubject):
        union = onto.value(onto.value(prop, RDFS.range), OWL.unionOf)
        assert union is not None
        assert set(onto.items(union)) == {SKG.Person, SKG.Organization}


def test_functional_properties(onto: Graph) -> None:
    functional = {
        str(t).removeprefix(str(SKG)) for t in onto.subjects(RDF.type, OWL.FunctionalProperty)
    }
    assert functional == FUNCTIONAL


@pytest.mark.parametrize(("sub", "sup"), EXPECTED_SUBCLASSES)
def test_class_alignment(onto: Graph, sub: URIRef, sup: URIRef) -> None:
    assert (sub, RDFS.subClassOf, sup) in onto


@pytest.mark.parametrize(("sub", "sup"), EXPECTED_SUBPROPERTIES)
def test_property_alignment(onto: Graph, sub: URIRef, sup: URIRef) -> None:
    assert (sub, RDFS.subPropertyOf, sup) in onto


def test_no_equivalences_and_no_redefined_external_terms(onto: Graph) -> None:
    assert not list(onto.triples((None, OWL.equivalentClass, None)))
    assert not list(onto.triples((None, OWL.equivalentProperty, None)))
    for term in REUSED_TERMS:
        assert not list(onto.triples((term, None, None))), f"{term} is redefined"


# ---------------------------------------------------------------------------------- concepts


def test_concept_scheme_header(scheme: Graph) -> None:
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in scheme
    assert _en(scheme.objects(SCHEME, DCTERMS.title))


def test_at_least_forty_concepts_with_kebab_case_iris(concepts: set[URIRef]) -> None:
    assert len(concepts) >= 40
    for concept in concepts:
        slug = str(concept).removeprefix(str(CONCEPT))
        assert str(concept).startswith(str(CONCEPT)) and SLUG.fullmatch(slug), concept


def test_every_concept_is_in_the_scheme_with_one_english_pref_label(
    scheme: Graph, concepts: set[URIRef]
) -> None:
    for concept in concepts:
        assert (concept, SKOS.inScheme, SCHEME) in scheme, concept
        prefs = list(scheme.objects(concept, SKOS.prefLabel))
        assert len(prefs) == 1 and len(_en(iter(prefs))) == 1, concept
        assert len(_en(scheme.objects(concept, SKOS.definition))) == 1, concept
        alts = list(scheme.objects(concept, SKOS.altLabel))
        assert len(_en(iter(alts))) == len(alts), f"{concept} has an altLabel without @en"


def test_pref_labels_are_unique(scheme: Graph, concepts: set[URIRef]) -> None:
    prefs = Counter(str(scheme.value(c, SKOS.prefLabel)).casefold() for c in concepts)
    assert [label for label, n in prefs.items() if n > 1] == []


def test_every_label_tags_one_concept_only(scheme: Graph, concepts: set[URIRef]) -> None:
    owners: dict[str, set[URIRef]] = {}
    for concept in concepts:
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in scheme.objects(concept, prop):
                owners.setdefault(_match_key(str(label)), set()).add(concept)
    shared = {key: sorted(c) for key, c in owners.items() if len(c) > 1}
    assert shared == {}


def test_pref_and_alt_labels_are_disjoint(scheme: Graph, concepts: set[URIRef]) -> None:
    for concept in concepts:
        prefs = {_match_key(str(x)) for x in scheme.objects(concept, SKOS.prefLabel)}
        alts = [_match_key(str(x)) for x in scheme.objects(concept, SKOS.altLabel)]
        assert not prefs & set(alts), concept
        assert len(alts) == len(set(alts)), f"{concept} repeats an altLabel"


def test_no_generic_labels(scheme: Graph) -> None:
    labels = {
        str(label).casefold()
        for prop in (SKOS.prefLabel, SKOS.altLabel)
        for label in scheme.objects(None, prop)
    }
    assert labels & GENERIC_LABELS == set()


def test_at_least_five_acronym_alt_labels(scheme: Graph) -> None:
    acronyms = {
        str(label)
        for label in scheme.objects(None, SKOS.altLabel)
        if re.fullmatch(r"[A-Z][A-Z0-9]+", str(label))
    }
    assert len(acronyms) >= 5
    assert {"RL", "RLHF", "LLM", "CFG", "KD", "MDP"} <= acronyms


def test_broader_links_concepts_of_the_scheme(scheme: Graph, concepts: set[URIRef]) -> None:
    for concept, parent in scheme.subject_objects(SKOS.broader):
        assert concept in concepts, f"{concept} has skos:broader but is no concept of the scheme"
        assert parent in concepts, f"{concept} has a broader concept outside the scheme: {parent}"
        assert concept != parent


def test_broader_has_no_cycles(broader: dict[URIRef, set[URIRef]]) -> None:
    for concept in broader:
        assert concept not in _ancestors(concept, broader), f"cycle through {concept}"


def test_top_concepts_are_exactly_the_concepts_without_broader(
    scheme: Graph, broader: dict[URIRef, set[URIRef]]
) -> None:
    roots = {c for c, parents in broader.items() if not parents}
    assert roots
    assert set(scheme.objects(SCHEME, SKOS.hasTopConcept)) == roots
    assert set(scheme.subjects(SKOS.topConceptOf, SCHEME)) == roots


def test_hierarchy_is_at_least_three_levels_deep(broader: dict[URIRef, set[URIRef]]) -> None:
    def depth(concept: URIRef) -> int:  # broader steps up to the farthest top concept
        return max((1 + depth(p) for p in broader[concept]), default=0)

    assert max(depth(c) for c in broader) >= 3


def test_related_is_symmetric_and_never_links_ancestors(
    scheme: Graph, broader: dict[URIRef, set[URIRef]], concepts: set[URIRef]
) -> None:
    for a, b in scheme.subject_objects(SKOS.related):
        assert isinstance(a, URIRef) and a in concepts and b in concepts and a != b
        assert (b, SKOS.related, a) in scheme, f"{a} related {b} is stated one way only"
        assert b not in _ancestors(a, broader), f"{a} is related to its ancestor {b}"


@pytest.mark.parametrize(
    ("narrow", "broad"),
    [
        ("rlhf", "reinforcement-learning"),
        ("rlhf", "ai-alignment"),
        ("rlaif", "rlhf"),
        ("reward-model", "rlhf"),
        ("temporal-credit-assignment", "reinforcement-learning"),
        ("credit-assignment", "machine-learning"),
        ("actor-critic-method", "reinforcement-learning"),
        ("self-imitation-learning", "imitation-learning"),
        ("teacher-hacking", "knowledge-distillation"),
        ("weight-averaging", "model-merging"),
        ("classifier-free-guidance", "generative-model"),
        ("vision-language-model", "multimodality"),
        ("large-language-model", "natural-language-processing"),
        ("medical-image-analysis", "artificial-intelligence"),
    ],
)
def test_expected_hierarchy(broader: dict[URIRef, set[URIRef]], narrow: str, broad: str) -> None:
    assert CONCEPT[broad] in _ancestors(CONCEPT[narrow], broader)


@pytest.mark.parametrize(
    ("slug", "label"),
    [
        ("reinforcement-learning", "RL"),
        ("rlhf", "RLHF"),
        ("large-language-model", "LLM"),
        ("language-model", "LM"),
        ("classifier-free-guidance", "CFG"),
        ("knowledge-distillation", "KD"),
        ("markov-decision-process", "MDP"),
        ("imitation-learning", "learning from demonstrations"),
        ("weight-averaging", "weight averaged"),
    ],
)
def test_expected_alt_labels(scheme: Graph, slug: str, label: str) -> None:
    assert Literal(label, lang="en") in set(scheme.objects(CONCEPT[slug], SKOS.altLabel))


def test_data_model_example_concept_exists(concepts: set[URIRef]) -> None:
    assert CONCEPT["knowledge-distillation"] in concepts
