"""One view over several sources: the merged graph, its rule of preference, and the conflicts.

Every source keeps its own word in its own named graph. Once a store holds two sources, the same
paper and the same person are described in several graphs: their union would count them once
per graph (Oxigraph's union default graph is a bag, not a set) and show each source's title side
by side. So the default graph of queries becomes one merged graph, ``<base>graph/merged``,
rebuilt after every ingest:

1. every triple of every source graph, once;
2. for a paper that several sources describe, each of its own properties comes from one source,
   the preferred one that has it, except the properties sources add to each other (``ADDITIVE``:
   provenance, concepts, venues, categories, identifiers, notes). The author list (authorships,
   creators and counts) is taken whole from one source, and so are the versions with their dates;
3. agents that no paper of the view credits any more (printed differently by a source that was
   not preferred) are left out.

**The rule of preference**, per paper and property: a source whose author list is complete over
one that hides authors (for the author list only); then by format, the arXiv API feed (arXiv's
own record), then BibTeX (a curated bibliographic record), then a listing copied from arXiv's
pages; then by graph IRI, so the choice never depends on the order of ingests. ``conflicts``
lists where the sources disagree, with each source's value and the one the view took.

A store with one source has no merged graph; its default graph stays the union of its graphs.
The merged graph names itself ``skg:MergedView`` and the vocabulary graphs it includes, which is
how both backends know their default graph (``store.EmbeddedStore.default_graphs``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Protocol

from pydantic import Field

from scholarkg import vocab as v
from scholarkg.iris import slug
from scholarkg.records import Record
from scholarkg.remote import RemoteStore
from scholarkg.store import QueryResult
from scholarkg.terms import IRI, AnyTerm, Literal

MERGED = "graph/merged"
#: Formats from the most authoritative down (see the module's docstring).
FORMAT_RANK = ("arxiv-atom", "bibtex", "arxiv-listing")
#: Paper properties every source adds to the others'.
ADDITIVE = frozenset(
    {
        v.TYPE,
        v.WAS_DERIVED_FROM,
        v.HAS_CONCEPT,
        v.PUBLISHED_IN,
        v.ARXIV_CATEGORY,
        v.CATEGORY,
        v.ARXIV_ID,
        v.DOI,
        v.COMMENTS,
        v.JOURNAL_REF,
        v.REPORT_NUMBER,
        v.MSC_CLASS,
        v.ACM_CLASS,
        v.PAGES,
        v.PAGE,
        v.SAME_AS,
    }
)
#: Taken whole from one source: the author list, the versions.
AUTHOR_LIST = (
    v.HAS_AUTHORSHIP,
    v.CREATOR,
    v.AUTHOR_COUNT,
    v.HIDDEN_AUTHOR_COUNT,
    v.AUTHOR_LIST_COMPLETE,
)
VERSIONS = (v.HAS_VERSION, v.FIRST_SUBMITTED, v.LAST_SUBMITTED, v.ANNOUNCED)
#: Properties whose values are compared across sources by ``find_conflicts``.
COMPARED = (
    v.TITLE,
    v.ABSTRACT,
    v.AUTHOR_COUNT,
    v.FIRST_SUBMITTED,
    v.LAST_SUBMITTED,
    v.PUBLICATION_YEAR,
    v.PRIMARY_CATEGORY,
)
_BATCH = 500  # papers per VALUES block


class Store(Protocol):
    """What merging needs of a store (both backends have it)."""

    def query(self, sparql: str, substitutions: dict[str, AnyTerm] | None = None) -> QueryResult:
        """A query over the default graph."""
        ...

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """A SPARQL 1.1 Update."""
        ...

    def named_graphs(self) -> list[str]:
        """The named graphs, sorted."""
        ...

    def drop_graph(self, graph: IRI) -> bool:
        """Remove a named graph."""
        ...


class SourceGraph(Record):
    """A source's named graph and the format of its file."""

    graph: str
    source_format: str

    @property
    def rank(self) -> tuple[int, str]:
        """Sort key: most authoritative first."""
        fmt = self.source_format
        return (FORMAT_RANK.index(fmt) if fmt in FORMAT_RANK else len(FORMAT_RANK), self.graph)


class Claim(Record):
    """One source's value of a property."""

    graph: str
    source_format: str
    value: str
    preferred: bool = Field(description="the value the merged view took")


