"""Linked data: every IRI of the graph dereferences, with content negotiation.

A resource ``<base><rest>`` is served at ``/id/<rest>``, the ontology at ``/ontology`` (its terms
are fragments of it) and concepts at ``/concepts/<slug>``: a page for browsers, and for RDF
clients its description in Turtle, JSON-LD, N-Triples or RDF/XML. The description of a resource
is what the graph says about it, what points to it, and its parts (IRIs under its own, such as a
paper's authorships and versions). Responses carry ``Vary: Accept`` and a ``Content-Location``
naming the representation sent (``?format=``, which also picks one without an Accept header).
The dataset's VoID/DCAT description is at ``/.well-known/void``.
"""

from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from scholarkg.errors import NotAcceptableError, NotFoundError, UsageError
from scholarkg.resources import ontology_dir
from scholarkg.server.app import raise_for
from scholarkg.server.conneg import accept_header, negotiate
from scholarkg.server.pages import Pages, parse_ntriples
from scholarkg.server.worker import DescribeTask, QueryTask, Reply
from scholarkg.vocab import CONCEPT_SCHEME, CONCEPTS, ONTOLOGY_IRI

if TYPE_CHECKING:
    from scholarkg.server.app import AppContext
    from scholarkg.server.ui import UI

HTML = "text/html"
#: RDF media type -> (short name for ?format=, rdflib serializer)
RDF_TYPES = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("rdf", "xml"),
}
#: HTML first: browsers and clients that accept anything get the page.
OFFERS = [HTML, *RDF_TYPES]
SHORT_NAMES = {"html": HTML, **{short: media for media, (short, _) in RDF_TYPES.items()}}
#: An IRI that can be written between <> and inside "" as it is (no quote, backslash, control)
_SAFE_IRI = re.compile(r"[^\x00-\x20<>\"{}|\\^`\x7f]+")


def describe_query(iri: str) -> str:
    """The CONSTRUCT of what is said about ``iri``, what points to it, and its parts."""
    if not _SAFE_IRI.fullmatch(iri):
        raise UsageError(f"not an IRI: {iri!r}")
    return f"""CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> . ?part ?pp ?po }}
WHERE {{
  {{ <{iri}> ?p ?o }}
  UNION {{ ?s ?q <{iri}> }}
  UNION {{ <{iri}> ?link ?part . ?part ?pp ?po FILTER(STRSTARTS(STR(?part), "{iri}/")) }}
}}"""


def representation(request: Request) -> str:
    """The media type to send: from ``?format=``, else by the Accept header (406 if none)."""
    short = request.query_params.get("format")
    if short is not None:
        if short not in SHORT_NAMES:
            raise UsageError(
                f"parameter 'format': {short!r} is not one of {', '.join(SHORT_NAMES)}"
            )
        return SHORT_NAMES[short]
    chosen = negotiate(accept_header(request), OFFERS)
    if chosen is None:
        raise NotAcceptableError(f"this resource is available as {', '.join(OFFERS)}")
    return chosen


def negotiated(response: Response, request: Request, media: str) -> Response:
    """A response with the headers of a negotiated representation."""
    short = next((s for s, m in SHORT_NAMES.items() if m == media), "html")
    response.headers["Vary"] = "Accept"
    response.headers["Content-Location"] = f"{quote(request.url.path)}?format={short}"
    return response


@functools.cache
def ontology_graph() -> rdflib.Graph:
    """The shipped ontology, parsed once."""
    return rdflib.Graph().parse(ontology_dir() / "scholarkg.ttl", format="turtle")


def _text(graph: rdflib.Graph, node: rdflib.term.Node, *predicates: rdflib.URIRef) -> str:
    for predicate in predicates:
        values = sorted(str(v) for v in graph.objects(node, predicate))
        if values:
            return values[0]
    return ""


def ontology_terms(graph: rdflib.Graph) -> dict[str, list[dict[str, object]]]:
    """The ontology's classes and properties, for its documentation page."""
    kinds = {
        "classes": [OWL.Class],
        "properties": [OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property],
    }
    terms: dict[str, list[dict[str, object]]] = {}
    for kind, types in kinds.items():
        found = {
            s
            for t in types
            for s in graph.subjects(RDF.type, t)
            if isinstance(s, rdflib.URIRef) and str(s).startswith(ONTOLOGY_IRI + "#")
        }
        terms[kind] = [
            {
                "iri": str(term),
                "name": str(term).split("#", 1)[1],
                "label": _text(graph, term, RDFS.label),
                "comment": _text(graph, term, RDFS.comment, SKOS.definition),
                "relations": sorted(
                    (graph.qname(p), str(o))
                    for p in (
                        RDFS.subClassOf,
                        RDFS.subPropertyOf,
                        RDFS.domain,
                        RDFS.range,
                        OWL.equivalentClass,
                        OWL.equivalentProperty,
                    )
                    for o in graph.objects(term, p)
                    if isinstance(o, rdflib.URIRef)
                ),
            }
            for term in sorted(found)
        ]
    return terms


