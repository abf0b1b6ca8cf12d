"""The curated alias file: which printed names are one person's (``data/aliases.yaml``).

Format (YAML; comments are kept when ``add_alias`` edits the file)::

    people:
      - canonical: Matthew W. Hoffman      # the person's name, IRI and display name
        variants: [Matt Hoffman]           # other printed names of the same person
        note: why the curator merged them  # optional

Names are matched by ``scholarkg.iris.name_key`` (case, accents and punctuation do not matter).
A name is canonical or a variant, never both: chains (A -> B -> C) are refused, with the lines
that form them, so that a variant always names its final person. A variant has one canonical
name; several entries may share a canonical name (their variants add up).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import Field

from scholarkg.errors import ParseError, UsageError
from scholarkg.formats import write_atomically
from scholarkg.iris import name_key
from scholarkg.people.names import compare_names
from scholarkg.records import Record

DEFAULT_ALIAS_FILE = Path("data") / "aliases.yaml"
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_ENTRY_KEYS = ("canonical", "variants", "note")
NEW_FILE_HEADER = """\
# Curated aliases: printed names that are one person's (scholarkg people --help).
# Each entry: the canonical name and its variants; the next build or ingest applies them.
"""


class AliasEntry(Record):
    """One entry of the alias file: a canonical name and other printed names of that person."""

    canonical: str
    variants: tuple[str, ...]
    note: str | None = None
    line: int  # 1-based line of the entry in its file


class AliasTable(Record):
    """The alias file, read and checked: variant keys to canonical keys."""

    path: str | None = None
    entries: tuple[AliasEntry, ...] = ()
    mapping: dict[str, str] = Field(default_factory=dict)  # name_key(variant) -> name_key(canon.)
    canonical_names: dict[str, str] = Field(default_factory=dict)  # canonical key -> display name

    def canonical_key(self, name: str) -> str:
        """The key a printed name's person gets: its canonical name's key, else its own."""
        key = name_key(name)
        return self.mapping.get(key, key)

    def canonical_name(self, name: str) -> str | None:
        """The canonical display name of a variant (or of a canonical name), else None."""
        return self.canonical_names.get(self.canonical_key(name))

    def entry_of(self, name: str) -> AliasEntry | None:
        """The first entry naming ``name``, as canonical or as a variant."""
        key = name_key(name)
        for entry in self.entries:
            if key == name_key(entry.canonical) or key in map(name_key, entry.variants):
                return entry
        return None


class AliasChange(Record):
    """What ``add_alias`` did."""

    path: str
    canonical: str
    variant: str
    added: bool  # False when the file already said so


# -- reading -------------------------------------------------------------------------------


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _name(node: yaml.Node, path: str, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _STR or not str(node.value).strip():
        raise ParseError(
            path,
            _line(node),
            f"{what} must be a name (text; quote it if YAML reads "
            "it as a number, a date or a boolean)",
        )
    text = " ".join(str(node.value).split())
    if not name_key(text):
        raise ParseError(path, _line(node), f"{what} {text!r} has no letters")
    return text


def _entry(node: yaml.Node, path: str) -> AliasEntry:
    if not isinstance(node, yaml.MappingNode):
        raise ParseError(path, _line(node), "an entry must be a mapping: canonical, variants, note")
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value not in _ENTRY_KEYS:
            raise ParseError(
                path, _line(key), f"unknown key {key.value!r} (expected {', '.join(_ENTRY_KEYS)})"
            )
        fields[str(key.value)] = value
    if "canonical" not in fields or "variants" not in fields:
        raise ParseError(path, _line(node), "an entry needs a canonical name and its variants")
    variants = fields["variants"]
    if not isinstance(variants, yaml.SequenceNode) or not variants.value:
        raise ParseError(path, _line(variants), "variants must be a non-empty list of names")
    note = fields.get("note")
    if note is not None and not (isinstance(note, yaml.ScalarNode) and note.tag in {_STR, _NULL}):
        raise ParseError(path, _line(note), "a note must be text")
    return AliasEntry(
        canonical=_name(fields["canonical"], path, "canonical"),
        variants=tuple(_name(v, path, "a variant") for v in variants.value),
        note=(str(note.value) or None) if note is not None else None,
        line=_line(node),
    )


def _people_node(text: str, path: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(root node, the value node of ``people``), either None when absent."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        raise ParseError(path, line, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ParseError(path, 1, f"not valid YAML: {exc}") from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
        return None, None
    if not isinstance(root, yaml.MappingNode):
        raise ParseError(path, _line(root), "the file must be a mapping with the key 'people'")
    people = None
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or key.value != "people":
            raise ParseError(path, _line(key), f"unknown key {key.value!r} (expected 'people')")
        people = value
    return root, people


def parse_aliases(text: str, path: str = "<aliases>") -> AliasTable:
    """An alias table from the text of an alias file; errors name the file and line."""
    _, people = _people_node(text, path)
    if people is None or (isinstance(people, yaml.ScalarNode) and people.tag == _NULL):
        return AliasTable(path=path)
    if not isinstance(people, yaml.SequenceNode):
        raise ParseError(path, _line(people), "'people' must be a list of entries")
    entries = tuple(_entry(node, path) for node in people.value)
    mapping: dict[str, str] = {}
    variant_lines: dict[str, int] = {}
    canonical_names: dict[str, str] = {}
    canonical_lines: dict[str, int] = {}
    for entry in entries:
        canonical = name_key(entry.canonical)
        canonical_names.setdefault(canonical, entry.canonical)
        canonical_lines.setdefault(canonical, entry.line)
        for variant in entry.variants:
            key = name_key(variant)
            if key == canonical:
                raise ParseError(
                    path,
                    entry.line,
                    f"{variant!r} and {entry.canonical!r} are one "
                    "name already (the same key): remove the variant",
                )
            if mapping.get(key, canonical) != canonical:
                raise ParseError(
                    path,
                    entry.line,
                    f"{variant!r} is also a variant of "
                    f"{canonical_names[mapping[key]]!r} (line {variant_lines[key]}): "
                    "a variant has one canonical name",
                )
            mapping[key] = canonical
            variant_lines.setdefault(key, entry.line)
    for key, line in variant_lines.items():
        if key in canonical_lines:
            raise ParseError(
                path,
                line,
                f"{canonical_names[key]!r} is a variant here and a "
                f"canonical name on line {canonical_lines[key]}: no chains; point "
                "its variants at the final name",
            )
    return AliasTable(path=path, entries=entries, mapping=mapping, canonical_names=canonical_names)


def load_aliases(path: Path, *, missing_ok: bool = False) -> AliasTable:
    """The alias table of a file (an empty one for a missing file when ``missing_ok``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return AliasTable(path=str(path))
        raise UsageError(f"{path}: no such alias file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the alias file ({exc})") from None
    return parse_aliases(text, str(path))


# -- writing -------------------------------------------------------------------------------


def _scalar(text: str, *, flow: bool) -> str:
    """A name as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        plain = yaml.safe_load(f"[{text}]" if flow else f"k: {text}")
    except yaml.YAMLError:
        plain = None
    if plain == ([text] if flow else {"k": text}) and "#" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _end_of_content(text: str, node: yaml.Node) -> int:
    """Where the line holding the last character of a node's content ends."""
    ends: list[int] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode) or getattr(current, "flow_style", False):
            ends.append(int(current.end_mark.index))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
    position = max(ends, default=int(node.end_mark.index))
    while position > 0 and text[position - 1] in " \t\r\n":
        position -= 1
    newline = text.find("\n", position)
    return len(text) if newline < 0 else newline


