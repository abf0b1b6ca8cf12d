"""Content negotiation: the Accept header against what a response can be (RFC 9110, 12.5.1).

Each media range in Accept has a quality (``q``, default 1); the most specific range that matches
an offer decides that offer's quality (``text/csv`` before ``text/*`` before ``*/*``), ``q=0``
refuses an offer, and among offers of equal quality the server's order of preference wins.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.requests import Request


class MediaRange(NamedTuple):
    """One element of an Accept header."""

    type: str
    subtype: str
    quality: float
    params: frozenset[tuple[str, str]]

    def specificity(self, offer: str) -> int | None:
        """How closely this range matches ``offer`` (higher is closer), None if it does not."""
        kind, _, sub = offer.partition("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else None
        if self.type != kind:
            return None
        if self.subtype == "*":
            return 1
        if self.subtype != sub:
            return None
        return 3 if self.params else 2


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, frozenset())]
    ranges = []
    for element in header.split(","):
        media, *raw_params = (part.strip() for part in element.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue  # not a media range: ignored, as clients expect
        quality = 1.0
        params = set()
        for raw in raw_params:
            key, _, value = raw.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
            elif key:
                params.add((key, value.lower()))
        ranges.append(MediaRange(kind, sub, quality, frozenset(params)))
    return ranges


def quality(ranges: list[MediaRange], offer: str) -> float:
    """The quality the client gives ``offer``: that of the most specific matching range."""
    best: tuple[int, float] | None = None
    for media_range in ranges:
        score = media_range.specificity(offer)
        if score is not None and (best is None or score > best[0]):
            best = (score, media_range.quality)
    return 0.0 if best is None else best[1]


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers (ties go to the earlier offer), None if it accepts none."""
    ranges = parse_accept(accept)
    scored = [(quality(ranges, offer), -i, offer) for i, offer in enumerate(offers)]
    best = max(scored)
    return best[2] if best[0] > 0 else None


def accept_header(request: Request) -> str | None:
    """The Accept header; several Accept lines are one list (RFC 9110, 5.3)."""
    lines = request.headers.getlist("accept")
    return ", ".join(lines) if lines else None
