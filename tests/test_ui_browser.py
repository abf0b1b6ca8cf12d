"""The browser UI in a real headless Chromium (Debian's ``chromium``, driven by Playwright): pages
load and draw, the editor and the forms run queries, the API page sends requests.

One browser for the session; each test opens its own tab and fails on any script error in it.
Screenshots go to ``test-artifacts/screenshots/``. Expected figures are the hand-worked ones of
``test_catalogue.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from .conftest import ROOT
from .live_server import LiveServer
from .test_catalogue import GEIST_PAPERS
from .test_ui import FERRET_PER_YEAR

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PER_YEAR_QUERY = """PREFIX skg: <https://w3id.org/scholarkg/ontology#>
SELECT ?year (COUNT(?paper) AS ?papers)
WHERE {
  ?paper a skg:Paper ;
         skg:firstSubmitted ?date .
  BIND (YEAR(?date) AS ?year)
}
GROUP BY ?year
ORDER BY ?year
"""


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile, for the whole session."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium, as .ci/run does) to run the browser tests"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def tab(browser: BrowserContext) -> Iterator[Page]:
    """A new tab; a script error on any of its pages fails the test."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, errors


def shoot(page: Page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """The text of each cell of the body rows of a table."""
    rows: list[list[str]] = page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
    )
    return rows