def _entry_text(canonical: str, variant: str, note: str | None, indent: int) -> str:
    pad = " " * indent
    lines = [
        f"{pad}- canonical: {_scalar(canonical, flow=False)}",
        f"{pad}  variants: [{_scalar(variant, flow=True)}]",
    ]
    if note:
        lines.append(f"{pad}  note: {_scalar(' '.join(note.split()), flow=False)}")
    return "\n".join(lines)


def _add_to_entry(text: str, people: yaml.SequenceNode, canonical: str, variant: str) -> str | None:
    key = name_key(canonical)
    for node in people.value:
        fields = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
        name, variants = fields.get("canonical"), fields.get("variants")
        if not isinstance(name, yaml.ScalarNode) or name_key(str(name.value)) != key:
            continue
        if not isinstance(variants, yaml.SequenceNode):
            return None
        if variants.flow_style:
            start, end = int(variants.start_mark.index), int(variants.end_mark.index)
            items = [text[v.start_mark.index : v.end_mark.index] for v in variants.value]
            items.append(_scalar(variant, flow=True))
            return f"{text[:start]}[{', '.join(items)}]{text[end:]}"
        at = _end_of_content(text, variants)
        pad = " " * int(variants.start_mark.column)
        return f"{text[:at]}\n{pad}- {_scalar(variant, flow=False)}{text[at:]}"
    return None


