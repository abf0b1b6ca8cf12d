"""The browser UI over HTTP: every page answers with the right content, loads nothing from other
hosts, escapes what it echoes, and answers 404 for what does not exist.

Expected figures are the hand-worked ones of ``test_catalogue.py`` (read off the shipped listing,
``data/arxiv-listing-ferret.txt``); each test says where its numbers come from.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest
from starlette.requests import Request

from scholarkg.server import resource_pages
from scholarkg.server.app import ServerOptions
from scholarkg.server.drawing import Agent, bar_chart, network_drawing, ring_order, tick_step
from scholarkg.server.pages import STATIC, Pages, compact, iri_of_path, page_path
from scholarkg.server.worker import Reply, StoredTask
from scholarkg.vocab import DEFAULT_BASE

from .live_server import LiveServer
from .test_catalogue import GEIST_PAPERS, PAPERS, title

ID = DEFAULT_BASE
PAGES = [
    "/",
    "/people",
    "/editor",
    "/forms",
    "/forms/papers_of",
    "/forms/papers_of?person=Matthieu+Geist",
    "/forms/paper_card?paper=" + ID + "paper/title/medgemma-technical-report",
    "/api/",
    "/id/person/johan-ferret",
    "/id/person/matthieu-geist",
    "/id/org/gemma-team",
    "/id/paper/title/medgemma-technical-report",
]
# Figures per year of first submission (test_catalogue.test_papers_per_year).
FERRET_PER_YEAR = [(2019, 1), (2020, 2), (2021, 3), (2022, 1), (2023, 4), (2024, 10), (2025, 5)]
GEIST_PER_YEAR = [(2019, 1), (2020, 1), (2021, 2), (2022, 1), (2023, 2)]


BLOCKS = {"p", "div", "li", "td", "th", "tr", "dt", "dd", "h1", "h2", "h3", "section", "br"}


class Page(HTMLParser):
    """What the tests read off a page: tags with their attributes, and the text (blocks and
    cells apart, inline elements run together as a browser shows them)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag in BLOCKS:
            self.text_parts.append(" ")
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None
        if tag in BLOCKS:
            self.text_parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)
        else:
            self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        """Tags with these attribute values (``class_`` for class, ``_`` for ``-``)."""
        found = []
        for name, attributes in self.tags:
            if name != tag:
                continue
            if all(attributes.get(k.rstrip("_").replace("_", "-")) == v for k, v in wanted.items()):
                found.append(attributes)
        return found


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=60, follow_redirects=True)


