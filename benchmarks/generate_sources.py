"""Seeded generator of BibTeX files and arXiv API Atom feeds holding the same works as a listing.

For a seed and an entry count, ``generate_listing.generate(n, seed, web_format=True)`` gives the
works of an arXiv listing (title, authors, hidden author count, abstract, dates, arXiv id,
categories, comments, journal reference, DOI). This module writes the same works as the two
structured sources scholarkg reads:

* **BibTeX**, as dblp, Google Scholar or a reference manager export it. Names ``First Last``
  (55% of entries) or ``Last, First``; accented letters as dblp writes them (``{\\"{o}}``), in
  short form (``{\\"o}``) or as UTF-8; compound family names braced (``{De Luca}``), the
  collective author too (``{Orion Team}``); ``and others`` closing a list cut at 25 names.
  A work with a journal reference is an ``@article`` in that journal, one "Accepted at" a venue
  an ``@inproceedings`` there (an ``@article`` for TMLR, a journal); of the others, about a
  third become ``@inproceedings`` (some at workshops), a tenth journal ``@article`` and the rest
  dblp's CoRR preprints (``journal = {CoRR}, volume = {abs/ID}, eprint``) or arXiv's own
  ``@misc`` export. Published entries have pages and a DOI, some an ``eprint`` as well; in
  Scholar-style entries acronyms in titles are protected (``{RLHF}``); every entry has the
  abstract, with ``\\%`` for a percent sign.
* **Atom**, as arXiv's query API returns it: the opensearch and arxiv namespaces on the root,
  ``<id>`` with a version suffix (v1, or v2 to v6 for revised works), ``<published>`` (v1) and
  ``<updated>`` (the last version), title and summary wrapped as the API wraps them, links,
  ``arxiv:doi``, ``arxiv:comment``, ``arxiv:journal_ref``, ``arxiv:primary_category`` and the
  categories. The API lists every author, so by default the hidden authors of a cut list are
  named too (drawn from the listing generator's name pool, the subject among them where the
  listing hid it); ``atom_authors="shown"`` keeps only the names the listing shows. Some works
  give affiliations.

Choices that the listing does not fix (entry style, venue, pages, versions, affiliations, hidden
names) come from random streams of their own, so the works stay the listing's. Streaming and
deterministic, as ``generate_listing``: the same seed and count give byte-identical files.

    python benchmarks/generate_sources.py --entries 1000 --bibtex works.bib --atom works.atom
    python benchmarks/generate_sources.py --entries 10000 --check   # read back by scholarkg
"""

from __future__ import annotations

import argparse
import bisect
import re
import sys
import tempfile
import textwrap
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from generate_listing import (
    COLLECTIVE,
    JOURNALS,
    SUBJECT,
    VENUES,
    ZIPF_EXPONENT,
    GroundTruth,
    _zipf_cumulative,
    generate,
    name_pool,
)
from scholarkg.errors import ParseError
from scholarkg.sources import arxiv_atom, bibtex

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ATOM_AUTHORS = ("all", "shown")

# combining marks -> the LaTeX accent command that puts them on a letter
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
}
_SYMBOL_ACCENTS = frozenset("`'^~=.\"")  # \'e needs no braces; \c{c} and \v{r} take an argument
# letters with no decomposition: their own LaTeX commands
_LETTERS = {
    "ø": "\\o",
    "Ø": "\\O",
    "ł": "\\l",
    "Ł": "\\L",
    "ı": "\\i",
    "ß": "\\ss",
    "æ": "\\ae",
    "Æ": "\\AE",
    "þ": "\\th",
    "Þ": "\\TH",
    "đ": "\\dj",
    "Đ": "\\DJ",
}
_LATEX_SPECIAL = re.compile(r"([%&$#_])")
_ACRONYM = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*s?\b")
_JOURNAL_REF = re.compile(r"^(?P<journal>.+) (?P<volume>\d+) \((?P<year>\d{4})\)$")
_ACCEPTED = re.compile(r"^Accepted at (?P<venue>\S+) (?P<year>\d{4})$")
_KEY_WORD = re.compile(r"[A-Za-z]+")

