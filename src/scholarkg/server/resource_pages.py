"""The HTML pages of the resources: a person or organisation (papers, publications per year,
co-author network, concepts) and a paper (everything its card says).

Each page is built from the stored queries (papers_of, papers_per_year, coauthors_of,
coauthor_network, concepts_of; paper_card), run in the query workers like any API call.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from itertools import combinations
from typing import Any
from urllib.parse import urlencode

import rdflib
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS
from starlette.requests import Request
from starlette.responses import Response

from scholarkg.errors import ScholarkgError
from scholarkg.server.app import AppContext, raise_for
from scholarkg.server.drawing import Agent, bar_chart, network_drawing
from scholarkg.server.pages import Pages, parse_ntriples
from scholarkg.server.worker import StoredTask
from scholarkg.vocab import SKG

S = rdflib.Namespace(SKG)
#: Co-authors drawn in the network (most joint papers first); the table lists them all.
NETWORK_LIMIT = 30
#: Co-authors listed on the page; the coauthors_of form has them all.
COAUTHOR_ROWS = 50
#: A paper's own statements shown under "Facts", in this order, with their labels.
PAPER_FACTS = (
    (S.firstSubmitted, "first submitted"),
    (S.lastSubmitted, "last submitted"),
    (S.announced, "announced"),
    (S.authorCount, "authors declared"),
    (S.hiddenAuthorCount, "authors not shown"),
    (S.arxivId, "arXiv id"),
    (S.doi, "DOI"),
    (S.arxivCategory, "arXiv category"),
    (S.journalRef, "journal reference"),
    (S.comments, "comments"),
    (S.reportNumber, "report number"),
)


def not_found(pages: Pages, request: Request, what: str) -> Response:
    """The 404 page of a resource."""
    return pages.error(
        request,
        404,
        "Not found",
        f"This knowledge graph knows nothing about {what}. The people index and the paper "
        "search lead to everything it holds.",
    )


def _failed(pages: Pages, request: Request, iri: str, exc: ScholarkgError) -> Response:
    # a 400 from binding means the IRI is none the store could hold
    if exc.http_status == 400:
        return not_found(pages, request, iri)
    return pages.failure(request, exc)


def _text(graph: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.URIRef) -> str | None:
    value = graph.value(subject, predicate)
    return None if value is None else str(value)


async def agent_page(ctx: AppContext, pages: Pages, request: Request, iri: str) -> Response:
    """A person's or organisation's page; a 404 page when no paper credits the IRI."""
    person = {"person": iri}
    cap = ctx.options.max_rows
    try:
        network_reply, papers, per_year, concepts, coauthors = await asyncio.gather(
            ctx.run(StoredTask("coauthor_network", person, "application/n-triples", cap)),
            ctx.rows("papers_of", person),
            ctx.rows("papers_per_year", person),
            ctx.rows("concepts_of", person),
            ctx.rows("coauthors_of", person),
        )
        graph = parse_ntriples(raise_for(network_reply).body)
    except ScholarkgError as exc:
        return _failed(pages, request, iri, exc)
    node = rdflib.URIRef(iri)
    capped = bool(network_reply.headers.get("Scholarkg-Truncated"))
    if (node, FOAF.name, None) not in graph and papers:
        # the row cap cut the network before the agent's own name: a card of theirs has it
        try:
            graph += await _paper_card(ctx, papers[0]["paper"])
        except ScholarkgError as exc:
            return _failed(pages, request, iri, exc)
    name = _text(graph, node, FOAF.name)
    if name is None:
        return not_found(pages, request, iri)
    organization = (node, RDF.type, S.Organization) in graph
    drawn = coauthors[:NETWORK_LIMIT]
    drawn_iris = {iri} | {row["coauthor"] for row in drawn}
    joint: Counter[tuple[str, str]] = Counter()
    for paper in graph.subjects(RDF.type, S.Paper):
        credited = sorted({str(a) for a in graph.objects(paper, DCTERMS.creator)} & drawn_iris)
        joint.update(combinations(credited, 2))
    network = network_drawing(
        Agent(iri=iri, name=name, organization=organization, papers=len(papers)),
        [
            Agent(
                iri=row["coauthor"],
                name=row["name"],
                organization=(rdflib.URIRef(row["coauthor"]), RDF.type, S.Organization) in graph,
                papers=row["papers"],
            )
            for row in drawn
        ],
        joint,
    )
    chart = bar_chart({int(row["year"]): int(row["papers"]) for row in per_year})
    return pages.render(
        request,
        "agent.html",
        iri=iri,
        name=name,
        organization=organization,
        papers=papers,
        hidden=sum(1 for p in papers if p.get("hidden")),
        chart=chart,
        network=network,
        coauthors=coauthors[:COAUTHOR_ROWS],
        coauthor_total=len(coauthors),
        concepts=concepts,
        capped=capped,
        row_cap=cap,
        person_query=urlencode({"person": iri}),
    )


def _authorships(graph: rdflib.Graph, paper: rdflib.URIRef) -> list[dict[str, Any]]:
    slots = []
    for slot in graph.objects(paper, S.hasAuthorship):
        agent = graph.value(slot, S.author)
        position = graph.value(slot, S.position)
        slots.append(
            {
                "position": int(position) if isinstance(position, rdflib.Literal) else 0,
                "written": _text(graph, slot, S.nameAsWritten) or "",
                "agent": None if agent is None else str(agent),
                "name": None if agent is None else _text(graph, agent, FOAF.name),
            }
        )
    return sorted(slots, key=lambda s: (s["position"], s["written"]))


async def _paper_card(ctx: AppContext, iri: str) -> rdflib.Graph:
    task = StoredTask("paper_card", {"paper": iri}, "application/n-triples", ctx.options.max_rows)
    return parse_ntriples(raise_for(await ctx.run(task)).body)


async def paper_page(ctx: AppContext, pages: Pages, request: Request, iri: str) -> Response:
    """A paper's page, from its card; a 404 page when the IRI is no paper."""
    try:
        graph = await _paper_card(ctx, iri)
    except ScholarkgError as exc:
        return _failed(pages, request, iri, exc)
    paper = rdflib.URIRef(iri)
    if (paper, RDF.type, S.Paper) not in graph:
        return not_found(pages, request, iri)
    authorships = _authorships(graph, paper)
    shown = {a["agent"] for a in authorships}
    credited = sorted(
        (
            {"agent": str(agent), "name": _text(graph, agent, FOAF.name) or str(agent)}
            for agent in graph.objects(paper, DCTERMS.creator)
            if str(agent) not in shown
        ),
        key=lambda a: a["name"],
    )
    versions = sorted(
        (
            {
                "iri": str(version),
                "number": _text(graph, version, S.versionNumber),
                "submitted": _text(graph, version, S.submitted) or "",
            }
            for version in graph.objects(paper, S.hasVersion)
        ),
        key=lambda v: (v["submitted"], v["number"] or ""),
    )
    concepts = sorted(
        (
            {"iri": str(c), "label": _text(graph, c, SKOS.prefLabel) or str(c)}
            for c in graph.objects(paper, S.hasConcept)
        ),
        key=lambda c: c["label"].casefold(),
    )
    venues = [
        {"iri": str(v), "name": _text(graph, v, FOAF.name) or str(v)}
        for v in sorted(graph.objects(paper, S.publishedIn), key=str)
    ]
    sources = [
        {"iri": str(s), "label": _text(graph, s, RDFS.label) or str(s)}
        for s in sorted(graph.objects(paper, PROV.wasDerivedFrom), key=str)
    ]
    facts = [
        (label, ", ".join(sorted(str(o) for o in graph.objects(paper, predicate))))
        for predicate, label in PAPER_FACTS
        if (paper, predicate, None) in graph
    ]
    statements = sorted(
        ((str(p), o) for p, o in graph.predicate_objects(paper)),
        key=lambda s: (s[0], str(s[1])),
    )
    return pages.render(
        request,
        "paper.html",
        iri=iri,
        title=_text(graph, paper, DCTERMS.title) or iri,
        abstract=_text(graph, paper, DCTERMS.abstract),
        authorships=authorships,
        credited=credited,
        hidden=int(_text(graph, paper, S.hiddenAuthorCount) or 0),
        versions=versions,
        concepts=concepts,
        venues=venues,
        sources=sources,
        facts=facts,
        statements=[(p, o, isinstance(o, rdflib.URIRef)) for p, o in statements],
        paper_query=urlencode({"paper": iri}),
    )
