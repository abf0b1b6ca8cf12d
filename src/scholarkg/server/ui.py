"""The browser UI: server-rendered pages over the same query workers as the API.

``/`` the dataset summary, ``/people`` every person and organisation, ``/editor`` a SPARQL editor
(its script posts to ``/sparql``), ``/forms`` and ``/forms/{name}`` each stored query as a form
with its results and downloads, ``/api/`` the OpenAPI document rendered (its script reads
``/openapi.json``), and ``/id/...`` a page per person, organisation and paper. Every asset is
served from ``/static``: no page loads anything from another host, and the pages carry a
Content-Security-Policy that says so. Content negotiation on ``/id/`` can call
``UI.resource_html`` for the HTML representation.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import rdflib
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from scholarkg.errors import ScholarkgError
from scholarkg.queries import ParamType, QueryParam, StoredQuery
from scholarkg.records import Record
from scholarkg.server import linked_data, resource_pages
from scholarkg.server.app import AppContext, raise_for
from scholarkg.server.pages import PAPER_PART, STATIC, Pages, iri_of_path, parse_ntriples
from scholarkg.server.worker import StoredTask
from scholarkg.store import QueryKind
from scholarkg.vocab import SKG, SKOS

_LISTING_SUBJECTS = """
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?source ?label ?subject ?name
WHERE {
  ?source a skg:Source ; skg:listingSubject ?subject .
  OPTIONAL { ?source rdfs:label ?label }
  OPTIONAL { ?subject foaf:name ?name }
}
ORDER BY ?name ?label
"""
#: The people index: every agent with the number of papers crediting it, most first.
PEOPLE_LIMIT = 1000
_PEOPLE = f"""
PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?agent (MIN(STR(?label)) AS ?name) (MIN(?class) AS ?kind)
       (COUNT(DISTINCT ?paper) AS ?papers)
WHERE {{
  ?agent a ?class FILTER (?class IN (skg:Person, skg:Organization))
  OPTIONAL {{ ?agent foaf:name ?label }}
  OPTIONAL {{ ?paper dcterms:creator ?agent }}
}}
GROUP BY ?agent
ORDER BY DESC(?papers) ?name
LIMIT {PEOPLE_LIMIT}
"""
_CONCEPT_LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?label WHERE { ?concept a skos:Concept ; skos:prefLabel ?label } ORDER BY ?label
"""
EDITOR_START = """PREFIX skg: <https://w3id.org/scholarkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>

# The ten most recent papers
SELECT ?paper ?title ?date
WHERE {
  ?paper a skg:Paper ;
         dcterms:title ?title ;
         skg:firstSubmitted ?date .
}
ORDER BY DESC(?date) ?title
LIMIT 10
"""
#: What the home page calls the classes that dataset_summary counts.
CLASS_NAMES = {
    SKG + "Paper": "papers",
    SKG + "Person": "people",
    SKG + "Organization": "organisations",
    SKG + "Authorship": "authorships",
    SKG + "Version": "versions",
    SKG + "Source": "sources",
    SKG + "PreprintServer": "preprint servers",
    SKG + "Conference": "conferences",
    SKG + "Journal": "journals",
    SKG + "Workshop": "workshops",
    SKOS + "Concept": "concepts",
    SKOS + "ConceptScheme": "concept schemes",
}
#: Download links of a form's answer: label, ``format`` value, file name extension.
TABLE_DOWNLOADS = (
    ("CSV", "csv", "csv"),
    ("TSV", "tsv", "tsv"),
    ("JSON rows", "rows", "json"),
    ("SPARQL JSON", "json", "srj"),
    ("SPARQL XML", "xml", "srx"),
)
GRAPH_DOWNLOADS = (
    ("Turtle", "turtle", "ttl"),
    ("N-Triples", "nt", "nt"),
    ("JSON-LD", "jsonld", "jsonld"),
    ("RDF/XML", "rdfxml", "rdf"),
)
#: Rows shown on a form's page; downloads have them all (up to the server's row cap).
HTML_ROWS = 1000
_INPUT_TYPES = {
    ParamType.IRI: "url",
    ParamType.INTEGER: "number",
    ParamType.YEAR: "number",
    ParamType.DATE: "date",
    ParamType.BOOLEAN: "select",
    ParamType.ENUM: "select",
}


class Cell(Record):
    """One RDF term of a result, as a table shows it."""

    kind: str  # "iri", "literal" or "bnode"
    value: str
    datatype: str | None = None
    lang: str | None = None