CONFERENCES = {
    "NeurIPS": "Advances in Neural Information Processing Systems",
    "ICML": "Proceedings of the International Conference on Machine Learning",
    "ICLR": "The Twelfth International Conference on Learning Representations",
    "ACL": "Proceedings of the Annual Meeting of the Association for Computational Linguistics",
    "EMNLP": "Proceedings of the Conference on Empirical Methods in Natural Language Processing",
    "AAAI": "Proceedings of the AAAI Conference on Artificial Intelligence",
    "CoRL": "Conference on Robot Learning",
    "AAMAS": "Proceedings of the International Conference on Autonomous Agents and "
    "Multiagent Systems",
}
# what the listing's comments accept papers at that is a journal, not a conference
JOURNAL_VENUES = {"TMLR": "Transactions on Machine Learning Research"}
_CONFERENCE_KEYS = [venue for venue in VENUES if venue in CONFERENCES]
WORKSHOPS = [
    "NeurIPS Workshop on Deep Reinforcement Learning",
    "ICML Workshop on Foundation Models for Decision Making",
    "RLC@ICML",
    "ICLR Workshop on Reliable and Responsible Foundation Models",
]
AFFILIATIONS = [
    "Google DeepMind",
    "University of Oxford",
    "Mila - Quebec AI Institute",
    "Université Paris-Saclay, CNRS",
    "ETH Zürich",
    "Tsinghua University",
    "Carnegie Mellon University",
    "University of Tokyo",
    "Inria",
    "Max Planck Institute for Intelligent Systems",
    "University of Cape Town",
    "Universidade de São Paulo",
]
ARXIV_TIMES = [f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in ((17, 59, 59), (13, 2, 11), (9, 30, 0))]


# -- LaTeX ------------------------------------------------------------------------------------


def latex_letters(text: str, style: str) -> str:
    """Non-ASCII letters as LaTeX commands: ``dblp`` (``{\\"{o}}``), ``short`` (``{\\"o}``) or
    ``utf8`` (left as they are)."""
    if style == "utf8" or text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _LETTERS:
            out.append("{" + _LETTERS[char] + "}")
        else:
            base, *marks = unicodedata.normalize("NFD", char)
            command = base
            for mark in marks:  # innermost first: ễ is e, circumflex, then tilde
                accent = _ACCENTS[mark]
                short = style == "short" and accent in _SYMBOL_ACCENTS and len(command) == 1
                command = f"\\{accent}{command}" if short else f"\\{accent}{{{command}}}"
            out.append("{" + command + "}")
    return "".join(out)


def latex_text(text: str) -> str:
    """Plain text as a BibTeX field value: special characters escaped, paragraphs kept."""
    return _LATEX_SPECIAL.sub(r"\\\1", text).replace("\n", "\n\n")


def bibtex_name(name: str, *, inverted: bool, style: str) -> str:
    """An author as BibTeX writes one: ``First Last`` or ``Last, First``; a collective author
    and a capitalised compound family name (``De Luca``) braced so BibTeX keeps them whole."""
    if name == COLLECTIVE:
        return "{" + name + "}"
    words = name.split()
    # the family name: the last word, with lower-case particles (van der, da) or a capitalised
    # particle (De) before it
    start = len(words) - 1
    while start > 1 and words[start - 1].islower():
        start -= 1
    if start > 1 and words[start - 1] in ("De", "Van", "Da", "Le"):
        start -= 1
    given, family = " ".join(words[:start]), " ".join(words[start:])
    family_text = latex_letters(family, style)
    if family[:1].isupper() and " " in family:
        family_text = "{" + family_text + "}"
    given_text = latex_letters(given, style)
    return f"{family_text}, {given_text}" if inverted else f"{given_text} {family_text}"