def page(server: LiveServer, path: str) -> Page:
    response = get(server, path)
    assert response.status_code == 200, (path, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


# -- every page --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_other_hosts(ferret_server: LiveServer, path: str) -> None:
    response = get(ferret_server, path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    parsed = Page(response.text)
    here = urlsplit(ferret_server.url + path)
    loaded = [a["src"] for _, a in parsed.tags if "src" in a]
    loaded += [a["href"] for tag, a in parsed.tags if tag == "link" and "href" in a]
    loaded += [a["action"] for tag, a in parsed.tags if tag == "form"]
    assert loaded, "every page loads its stylesheet"
    for url in loaded:
        target = urlsplit(urljoin(ferret_server.url + path, url))
        assert target.scheme in {"http", "data"}, url
        if target.scheme == "http":
            assert target.netloc == here.netloc, url
            assert get(ferret_server, target.path).status_code in {200, 405}, url
    for attributes, text in parsed.scripts:
        # scripts are files of /static; an inline <script> is only ever a JSON data block
        assert attributes.get("src", "").startswith("/static/") or (
            attributes.get("type") == "application/json" and "src" not in attributes
        ), attributes
        assert "</script" not in text.lower()


def test_static_assets_name_no_other_host(ferret_server: LiveServer) -> None:
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"style.css", "editor.js", "api.js", "results.js"}
    for path in files:
        response = get(ferret_server, "/static/" + path.relative_to(STATIC).as_posix())
        assert response.status_code == 200, path
        assert response.text == path.read_text(encoding="utf-8")
        assert "http://" not in response.text and "https://" not in response.text, path
        assert "@import" not in response.text, path
        assert "//" not in "".join(re.findall(r"url\(([^)]*)\)", response.text)), path


def test_home_page(ferret_server: LiveServer) -> None:
    home = page(ferret_server, "/")
    # dataset_summary on the listing (test_catalogue.test_dataset_summary)
    for figure in (
        "26 papers",
        "239 people",
        "2 organisations",
        "378 authorships",
        "41 versions",
        "95 concepts",
    ):
        assert figure in home.text
    assert "First submissions from 2019-07-18 to 2025-07-07" in home.text
    assert "arxiv-listing-ferret.txt 26 Johan Ferret" in home.text
    links = {a["href"] for _, a in home.tags if "href" in a}
    assert {"/id/person/johan-ferret", "/people", "/forms", "/editor", "/api/"} <= links
    assert home.find("form", action="/forms/search_papers")


def test_people_index(ferret_server: LiveServer) -> None:
    people = page(ferret_server, "/people")
    rows = re.findall(
        r'<tr data-name="([^"]*)"><td><a href="([^"]+)">[^<]*</a></td><td>(\w+)</td>'
        r"<td>([\d,]+)</td>",
        get(ferret_server, "/people").text,
    )
    # 239 persons and 2 teams; Ferret is credited on all 26 papers, then 9 each for Ramé and
    # Hussenot (coauthors_of Ferret: the most joint papers)
    assert len(rows) == 241
    assert rows[0] == ("johan ferret", "/id/person/johan-ferret", "person", "26")
    assert [(r[0], r[3]) for r in rows[1:3]] == [("alexandre ramé", "9"), ("léonard hussenot", "9")]
    assert {r[1] for r in rows if r[2] == "organisation"} == {
        "/id/org/gemini-team",
        "/id/org/gemma-team",
    }
    assert people.find("input", id="people-filter")


# -- person and organisation pages -------------------------------------------------------------


def bars(html: str) -> list[tuple[int, int, float]]:
    """The chart's bars: year, count and height, as drawn."""
    return [
        (int(year), int(count), float(height))
        for height, year, count in re.findall(
            r'<rect class="bar" [^>]*height="([\d.]+)" data-year="(\d+)" data-count="(\d+)"', html
        )
    ]


def test_person_page_of_the_listing_subject(ferret_server: LiveServer) -> None:
    response = get(ferret_server, "/id/person/johan-ferret")
    ferret = Page(response.text)
    assert ferret.find("h1", id="agent-name")
    assert "Johan Ferret" in ferret.text
    # credited on all 26 entries, hidden on 5 (1, 2, 5, 13, 16); 240 co-authors
    # (test_new_coauthors_per_year: every agent of the listing but him)
    assert "Credited on 26 papers, on 5 of them among the additional authors not shown" in (
        ferret.text
    )
    assert ferret.find("strong", data_coauthors="240")
    drawn = bars(response.text)
    assert [(y, c) for y, c, _ in drawn] == FERRET_PER_YEAR
    unit = {round(h / c, 6) for _, c, h in drawn}
    assert len(unit) == 1  # heights proportional to the counts
    assert max(h for *_, h in drawn) == pytest.approx(180.0)  # the 10 of 2024 fills the plot
    # the papers table, newest first, as papers_of answers (test_papers_of)
    rows = re.findall(r'<tr data-paper="([^"]+)">(.*?)</tr>', response.text, re.S)
    assert len(rows) == 26
    assert (
        [title(1), title(2)]
        == [
            re.search(r'title="[^"]*">([^<]*)</a>', r[1]).group(1)  # type: ignore[union-attr]
            for r in rows[:2]
        ]
    )
    assert sum("not shown" in r[1] for r in rows) == 5
    # the network: the 30 co-authors with the most joint papers, and him
    nodes = re.findall(r'class="node( centre)?[^"]*" data-iri="([^"]+)"', response.text)
    assert len(nodes) == 31
    assert nodes[0] == (" centre", ID + "person/johan-ferret")


def test_person_page_papers_chart_and_network(ferret_server: LiveServer) -> None:
    response = get(ferret_server, "/id/person/matthieu-geist")
    assert response.status_code == 200
    geist = Page(response.text)
    # GEIST_PAPERS: title, date, position, declared count; newest first
    rows = re.findall(r'<tr data-paper="[^"]+">(.*?)</tr>', response.text, re.S)
    assert [
        (
            re.search(r"<time>([^<]+)</time>", r).group(1),  # type: ignore[union-attr]
            re.search(r"(\d+) of (\d+)", r).groups(),  # type: ignore[union-attr]
        )
        for r in rows
    ] == [(date, (str(pos), str(n))) for _, date, pos, n, _ in GEIST_PAPERS]
    assert [(y, c) for y, c, _ in bars(response.text)] == GEIST_PER_YEAR
    # Network: Geist and his 27 co-authors (test_coauthors_of). Every one of his 7 papers
    # credits Ferret and Pietquin too, so each of the 25 others is joined to all three (75
    # edges) and the three to each other (3); among the others, entry 23 joins Preux and
    # Flet-Berliac (1), 22 Preux and Grinsztajn (1), 17 its four others (Pignatelli, Mesnard,
    # van Hasselt, Toni: 6) and 19 its 16 others (C(16, 2) = 120): 206 edges.
    nodes = re.findall(r'class="node[^"]*" data-iri="([^"]+)"', response.text)
    assert len(nodes) == 28
    edges = re.findall(
        r'data-source="([^"]+)" data-target="([^"]+)" data-papers="(\d+)"', response.text
    )
    assert len(edges) == 206
    heavy = {frozenset(e[:2]) for e in edges if e[2] == "7"}
    trio = [ID + f"person/{s}" for s in ("johan-ferret", "matthieu-geist", "olivier-pietquin")]
    assert heavy == {frozenset({a, b}) for a in trio for b in trio if a < b}
    # Preux: on 22 and 23 with the three (2 each), once with Flet-Berliac and with Grinsztajn
    preux = ID + "person/philippe-preux"
    assert sorted(int(e[2]) for e in edges if preux in e[:2]) == [1, 1, 2, 2, 2]
    # concepts: rolled up through skos:broader; all 7 papers are about reinforcement learning
    concepts = geist.find(
        "li", data_concept="https://w3id.org/scholarkg/concepts/reinforcement-learning"
    )
    assert concepts and concepts[0]["data-papers"] == "7"
    # the co-author table: 27 rows, Ferret and Pietquin (7 each), then Preux (2)
    table = re.search(r'id="coauthors-table">(.*?)</table>', response.text, re.S)
    assert table is not None
    names = re.findall(r'title="[^"]*">([^<]+)</a></td><td>(\d+)</td>', table.group(1))
    assert len(names) == 27
    assert names[:3] == [("Johan Ferret", "7"), ("Olivier Pietquin", "7"), ("Philippe Preux", "2")]


def test_person_page_concepts(ferret_server: LiveServer) -> None:
    # Nathan Grinsztajn's concepts, rolled up (test_catalogue.test_concepts_of)
    html = get(ferret_server, "/id/person/nathan-grinsztajn").text
    found = re.findall(r'<li data-concept="[^"]+" data-papers="(\d+)" data-direct="(\d+)"', html)
    labels = re.findall(r'<li data-concept="[^"]+"[^>]*><a [^>]*>([^<]+)</a>', html)
    assert list(zip(labels, [(int(p), int(d)) for p, d in found], strict=True)) == [
        ("exploration", (2, 2)),
        ("reinforcement learning", (2, 2)),
        ("artificial intelligence", (2, 0)),
        ("machine learning", (2, 0)),
        ("deep Q-network", (1, 1)),
        ("reversibility-aware reinforcement learning", (1, 1)),
        ("self-supervised learning", (1, 1)),
        ("deep learning", (1, 0)),
        ("deep reinforcement learning", (1, 0)),
        ("value-based reinforcement learning", (1, 0)),
    ]
    # concept links lead to the papers_about form
    assert (
        '/forms/papers_about?concept=https%3A%2F%2Fw3id.org%2Fscholarkg%2Fconcepts%2Fexploration"'
        in html
    )


def test_organisation_page(ferret_server: LiveServer) -> None:
    # Gemma Team is the first author of entries 3, 8 and 13 (2025, 2024, 2024)
    html = get(ferret_server, "/id/org/gemma-team").text
    gemma = Page(html)
    assert "Organisation" in gemma.text and "Gemma Team" in gemma.text
    assert "Credited on 3 papers" in gemma.text
    assert [(y, c) for y, c, _ in bars(html)] == [(2024, 2), (2025, 1)]
    positions = re.findall(r"<td>(\d+) of ([\d,]+)</td>", html)
    assert positions == [("1", "216"), ("1", "198"), ("1", "108")]
    assert 'class="node centre organization"' in html


@pytest.fixture(scope="module")
def capped_server(ferret_store_dir: Path) -> Iterator[LiveServer]:
    """The listing served with a row cap of 300."""
    server = LiveServer(ferret_store_dir, "--max-rows", "300")
    yield server
    server.stop()


def test_person_page_under_the_row_cap(capped_server: LiveServer) -> None:
    # Ferret's network holds about a thousand statements (26 papers with 3 each, 383 credits,
    # 241 agents with 2 each), so the cap of 300 cuts it; the page still names him, says so,
    # and counts his papers from the per-year rows.
    html = get(capped_server, "/id/person/johan-ferret").text
    ferret = Page(html)
    assert re.search(r'<h1 id="agent-name">Johan Ferret</h1>', html)
    assert "Credited on 26 papers, on 5 of them" in ferret.text
    assert ferret.find("p", id="network-capped")
    assert [(y, c) for y, c, _ in bars(html)] == FERRET_PER_YEAR


class CutNetworkContext:
    """Stands in for the application's context: a network cut before the agent's own name."""

    def __init__(self) -> None:
        self.options = ServerOptions(store=Path("unused"), base=ID, max_rows=3)
        self.asked: list[str] = []

    async def run(self, task: StoredTask) -> Reply:
        self.asked.append(task.name)
        ann, bob, paper = f"<{ID}person/ann>", f"<{ID}person/bob>", f"<{ID}paper/title/p>"
        name = "<http://xmlns.com/foaf/0.1/name>"
        creator = "<http://purl.org/dc/terms/creator>"
        if task.name == "coauthor_network":
            body = f'{paper} {creator} {ann} .\n{paper} {creator} {bob} .\n{bob} {name} "Bob" .\n'
            return Reply(200, "application/n-triples", body.encode(), {"Scholarkg-Truncated": "1"})
        assert task.name == "paper_card" and task.params == {"paper": f"{ID}paper/title/p"}
        return Reply(200, "application/n-triples", f'{ann} {name} "Ann" .\n'.encode())

    async def rows(self, name: str, params: dict[str, str]) -> list[dict[str, object]]:
        self.asked.append(name)
        paper = {"paper": f"{ID}paper/title/p", "title": "P", "first_submitted": "2020-01-01"}
        return {
            "papers_of": [{**paper, "position": 1, "author_count": 2, "hidden": False}],
            "papers_per_year": [{"year": 2020, "papers": 1}],
            "coauthors_of": [
                {"coauthor": f"{ID}person/bob", "name": "Bob", "papers": 1, "first_year": 2020}
                | {"last_year": 2020}
            ],
            "concepts_of": [],
        }[name]


def test_agent_page_finds_the_name_when_the_network_is_cut() -> None:
    ctx = CutNetworkContext()
    scope = {"type": "http", "method": "GET", "path": "/id/person/ann", "headers": []}
    request = Request(scope | {"query_string": b"", "server": ("test", 80), "scheme": "http"})
    response = asyncio.run(
        resource_pages.agent_page(ctx, Pages(ctx), request, ID + "person/ann")  # type: ignore[arg-type]
    )
    assert response.status_code == 200
    html = bytes(response.body).decode()
    assert '<h1 id="agent-name">Ann</h1>' in html and 'id="network-capped"' in html
    assert ctx.asked[-1] == "paper_card"


def test_marinier_network(ferret_server: LiveServer) -> None:
    # entry 26 alone: Ferret, Marinier, Geist, Pietquin, all joined (6 edges of one paper)
    html = get(ferret_server, "/id/person/raphael-marinier").text
    nodes = re.findall(r'class="node[^"]*" data-iri="[^"]+" data-name="([^"]+)"', html)
    assert sorted(nodes) == [
        "Johan Ferret",
        "Matthieu Geist",
        "Olivier Pietquin",
        "Raphaël Marinier",
    ]
    edges = re.findall(r'data-source="[^"]+" data-target="[^"]+" data-papers="(\d+)"', html)
    assert edges == ["1"] * 6


# -- paper pages -------------------------------------------------------------------------------


def test_paper_page(ferret_server: LiveServer) -> None:
    # entry 4 (test_catalogue.test_paper_card): 7 authors, one version, 8 concepts, arXiv
    path = "/id/paper/title/on-teacher-hacking-in-language-model-distillation"
    html = get(ferret_server, path).text
    paper = Page(html)
    assert paper.find("h1", id="paper-title")
    assert title(4) in paper.text
    authors = re.findall(
        r'<li value="(\d+)" data-position="\d+"><a href="([^"]+)"[^>]*>([^<]+)</a>', html
    )
    assert [(int(p), a, n) for p, a, n in authors] == [
        (1, "/id/person/daniil-tiapkin", "Daniil Tiapkin"),
        (2, "/id/person/daniele-calandriello", "Daniele Calandriello"),
        (3, "/id/person/johan-ferret", "Johan Ferret"),
        (4, "/id/person/sarah-perrin", "Sarah Perrin"),
        (5, "/id/person/nino-vieillard", "Nino Vieillard"),
        (6, "/id/person/alexandre-rame", "Alexandre Ramé"),
        (7, "/id/person/mathieu-blondel", "Mathieu Blondel"),
    ]
    assert "additional author" not in paper.text and "Also credited" not in paper.text
    assert "v1 2025-02-04" in paper.text
    assert "first submitted 2025-02-04" in paper.text and "authors declared 7" in paper.text
    assert "published in arXiv" in paper.text and "source arxiv-listing-ferret.txt" in paper.text
    concepts = re.findall(r'<li data-concept="[^"]+"><a [^>]*>([^<]+)</a>', html)
    assert concepts == sorted(
        [
            "teacher hacking",
            "reinforcement learning from human feedback",
            "reward model",
            "reward hacking",
            "post-training",
            "language model",
            "knowledge distillation",
            "output diversity",
        ],
        key=str.casefold,
    )
    assert "Every statement about this paper (34)" in paper.text  # 34 about the paper itself


def test_paper_page_with_hidden_authors(ferret_server: LiveServer) -> None:
    # entry 2: 25 authors shown, 56 not shown; Ferret is credited among those not shown
    html = get(ferret_server, "/id/paper/title/medgemma-technical-report").text
    medgemma = Page(html)
    assert len(re.findall(r'<li value="\d+" data-position', html)) == PAPERS[2][3] == 25
    assert "and 56 additional authors not shown by the source" in medgemma.text
    assert "Also credited, among the authors not shown: Johan Ferret" in medgemma.text
    assert "v1 2025-07-07; a later version 2025-07-12" in medgemma.text


# -- forms -------------------------------------------------------------------------------------


def test_forms_index(ferret_server: LiveServer) -> None:
    index = page(ferret_server, "/forms")
    names = [a["data-name"] for a in index.find("li") if "data-name" in a]
    assert len(names) == 19 and "papers_of" in names and "search_papers" in names
    assert {f"/forms/{n}" for n in names} <= {a["href"] for _, a in index.tags if "href" in a}


def test_form_inputs_follow_the_parameter_types(ferret_server: LiveServer) -> None:
    inputs = {
        name: page(ferret_server, f"/forms/{name}").tags
        for name in ("papers_of", "recent_papers", "largest_author_lists", "paper_card")
    }

    def field(name: str, param: str) -> dict[str, str]:
        return next(a for t, a in inputs[name] if t == "input" and a.get("name") == param)

    assert field("papers_of", "person")["type"] == "text"
    assert field("papers_of", "person")["placeholder"] == "e.g. Johan Ferret"
    assert "required" in field("papers_of", "person")
    assert field("recent_papers", "since")["type"] == "date"
    assert field("largest_author_lists", "min_authors")["type"] == "number"
    assert "required" not in field("largest_author_lists", "min_authors")
    assert field("paper_card", "paper")["type"] == "url"
    # a concept parameter offers the scheme's labels
    concepts = page(ferret_server, "/forms/papers_about")
    assert concepts.find("datalist", id="concept-labels")
    assert len(concepts.find("option")) == 95  # one prefLabel per concept of concepts.ttl


def answer_rows(html: str) -> list[list[str]]:
    """The cells of a form's answer table, as text."""
    body = re.search(r'<table class="results">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body is not None, "no answer table"
    return [
        [" ".join(Page(cell).text.split()) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_form_answers_with_a_table_and_downloads(ferret_server: LiveServer) -> None:
    response = get(ferret_server, "/forms/papers_of?person=Matthieu+Geist")
    rows = answer_rows(response.text)
    assert [r[1:5] for r in rows] == [[t, d, str(p), str(n)] for t, d, p, n, _ in GEIST_PAPERS]
    assert "7 rows." in Page(response.text).text
    downloads = dict(
        re.findall(r'<a href="([^"]+)" download="[^"]+" data-format="([^"]+)"', response.text)
    )
    by_format = {v: k.replace("&amp;", "&") for k, v in downloads.items()}
    assert set(by_format) == {"CSV", "TSV", "JSON rows", "SPARQL JSON", "SPARQL XML"}
    data = get(ferret_server, by_format["CSV"])
    assert data.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(data.text)))
    assert table[0] == ["paper", "title", "first_submitted", "position", "author_count", "hidden"]
    assert [r[1] for r in table[1:]] == [g[0] for g in GEIST_PAPERS]
    assert len(get(ferret_server, by_format["JSON rows"]).json()) == 7


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # test_catalogue.test_search_papers / test_recent_papers / test_venues /
        # test_largest_author_lists
        ("search_papers?text=teacher+hacking", [[title(4)]]),
        ("recent_papers?since=2025-01-01", [[title(n)] for n in (1, 2, 3, 4, 5)]),
        ("venues?run=1", [["id:venue/arxiv", "arXiv"]]),
        ("largest_author_lists?min_authors=100", [[title(n)] for n in (1, 16, 5, 3, 8, 13)]),
        ("largest_author_lists?min_authors=", [[title(n)] for n in (1, 16, 5)]),
    ],
)
def test_form_answers(ferret_server: LiveServer, query: str, expected: list[list[str]]) -> None:
    response = get(ferret_server, "/forms/" + query)
    assert response.status_code == 200
    rows = answer_rows(response.text)
    columns = re.findall(r'<th scope="col">([^<]+)</th>', response.text)
    if "title" in columns:
        got = [[r[columns.index("title")]] for r in rows]
    else:
        got = [r[:2] for r in rows]
    assert got[: len(expected)] == expected
    if not query.endswith("="):
        assert len(got) == len(expected)