class Conflict(Record):
    """Sources that disagree on one property of one paper."""

    paper: str
    property: str
    claims: list[Claim]


class ViewReport(Record):
    """What rebuilding the view did."""

    sources: int
    shared_papers: int
    merged: bool = Field(description="False: one source or none, the union is the view")


def merged_graph(base: str) -> IRI:
    """The merged view's graph under a base."""
    return IRI(base + MERGED)


def source_graphs(store: Store, base: str) -> list[SourceGraph]:
    """Every source's graph (a graph describing a ``skg:Source``), most authoritative first."""
    answer = store.query(
        f"SELECT DISTINCT ?g ?format WHERE {{ GRAPH ?g {{ ?s a <{v.SOURCE}> ; "
        f"<{v.SOURCE_FORMAT}> ?format }} FILTER (?g != <{merged_graph(base)}>) }}"
    )
    found = {
        str(g): str(fmt.lexical)
        for g, fmt in answer.rows
        if g is not None and isinstance(fmt, Literal)
    }
    graphs = [SourceGraph(graph=g, source_format=f) for g, f in found.items()]
    return sorted(graphs, key=lambda s: s.rank)


def own_dataset(store: Store, base: str, graph: str) -> list[str]:
    """One source's graph with the graphs that are no source's (the vocabularies): what the
    source is validated against, on its own."""
    sources = {s.graph for s in source_graphs(store, base)} | {merged_graph(base)}
    return [graph, *(g for g in store.named_graphs() if g not in sources and g != graph)]


def rebuild_view(store: Store, base: str) -> ViewReport:
    """Make the merged graph hold the view over every source (or drop it when there is at most
    one source). Embedded, call it inside the transaction of the ingest that changed a source;
    on a server, the view is built in a staging graph and moved over the old one."""
    merged = merged_graph(base)
    sources = source_graphs(store, base)
    if len(sources) < 2:
        if merged in store.named_graphs():
            store.drop_graph(merged)
        return ViewReport(sources=len(sources), shared_papers=0, merged=False)
    others = [g for g in store.named_graphs() if g not in {s.graph for s in sources} | {merged}]
    shared = 0

    def build(target: str) -> bool:
        nonlocal shared
        names = " ".join(f"<{s.graph}>" for s in sources)
        includes = " ".join(f"<{merged}> <{v.VIEW_INCLUDES}> <{g}> ." for g in others)
        store.update(
            f"DROP SILENT GRAPH <{target}> ;\n"
            f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{target}> {{ <{merged}> a <{v.MERGED_VIEW}> . {includes} }} }}"
        )
        preferred = _preferences(store, sources)
        shared = len(preferred)
        for batch in _batches(sorted(preferred.items())):
            store.update(_prefer(IRI(target), batch))
        store.update(_drop_uncredited(IRI(target)))
        return True

    if isinstance(store, RemoteStore):
        store.rebuild_graphs({merged: build})
    else:
        build(merged)
    return ViewReport(sources=len(sources), shared_papers=shared, merged=True)


def _shared_papers(sources: list[SourceGraph]) -> str:
    names = " ".join(f"<{s.graph}>" for s in sources)
    return (
        f"{{ SELECT ?paper WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?paper a <{v.PAPER}> }} }}"
        " GROUP BY ?paper HAVING (COUNT(DISTINCT ?g) > 1) }"
    )


def _preferences(store: Store, sources: list[SourceGraph]) -> dict[str, dict[str, str]]:
    """For each paper several sources describe: property -> the graph it is taken from."""
    by_graph = {s.graph: s for s in sources}
    names = " ".join(f"<{s.graph}>" for s in sources)
    answer = store.query(
        f"SELECT DISTINCT ?paper ?g ?p ?complete WHERE {{ {_shared_papers(sources)} "
        f"VALUES ?g {{ {names} }} GRAPH ?g {{ ?paper ?p ?o }} "
        f"OPTIONAL {{ GRAPH ?g {{ ?paper <{v.AUTHOR_LIST_COMPLETE}> ?complete }} }} }}"
    )
    having: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    hides: set[tuple[str, str]] = set()
    for paper_term, graph_term, prop_term, complete in answer.rows:
        if paper_term is None or graph_term is None or prop_term is None:
            continue
        if str(prop_term) in ADDITIVE:
            continue
        paper, graph = str(paper_term), str(graph_term)
        having[paper][_group_of(str(prop_term))].add(graph)
        if isinstance(complete, Literal) and complete.lexical in {"false", "0"}:
            hides.add((paper, graph))
    chosen: dict[str, dict[str, str]] = {}
    for paper, groups in having.items():
        chosen[paper] = {}
        for group, graphs in groups.items():
            ranked = sorted(
                (group == v.HAS_AUTHORSHIP and (paper, g) in hides, by_graph[g].rank, g)
                for g in graphs
            )
            chosen[paper][group] = ranked[0][2]
    return chosen


