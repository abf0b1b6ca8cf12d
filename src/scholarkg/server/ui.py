"""The browser UI: pages over the API (filled in by the UI work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from scholarkg.server.app import AppContext


def routes(ctx: AppContext) -> list[BaseRoute]:
    """The UI's routes."""
    return []
