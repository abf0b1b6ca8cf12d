"""Rendering of the UI's HTML pages: the Jinja2 environment (autoescaped), the security headers
every page carries, and how IRIs become links to pages of this server.

A resource with IRI ``<base><rest>`` has its page at ``/id/<rest>``; non-ASCII characters of the
IRI are percent-encoded in the page's URL (RFC 3987, 3.1) and decoded back when it is requested.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes, urlencode

import jinja2
import rdflib
from starlette.requests import Request
from starlette.responses import HTMLResponse

from scholarkg import __version__
from scholarkg.errors import ScholarkgError
from scholarkg.vocab import CONCEPTS, PREFIXES

if TYPE_CHECKING:
    from scholarkg.server.app import AppContext

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

#: Everything a page loads comes from this server; no inline script (data blocks are not run).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: The parts of a paper (authorships, versions) get the generic page, not the paper's.
PAPER_PART = re.compile(r"/(?:authorship|version)/")
#: Characters an IRI may hold as they are (RFC 3987); anything else is no resource of ours.
_IRI_TEXT = re.compile(r"[^\x00-\x20<>\"{}|\\^`\x7f]+")
#: ASCII characters kept as they are in a page path (IRI characters but '?' and '#').
_PATH_SAFE = "!$%&'()*+,/:;=@~"
#: Runs of percent-encoded bytes that are not ASCII: the UTF-8 of non-ASCII IRI characters.
_ENCODED_NON_ASCII = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")


def page_path(base: str, iri: str) -> str | None:
    """The path of the page of ``iri`` on this server, None if it has none."""
    if not iri.startswith(base):
        return None
    rest = iri[len(base) :]
    if not rest or not _IRI_TEXT.fullmatch(rest):
        return None
    return "/id/" + quote(rest, safe=_PATH_SAFE)


def iri_of_path(base: str, raw_rest: str) -> str | None:
    """The IRI whose page is at ``/id/<raw_rest>`` (the undecoded path), None if not an IRI."""

    def decode(match: re.Match[str]) -> str:
        try:
            return unquote_to_bytes(match.group(0)).decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)

    rest = _ENCODED_NON_ASCII.sub(decode, raw_rest)
    if not rest or not _IRI_TEXT.fullmatch(rest):
        return None
    return base + rest


def compact(iri: str, base: str) -> str:
    """A short name for an IRI: ``prefix:local`` for the well-known namespaces, ``id:`` for data."""
    for prefix, namespace in (("id", base), ("concept", CONCEPTS), *PREFIXES.items()):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def concept_path(iri: str) -> str | None:
    """Where a concept's papers are listed (the papers_about form), None if not a concept."""
    if iri.startswith(CONCEPTS) and len(iri) > len(CONCEPTS):
        return "/forms/papers_about?" + urlencode({"concept": iri})
    return None


def parse_ntriples(body: bytes) -> rdflib.Graph:
    """A graph answer (N-Triples) as an rdflib graph."""
    graph = rdflib.Graph()
    graph.parse(data=body.decode("utf-8"), format="nt")
    return graph


class Pages:
    """Renders templates into HTML responses with the UI's headers."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.base = ctx.options.base
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["page"] = lambda iri: page_path(self.base, str(iri))
        self.env.filters["concept_page"] = lambda iri: concept_path(str(iri))
        self.env.filters["compact"] = lambda iri: compact(str(iri), self.base)
        self.env.filters["number"] = lambda n: f"{int(n):,}"
        self.env.globals.update(
            version=__version__, base=self.base, concepts=CONCEPTS, urlencode=urlencode
        )

    def render(
        self, request: Request, template: str, *, status: int = 200, **values: Any
    ) -> HTMLResponse:
        """A page from a template, with the security headers."""
        html = self.env.get_template(template).render(path=request.url.path, **values)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def error(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        """An error page (404 and the rest): what went wrong, and where to go from here."""
        return self.render(
            request, "error.html", status=status, code=status, title=title, message=message
        )

    def failure(self, request: Request, error: ScholarkgError) -> HTMLResponse:
        """The page of an error the store or a query reported (its status, its message)."""
        return self.error(request, error.http_status, "The store cannot answer", error.message)
