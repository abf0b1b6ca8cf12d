"""The SPARQL 1.1 Service Description of the endpoint (GET /sparql without a query).

Browsers that prefer HTML are sent to the query editor instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import rdflib
from rdflib.namespace import RDF
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from scholarkg.errors import NotAcceptableError
from scholarkg.server.conneg import accept_header, negotiate

if TYPE_CHECKING:
    from scholarkg.server.app import AppContext

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = rdflib.Namespace("http://www.w3.org/ns/entailment/")
EDITOR = "/editor"

#: Media type of the description -> rdflib serializer.
OFFERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "text/html": "",
}
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)
_NAMED_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"


def build(endpoint: str, *, update: bool, named_graphs: list[str]) -> rdflib.Graph:
    """The description of the endpoint at ``endpoint``."""
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    service = rdflib.BNode("service")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, rdflib.URIRef(endpoint)))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if update:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((SD.UnionDefaultGraph, RDF.type, SD.Feature))
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    dataset = rdflib.BNode("dataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default = rdflib.BNode("default")
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for i, name in enumerate(named_graphs):
        node = rdflib.BNode(f"graph{i}")
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, rdflib.URIRef(name)))
    return graph


async def respond(ctx: AppContext, request: Request, endpoint: str) -> Response:
    """The description in the representation the client prefers (HTML: the editor)."""
    chosen = negotiate(accept_header(request), list(OFFERS))
    if chosen is None:
        raise NotAcceptableError(f"the service description is available as {', '.join(OFFERS)}")
    if chosen == "text/html":
        return RedirectResponse(EDITOR, status_code=303)
    answer = await ctx.select(_NAMED_GRAPHS)
    names = [b["g"]["value"] for b in answer["results"]["bindings"]]
    graph = build(endpoint, update=bool(ctx.options.update_token), named_graphs=names)
    body = graph.serialize(format=OFFERS[chosen])
    return Response(body, media_type=chosen, headers={"Vary": "Accept"})