def _letters(number: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa: a key's suffix among keys of the same base."""
    out = ""
    while number:
        number, digit = divmod(number - 1, 26)
        out = chr(ord("a") + digit) + out
    return out


# -- one work in each format ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Work:
    """One work in the three formats, with what the listing generator says it is."""

    listing: str
    bibtex: str
    atom: str
    truth: GroundTruth
    atom_authors: tuple[str, ...]


class _Writer:
    """The random streams of the choices a listing leaves open, one per format."""

    def __init__(self, seed: int, atom_authors: str) -> None:
        if atom_authors not in ATOM_AUTHORS:
            raise ValueError(f"atom_authors is one of {ATOM_AUTHORS}, not {atom_authors!r}")
        self.bib_rng = Random(f"bibtex-{seed}")
        self.atom_rng = Random(f"atom-{seed}")
        self.all_authors = atom_authors == "all"
        self.pool = name_pool(seed)
        self.cumulative = _zipf_cumulative(len(self.pool), ZIPF_EXPONENT)
        self.keys: set[str] = set()
        self.key_counts: dict[str, int] = {}

    # -- BibTeX -------------------------------------------------------------------------------

    def bibtex(self, truth: GroundTruth) -> str:
        rng = self.bib_rng
        arxiv_id = truth.arxiv_id or ""
        style = rng.choices(("dblp", "scholar", "manager"), (50, 30, 20))[0]
        letters = {"dblp": "dblp", "scholar": "short", "manager": "utf8"}[style]
        inverted = rng.random() < 0.45
        names = [bibtex_name(n, inverted=inverted, style=letters) for n in truth.authors]
        if truth.hidden_authors:
            names.append("others")
        title = truth.title
        if style == "scholar":
            title = _ACRONYM.sub(lambda m: "{" + m[0] + "}", title)
        fields: list[tuple[str, str]] = [
            ("author", " and ".join(names)),
            ("title", latex_text(title)),
        ]
        year = truth.first_submitted.year
        kind, venue = self.venue(truth)
        published = kind != "preprint"
        if kind == "article":
            journal, volume, year = venue
            fields += [("journal", journal), ("volume", volume)]
        elif kind == "inproceedings":
            fields.append(("booktitle", venue[0]))
            year = int(venue[1])
        else:
            fields += [("journal", "CoRR"), ("volume", f"abs/{arxiv_id}")]
        if published:
            first = rng.randint(1, 900)
            fields.append(("pages", f"{first}--{first + rng.randint(5, 30)}"))
        fields.append(("year", str(year)))
        doi = truth.doi
        if published and doi is None:
            doi = f"10.{rng.randint(1000, 9999)}/{style}.{year}.{truth.index:06d}"
        if doi is not None:
            fields.append(("doi", doi))
        if not published or rng.random() < 0.3:
            if style == "dblp":
                fields += [("eprinttype", "arXiv"), ("eprint", arxiv_id)]
            else:
                fields += [("eprint", arxiv_id), ("archivePrefix", "arXiv")]
                if truth.categories:
                    fields.append(("primaryClass", truth.categories[0]))
        fields.append(("url", f"https://arxiv.org/abs/{arxiv_id}"))
        fields.append(("abstract", latex_text(truth.abstract)))
        entry_type = "article" if kind in ("article", "preprint") else "inproceedings"
        if kind == "preprint" and style != "dblp":
            entry_type = "misc"
            fields = [f for f in fields if f[0] not in ("journal", "volume")]
        key = self.key(truth, style, kind)
        body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields)
        return f"@{entry_type}{{{key},\n{body}\n}}\n\n"

    def venue(self, truth: GroundTruth) -> tuple[str, tuple[str, ...]]:
        """The kind of entry and where it appeared: ("article", (journal, volume, year)),
        ("inproceedings", (booktitle, year)) or ("preprint", ())."""
        rng = self.bib_rng
        if truth.journal_ref and (found := _JOURNAL_REF.match(truth.journal_ref)):
            return "article", (found["journal"], found["volume"], found["year"])
        if truth.comments and (found := _ACCEPTED.match(truth.comments)):
            venue = found["venue"]
            if venue in JOURNAL_VENUES:
                volume = str(rng.randint(1, 12))
                return "article", (JOURNAL_VENUES[venue], volume, found["year"])
            return "inproceedings", (CONFERENCES[venue], found["year"])
        draw = rng.random()
        year = str(truth.announced[0] + rng.randint(0, 1))
        if draw < 0.28:
            return "inproceedings", (CONFERENCES[rng.choice(_CONFERENCE_KEYS)], year)
        if draw < 0.35:
            return "inproceedings", (rng.choice(WORKSHOPS), year)
        if draw < 0.45:
            return "article", (rng.choice(JOURNALS), str(rng.randint(1, 60)), year)
        return "preprint", ()

    def key(self, truth: GroundTruth, style: str, kind: str) -> str:
        """A citation key in the style of its exporter, unique in the file."""
        first = truth.authors[0]
        family = _KEY_WORD.findall(unicodedata.normalize("NFKD", first.split()[-1]))
        family_key = "".join(family) or "anon"
        word = _KEY_WORD.findall(truth.title)[0].lower()
        year = truth.first_submitted.year
        if style == "dblp":
            if kind == "preprint":
                key = f"DBLP:journals/corr/abs-{(truth.arxiv_id or '').replace('.', '-')}"
            else:
                key = f"DBLP:conf/ml/{family_key}{year % 100:02d}"
        else:
            key = f"{family_key.lower()}{year}{word}"
        base = key
        while key in self.keys:  # dblp's and BibTeX's way: Chen24, Chen24a, Chen24b, ...
            count = self.key_counts.get(base, 0) + 1
            self.key_counts[base] = count
            key = base + _letters(count)
        self.keys.add(key)
        return key

    # -- Atom ---------------------------------------------------------------------------------

    def atom_names(self, truth: GroundTruth) -> tuple[str, ...]:
        """Every author in order, as the API lists them: the shown ones, then the hidden ones
        (named from the pool, the subject among them when the listing hid it)."""
        if not self.all_authors or not truth.hidden_authors:
            return truth.authors
        rng = self.atom_rng
        seen = set(truth.authors)
        hidden: list[str] = []
        wanted = truth.hidden_authors - (1 if truth.subject_hidden else 0)
        while len(hidden) < wanted:
            name = self.pool[
                bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
            ]
            if name not in seen:
                seen.add(name)
                hidden.append(name)
        if truth.subject_hidden:
            hidden.insert(rng.randint(0, len(hidden)), SUBJECT)
        return (*truth.authors, *hidden)

    def atom(self, truth: GroundTruth, names: tuple[str, ...]) -> str:
        rng = self.atom_rng
        version = 1
        if truth.revised:
            version = rng.choices((2, 3, 4, 5, 6), (70, 20, 6, 3, 1))[0]
        ident = f"{truth.arxiv_id}v{version}"
        published = f"{truth.first_submitted.isoformat()}T{rng.choice(ARXIV_TIMES)}Z"
        updated = published
        if truth.revised:
            updated = f"{truth.last_submitted.isoformat()}T{rng.choice(ARXIV_TIMES)}Z"
        title = "\n  ".join(
            textwrap.wrap(truth.title, 72, break_on_hyphens=False, break_long_words=False)
        )
        summary = "\n".join(
            textwrap.fill(
                paragraph,
                78,
                initial_indent="  ",
                break_on_hyphens=False,
                break_long_words=False,
            )
            for paragraph in truth.abstract.split("\n")
        )
        lines = [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{ident}</id>",
            f"    <updated>{updated}</updated>",
            f"    <published>{published}</published>",
            f"    <title>{escape(title)}</title>",
            f"    <summary>{escape(summary)}\n</summary>",
        ]
        with_affiliations = rng.random() < 0.2
        for name in names:
            lines.append("    <author>")
            lines.append(f"      <name>{escape(name)}</name>")
            if with_affiliations and rng.random() < 0.7:
                for affiliation in rng.sample(AFFILIATIONS, rng.choice((1, 1, 1, 2))):
                    lines.append(
                        f"      <arxiv:affiliation>{escape(affiliation)}</arxiv:affiliation>"
                    )
            lines.append("    </author>")
        if truth.doi:
            lines.append(f"    <arxiv:doi>{escape(truth.doi)}</arxiv:doi>")
            doi_href = quoteattr(f"http://dx.doi.org/{truth.doi}")
            lines.append(f'    <link title="doi" href={doi_href} rel="related"/>')
        abs_href = quoteattr(f"http://arxiv.org/abs/{ident}")
        pdf_href = quoteattr(f"http://arxiv.org/pdf/{ident}")
        lines.append(f'    <link href={abs_href} rel="alternate" type="text/html"/>')
        lines.append(
            f'    <link title="pdf" href={pdf_href} rel="related" type="application/pdf"/>'
        )
        if truth.comments:
            lines.append(f"    <arxiv:comment>{escape(truth.comments)}</arxiv:comment>")
        if truth.journal_ref:
            lines.append(f"    <arxiv:journal_ref>{escape(truth.journal_ref)}</arxiv:journal_ref>")
        scheme = quoteattr(ARXIV_NS)
        if truth.categories:
            primary = quoteattr(truth.categories[0])
            lines.append(f"    <arxiv:primary_category term={primary} scheme={scheme}/>")
        for code in truth.categories:
            lines.append(f"    <category term={quoteattr(code)} scheme={scheme}/>")
        lines.append("  </entry>")
        return "\n".join(lines) + "\n"


