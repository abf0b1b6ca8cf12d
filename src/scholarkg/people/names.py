"""Personal names: parsed into given names and family name, folded for comparison, compared.

Pure functions, no I/O. The name as printed is never changed (it stays on the authorship as
``skg:nameAsWritten``); folding is for comparison only: Unicode NFC, case-folded, accents and
other marks dropped, a few letters that do not decompose mapped to their base (ø, ł, đ, æ, œ...).

Parsing, in order:

- ``Family, Given`` (one comma) is read inverted; a part after a comma that is a suffix
  (``Jr``, ``III``) is a suffix.
- Periods end initials: ``M.W.`` and ``M. W.`` are the initials M and W; so is ``MW`` when the
  rest of the name is not written in capitals. A trailing cluster of capital initials after a
  family name (``Hoffman MW``, the PubMed style) is read inverted too.
- The family name is the last word, with the particles just before it (van, von, de, der, di,
  da, du, le, la, ten, ter, bin, al...): ``Charline Le Lan`` has the family name ``Le Lan``; a
  particle that is the last word is the family name itself (``Soham De``). A hyphenated family
  name is one word (``Barth-Maron``); for a name of three or more words, the last two words may
  also be a compound family name (``Tiago Cardal Pais``), which ``name_readings`` offers as a
  second reading.
- Given names split at hyphens (``Nan-Jiang`` is Nan and Jiang, initials N and J); a given name
  of one letter is an initial.

Names written without spaces (many CJK names) are one word: a family name with no given names.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from enum import StrEnum

from scholarkg.people.nicknames import nickname_equivalent, related_names
from scholarkg.records import Record

PARTICLES = frozenset(
    "van von vom zum zur zu de der den del della delle dei degli di da das dos do du des le la "
    "lo ten ter te af av bin ibn al el".split()
)
SUFFIXES = frozenset("jr sr ii iii iv v phd md".split())
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h"}
)
_APOSTROPHES = "'’ʼ`´"  # the apostrophes names are printed with
_SEPARATOR = re.compile(rf"[^\w\-{_APOSTROPHES}]+|_+")
_EDGE = f"-{_APOSTROPHES}"
_NOT_KEY = re.compile(r"[\W_]+")
_CAPITALS = re.compile(r"[^\W\d_]{1,3}")


@functools.lru_cache(maxsize=1 << 16)  # the words of names repeat: fold each once
def fold(text: str) -> str:
    """Text for comparison: NFC, case-folded, marks dropped (é -> e, ł -> l, ß -> ss)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_UNDECOMPOSED))


def _key(text: str) -> str:
    return _NOT_KEY.sub("", fold(text))


def _is_capitals(word: str, name_has_lower: bool) -> bool:
    """A cluster of 1-3 capital initials (``MW``), in a name not written in capitals."""
    return name_has_lower and bool(_CAPITALS.fullmatch(word)) and word == word.upper() != fold(word)


class ParsedName(Record):
    """A personal name split into its parts; ``given`` and ``family_key`` are folded."""

    text: str  # the name as written, NFC, spaces collapsed
    given: tuple[str, ...]  # folded given names in order; an initial is one letter
    family: str  # the family name as written, particles included ("Le Lan", "Barth-Maron")
    family_key: str  # folded, particles and punctuation dropped ("lan", "barthmaron")
    particles: tuple[str, ...] = ()  # folded particles of the family name ("le",)
    suffix: str | None = None  # folded ("jr", "iii")

    @property
    def initials(self) -> str:
        """The first letters of the given names ("mw" for Matthew W.)."""
        return "".join(token[0] for token in self.given)

    @property
    def normal(self) -> str:
        """The folded normal form: given names, family name (particles kept, each word without
        punctuation: "o'brien" is "obrien", "barth-maron" "barthmaron"), suffix."""
        family = [key for key in map(_key, self.family.split()) if key]
        return " ".join([*self.given, *family, *([self.suffix] if self.suffix else [])])


def _words(text: str) -> list[str]:
    spaced = _SEPARATOR.sub(" ", text.replace(".", ". "))
    return [w.strip(_EDGE) for w in spaced.split() if w.strip(_EDGE)]


