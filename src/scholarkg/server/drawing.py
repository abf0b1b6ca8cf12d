"""Geometry of the UI's pictures: the publications-per-year bar chart and the co-author network.

Pure and deterministic (the same input draws the same picture on every machine); templates turn
the geometry into SVG, so the pictures need no script and tests can read them off the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from scholarkg.records import Record

# -- bar chart ---------------------------------------------------------------------------------

CHART_HEIGHT = 180.0  # the plot area, without labels
CHART_TOP = 22.0  # room for the count above the tallest bar
CHART_BOTTOM = 26.0  # room for the year labels
CHART_LEFT = 34.0  # room for the axis labels
BAR_STEP = 44.0
BAR_WIDTH = 30.0


class Bar(Record):
    """One year's bar: a count and its rectangle."""

    year: int
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        """Where the labels of the bar are centred."""
        return self.x + self.width / 2


class Tick(Record):
    """A horizontal grid line of the chart, with its value."""

    value: int
    y: float


class BarChart(Record):
    """A bar per year from the first to the last year with papers (years between: 0)."""

    width: float
    height: float
    baseline: float
    left: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    total: int


def tick_step(top: int) -> int:
    """A grid step of 1, 2 or 5 times a power of ten giving at most five lines up to ``top``."""
    step = 1
    while top / step > 5:
        for factor in (2, 5, 10):
            if top / (step * factor) <= 5:
                return step * factor
        step *= 10
    return step


def bar_chart(counts: Mapping[int, int]) -> BarChart:
    """The chart of ``counts`` (year -> number), bar heights proportional to the numbers."""
    years = list(range(min(counts), max(counts) + 1)) if counts else []
    top = max([*counts.values(), 1])
    step = tick_step(top)
    scale_top = top if top % step == 0 else (top // step + 1) * step
    unit = CHART_HEIGHT / scale_top
    baseline = CHART_TOP + CHART_HEIGHT
    bars = []
    for i, year in enumerate(years):
        count = counts.get(year, 0)
        height = count * unit
        x = CHART_LEFT + 8 + i * BAR_STEP
        bars.append(
            Bar(year=year, count=count, x=x, y=baseline - height, width=BAR_WIDTH, height=height)
        )
    ticks = [Tick(value=v, y=baseline - v * unit) for v in range(0, scale_top + 1, step)]
    return BarChart(
        width=CHART_LEFT + 16 + max(len(years), 1) * BAR_STEP,
        height=baseline + CHART_BOTTOM,
        baseline=baseline,
        left=CHART_LEFT,
        bars=tuple(bars),
        ticks=tuple(ticks),
        total=sum(counts.values()),
    )


# -- co-author network -------------------------------------------------------------------------

NETWORK_SIZE = 720.0  # the drawing is square
RING_OUTER = 215.0  # the ring of the co-authors with the fewest joint papers
RING_INNER = 120.0  # the ring of those with the most
LABEL_LENGTH = 24  # longer names are cut (the node's tooltip has them whole)


class Agent(Record):
    """A node to draw: an agent with the number of papers it shares with the centre."""

    iri: str
    name: str
    organization: bool = False
    papers: int = 0


class Node(Record):
    """A placed node and its label (rotated to point away from the centre)."""

    iri: str
    name: str
    label: str
    organization: bool
    papers: int
    centre: bool
    x: float
    y: float
    r: float
    label_x: float
    label_y: float
    angle: float  # of the label, in degrees
    anchor: str  # "start", "end" or "middle"


class Edge(Record):
    """A placed edge: two agents credited together on ``papers`` papers."""

    source: str
    target: str
    papers: int
    x1: float
    y1: float
    x2: float
    y2: float


class Network(Record):
    """The drawing of a co-author network around one agent."""

    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def ring_order(coauthors: Sequence[Agent], weights: Mapping[tuple[str, str], int]) -> list[Agent]:
    """The co-authors in the order they go round the circle: each next to the one it shares most
    papers with (greedily, from the strongest co-author), so that groups of co-authors sit
    together; ties keep the given order."""
    remaining = list(coauthors)
    if not remaining:
        return []
    order = [remaining.pop(0)]
    while remaining:
        last = order[-1].iri
        best = max(
            range(len(remaining)),
            key=lambda i: (weights.get((last, remaining[i].iri), 0), -i),
        )
        order.append(remaining.pop(best))
    return order


def _label(name: str) -> str:
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1].rstrip() + "…"


def network_drawing(
    centre: Agent, coauthors: Sequence[Agent], joint: Mapping[tuple[str, str], int]
) -> Network:
    """The centre in the middle, the co-authors round it: the more papers one shares with the
    centre, the nearer it sits; ``joint`` counts the papers shared by each pair of IRIs (in
    either order), and each pair of drawn agents sharing any becomes an edge."""
    weights: dict[tuple[str, str], int] = {}
    for (a, b), papers in joint.items():
        if a != b and papers > 0:
            weights[(a, b)] = weights[(b, a)] = max(papers, weights.get((a, b), 0))
    order = ring_order(coauthors, weights)
    most = max([a.papers for a in order] + [1])
    fewest = min([a.papers for a in order] + [most])
    c = NETWORK_SIZE / 2
    nodes = [
        Node(
            iri=centre.iri,
            name=centre.name,
            label=_label(centre.name),
            organization=centre.organization,
            papers=centre.papers,
            centre=True,
            x=c,
            y=c,
            r=14.0,
            label_x=c,
            label_y=c + 30,
            angle=0.0,
            anchor="middle",
        )
    ]
    for i, agent in enumerate(order):
        theta = -math.pi / 2 + 2 * math.pi * i / len(order)
        share = 0.0 if most == fewest else (agent.papers - fewest) / (most - fewest)
        radius = RING_OUTER - (RING_OUTER - RING_INNER) * share
        r = 4.0 + 6.0 * math.sqrt(agent.papers / most)
        x, y = c + radius * math.cos(theta), c + radius * math.sin(theta)
        degrees = math.degrees(theta)
        left = math.cos(theta) < -1e-9
        nodes.append(
            Node(
                iri=agent.iri,
                name=agent.name,
                label=_label(agent.name),
                organization=agent.organization,
                papers=agent.papers,
                centre=False,
                x=round(x, 1),
                y=round(y, 1),
                r=round(r, 1),
                label_x=round(x + (r + 4) * math.cos(theta), 1),
                label_y=round(y + (r + 4) * math.sin(theta), 1),
                angle=round(degrees + 180 if left else degrees, 1),
                anchor="end" if left else "start",
            )
        )
    placed = {n.iri: n for n in nodes}
    edges = [
        Edge(
            source=a,
            target=b,
            papers=papers,
            x1=placed[a].x,
            y1=placed[a].y,
            x2=placed[b].x,
            y2=placed[b].y,
        )
        for (a, b), papers in sorted(weights.items())
        if a < b and a in placed and b in placed
    ]
    return Network(width=NETWORK_SIZE, height=NETWORK_SIZE, nodes=tuple(nodes), edges=tuple(edges))