def test_home_leads_to_the_listing_subject(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/")
    assert tab.locator("#summary .stat").first.is_visible()
    stats = tab.locator("#summary .stat").all_inner_texts()
    assert "26\npapers" in stats and "239\npeople" in stats
    shoot(tab, "home")
    tab.locator("#sources").get_by_role("link", name="Johan Ferret").click()
    tab.wait_for_url("**/id/person/johan-ferret")
    assert tab.locator("h1").inner_text() == "Johan Ferret"


def test_person_page_chart_and_network(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/id/person/johan-ferret")
    bars = tab.locator("#chart-per-year rect.bar")
    assert bars.count() == 7  # one per year, 2019 to 2025
    drawn = []
    for i in range(bars.count()):
        bar = bars.nth(i)
        box = bar.bounding_box()
        assert box is not None
        year = int(bar.get_attribute("data-year") or 0)
        count = int(bar.get_attribute("data-count") or 0)
        drawn.append((year, count, box["height"], box["y"] + box["height"]))
    assert [(y, c) for y, c, _, _ in drawn] == FERRET_PER_YEAR
    # as rendered: heights proportional to the counts, all standing on one baseline
    per_paper = drawn[0][2] / drawn[0][1]
    for _, count, height, bottom in drawn:
        assert height == pytest.approx(count * per_paper, abs=0.6)
        assert bottom == pytest.approx(drawn[0][3], abs=0.6)
    labels = tab.locator("#chart-per-year .bar-year").all_text_contents()  # SVG: no innerText
    counts = tab.locator("#chart-per-year .bar-count").all_text_contents()
    assert labels == [str(y) for y, _ in FERRET_PER_YEAR]
    assert counts == [str(c) for _, c in FERRET_PER_YEAR]
    # the network: him and the 30 co-authors with the most joint papers, inside the drawing
    network = tab.locator("#coauthor-network")
    frame = network.bounding_box()
    assert frame is not None
    nodes = network.locator(".node")
    assert nodes.count() == 31
    assert network.locator(".node.centre").get_attribute("data-name") == "Johan Ferret"
    for i in range(nodes.count()):
        box = nodes.nth(i).locator("circle, rect").bounding_box()
        assert box is not None
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
        assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    assert network.locator(".edge").count() > 30
    shoot(tab, "person-johan-ferret")
    # nodes are links to the co-authors' pages
    network.locator('.node[data-name="Matthieu Geist"]').click()
    tab.wait_for_url("**/id/person/matthieu-geist")
    assert tab.locator("h1").inner_text() == "Matthieu Geist"


def test_strong_coauthors_sit_near_the_centre(tab: Page, ferret_server: LiveServer) -> None:
    # Geist: Ferret and Pietquin on all 7 papers, Preux on 2, the 24 others on 1
    tab.goto(ferret_server.url + "/id/person/matthieu-geist")
    centres: dict[str, tuple[float, float]] = {}
    for node in tab.locator("#coauthor-network .node").all():
        box = node.locator("circle, rect").bounding_box()
        assert box is not None
        centres[node.get_attribute("data-name") or ""] = (
            box["x"] + box["width"] / 2,
            box["y"] + box["height"] / 2,
        )
    assert len(centres) == 28
    middle = centres.pop("Matthieu Geist")
    distance = {name: math.dist(middle, point) for name, point in centres.items()}
    inner_names = {"Johan Ferret", "Olivier Pietquin"}
    inner = [distance[n] for n in inner_names]
    ones = [distance[n] for n in distance if n not in {*inner_names, "Philippe Preux"}]
    assert max(inner) < distance["Philippe Preux"] < min(ones)
    assert tab.locator("#coauthor-network .edge").count() == 206  # worked out in test_ui
    shoot(tab, "person-matthieu-geist")


def test_editor_highlights_and_runs_a_query(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/editor")
    tab.fill("#query", PER_YEAR_QUERY)
    # the highlighted copy holds the same text, tokens marked
    assert tab.locator("#highlight").inner_text().rstrip("\n") == PER_YEAR_QUERY.rstrip("\n")
    keywords = tab.locator("#highlight .tok-keyword").all_inner_texts()
    assert keywords[:3] == ["PREFIX", "SELECT", "AS"] and "GROUP" in keywords
    assert "?year" in tab.locator("#highlight .tok-variable").all_inner_texts()
    assert tab.locator("#highlight .tok-iri").all_inner_texts() == [
        "<https://w3id.org/scholarkg/ontology#>"
    ]
    assert tab.locator("#highlight .tok-function").all_inner_texts() == ["COUNT", "YEAR"]
    tab.click("#run")
    tab.wait_for_selector("#results table tbody tr")
    assert table_rows(tab, "#results table") == [[str(y), str(n)] for y, n in FERRET_PER_YEAR]
    assert tab.locator("#status").inner_text().startswith("7 rows in ")
    shoot(tab, "editor")
    # Ctrl+Enter runs; IRIs under the base link to their pages
    tab.fill(
        "#query",
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        'SELECT ?who WHERE { ?who foaf:name "Matthieu Geist" }',
    )
    tab.focus("#query")
    tab.keyboard.press("Control+Enter")
    link = tab.locator("#results table a")
    link.wait_for()
    assert link.get_attribute("href") == "/id/person/matthieu-geist"
    assert link.inner_text() == "id:person/matthieu-geist"


def test_editor_shows_the_servers_error(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/editor")
    tab.fill("#query", "SELECT ?x WHERE { ?x ?y }")
    tab.click("#run")
    status = tab.locator("#status.error")
    status.wait_for()
    assert status.inner_text().startswith("query-error (400): the query does not parse")
    assert tab.locator("#results table").count() == 0
    shoot(tab, "editor-error")


def test_editor_examples_and_downloads(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/editor")
    assert tab.locator("#examples option").count() == 20  # the prompt and 19 stored queries
    tab.select_option("#examples", "venues")
    assert "SELECT ?venue" in tab.input_value("#query")
    tab.click("#run")
    tab.wait_for_selector("#results table tbody tr")
    # test_catalogue.test_venues: arXiv, a preprint server, 26 papers
    assert table_rows(tab, "#results table") == [
        ["id:venue/arxiv", "arXiv", "skg:PreprintServer", "26"]
    ]
    with tab.expect_download() as download:
        tab.click('#downloads button[data-format="csv"]')
    path = download.value.path()
    assert list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")))) == [
        ["venue", "name", "kind", "papers"],
        [
            "https://w3id.org/scholarkg/id/venue/arxiv",
            "arXiv",
            "https://w3id.org/scholarkg/ontology#PreprintServer",
            "26",
        ],
    ]


def test_form_runs_a_stored_query(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/forms/papers_of")
    assert tab.get_attribute("#param-person", "placeholder") == "e.g. Johan Ferret"
    tab.fill("#param-person", "Matthieu Geist")
    tab.click("#query-form button[type=submit]")
    tab.wait_for_url("**/forms/papers_of?person=Matthieu+Geist")
    rows = table_rows(tab, "#answer table")
    assert [r[1:5] for r in rows] == [[t, d, str(p), str(n)] for t, d, p, n, _ in GEIST_PAPERS]
    shoot(tab, "form-papers_of")
    with tab.expect_download() as download:
        tab.click('#downloads a[data-format="CSV"]')
    assert download.value.suggested_filename == "papers_of.csv"
    table = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [r[1] for r in table[1:]] == [g[0] for g in GEIST_PAPERS]


def test_form_reports_a_bad_parameter(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/forms/papers_of")
    tab.fill("#param-person", "Nobody Atall")
    tab.click("#query-form button[type=submit]")
    error = tab.locator("#error")
    error.wait_for()
    assert "no person or organisation named 'Nobody Atall'" in error.inner_text()
    assert tab.input_value("#param-person") == "Nobody Atall"


def test_paper_page(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/id/paper/title/medgemma-technical-report")
    assert tab.locator("#author-list li").count() == 25
    assert "56 additional authors" in tab.locator("#hidden-authors").inner_text()
    tab.locator("#also-credited a").click()
    tab.wait_for_url("**/id/person/johan-ferret")
    tab.go_back()
    tab.locator("#statements summary").click()
    assert tab.locator("#statements table").is_visible()
    shoot(tab, "paper-medgemma")


def test_api_page_sends_requests(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/api/")
    tab.wait_for_selector("#api[data-ready=true]")
    # /queries, /sparql and one operation per stored query
    assert tab.locator("#api section.operation").count() == 21
    operation = tab.locator("#op-papers_of")
    assert operation.locator("tr[data-param=person]").inner_text().startswith("person")
    operation.locator("summary").click()
    operation.locator("input[name=person]").fill("Matthieu Geist")
    operation.locator("select[name=accept]").select_option("application/json")
    operation.locator("button[type=submit]").click()
    status = operation.locator(".response .status[data-status]")
    status.wait_for()
    assert status.get_attribute("data-status") == "200"
    rows = json.loads(operation.locator(".response pre.body").inner_text())
    assert [r["title"] for r in rows] == [g[0] for g in GEIST_PAPERS]
    shoot(tab, "api")
    # an error comes back in the one JSON shape
    operation.locator("input[name=person]").fill("Nobody Atall")
    operation.locator("button[type=submit]").click()
    operation.locator('.response .status[data-status="400"]').wait_for()
    assert json.loads(operation.locator(".response pre.body").inner_text())["error"] == (
        "usage-error"
    )


def test_people_filter(tab: Page, ferret_server: LiveServer) -> None:
    tab.goto(ferret_server.url + "/people")
    assert tab.locator("#people tbody tr:visible").count() == 241
    tab.fill("#people-filter", "geist")
    assert tab.locator("#people tbody tr:visible").count() == 1
    assert tab.locator("#people tbody tr:visible a").inner_text() == "Matthieu Geist"