def _given_tokens(words: list[str], name_has_lower: bool) -> tuple[str, ...]:
    tokens: list[str] = []
    for word in words:
        for part in (p for p in word.split("-") if p.strip(_APOSTROPHES)):
            if len(part) > 1 and _is_capitals(part, name_has_lower):
                tokens.extend(fold(letter) for letter in part)
            else:
                tokens.append(_key(part) or fold(part))
    return tuple(t for t in tokens if t)


def _split_family(words: list[str]) -> tuple[list[str], list[str]]:
    """(given words, family words): the last word and the particles right before it."""
    start = len(words) - 1
    while start > 1 and fold(words[start - 1]) in PARTICLES:
        start -= 1
    return words[:start], words[start:]


def _build(
    text: str,
    given_words: list[str],
    family_words: list[str],
    suffix: str | None,
    has_lower: bool,
) -> ParsedName:
    particles: list[str] = []
    core = list(family_words)
    while len(core) > 1 and fold(core[0]) in PARTICLES:
        particles.append(fold(core.pop(0)))
    return ParsedName(
        text=text,
        given=_given_tokens(given_words, has_lower),
        family=" ".join(family_words),
        family_key="".join(_key(w) for w in core),
        particles=tuple(particles),
        suffix=suffix,
    )


def name_readings(name: str) -> tuple[ParsedName, ...]:
    """The ways to read a printed name: the usual one first, then (for three or more words
    ending in two full words) the last two as a compound family name."""
    text = " ".join(unicodedata.normalize("NFC", name).split())
    compatible = unicodedata.normalize("NFKC", text)  # read as its letters: ﬁ is fi, ¼ is 1⁄4
    has_lower = any(c.islower() for c in compatible)
    suffix: str | None = None
    parts = [p for p in compatible.split(",") if _words(p)]
    while len(parts) > 1 and _key(parts[-1]) in SUFFIXES:
        suffix = _key(parts.pop())
    if len(parts) == 2:  # "Family, Given"
        family_words, given_words = _words(parts[0]), _words(parts[1])
        return (_build(text, given_words, family_words, suffix, has_lower),)
    words = _words(" ".join(parts))
    if len(words) > 2 and _key(words[-1]) in SUFFIXES:
        suffix = _key(words.pop())
    trailing = len(words)
    while trailing > 0 and _is_capitals(words[trailing - 1], has_lower):
        trailing -= 1
    if 0 < trailing < len(words) and not _is_capitals(words[0], has_lower):  # "Hoffman MW"
        given = [letter for w in words[trailing:] for letter in w]
        return (_build(text, given, words[:trailing], suffix, has_lower),)
    if not words:
        return (ParsedName(text=text, given=(), family="", family_key="", suffix=suffix),)
    given_words, family_words = _split_family(words)
    first = _build(text, given_words, family_words, suffix, has_lower)
    last = given_words[-1] if given_words else ""
    if len(family_words) == 1 and len(last) > 1 and not _is_capitals(last, has_lower):
        compound = _build(
            text, given_words[:-1], given_words[-1:] + family_words, suffix, has_lower
        )
        if compound.given and compound.family_key != first.family_key:
            return (first, compound)
    return (first,)


def parse_name(name: str) -> ParsedName:
    """The usual reading of a printed name."""
    return name_readings(name)[0]


def normalise_name(name: str) -> str:
    """The folded normal form of a printed name ("Matthew W. Hoffman" -> "matthew w hoffman");
    idempotent, and never raises."""
    return parse_name(name).normal


def block_keys(reading: ParsedName) -> frozenset[tuple[str, str]]:
    """(family key, first letter) blocks a reading falls in; nicknames add the first letters of
    their formal names (Bill also blocks under W), so compatible names always share a block."""
    if not reading.family_key or not reading.given:
        return frozenset({(reading.family_key, "")}) if reading.family_key else frozenset()
    first = reading.given[0]
    letters = {first[0]} | {name[0] for name in related_names(first)}
    return frozenset((reading.family_key, letter) for letter in letters)


class Agreement(StrEnum):
    """How two given names agree."""

    SAME = "same"  # Matthew / Matthew
    NICKNAME = "nickname"  # Matt / Matthew
    INITIAL = "initial"  # M. / Matthew
    INITIALS = "initials"  # M. / M.