def test_graph_form_lists_triples(ferret_server: LiveServer) -> None:
    # paper_card of entry 4 holds 99 triples (test_catalogue.test_paper_card)
    paper = ID + "paper/title/on-teacher-hacking-in-language-model-distillation"
    response = get(ferret_server, "/forms/paper_card?paper=" + paper)
    assert "99 rows." in Page(response.text).text
    assert len(answer_rows(response.text)) == 99
    links = re.findall(r'data-format="([^"]+)"', response.text)
    assert links == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]


def test_form_errors_name_the_parameter(ferret_server: LiveServer) -> None:
    response = get(ferret_server, "/forms/recent_papers?since=yesterday")
    assert response.status_code == 400
    assert "parameter 'since': 'yesterday' is not a valid date" in Page(response.text).text
    missing = get(ferret_server, "/forms/papers_of?person=")
    assert missing.status_code == 400
    assert "parameter 'person' of 'papers_of' is required" in Page(missing.text).text
    # the form keeps what was typed
    assert 'value="yesterday"' in response.text


# -- escaping ----------------------------------------------------------------------------------

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/forms/search_papers", {"text": HOSTILE}),
        ("/forms/papers_of", {"person": HOSTILE}),
        ("/forms/recent_papers", {"since": HOSTILE}),
        ("/forms/paper_card", {"paper": HOSTILE}),
        ("/editor", {"query": "</textarea>" + HOSTILE}),
        ("/id/person/" + quote(HOSTILE, safe=""), {}),
        ("/id/paper/title/" + quote(HOSTILE, safe=""), {}),
    ],
)
def test_hostile_values_are_escaped(
    ferret_server: LiveServer, path: str, params: dict[str, str]
) -> None:
    response = httpx.get(ferret_server.url + path, params=params, timeout=60)
    assert response.status_code in {200, 400, 404}
    assert "<script>alert" not in response.text
    parsed = Page(response.text)
    assert not parsed.find("img")
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    assert all(a.get("src", "/static/").startswith("/static/") for a, _ in parsed.scripts)


