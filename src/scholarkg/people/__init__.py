"""One identity per person: names normalised and compared, candidates for 'same person' scored
with the evidence of the graph, and the curated alias file that records the merges.

``names`` parses and compares printed names (pure), ``nicknames`` holds the hand-curated table
of familiar forms, ``candidates`` finds pairs in the store and reads their evidence, ``scoring``
weighs it (pure), ``aliases`` reads and edits ``data/aliases.yaml``. The CLI group
``scholarkg people`` composes them.
"""

from scholarkg.people.aliases import (
    DEFAULT_ALIAS_FILE,
    AliasChange,
    AliasEntry,
    AliasTable,
    add_alias,
    load_aliases,
    parse_aliases,
    render_aliases,
)
from scholarkg.people.candidates import find_candidates
from scholarkg.people.names import (
    Agreement,
    NameMatch,
    ParsedName,
    compare_names,
    fold,
    name_readings,
    normalise_name,
    parse_name,
)
from scholarkg.people.scoring import (
    POSSIBLE,
    STRONG,
    Candidate,
    Evidence,
    EvidenceKind,
    PersonRef,
    Strength,
    render_candidates,
)

__all__ = [
    "DEFAULT_ALIAS_FILE",
    "POSSIBLE",
    "STRONG",
    "Agreement",
    "AliasChange",
    "AliasEntry",
    "AliasTable",
    "Candidate",
    "Evidence",
    "EvidenceKind",
    "NameMatch",
    "ParsedName",
    "PersonRef",
    "Strength",
    "add_alias",
    "compare_names",
    "find_candidates",
    "fold",
    "load_aliases",
    "name_readings",
    "normalise_name",
    "parse_aliases",
    "parse_name",
    "render_aliases",
    "render_candidates",
]