def agreement(first: str, second: str) -> Agreement | None:
    """How two folded given names agree, None when they do not."""
    if first == second:
        return Agreement.SAME if len(first) > 1 else Agreement.INITIALS
    if len(first) == 1 or len(second) == 1:
        if len(first) > 1 or len(second) > 1:
            full, initial = (first, second) if len(second) == 1 else (second, first)
            return Agreement.INITIAL if full[0] == initial else None
        return None
    return Agreement.NICKNAME if nickname_equivalent(first, second) else None


# match weights in bits (log2 of how much likelier the agreement is for one person than for
# two); scholarkg.people.candidates adds them to the evidence from the graph
FIRST_NAME_BITS = {
    Agreement.SAME: 3.0,
    Agreement.NICKNAME: 2.0,
    Agreement.INITIAL: 1.0,
    Agreement.INITIALS: 0.5,
}
MIDDLE_NAME_BITS = {
    Agreement.SAME: 1.0,
    Agreement.NICKNAME: 0.75,
    Agreement.INITIAL: 0.5,
    Agreement.INITIALS: 0.5,
}
MISSING_MIDDLE_BITS = -0.5
PARTICLE_MISMATCH_BITS = -0.5


class NameMatch(Record):
    """Why two printed names may be one person's: the agreement of their parts, and its weight."""

    family_key: str  # the folded family name the two share
    first: Agreement | None  # None for two names without given names (one word each)
    middles: tuple[Agreement, ...] = ()  # agreeing middle names
    missing_middles: int = 0  # middle names only one of the two has
    particles_differ: bool = False
    weight: float  # bits
    detail: str


def _describe(a: ParsedName, b: ParsedName, match: NameMatch) -> str:
    parts = []
    if a.given and b.given:
        first_a, first_b = a.given[0], b.given[0]
        shown = f"{first_a} / {first_b}" if first_a != first_b else first_a
        parts.append(f"first name {shown} ({match.first})")
    parts += [f"middle name ({kind})" for kind in match.middles]
    if match.missing_middles:
        plural = "s" if match.missing_middles > 1 else ""
        parts.append(f"{match.missing_middles} middle name{plural} on one side only")
    if fold(a.family) == fold(b.family):
        parts.append(f"family name {a.family}")
    else:
        parts.append(f"family names {a.family} / {b.family}")
    return "; ".join(parts)


def _match_readings(a: ParsedName, b: ParsedName) -> NameMatch | None:
    if not a.family_key or a.family_key != b.family_key:
        return None
    if a.suffix and b.suffix and a.suffix != b.suffix:
        return None  # Jr and Sr are two people
    if not a.given or not b.given:
        if a.given or b.given:
            return None  # a bare family name says too little
        match = NameMatch(family_key=a.family_key, first=None, weight=0.0, detail="")
        return match.model_copy(update={"detail": _describe(a, b, match)})
    first = agreement(a.given[0], b.given[0])
    if first is None:
        return None
    short, long = sorted((a.given[1:], b.given[1:]), key=len)
    middles: list[Agreement] = []
    position = 0
    for token in short:  # in order, each to the earliest agreeing one (optimal for subsequences)
        found: Agreement | None = None
        while position < len(long) and found is None:
            found = agreement(token, long[position])
            position += 1
        if found is None:
            return None
        middles.append(found)
    missing = len(long) - len(short)
    particles_differ = a.particles != b.particles
    weight = FIRST_NAME_BITS[first] + sum(MIDDLE_NAME_BITS[m] for m in middles)
    weight += missing * MISSING_MIDDLE_BITS + (PARTICLE_MISMATCH_BITS if particles_differ else 0)
    match = NameMatch(
        family_key=a.family_key,
        first=first,
        middles=tuple(middles),
        missing_middles=missing,
        particles_differ=particles_differ,
        weight=weight,
        detail="",
    )
    return match.model_copy(update={"detail": _describe(a, b, match)})


def compare_names(first: str, second: str) -> NameMatch | None:
    """How two printed names can be one person's (the best of their readings), or None when
    they cannot: family names differ after folding, or given names disagree (not the same, not
    an initial of it, not a nickname of it), or both have middle names that disagree."""
    return compare_readings(name_readings(first), name_readings(second))


def compare_readings(
    first: tuple[ParsedName, ...], second: tuple[ParsedName, ...]
) -> NameMatch | None:
    """``compare_names`` on names already read."""
    best: NameMatch | None = None
    for a in first:
        for b in second:
            match = _match_readings(a, b)
            if match is not None and (best is None or match.weight > best.weight):
                best = match
    return best