class Table(Record):
    """A stored query's answer on a page: rows of cells, or a boolean for ASK."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Cell | None, ...], ...] = ()
    total: int = 0
    capped: bool = False  # the server's row cap cut the answer
    boolean: bool | None = None


class Field(Record):
    """A form input for one stored-query parameter."""

    name: str
    type: str
    description: str
    required: bool
    input: str  # an <input> type, or "select"
    options: tuple[str, ...] = ()
    placeholder: str = ""
    default: str | None = None
    value: str = ""
    datalist: str | None = None


def field_of(param: QueryParam, value: str) -> Field:
    """The input for a parameter: its type's input, enum values as choices, example as hint."""
    options: tuple[str, ...] = ()
    if param.type is ParamType.ENUM:
        options = param.values
    elif param.type is ParamType.BOOLEAN:
        options = ("true", "false")
    example = "" if param.example is None else str(param.example)
    return Field(
        name=param.name,
        type=param.type.value,
        description=param.description,
        required=param.required,
        input=_INPUT_TYPES.get(param.type, "text"),
        options=options,
        placeholder=f"e.g. {example}" if example else "",
        default=None if param.default is None else str(param.default),
        value=value,
        datalist="concept-labels" if param.type is ParamType.CONCEPT else None,
    )


def cell_of_binding(term: dict[str, str] | None) -> Cell | None:
    """A SPARQL JSON results term as a cell."""
    if term is None:
        return None
    kind = {"uri": "iri", "bnode": "bnode"}.get(term["type"], "literal")
    return Cell(
        kind=kind, value=term["value"], datatype=term.get("datatype"), lang=term.get("xml:lang")
    )


def cell_of_node(node: rdflib.term.Node) -> Cell:
    """An rdflib term as a cell."""
    if isinstance(node, rdflib.URIRef):
        return Cell(kind="iri", value=str(node))
    if isinstance(node, rdflib.Literal):
        datatype = str(node.datatype) if node.datatype else None
        return Cell(kind="literal", value=str(node), datatype=datatype, lang=node.language)
    return Cell(kind="bnode", value=str(node))


