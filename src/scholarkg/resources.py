"""Where the shipped ontology, shapes, concept scheme and stored queries live.

In a source checkout (or an editable install) they are the top-level ``ontology/`` and
``queries/`` folders; a wheel carries copies inside the package under ``_resources/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    checkout = _PACKAGE.parents[1] / name
    if (checkout / ".." / "pyproject.toml").exists() and checkout.is_dir():
        return checkout
    return _PACKAGE / "_resources" / name


def ontology_dir() -> Path:
    """The folder holding scholarkg.ttl, shapes.ttl, concepts.ttl and context.jsonld."""
    return _resource_dir("ontology")


def queries_dir() -> Path:
    """The folder holding the stored queries (*.rq)."""
    return _resource_dir("queries")