def generate_works(entries: int, seed: int = 1, *, atom_authors: str = "all") -> Iterator[Work]:
    """Each work of ``generate_listing.generate(entries, seed, web_format=True)`` in the three
    formats, streamed in listing order (newest first)."""
    writer = _Writer(seed, atom_authors)
    for text, truth in generate(entries, seed, web_format=True):
        names = writer.atom_names(truth)
        yield Work(text, writer.bibtex(truth), writer.atom(truth, names), truth, names)


def atom_head(entries: int, seed: int) -> str:
    """The feed's opening, as the API answers a query for ``entries`` results at once."""
    query = f"search_query=all:synthetic&amp;id_list=&amp;start=0&amp;max_results={entries}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<feed xmlns="{ATOM_NS}" xmlns:opensearch="{OPENSEARCH_NS}" xmlns:arxiv="{ARXIV_NS}">\n'
        f"  <id>https://arxiv.org/api/synthetic-{entries}-seed{seed}</id>\n"
        f"  <title>arXiv Query: {query}</title>\n"
        "  <updated>2026-01-01T00:00:00Z</updated>\n"
        f'  <link href="https://arxiv.org/api/query?{query}" type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{entries}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{entries}</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
    )


ATOM_TAIL = "</feed>\n"


def write_sources(
    entries: int,
    seed: int = 1,
    *,
    listing: TextIO | None = None,
    bibtex: TextIO | None = None,
    atom: TextIO | None = None,
    atom_authors: str = "all",
) -> dict[str, int]:
    """Write the works to any of the three streams at once; counts of entries and names."""
    if atom is not None:
        atom.write(atom_head(entries, seed))
    counts = {"entries": 0, "listing_names": 0, "bibtex_names": 0, "atom_names": 0}
    for work in generate_works(entries, seed, atom_authors=atom_authors):
        if listing is not None:
            listing.write(work.listing)
        if bibtex is not None:
            bibtex.write(work.bibtex)
        if atom is not None:
            atom.write(work.atom)
        counts["entries"] += 1
        counts["listing_names"] += len(work.truth.authors)
        counts["bibtex_names"] += len(work.truth.authors)
        counts["atom_names"] += len(work.atom_authors)
    if atom is not None:
        atom.write(ATOM_TAIL)
    return counts