def test_echoed_values_are_escaped(ferret_server: LiveServer) -> None:
    response = httpx.get(
        ferret_server.url + "/forms/papers_of", params={"person": HOSTILE}, timeout=60
    )
    assert response.status_code == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text  # in the message
    assert 'value="&#34;&gt;&lt;script&gt;' in response.text  # in the input
    search = httpx.get(
        ferret_server.url + "/forms/search_papers", params={"text": HOSTILE}, timeout=60
    )
    assert search.status_code == 200 and "0 rows." in Page(search.text).text
    assert "<script>alert" not in search.text
    editor = httpx.get(ferret_server.url + "/editor", params={"query": "</textarea>" + HOSTILE})
    assert "&lt;/textarea&gt;&#34;&gt;&lt;script&gt;" in editor.text


# -- not found ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/person/nobody-at-all",
        "/id/person/gemma-team",  # an organisation, at the wrong path
        "/id/org/johan-ferret",
        "/id/paper/title/no-such-paper",
        "/id/venue/no-such-venue",
        "/id/",
        "/id/person/%3Cx%3E",
        "/forms/no_such_query",
    ],
)
def test_unknown_things_are_404_pages(ferret_server: LiveServer, path: str) -> None:
    response = get(ferret_server, path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert Page(response.text).find("section", class_="error-page", data_status="404")


def test_static_404(ferret_server: LiveServer) -> None:
    assert get(ferret_server, "/static/no-such-file.js").status_code == 404


def test_api_page_renders_the_openapi_document(ferret_server: LiveServer) -> None:
    api = page(ferret_server, "/api/")
    assert api.find("div", id="api", data_spec="/openapi.json")
    assert [a["src"] for a in api.find("script") if "src" in a] == ["/static/api.js"]
    assert get(ferret_server, "/api").status_code == 200  # redirected to /api/


def test_sparql_sends_browsers_to_the_editor(ferret_server: LiveServer) -> None:
    response = get(ferret_server, "/sparql", accept="text/html")
    assert response.status_code == 200 and "SPARQL editor" in Page(response.text).text


# -- pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "path"),
    [
        ("person/johan-ferret", "/id/person/johan-ferret"),
        ("org/gemma-team", "/id/org/gemma-team"),
        ("person/李-雷", "/id/person/%E6%9D%8E-%E9%9B%B7"),
        ("paper/arxiv/cs/0112017", "/id/paper/arxiv/cs/0112017"),
        ("paper/doi/10.1000/a%3Cb%3E", "/id/paper/doi/10.1000/a%3Cb%3E"),
    ],
)
def test_page_paths_round_trip(rest: str, path: str) -> None:
    assert page_path(ID, ID + rest) == path
    assert iri_of_path(ID, path.removeprefix("/id/")) == ID + rest