class UI:
    """The pages, sharing the application's context and one template environment."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.pages = Pages(ctx)
        #: the page of any other resource (set by the linked-data routes)
        self.generic_page: Callable[[Request, str], Awaitable[Response]] | None = None

    async def home(self, request: Request) -> Response:
        """The dataset summary, the listings' subjects, and links to everything."""
        try:
            summary = await self.ctx.rows("dataset_summary", {})
            subjects = await self.ctx.select(_LISTING_SUBJECTS)
        except ScholarkgError as exc:
            return self.pages.failure(request, exc)
        counts = [
            (CLASS_NAMES.get(row["item"], row["item"]), row["count"], row["item"])
            for row in summary
            if row["aspect"] == "class"
        ]
        order = list(CLASS_NAMES)
        counts.sort(key=lambda c: order.index(c[2]) if c[2] in order else len(order))
        dates = {row["item"]: row["value"] for row in summary if row["aspect"] == "first submitted"}
        sources = [row for row in summary if row["aspect"] == "source"]
        people = [
            {k: v["value"] for k, v in binding.items()}
            for binding in subjects["results"]["bindings"]
        ]
        return self.pages.render(
            request, "home.html", counts=counts, dates=dates, sources=sources, subjects=people
        )

    async def people(self, request: Request) -> Response:
        """Every person and organisation with the number of papers crediting them."""
        try:
            answer = await self.ctx.select(_PEOPLE)
        except ScholarkgError as exc:
            return self.pages.failure(request, exc)
        agents = [
            {
                "iri": b["agent"]["value"],
                "name": b.get("name", b["agent"])["value"],
                "organization": b.get("kind", {}).get("value") == SKG + "Organization",
                "papers": int(b["papers"]["value"]),
            }
            for b in answer["results"]["bindings"]
        ]
        return self.pages.render(request, "people.html", agents=agents, limit=PEOPLE_LIMIT)

    async def editor(self, request: Request) -> Response:
        """The SPARQL editor; the stored queries are its examples."""
        examples = [
            {"name": q.name, "title": q.title, "sparql": q.sparql}
            for q in sorted(self.ctx.catalogue.values(), key=lambda q: q.title)
        ]
        text = request.query_params.get("query") or EDITOR_START
        return self.pages.render(request, "editor.html", examples=examples, query=text)

    async def forms(self, request: Request) -> Response:
        """The stored queries, each with a link to its form."""
        queries = sorted(self.ctx.catalogue.values(), key=lambda q: q.title)
        return self.pages.render(request, "forms.html", queries=queries)

    async def form(self, request: Request) -> Response:
        """One stored query as a form; submitted, its answer as a table with downloads."""
        name = request.path_params["name"]
        stored = self.ctx.catalogue.get(name)
        if stored is None:
            return self.pages.error(
                request,
                404,
                "No such query",
                f"There is no stored query named {name!r}; the list of queries has them all.",
            )
        fields = parse_qsl(request.url.query, keep_blank_values=True)
        given = {k: v for k, v in fields if k in stored.params}
        submitted = any(k == "run" or k in stored.params for k, _ in fields)
        params = {k: v for k, v in given.items() if v != ""}
        table: Table | None = None
        error: ScholarkgError | None = None
        if submitted:
            try:
                table = await self.answer(stored, params)
            except ScholarkgError as exc:
                error = exc
        query_string = urlencode(params)
        formats = GRAPH_DOWNLOADS if stored.kind is QueryKind.GRAPH else TABLE_DOWNLOADS
        downloads = [
            (label, f"/queries/{name}?{urlencode({**params, 'format': fmt})}", f"{name}.{ext}")
            for label, fmt, ext in formats
        ]
        concept_labels: list[str] = []
        if any(p.type is ParamType.CONCEPT for p in stored.params.values()):
            try:
                answer = await self.ctx.select(_CONCEPT_LABELS)
                concept_labels = [b["label"]["value"] for b in answer["results"]["bindings"]]
            except ScholarkgError:
                concept_labels = []  # the hints are a convenience; the form works without
        return self.pages.render(
            request,
            "form.html",
            status=error.http_status if error else 200,
            query=stored,
            kind="graph" if stored.kind is QueryKind.GRAPH else stored.kind.value.lower(),
            fields=[field_of(p, given.get(n, "")) for n, p in stored.params.items()],
            submitted=submitted,
            table=table,
            error=error,
            downloads=downloads if submitted and error is None else [],
            query_string=query_string,
            concept_labels=concept_labels,
            html_rows=HTML_ROWS,
        )

    async def answer(self, stored: StoredQuery, params: dict[str, str]) -> Table:
        """A stored query's answer as a table (a graph as subject, predicate, object rows)."""
        cap = self.ctx.options.max_rows
        if stored.kind is QueryKind.GRAPH:
            task = StoredTask(stored.name, params, "application/n-triples", cap)
            reply = raise_for(await self.ctx.run(task))
            graph = parse_ntriples(reply.body)
            triples = sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
            rows = tuple(tuple(cell_of_node(n) for n in t) for t in triples[:HTML_ROWS])
            return Table(
                columns=("subject", "predicate", "object"),
                rows=rows,
                total=len(triples),
                capped=bool(reply.headers.get("Scholarkg-Truncated")),
            )
        task = StoredTask(stored.name, params, "application/sparql-results+json", cap)
        reply = raise_for(await self.ctx.run(task))
        data: dict[str, Any] = json.loads(reply.body)
        if "boolean" in data:
            return Table(boolean=bool(data["boolean"]))
        columns = tuple(data["head"]["vars"])
        bindings = data["results"]["bindings"]
        return Table(
            columns=columns,
            rows=tuple(
                tuple(cell_of_binding(b.get(c)) for c in columns) for b in bindings[:HTML_ROWS]
            ),
            total=len(bindings),
            capped=bool(reply.headers.get("Scholarkg-Truncated")),
        )

    async def api(self, request: Request) -> Response:
        """The OpenAPI document rendered (by /static/api.js) with a form to try each operation."""
        return self.pages.render(request, "api.html")

    def iri_of_request(self, request: Request) -> str | None:
        """The IRI of the resource at ``/id/<rest>``: the base followed by the rest."""
        raw = request.scope.get("raw_path")
        path = raw.decode("ascii", "replace") if raw else quote(request.url.path, safe="/%")
        _, _, rest = path.partition("/id/")
        return iri_of_path(self.pages.base, rest)

    async def resource_html(self, request: Request, iri: str) -> Response:
        """The HTML page of a resource under the base; a 404 page when it is unknown."""
        rest = iri[len(self.pages.base) :]
        if rest.startswith(("person/", "org/")):
            return await resource_pages.agent_page(self.ctx, self.pages, request, iri)
        if rest.startswith("paper/") and not PAPER_PART.search(rest):
            return await resource_pages.paper_page(self.ctx, self.pages, request, iri)
        if self.generic_page is not None:
            return await self.generic_page(request, iri)
        return self.not_found(request, iri)

    def not_found(self, request: Request, what: str) -> Response:
        """The 404 page for a resource."""
        return resource_pages.not_found(self.pages, request, what)


def routes(ctx: AppContext) -> list[BaseRoute]:
    """The UI's routes."""
    ui = UI(ctx)
    return [
        Route("/", ui.home, methods=["GET"]),
        Route("/people", ui.people, methods=["GET"]),
        Route("/editor", ui.editor, methods=["GET"]),
        Route("/forms", ui.forms, methods=["GET"]),
        Route("/forms/{name}", ui.form, methods=["GET"]),
        Route("/api/", ui.api, methods=["GET"]),
        *linked_data.routes(ctx, ui),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