# -- reading back -----------------------------------------------------------------------------


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def check(
    entries: int, seed: int, bibtex_path: Path, atom_path: Path, *, atom_authors: str = "all"
) -> list[str]:
    """Read both files back with scholarkg's readers and compare each work with what the
    generator wrote; the differences (at most 20), none when the files say what they should."""
    problems: list[str] = []

    def differ(where: str, what: str, got: object, want: object) -> None:
        if got != want and len(problems) < 20:
            problems.append(f"{where}: {what}: read {got!r}, wrote {want!r}")

    works = generate_works(entries, seed, atom_authors=atom_authors)
    readers = zip(bibtex.iter_records(bibtex_path), arxiv_atom.iter_records(atom_path), strict=True)
    for work, (bib, feed) in zip(works, readers, strict=True):
        truth = work.truth
        for fmt, record in (("bibtex", bib), ("atom", feed)):
            where = f"{fmt} entry {truth.index}"
            if isinstance(record, ParseError):
                problems.append(f"{where}: {record.message}")
                continue
            differ(where, "title", record.title, truth.title)
            differ(where, "abstract", _flat(record.abstract), _flat(truth.abstract))
            names = truth.authors if fmt == "bibtex" else work.atom_authors
            differ(where, "authors", tuple(a.display for a in record.authors), names)
            differ(where, "arxiv_id", record.arxiv_id, truth.arxiv_id)
        if isinstance(bib, ParseError) or isinstance(feed, ParseError):
            continue
        where = f"entry {truth.index}"
        differ(f"bibtex {where}", "hidden", bib.hidden_authors, min(truth.hidden_authors, 1))
        if truth.doi:
            differ(f"bibtex {where}", "doi", bib.doi, truth.doi.lower())
            differ(f"atom {where}", "doi", feed.doi, truth.doi.lower())
        differ(f"atom {where}", "published", feed.published, truth.first_submitted)
        differ(f"atom {where}", "updated", feed.updated, truth.last_submitted)
        differ(f"atom {where}", "categories", feed.categories, truth.categories)
        differ(f"atom {where}", "comments", feed.comments, truth.comments)
        differ(f"atom {where}", "journal_ref", feed.journal_ref, truth.journal_ref)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write any of the three files, or check that scholarkg reads them back."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", "-n", type=int, default=1000, help="entries (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--bibtex", type=Path, help="BibTeX file to write")
    parser.add_argument("--atom", type=Path, help="Atom feed to write")
    parser.add_argument("--listing", type=Path, help="the same works as a web-format listing")
    parser.add_argument(
        "--atom-authors",
        choices=ATOM_AUTHORS,
        default="all",
        help="all: name the listing's hidden authors too, as the API does (default); shown: not",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write both files to a temporary folder and compare what scholarkg reads back",
    )
    args = parser.parse_args(argv)
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    if args.check:
        with tempfile.TemporaryDirectory(prefix="scholarkg-sources-") as tmp:
            bib, feed = Path(tmp) / "works.bib", Path(tmp) / "works.atom"
            with (
                bib.open("w", encoding="utf-8", newline="\n") as bib_out,
                feed.open("w", encoding="utf-8", newline="\n") as feed_out,
            ):
                write_sources(
                    args.entries,
                    args.seed,
                    bibtex=bib_out,
                    atom=feed_out,
                    atom_authors=args.atom_authors,
                )
            problems = check(args.entries, args.seed, bib, feed, atom_authors=args.atom_authors)
        for problem in problems:
            print(problem)
        print(f"{args.entries:,} works: {len(problems)} difference(s) shown")
        return 1 if problems else 0
    targets = {"listing": args.listing, "bibtex": args.bibtex, "atom": args.atom}
    if not any(targets.values()):
        parser.error("name at least one of --bibtex, --atom, --listing (or --check)")
    handles = {
        name: path.open("w", encoding="utf-8", newline="\n")
        for name, path in targets.items()
        if path is not None
    }
    try:
        write_sources(args.entries, args.seed, atom_authors=args.atom_authors, **handles)
    finally:
        for handle in handles.values():
            handle.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
