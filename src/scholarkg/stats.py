"""Counts that summarise what a store holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scholarkg.records import Record
from scholarkg.terms import Literal

if TYPE_CHECKING:
    from scholarkg.backend import GraphStore

_COUNTS = """
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT
  (COUNT(DISTINCT ?paper) AS ?papers) (COUNT(DISTINCT ?person) AS ?people)
  (COUNT(DISTINCT ?org) AS ?organizations) (COUNT(DISTINCT ?slot) AS ?authorships)
  (COUNT(DISTINCT ?concept) AS ?concepts) (COUNT(DISTINCT ?tag) AS ?concepts_used)
  (COUNT(DISTINCT ?source) AS ?sources)
WHERE {
  { ?paper a skg:Paper } UNION { ?person a skg:Person } UNION { ?org a skg:Organization }
  UNION { ?slot a skg:Authorship } UNION { ?concept a skos:Concept }
  UNION { ?any skg:hasConcept ?tag } UNION { ?source a skg:Source }
}
"""


class StoreStats(Record):
    """What the store holds."""

    store: str
    papers: int
    people: int
    organizations: int
    authorships: int
    concepts: int
    concepts_used: int
    sources: int
    triples: int
    named_graphs: int


def collect_stats(store: GraphStore) -> StoreStats:
    """Count papers, agents, authorships, concepts, sources, triples and graphs."""
    result = store.query(_COUNTS)
    row = result.rows[0]
    counts = {
        name: int(term.lexical) if isinstance(term, Literal) else 0
        for name, term in zip(result.variables, row, strict=True)
    }
    return StoreStats(
        store=store.location,
        triples=len(store),
        named_graphs=len(store.named_graphs()),
        **counts,
    )


def render_stats(stats: StoreStats) -> str:
    """The counts as aligned text lines."""
    rows = [
        ("papers", stats.papers),
        ("people", stats.people),
        ("organizations", stats.organizations),
        ("authorships", stats.authorships),
        ("concepts", f"{stats.concepts} ({stats.concepts_used} used)"),
        ("sources", stats.sources),
        ("triples", stats.triples),
        ("named graphs", stats.named_graphs),
    ]
    return "".join(f"  {name:<14}{value}\n" for name, value in rows)