def test_every_iri_under_the_base_has_a_page_and_no_other() -> None:
    assert page_path(ID, "https://example.org/person/x") is None
    assert page_path(ID, ID) is None
    for rest in ("venue/arxiv", "paper/title/x/authorship/1", "paper/title/x/version/d2020-01-01"):
        assert page_path(ID, ID + rest) == "/id/" + rest
    assert iri_of_path(ID, "person/a b") is None
    assert iri_of_path(ID, "") is None
    assert compact(ID + "person/x", ID) == "id:person/x"
    assert compact("https://w3id.org/scholarkg/ontology#Paper", ID) == "skg:Paper"


def test_tick_steps() -> None:
    assert [tick_step(n) for n in (1, 4, 5, 6, 10, 11, 26, 240, 3309)] == [
        1, 1, 1, 2, 2, 5, 10, 50, 1000
    ]  # fmt: skip


def test_bar_chart_fills_missing_years() -> None:
    chart = bar_chart({2019: 2, 2022: 4})
    assert [(b.year, b.count) for b in chart.bars] == [(2019, 2), (2020, 0), (2021, 0), (2022, 4)]
    assert [b.height for b in chart.bars] == [90.0, 0.0, 0.0, 180.0]
    assert all(b.y + b.height == chart.baseline for b in chart.bars)
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    assert bar_chart({}).bars == ()