def _group_of(prop: str) -> str:
    """The property that stands for a property's group (its first member), or itself."""
    for group in (AUTHOR_LIST, VERSIONS):
        if prop in group:
            return group[0]
    return prop


def _batches(items: list[tuple[str, dict[str, str]]]) -> Iterator[list[tuple[str, dict[str, str]]]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def _prefer(merged: IRI, batch: Iterable[tuple[str, dict[str, str]]]) -> str:
    """One update: in the merged graph, each paper's non-additive properties (and the nodes of
    its author list and versions) only as its preferred source for them says."""
    groups: dict[str, tuple[str, ...]] = {v.HAS_AUTHORSHIP: AUTHOR_LIST, v.HAS_VERSION: VERSIONS}
    rows = []
    for paper, chosen in batch:
        for group, graph in chosen.items():
            for prop in groups.get(group, (group,)):
                rows.append(f"(<{paper}> <{prop}> <{graph}>)")
    values = "VALUES (?paper ?p ?w) { " + " ".join(rows) + " }"
    nodes = f"VALUES ?link {{ <{v.HAS_AUTHORSHIP}> <{v.HAS_VERSION}> }}"
    # the nodes first, while the links that lead to them are still there
    return (
        f"DELETE {{ GRAPH <{merged}> {{ ?node ?q ?x }} }} WHERE {{ {values} {nodes} "
        f"FILTER (?p = ?link) GRAPH <{merged}> {{ ?paper ?link ?node . ?node ?q ?x }} "
        f"FILTER NOT EXISTS {{ GRAPH ?w {{ ?node ?q ?x }} }} }} ;\n"
        f"DELETE {{ GRAPH <{merged}> {{ ?paper ?p ?o }} }} WHERE {{ {values} "
        f"GRAPH <{merged}> {{ ?paper ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH ?w {{ ?paper ?p ?o }} }} }}"
    )


def _drop_uncredited(merged: IRI) -> str:
    """Agents the view no longer credits with any paper (nor names a listing's subject)."""
    return (
        f"DELETE {{ GRAPH <{merged}> {{ ?agent ?p ?o }} }} WHERE {{ GRAPH <{merged}> {{ "
        f"VALUES ?kind {{ <{v.PERSON}> <{v.ORGANIZATION}> }} ?agent a ?kind ; ?p ?o . "
        f"FILTER NOT EXISTS {{ ?paper <{v.CREATOR}> ?agent }} "
        f"FILTER NOT EXISTS {{ ?source <{v.LISTING_SUBJECT}> ?agent }} }} }}"
    )


def find_conflicts(store: Store, base: str) -> list[Conflict]:
    """Every property of a paper on which its sources disagree, each source's value listed."""
    sources = source_graphs(store, base)
    if len(sources) < 2:
        return []
    by_graph = {s.graph: s for s in sources}
    names = " ".join(f"<{s.graph}>" for s in sources)
    props = " ".join(f"<{p}>" for p in COMPARED)
    answer = store.query(
        f"SELECT ?paper ?p ?g ?value WHERE {{ {_shared_papers(sources)} "
        f"VALUES ?g {{ {names} }} VALUES ?p {{ {props} }} GRAPH ?g {{ ?paper ?p ?value }} }}"
    )
    values: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for paper_term, prop_term, graph_term, value_term in answer.rows:
        if None in (paper_term, prop_term, graph_term, value_term):
            continue
        text = value_term.lexical if isinstance(value_term, Literal) else str(value_term)
        values[(str(paper_term), str(prop_term))][str(graph_term)].add(text)
    preferences = _preferences(store, sources)
    conflicts = []
    for (paper, prop), claims in sorted(values.items()):
        if len({frozenset(vals) for vals in claims.values()}) < 2:
            continue
        taken = preferences.get(paper, {}).get(_group_of(prop))
        conflicts.append(
            Conflict(
                paper=paper,
                property=prop,
                claims=[
                    Claim(
                        graph=graph,
                        source_format=by_graph[graph].source_format,
                        value=value,
                        preferred=graph == taken,
                    )
                    for graph in sorted(claims, key=lambda g: by_graph[g].rank)
                    for value in sorted(claims[graph])
                ],
            )
        )
    return conflicts


def render_conflicts(conflicts: list[Conflict], base: str) -> str:
    """The conflicts for people: per paper and property, each source's value, the view's
    marked with *."""
    if not conflicts:
        return "no conflicts: where sources describe the same paper, they agree\n"
    lines = []
    for conflict in conflicts:
        prop = conflict.property.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        lines.append(f"{conflict.paper.removeprefix(base)}  {prop}")
        for claim in conflict.claims:
            mark = "*" if claim.preferred else " "
            graph = claim.graph.removeprefix(base + "graph/")
            lines.append(f"  {mark} {graph} ({claim.source_format}): {claim.value}")
    lines.append(f"\n{len(conflicts)} conflict(s); * marks the value the merged view took")
    return "\n".join(lines) + "\n"


class PaperIndex:
    """The papers the other sources of a store hold: by arXiv id, by DOI, and by normalised
    title with year, so that a new source's record of the same work gets the same IRI.

    A title matches with a year one apart at most (a preprint and its proceedings version), and
    only when both sides have a year.
    """

    def __init__(self) -> None:
        self.by_arxiv: dict[str, IRI] = {}
        self.by_doi: dict[str, IRI] = {}
        self.by_title: dict[str, list[tuple[int, IRI]]] = defaultdict(list)

    @classmethod
    def of_store(cls, store: Store, base: str, *, excluding: str) -> PaperIndex:
        """The papers of every source graph but ``excluding`` (the one being replaced)."""
        index = cls()
        sources = [s.graph for s in source_graphs(store, base) if s.graph != excluding]
        if not sources:
            return index
        names = " ".join(f"<{g}>" for g in sources)
        answer = store.query(
            f"SELECT DISTINCT ?paper ?title ?arxiv ?doi ?year ?first WHERE {{ "
            f"VALUES ?g {{ {names} }} GRAPH ?g {{ ?paper a <{v.PAPER}> ; <{v.TITLE}> ?title "
            f"OPTIONAL {{ ?paper <{v.ARXIV_ID}> ?arxiv }} OPTIONAL {{ ?paper <{v.DOI}> ?doi }} "
            f"OPTIONAL {{ ?paper <{v.PUBLICATION_YEAR}> ?year }} "
            f"OPTIONAL {{ ?paper <{v.FIRST_SUBMITTED}> ?first }} }} }}"
        )
        for paper, title, arxiv, doi, year, first in answer.rows:
            if not isinstance(paper, IRI) or not isinstance(title, Literal):
                continue
            if isinstance(arxiv, Literal):
                index.by_arxiv.setdefault(arxiv.lexical, paper)
            if isinstance(doi, Literal):
                index.by_doi.setdefault(doi.lexical.lower(), paper)
            for date in (year, first):
                if isinstance(date, Literal) and date.lexical[:4].isdigit():
                    entry = (int(date.lexical[:4]), paper)
                    if entry not in index.by_title[slug(title.lexical)]:
                        index.by_title[slug(title.lexical)].append(entry)
        return index

    def match(
        self, *, arxiv_id: str | None, doi: str | None, title: str, year: int | None
    ) -> IRI | None:
        """The IRI of the same work in another source: by arXiv id, then DOI, then title and
        year; None when there is none."""
        if arxiv_id and arxiv_id in self.by_arxiv:
            return self.by_arxiv[arxiv_id]
        if doi and doi.lower() in self.by_doi:
            return self.by_doi[doi.lower()]
        if year is None:
            return None
        near = sorted(
            (abs(known - year), str(paper))
            for known, paper in self.by_title.get(slug(title), [])
            if abs(known - year) <= 1
        )
        return IRI(near[0][1]) if near else None
