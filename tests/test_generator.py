"""The benchmark's listing generator: deterministic, and read back exactly by scholarkg's parser."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scholarkg import vocab as v
from scholarkg.concepts import ConceptTagger
from scholarkg.errors import ParseError
from scholarkg.iris import IriMinter
from scholarkg.mapping import ListingMapper
from scholarkg.pipeline import LISTING_FORMAT, iter_listing
from scholarkg.records import ListingEntry, SourceInfo
from scholarkg.vocab import DEFAULT_BASE

GENERATOR = Path(__file__).resolve().parents[1] / "benchmarks" / "generate_listing.py"


def _load_generator() -> ModuleType:
    # benchmarks/ is not a package: load the script by path (registered first, as dataclasses
    # look their module up in sys.modules)
    spec = importlib.util.spec_from_file_location("generate_listing", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _write(tmp_path: Path, n: int, seed: int, *, web_format: bool) -> tuple[Path, list[Any]]:
    path = tmp_path / f"listing-{n}-{seed}-{web_format}.txt"
    truths = []
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for text, truth in gen.generate(n, seed, web_format=web_format):
            out.write(text)
            truths.append(truth)
    return path, truths


def _read(path: Path) -> list[ListingEntry]:
    skipped: list[ParseError] = []
    entries = list(iter_listing(path, lenient=True, skipped=skipped))
    assert [e.message for e in skipped] == []
    return entries


@pytest.mark.parametrize("web_format", [False, True])
def test_same_seed_same_bytes(web_format: bool) -> None:
    first = "".join(text for text, _ in gen.generate(100, 7, web_format=web_format))
    again = "".join(text for text, _ in gen.generate(100, 7, web_format=web_format))
    other = "".join(text for text, _ in gen.generate(100, 8, web_format=web_format))
    assert first == again
    assert first != other


def test_command_line_writes_what_generate_yields(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert gen.main(["--entries", "40", "--seed", "3", "--web-format", "-o", str(target)]) == 0
    expected = "".join(text for text, _ in gen.generate(40, 3, web_format=True))
    assert target.read_bytes() == expected.encode("utf-8")


@pytest.mark.parametrize("web_format", [False, True])
def test_parser_reads_back_the_ground_truth(tmp_path: Path, web_format: bool) -> None:
    path, truths = _write(tmp_path, 250, 11, web_format=web_format)
    entries = _read(path)
    assert len(entries) == len(truths) == 250
    for entry, truth in zip(entries, truths, strict=True):
        assert entry.title == truth.title
        assert entry.authors == truth.authors
        assert entry.hidden_authors == truth.hidden_authors
        assert entry.abstract == truth.abstract  # the full text, never the teaser
        assert entry.first_submitted == truth.first_submitted
        assert entry.last_submitted == truth.last_submitted
        assert entry.revised == truth.revised
        assert entry.announced is not None
        assert (entry.announced.year, entry.announced.month) == truth.announced
        assert entry.arxiv_id == truth.arxiv_id
        assert entry.categories == truth.categories
        assert entry.comments == truth.comments
        assert entry.journal_ref == truth.journal_ref
        assert entry.doi == (truth.doi.lower() if truth.doi else None)
    if web_format:
        assert all(t.arxiv_id for t in truths)
        assert any(t.doi for t in truths) and any(t.comments for t in truths)


def test_listing_looks_like_arxiv() -> None:
    truths = [truth for _, truth in gen.generate(1500, 5)]
    # about 40% revised, v1 always earlier; announced in v1's month, or the next on a last day
    revised = [t for t in truths if t.revised]
    assert 0.3 < len(revised) / len(truths) < 0.5
    assert all(t.first_submitted < t.last_submitted for t in revised)
    assert all(t.first_submitted == t.last_submitted for t in truths if not t.revised)
    for t in truths:
        day = t.first_submitted
        month = (day.year, day.month)
        next_month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        last_day = gen._is_last_day(day)
        assert t.announced == (next_month if last_day else month)
    # newest first
    dates = [t.first_submitted for t in truths]
    assert dates == sorted(dates, reverse=True)
    # author lists: mostly 2-8, some cut at 25 with hidden authors, the subject everywhere
    declared = Counter(len(t.authors) + t.hidden_authors for t in truths)
    assert sum(declared[k] for k in range(2, 9)) / len(truths) > 0.7
    cut = [t for t in truths if t.hidden_authors]
    assert cut and all(len(t.authors) == 25 for t in cut)
    assert max(t.hidden_authors for t in cut) >= 100
    assert all(gen.SUBJECT in t.authors for t in truths if not t.subject_hidden)
    assert all(t.hidden_authors for t in truths if t.subject_hidden)
    assert any(t.subject_hidden for t in truths)
    assert any(gen.COLLECTIVE in t.authors for t in truths)
    for t in truths:
        keys = [gen.name_key(a) for a in t.authors]
        assert len(keys) == len(set(keys)), t.authors
    # Zipf: a few authors are frequent, most are rare
    counts = Counter(a for t in truths for a in t.authors if a != gen.SUBJECT)
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[0] > 20 * ranked[len(ranked) // 2]
    assert any(not a.isascii() for a in counts) and any("-" in a for a in counts)
    # unique titles, some short abstracts without a teaser, some in two paragraphs
    assert len({t.title for t in truths}) == len(truths)
    assert any(len(t.abstract) <= gen.TEASER_CHARS for t in truths)
    assert any("\n" in t.abstract for t in truths)


@pytest.mark.parametrize("given", [True, False])
def test_subject_credited_on_every_paper(
    tmp_path: Path, tagger: ConceptTagger, given: bool
) -> None:
    path, truths = _write(tmp_path, 150, 2, web_format=False)
    assert any(t.subject_hidden for t in truths)
    info = SourceInfo(
        source_id="generated",
        file_name=path.name,
        source_format=LISTING_FORMAT,
        sha256="0" * 64,
        subject=gen.SUBJECT if given else None,
    )
    minter = IriMinter(DEFAULT_BASE)
    mapper = ListingMapper(info, minter, tagger)
    triples = list(mapper.map_all(_read(path)))
    assert mapper.subject == gen.SUBJECT  # detected when not given
    person = minter.person(gen.SUBJECT)
    credited = {t.subject for t in triples if t.predicate == v.CREATOR and t.object == person}
    assert len(credited) == 150
    assert any(t.predicate == v.HAS_CONCEPT for t in triples)