def _with_alias(text: str, path: str, canonical: str, variant: str, note: str | None) -> str:
    _, people = _people_node(text, path)
    if isinstance(people, yaml.SequenceNode) and people.value and not people.flow_style:
        edited = _add_to_entry(text, people, canonical, variant)
        if edited is not None:
            return edited
        at = _end_of_content(text, people)
        indent = int(people.start_mark.column)
        return f"{text[:at]}\n{_entry_text(canonical, variant, note, indent)}{text[at:]}"
    block = "\n" + _entry_text(canonical, variant, note, 2)
    if people is not None:  # `people:` empty, null or []: the entries replace the value
        start, end = int(people.start_mark.index), int(people.end_mark.index)
        return f"{text[:start].rstrip(' ')}{block}{text[end:]}"
    if not text.strip():
        return f"{text or NEW_FILE_HEADER}people:{block}\n"
    separator = "" if text.endswith("\n") else "\n"  # a mapping without 'people': add the key
    return f"{text}{separator}people:{block}\n"


def add_alias(
    path: Path, canonical: str, variant: str, *, force: bool = False, note: str | None = None
) -> AliasChange:
    """Record in the alias file that ``variant`` is a printed name of ``canonical``'s person.

    Refuses names that are not compatible (``compare_names``) unless ``force``, a variant that
    has another canonical name, and chains. Edits the file's text in place, so comments and
    layout stay; the file is written whole or not at all.
    """
    canonical, variant = " ".join(canonical.split()), " ".join(variant.split())
    for role, name in (("canonical", canonical), ("variant", variant)):
        if not name_key(name):
            raise UsageError(f"the {role} name {name!r} has no letters")
    if name_key(canonical) == name_key(variant):
        raise UsageError(f"{variant!r} and {canonical!r} are one name already: nothing to record")
    if not force and compare_names(canonical, variant) is None:
        raise UsageError(
            f"{variant!r} is not a compatible form of {canonical!r} (family names or given "
            "names disagree); give --force if you know they are one person"
        )
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the alias file ({exc})") from None
    table = parse_aliases(text, str(path))
    where = table.entry_of(variant)
    if name_key(variant) in table.mapping:
        if table.mapping[name_key(variant)] == name_key(canonical):
            return AliasChange(path=str(path), canonical=canonical, variant=variant, added=False)
        raise UsageError(
            f"{variant!r} is already a variant of {table.canonical_name(variant)!r} "
            f"({path}:{where.line if where else '?'}); edit the file to change it"
        )
    if name_key(variant) in table.canonical_names:
        raise UsageError(
            f"{variant!r} is a canonical name in {path}:{where.line if where else '?'}; no chains: "
            f"record its variants under {canonical!r} by editing the file"
        )
    if name_key(canonical) in table.mapping:
        final = table.canonical_name(canonical)
        raise UsageError(
            f"{canonical!r} is a variant of {final!r} in {path}; no chains: record "
            f"{variant!r} under {final!r}"
        )
    edited = _with_alias(text, str(path), canonical, variant, note)
    try:
        check = parse_aliases(edited, str(path))
    except ParseError:
        check = None
    if check is None or check.mapping.get(name_key(variant)) != name_key(canonical):
        raise UsageError(
            f"{path}: cannot add to this file's layout automatically; add by hand: "
            f"canonical {canonical!r}, variant {variant!r}"
        )
    write_atomically(path, edited)
    return AliasChange(path=str(path), canonical=canonical, variant=variant, added=True)


def render_aliases(table: AliasTable) -> str:
    """The alias table for people: one line per canonical name with its variants."""
    if not table.entries:
        return f"no aliases in {table.path}\n" if table.path else "no aliases\n"
    lines = [
        f"{entry.canonical} <- {', '.join(entry.variants)}  ({table.path}:{entry.line})"
        for entry in table.entries
    ]
    return "\n".join(lines) + "\n"
