"""Proposed rewrites of shipped SHACL-SPARQL constraints that Oxigraph evaluates badly.

Each rewrite selects exactly the same solutions as the query in ``ontology/shapes.ttl`` (the same
results from pySHACL and from scholarkg.validation on every fixture), but is planned well by
Oxigraph, whose join ordering is weak where the shipped text relies on a bound variable:

* ``position-unique`` and ``versionNumber-unique`` compare every pair of a paper's authorships
  (versions) and join them on the position, so Oxigraph joins all authorships that share a
  position across the whole store (position 1: one per paper): quadratic in the store. Counting
  the members per (paper, position) in a sub-select is linear;
* ``position-contiguous`` counts a paper's authorships once per authorship (k^2 rows per paper);
  counting them once per paper in a sub-select is linear;
* ``creator-extra`` tests ``$this skg:hasAuthorship/skg:author ?value`` in a NOT EXISTS, which
  Oxigraph evaluates from ``?value``: for the listing subject, an author of every paper, that
  reads every authorship of the store for every paper. ``creator-authors`` looks each creator up
  in a NOT EXISTS, one index lookup per row, and ``concepts-scheme`` each concept's schemes.
  All three become an OPTIONAL sub-select (which selects ``$this``, as SHACL requires) and a
  test that it matched nothing: one pass over the triples, joined by hashing.

``bench_validate.py`` measures the engine with the shipped shapes and with these rewrites; the
lead decides whether ``ontology/shapes.ttl`` takes them.
"""

from __future__ import annotations

import rdflib
from rdflib.namespace import SH

SKG = "https://w3id.org/scholarkg/ontology#"

_UNIQUE = """
            SELECT DISTINCT $this ?value WHERE {{
                {{
                    SELECT $this ?{key} WHERE {{
                        $this $PATH ?member .
                        ?member skg:{property} ?{key} .
                    }}
                    GROUP BY $this ?{key}
                    HAVING (COUNT(DISTINCT ?member) > 1)
                }}
                $this $PATH ?value .
                ?value skg:{property} ?{key} .
            }}
            """

REWRITES: dict[str, str] = {
    "PaperShape-position-unique": _UNIQUE.format(key="position", property="position"),
    "PaperShape-versionNumber-unique": _UNIQUE.format(key="number", property="versionNumber"),
    "PaperShape-position-contiguous": """
            SELECT $this ?value WHERE {
                {
                    SELECT $this (COUNT(DISTINCT ?other) AS ?authorships) WHERE {
                        $this $PATH ?other .
                    }
                    GROUP BY $this
                }
                $this $PATH ?value .
                ?value skg:position ?position .
                FILTER (isNumeric(?position) && ?position > ?authorships)
            }
            """,
    "PaperShape-creator-extra": """
            SELECT DISTINCT $this ?value WHERE {
                $this $PATH ?value .
                OPTIONAL {
                    {
                        SELECT $this ?value (true AS ?isAuthor) WHERE {
                            $this skg:hasAuthorship ?authorship .
                            ?authorship skg:author ?value .
                        }
                    }
                }
                FILTER (!BOUND(?isAuthor))
                FILTER NOT EXISTS {
                    $this skg:hiddenAuthorCount ?hidden .
                    FILTER (isNumeric(?hidden) && ?hidden > 0)
                    $this prov:wasDerivedFrom/skg:listingSubject ?value .
                }
            }
            """,
    "PaperShape-creator-authors": """
            SELECT DISTINCT $this ?value WHERE {
                $this skg:hasAuthorship ?authorship .
                ?authorship skg:author ?value .
                OPTIONAL {
                    { SELECT $this ?value (true AS ?isCreator) WHERE { $this $PATH ?value . } }
                }
                FILTER (!BOUND(?isCreator))
            }
            """,
    "PaperShape-concepts-scheme": """
            SELECT $this ?value WHERE {
                $this $PATH ?value .
                OPTIONAL {
                    {
                        SELECT $this ?value (true AS ?inScheme) WHERE {
                            $this $PATH ?value .
                            ?value skos:inScheme|skos:topConceptOf ?scheme .
                            ?scheme a skos:ConceptScheme .
                        }
                    }
                }
                FILTER (!BOUND(?inScheme))
            }
            """,
}


def apply_rewrites(shapes: rdflib.Graph) -> rdflib.Graph:
    """A copy of a shapes graph with the SPARQL constraints of REWRITES replaced."""
    copy = rdflib.Graph()
    for prefix, namespace in shapes.namespaces():
        copy.bind(prefix, namespace, override=True)
    copy += shapes
    for name, select in REWRITES.items():
        shape = rdflib.URIRef(SKG + name)
        constraints = list(copy.objects(shape, SH.sparql))
        if len(constraints) != 1:
            raise ValueError(f"{name}: expected one sh:sparql constraint, found {len(constraints)}")
        copy.set((constraints[0], SH.select, rdflib.Literal(select)))
    return copy