class LinkedData:
    """The dereferencing routes."""

    def __init__(self, ctx: AppContext, ui: UI) -> None:
        self.ctx = ctx
        self.ui = ui
        self.pages: Pages = ui.pages
        self._void_cache: dict[tuple[object, ...], Reply] = {}

    async def _rdf(self, iri: str, media: str) -> Response:
        described = describe_query(iri)  # refuses what is no IRI
        known = await self.ctx.select(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}")
        if not known.get("boolean"):
            raise NotFoundError(f"nothing is known about <{iri}>")
        task = QueryTask(described, media, self.ctx.options.max_rows)
        reply = await self.ctx.run(task)
        if reply.status >= 400:
            raise_for(reply)
        return Response(reply.body, media_type=reply.media_type)

    async def description(self, iri: str) -> rdflib.Graph:
        """The description of a resource as a graph (for pages)."""
        task = QueryTask(describe_query(iri), "application/n-triples", self.ctx.options.max_rows)
        reply = await self.ctx.run(task)
        return parse_ntriples(reply.body) if reply.status < 400 else rdflib.Graph()

    async def resource(self, request: Request) -> Response:
        """``/id/<rest>``: the resource ``<base><rest>``."""
        media = representation(request)
        iri = self.ui.iri_of_request(request)
        if media == HTML:
            if iri is None:
                return self.ui.not_found(request, request.url.path)
            return negotiated(await self.ui.resource_html(request, iri), request, media)
        if iri is None:
            raise NotFoundError(f"no resource at {request.url.path}")
        return negotiated(await self._rdf(iri, media), request, media)

    async def generic_page(self, request: Request, iri: str) -> Response:
        """The page of any resource: what is said about it and what points to it."""
        graph = await self.description(iri)
        node = rdflib.URIRef(iri)
        if len(graph) == 0:
            return self.ui.not_found(request, iri)
        title = (
            _text(
                graph,
                node,
                SKOS.prefLabel,
                RDFS.label,
                rdflib.URIRef("http://purl.org/dc/terms/title"),
            )
            or _text(graph, node, rdflib.URIRef("http://xmlns.com/foaf/0.1/name"))
            or iri
        )
        outgoing = sorted((str(p), o) for p, o in graph.predicate_objects(node))
        incoming = sorted((s, str(p)) for s, p in graph.subject_predicates(node))
        types = sorted(str(t) for t in graph.objects(node, RDF.type))
        concept = iri if iri.startswith(CONCEPTS) else None
        return self.pages.render(
            request,
            "resource.html",
            iri=iri,
            title=title,
            types=types,
            outgoing=[(p, _cell(o)) for p, o in outgoing],
            incoming=[(str(s), p) for s, p in incoming[:500]],
            more_incoming=max(0, len(incoming) - 500),
            concept=concept,
        )

    async def concept(self, request: Request) -> Response:
        """``/concepts/<slug>`` (and ``/concepts``, the scheme)."""
        slug = request.path_params.get("slug")
        iri = f"{CONCEPTS}{slug}" if slug else CONCEPT_SCHEME
        media = representation(request)
        if media == HTML:
            return negotiated(await self.generic_page(request, iri), request, media)
        return negotiated(await self._rdf(iri, media), request, media)

    async def ontology(self, request: Request) -> Response:
        """``/ontology``: documentation generated from the ontology, or the ontology as RDF."""
        media = representation(request)
        graph = ontology_graph()
        if media == HTML:
            node = rdflib.URIRef(ONTOLOGY_IRI)
            page = self.pages.render(
                request,
                "ontology.html",
                iri=ONTOLOGY_IRI,
                title=_text(
                    graph, node, rdflib.URIRef("http://purl.org/dc/terms/title"), RDFS.label
                ),
                description=_text(
                    graph, node, rdflib.URIRef("http://purl.org/dc/terms/description"), RDFS.comment
                ),
                terms=ontology_terms(graph),
            )
            return negotiated(page, request, media)
        body = graph.serialize(format=RDF_TYPES[media][1])
        return negotiated(Response(body, media_type=media), request, media)

    async def void(self, request: Request) -> Response:
        """``/.well-known/void``: the VoID/DCAT description computed from the store."""
        chosen = negotiate(accept_header(request), list(RDF_TYPES))
        if chosen is None:
            raise NotAcceptableError(f"the description is available as {', '.join(RDF_TYPES)}")
        endpoint = str(request.url.replace(path="/sparql", query="", fragment=""))
        # computing it reads the whole store (seconds at 10k papers): once per state of the store
        assert self.ctx.readers is not None
        key = (self.ctx.readers.view, os.stat(self.ctx.options.store).st_mtime_ns, endpoint, chosen)
        reply = self._void_cache.get(key)
        if reply is None:
            reply = raise_for(await self.ctx.run(DescribeTask(endpoint, chosen)))
            self._void_cache = {key: reply}
        response = Response(reply.body, media_type=reply.media_type)
        response.headers["Vary"] = "Accept"
        return response


def _cell(term: rdflib.term.Node) -> dict[str, str | None]:
    if isinstance(term, rdflib.URIRef):
        return {"kind": "iri", "value": str(term), "lang": None}
    if isinstance(term, rdflib.BNode):
        return {"kind": "bnode", "value": str(term), "lang": None}
    assert isinstance(term, rdflib.Literal)
    return {"kind": "literal", "value": str(term), "lang": term.language}


def routes(ctx: AppContext, ui: UI) -> list[BaseRoute]:
    """The dereferencing routes (``/id/...`` replaces the UI's plain page route)."""
    linked = LinkedData(ctx, ui)
    ui.generic_page = linked.generic_page
    return [
        Route("/id/{rest:path}", linked.resource, methods=["GET"]),
        Route("/ontology", linked.ontology, methods=["GET"]),
        Route("/concepts", linked.concept, methods=["GET"]),
        Route("/concepts/{slug}", linked.concept, methods=["GET"]),
        Route("/.well-known/void", linked.void, methods=["GET"]),
    ]