def test_network_puts_strong_coauthors_near_the_centre() -> None:
    centre = Agent(iri="c", name="C", papers=3)
    others = [Agent(iri=n, name=n.upper(), papers=p) for n, p in [("a", 3), ("b", 1), ("d", 1)]]
    joint = {("c", "a"): 3, ("c", "b"): 1, ("c", "d"): 1, ("b", "a"): 1}
    drawing = network_drawing(centre, others, joint)
    middle = drawing.width / 2

    def distance(iri: str) -> float:
        node = next(n for n in drawing.nodes if n.iri == iri)
        return float(((node.x - middle) ** 2 + (node.y - middle) ** 2) ** 0.5)

    assert distance("c") == 0
    assert distance("a") < distance("b") == pytest.approx(distance("d"))
    assert {(e.source, e.target, e.papers) for e in drawing.edges} == {
        ("a", "c", 3),
        ("b", "c", 1),
        ("c", "d", 1),
        ("a", "b", 1),
    }
    # round the circle, b follows a (they share a paper), then d
    assert [a.iri for a in ring_order(others, {("a", "b"): 1, ("b", "a"): 1})] == ["a", "b", "d"]


def test_templates_and_assets_ship_in_the_package() -> None:
    package = Path(__file__).resolve().parents[1] / "src" / "scholarkg" / "server"
    assert package / "static" == STATIC
    assert (package / "templates" / "base.html").is_file()
