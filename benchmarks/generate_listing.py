"""Seeded generator of realistic arXiv author listings, in the text format scholarkg reads.

The output looks like ``data/arxiv-listing-ferret.txt`` (``-`` opens each entry) or, with
``--web-format``, like arXiv's web listing (``arXiv:2507.01234 [pdf, other]`` and subject codes,
sometimes ``Comments:``, ``Journal ref:`` and ``DOI:`` lines). What makes it realistic:

* authors drawn Zipf-distributed from a fixed pool of 60,000 names (accented, hyphenated, with
  middle initials), plus one collective author ("Orion Team") heading some large papers;
* heavy-tailed author lists: mostly 2 to 8 names, a few single authors, some 9 to 25, and about
  5% cut at 25 names with ``, et al. (N additional authors not shown)``, N up to thousands;
* one listing subject (``SUBJECT``) in every entry: shown in every complete author list, and
  sometimes hidden among the "additional authors" of a cut one;
* titles and abstracts built from a machine-learning vocabulary (reinforcement learning, RLHF,
  distillation, model merging, ...) so concept tagging has work to do; unique titles (each names
  its own system); abstracts over 400 characters shown as a teaser cut with "…", then
  ``▽ More``, the full text (sometimes two paragraphs), ``△ Less``, as arXiv does;
* newest first; about 40% of entries revised (``v1 submitted`` earlier than the last
  submission); ``originally announced`` in v1's month, or the next one when v1 is on a month's
  last day.

Streaming: entries are produced one at a time with constant memory, so 100k or 1M entries are
fine. Deterministic: the same seed and entry count give byte-identical output.

    python benchmarks/generate_listing.py --entries 10000 --seed 1 -o listing.txt
    python benchmarks/generate_listing.py --entries 50 --web-format | less
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import functools
import io
import itertools
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import TextIO

SUBJECT = "Maëlle Okonkwo-Ferrand"
COLLECTIVE = "Orion Team"
POOL_SIZE = 60_000
ZIPF_EXPONENT = 0.9
MAX_SHOWN = 25
TEASER_CHARS = 400
FIRST_V1 = dt.date(2015, 1, 1)
LAST_V1 = dt.date(2025, 6, 30)
LAST_REVISION = dt.date(2025, 12, 31)
MONTHS = (
    "January February March April May June July August September October November December"
).split()

GIVEN = """
Aaron Abebe Adaeze Ahmed Aiko Aishwarya Akira Alejandro Alexandre Alicia Amara Amir Ana Anders
Andrea Anna Anton Arjun Astrid Aylin Bao Beatriz Benjamin Björn Bogdan Camille Carlos Catalina
Chiara Chloé Cían Daniel Daniela Dara David Deepa Diego Dmitri Elena Elif Emeka Emma Eszter Fatima
Felix Fernando François Gabriel Gaël Giulia Hana Hannah Hiroshi Hugo Ibrahim Inès Ioana Irina
Isabel Ivan Jakub Javier Jérôme Ji-woo Jin Joana João Jonas Jorge José Julia Julien Kai Karim
Kasia Kenji Kofi Laila Lars Léa Léonard Lin Lucas Luis Maja Malik Manon Marco María Marta Mateo
Matthieu Mei Mehmet Mia Michał Mikhail Min-jun Nadia Naveen Nia Niklas Noor Olga Omar Oren Pablo
Paolo Priya Rafael Raphaël Ravi Renée Rohan Ruth Sabela Saanvi Sakura Samuel Sandra Santiago Sara
Sebastián Sergey Shreya Siddharth Sofia Søren Sung-min Taro Tatiana Thomas Tiago Tomás Valentina
Vikram Wei Xin Yasmin Yuki Yusuf Zeynep Zoë Anne-Marie Jean-Baptiste Jean-bastien Marie-Claire
Nan-Jiang Hyun-woo Ngozi Ólafur Ştefan Dagný
""".split()

FAMILY = [
    *"""
Abara Adeyemi Agarwal Aksoy Almeida Andersen Araújo Bahri Barth-Maron Becker Bernard Blondel
Bogdanov Brunner Castro Chaudhary Chen Costa Dąbrowski Dasgupta Delacroix Dubois Dvořák Eriksson
Esposito Fernández Ferreira Fischer Fontaine Gallo García Geist Goldberg Gonçalves Gupta Haddad
Hansen Hoffmann Horváth Ibrahim Ivanova Jansen Jiménez Kamau Kaplan Kato Kim Kowalski Kumar
Lambert Laurent Lefèvre Li Lindqvist Liu López Mahmoud Marchetti Martínez Mehta Meyer Moreau
Müller Nakamura Navarro Nguyen Nielsen Novák Nowak Okafor Oliveira Olsen Ortiz Papadopoulos Park
Pereira Petrov Pham Pietquin Popescu Quintero Rahman Ramírez Rao Reddy Richter Rivière Romano
Rossi Sánchez Santos Sato Schmidt Schneider Şahin Silva Singh Sokolov Stańczyk Suzuki Takahashi
Tanaka Tran Ueda Vasquez Vieillard Wagner Wang Weber Wójcik Xu Yamamoto Yılmaz Zhang Zhao
Zieliński García-López Dupont-Moretti Smith-Jones Al-Farsi Ben-David Øvergaard Nguyễn Þórsson
""".split(),
    "van der Berg",
    "De Luca",
    "da Silva",
]

# family names made of syllables, for a pool far larger than any list
_FAMILY_HEADS = (
    "Kor Val Mar Ten Bel Dor Sul Ran Hol Mik Zan Tor Lev Nor Ves Gal Pra Sem Fal Ost".split()
)
_FAMILY_MIDDLES = ["a", "e", "i", "o", "en", "ar", "il", ""]
_FAMILY_TAILS = (
    "nko ski son ova ini escu berg mann ez ides oglu enko stad sen ardi ović ley ton ier elli"
).split()

# -- vocabulary of titles and abstracts ---------------------------------------------------------

TOPICS = [
    "reinforcement learning",
    "deep reinforcement learning",
    "offline reinforcement learning",
    "inverse reinforcement learning",
    "multi-agent reinforcement learning",
    "model-based reinforcement learning",
    "reinforcement learning from human feedback",
    "RLHF",
    "credit assignment",
    "exploration",
    "intrinsic motivation",
    "imitation learning",
    "learning from demonstrations",
    "behavioral cloning",
    "actor-critic methods",
    "policy gradient methods",
    "Q-learning",
    "temporal difference learning",
    "reward modeling",
    "reward modelling",
    "reward hacking",
    "preference optimization",
    "direct preference optimization",
    "language models",
    "large language models",
    "LLM alignment",
    "instruction tuning",
    "knowledge distillation",
    "on-policy distillation",
    "model merging",
    "weight averaging",
    "model soups",
    "multimodal models",
    "vision-language models",
    "text-to-music generation",
    "summarization",
    "summarisation",
    "machine translation",
    "question answering",
    "benchmarks",
    "evaluation",
    "alignment",
    "AI safety",
    "chain-of-thought reasoning",
    "in-context learning",
    "mixture of experts",
    "retrieval-augmented generation",
    "transformers",
    "diffusion models",
    "world models",
    "continual learning",
    "transfer learning",
    "meta-learning",
    "curriculum learning",
    "self-supervised learning",
    "contrastive learning",
    "representation learning",
    "graph neural networks",
    "robot manipulation",
    "continuous control",
    "planning",
    "Monte Carlo tree search",
    "uncertainty estimation",
    "interpretability",
    "scaling laws",
    "long-context modeling",
    "code generation",
    "mathematical reasoning",
    "tool use",
    "LLM agents",
]
DOMAINS = (
    "healthcare|robotics|dialogue systems|software engineering|music|education|autonomous driving|"
    "medical imaging|recommendation|weather forecasting|chemistry|video games|Atari games|"
    "board games|finance|scientific discovery|multilingual settings|low-resource languages"
).split("|")
METHOD_NOUNS = (
    "framework|algorithm|method|objective|training recipe|architecture|benchmark|library|"
    "evaluation protocol|model family|regularizer|estimator"
).split("|")
ADJECTIVES = (
    "simple|scalable|principled|efficient|robust|modular|lightweight|general|sample-efficient|"
    "distributed|provably convergent|open"
).split("|")

TITLE_TEMPLATES = [
    "{C}: {A} {T} for {D}",
    "{C}: Towards {A} {T}",
    "{C}: A {A} {M} for {T}",
    "Improving {T} with {C}",
    "{C} {V} Technical Report",
    "On {T} and {T2}: Lessons from {C}",
    "{C}: Bridging {T} and {T2}",
    "When Does {T} Help {T2}? An Empirical Study with {C}",
    "Learning to Act in {D} with {C}",
    "{C}: {T} at Scale",
]

SLOTS: dict[str, list[str]] = {
    "goal": [
        "aligning language models with human preferences",
        "solving sequential decision-making problems",
        "scaling models beyond a single domain",
        "learning from limited supervision",
        "building agents that generalize to new tasks",
        "making large models cheaper to deploy",
    ],
    "driver": [
        "larger models and datasets",
        "better reward models",
        "improvements in hardware and distributed training",
        "advances in self-supervised pre-training",
        "the availability of open benchmarks",
    ],
    "problem": [
        "reward hacking, where the policy over-optimizes an imperfect reward model",
        "the difficulty of credit assignment over long horizons",
        "insufficient exploration in sparse-reward environments",
        "the high variance of policy gradient estimates",
        "catastrophic forgetting during fine-tuning",
        "the cost of collecting human preference data",
        "distribution shift between training and deployment",
    ],
    "limitation": [
        "require extensive hyperparameter tuning",
        "do not scale to billions of parameters",
        "rely on hand-crafted reward functions",
        "assume access to expert demonstrations",
        "ignore the uncertainty of the learned model",
        "are evaluated on a narrow set of benchmarks",
    ],
    "mechanism": [
        "learns a reward model from pairwise human preferences",
        "distills a large teacher into a compact student",
        "averages the weights of several fine-tuned models",
        "uses an actor-critic architecture with a learned baseline",
        "assigns credit to past actions with self-attention",
        "explores with an intrinsic reward based on novelty",
        "imitates expert demonstrations before fine-tuning with RL",
        "merges task-specific models without extra training",
        "optimizes a KL-regularized objective against a reference policy",
    ],
    "idea": [
        "interpolate between the weights of a policy and its initialization",
        "treat the language model as a policy and the reward model as the environment",
        "reuse the critic of a teacher agent as a shaping reward",
        "condition the policy on a learned representation of the task",
        "replace the reward model with an ensemble of judges",
    ],
    "result": [
        "outperforms strong baselines on most tasks",
        "achieves state-of-the-art results with fewer samples",
        "reduces reward hacking without hurting performance",
        "generalizes to unseen environments",
        "closes most of the gap to the teacher model",
    ],
    "bench": [
        "the Atari 57 benchmark",
        "MuJoCo continuous control tasks",
        "summarization and dialogue benchmarks",
        "the DeepMind Control Suite",
        "mathematical reasoning benchmarks",
        "multilingual question answering datasets",
        "procedurally generated grid worlds",
    ],
    "baseline": ["PPO", "DPO", "SAC", "behavioral cloning", "the base model", "REINFORCE"],
    "resource": ["compute", "memory", "human feedback", "environment interactions"],
    "component": [
        "the KL regularization",
        "the learned baseline",
        "weight averaging",
        "the exploration bonus",
        "the distillation loss",
    ],
    "artifact": ["model checkpoints", "an open-source library", "a new benchmark", "datasets"],
    "org": ["deepmind-labs", "openlab", "ml-research", "rl-group", "nlp-team", "ai-institute"],
    "assumption": ["mild assumptions", "a linear function approximation", "bounded rewards"],
}

ABSTRACT_INTRO = [
    "{Tc} has become a central tool for {goal}.",
    "Recent progress in {T} has been driven by {driver}.",
    "A well-known challenge in {T} is {problem}.",
    "{Tc} promises {goal}, yet {problem} remains an open question.",
    "Large language models (LLMs) are increasingly post-trained with {T}.",
]
ABSTRACT_BODY = [
    "However, existing methods for {T} {limitation}.",
    "Approaches based on {T2} {limitation}.",
    "In this paper, we introduce {C}, a {A} {M} for {T} that {mechanism}.",
    "We propose {C}, which {mechanism}.",
    "Our approach combines {T} with {T2} and {mechanism}.",
    "The key idea is to {idea}.",
    "We prove that {C} converges under {assumption}.",
    "We evaluate {C} on {bench} and find that it improves over {baseline} by {P}% on average.",
    "Experiments on {bench} show that {C} {result}.",
    "{C} matches the performance of {baseline} while using {X}x less {resource}.",
    "Ablations confirm that {component} is critical to these gains.",
    "We further apply {C} to {D}, where {T2} is the standard approach.",
    "Finally, we analyse the failure modes of {T} in {D}.",
]
ABSTRACT_CLOSING = [
    "We release code, {artifact} and evaluation scripts to the community.",
    "Our results suggest that {T} and {T2} are complementary.",
    "Code is available at https://github.com/{org}/{c}.",
    "Taken together, {C} provides a strong foundation for future work on {T}.",
]
SECOND_PARAGRAPH = [
    "This version extends the conference paper with experiments on {D} and a study of {T2}.",
    "This work presents a second version of the paper, with additional emphasis on {T2}.",
    "An earlier version of this work appeared at a workshop on {T}.",
]

CATEGORIES = "cs.LG cs.AI cs.CL stat.ML cs.CV cs.RO cs.MA cs.SD eess.AS q-bio.NC cs.NE".split()
_CATEGORY_WEIGHTS = list(itertools.accumulate([35, 15, 25, 5, 8, 5, 2, 2, 1, 1, 1]))
VENUES = "NeurIPS|ICML|ICLR|ACL|EMNLP|AAAI|CoRL|AAMAS|TMLR".split("|")
JOURNALS = [
    "Transactions on Machine Learning Research",
    "Journal of Machine Learning Research",
    "Nature",
    "Artificial Intelligence",
    "IEEE Transactions on Pattern Analysis and Machine Intelligence",
]

_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to via with".split())
_NOT_WORD = re.compile(r"[^\w]+|_+")


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What the generator wrote for one entry, as a parser should read it back."""

    index: int
    title: str
    authors: tuple[str, ...]
    hidden_authors: int
    subject_hidden: bool
    abstract: str
    first_submitted: dt.date
    last_submitted: dt.date
    revised: bool
    announced: tuple[int, int]
    arxiv_id: str | None = None
    categories: tuple[str, ...] = ()
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None


class _Slots(dict[str, str]):
    """Template fields: the entry's fixed ones, and a fresh random pick for any other."""

    def __init__(self, rng: Random, fixed: dict[str, str]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key == "P":
            return f"{rng.uniform(1.5, 35.0):.1f}"
        if key == "X":
            return str(rng.randint(2, 10))
        if key == "D":
            return rng.choice(DOMAINS)
        return rng.choice(SLOTS[key])


def name_key(name: str) -> str:
    """Accent- and case-free key of a name: two names with one key are one person."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return _NOT_WORD.sub("-", bare.casefold()).strip("-")


def title_case(text: str) -> str:
    """Capitalise the words of a phrase for a title, leaving acronyms and small words alone."""
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        if word != word.lower() or (i and word in _SMALL_WORDS):
            out.append(word)
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(out)


def codename(index: int, seed: int) -> str:
    """A pronounceable system name unique to an entry index (a bijection on 0..70**4-1)."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    syllables = [c + v for c in consonants for v in vowels]  # 70, all two letters long
    space = len(syllables) ** 4
    if index >= space:
        raise ValueError(f"at most {space:,} entries can have unique titles")
    # multiplying by a number coprime with 70 permutes the index space: names look unrelated
    value = (index * 2_654_435_761 + seed * 7_919) % space
    letters = []
    for _ in range(4):
        value, digit = divmod(value, len(syllables))
        letters.append(syllables[digit])
    return "".join(letters).capitalize()


@functools.lru_cache(maxsize=4)
def name_pool(seed: int, size: int = POOL_SIZE) -> tuple[str, ...]:
    """Distinct author names in Zipf rank order (the first is the most prolific), per seed."""
    rng = Random(f"names-{seed}")
    made_up = [h + m + t for h in _FAMILY_HEADS for m in _FAMILY_MIDDLES for t in _FAMILY_TAILS]
    families = sorted(set(FAMILY) | set(made_up))
    # the key of "Given X. Family" is the parts' keys joined by "-": compute each part's once
    keys = {part: name_key(part) for part in [*GIVEN, *families]}
    seen = {name_key(SUBJECT), name_key(COLLECTIVE)}
    pool: list[str] = []
    while len(pool) < size:
        given = rng.choice(GIVEN)
        family = rng.choice(FAMILY) if rng.random() < 0.5 else rng.choice(made_up)
        key = keys[given]
        if rng.random() < 0.08:
            initial = rng.choice("ABCDEFGHJKLMNPRSTVW")
            given = f"{given} {initial}."
            key = f"{key}-{initial.lower()}"
        key = f"{key}-{keys[family]}"
        if key not in seen:
            seen.add(key)
            pool.append(f"{given} {family}")
    return tuple(pool)


@functools.lru_cache(maxsize=4)
def _zipf_cumulative(size: int, exponent: float) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / rank**exponent for rank in range(1, size + 1)))


def _format_date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}, {day.year}"


def _next_month(day: dt.date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def _is_last_day(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


class _Generator:
    """State of one generation run: the random stream, the name pool, per-month id counters."""

    def __init__(self, entries: int, seed: int, web_format: bool) -> None:
        self.entries = entries
        self.seed = seed
        self.web_format = web_format
        self.rng = Random(seed)
        self.pool = name_pool(seed)
        self.cumulative = _zipf_cumulative(len(self.pool), ZIPF_EXPONENT)
        self.span = (LAST_V1 - FIRST_V1).days
        self.id_counters: dict[tuple[int, int], int] = {}
        months = (LAST_V1.year - FIRST_V1.year) * 12 + LAST_V1.month - FIRST_V1.month + 1
        per_month = entries // months + 1
        self.id_step = max(1, min(5, 90_000 // per_month))

    def run(self) -> Iterator[tuple[str, GroundTruth]]:
        for index in range(self.entries):
            yield self.entry(index)

    # -- one entry ----------------------------------------------------------------------------

    def entry(self, index: int) -> tuple[str, GroundTruth]:
        rng = self.rng
        topic, topic2 = rng.sample(TOPICS, 2)
        name = codename(index, self.seed)
        fixed = {
            "C": name,
            "c": name.lower(),
            "T": topic,
            "Tc": topic[:1].upper() + topic[1:],
            "T2": topic2,
            "A": rng.choice(ADJECTIVES),
            "M": rng.choice(METHOD_NOUNS),
            "V": str(rng.randint(1, 4)),
        }
        slots = _Slots(rng, fixed)
        title = title_case(rng.choice(TITLE_TEMPLATES).format_map(slots))
        authors, hidden, subject_hidden = self.authors()
        abstract = self.abstract(slots)
        first, last, revised, announced = self.dates(index)
        lines: list[str] = []
        arxiv_id = None
        categories: tuple[str, ...] = ()
        if self.web_format:
            arxiv_id = self.arxiv_id(announced)
            categories = self.categories()
            links = rng.choice(["[pdf]", "[pdf, other]", "[pdf, other]", "[pdf, ps, other]"])
            lines += [f"arXiv:{arxiv_id} {links}", " ".join(categories)]
        else:
            lines.append("-")
        lines.append(title)
        lines.append("Authors:")
        lines += [f"{author}," for author in authors[:-1]]
        lines.append(authors[-1])
        if hidden:
            lines.append(f", et al. ({hidden} additional authors not shown)")
        lines.append("Abstract:")
        if len(abstract) > TEASER_CHARS:
            teaser = abstract.replace("\n", " ")[:TEASER_CHARS].rstrip() + "…"
            lines += [teaser, "▽ More", abstract, "△ Less"]
        else:
            lines.append(abstract)
        if revised:
            lines.append(f"Submitted {_format_date(last)}; v1 submitted {_format_date(first)};")
        else:
            lines.append(f"Submitted {_format_date(last)};")
        lines.append(f"originally announced {MONTHS[announced[1] - 1]} {announced[0]}.")
        comments = journal_ref = doi = None
        if self.web_format:
            comments, journal_ref, doi = self.metadata(announced[0])
            if comments:
                lines.append(f"Comments: {comments}")
            if journal_ref:
                lines.append(f"Journal ref: {journal_ref}")
            if doi:
                lines.append(f"DOI: {doi}")
        truth = GroundTruth(
            index=index,
            title=title,
            authors=tuple(authors),
            hidden_authors=hidden,
            subject_hidden=subject_hidden,
            abstract=abstract,
            first_submitted=first,
            last_submitted=last,
            revised=revised,
            announced=announced,
            arxiv_id=arxiv_id,
            categories=categories,
            comments=comments,
            journal_ref=journal_ref,
            doi=doi,
        )
        return "\n".join(lines) + "\n", truth

    def authors(self) -> tuple[list[str], int, bool]:
        """Shown names in order, the hidden count, and whether the subject is among the hidden."""
        rng = self.rng
        total = self.author_count()
        shown_count = min(total, MAX_SHOWN)
        hidden = total - shown_count
        subject_hidden = hidden > 0 and rng.random() < 0.4
        collective = hidden > 0 and rng.random() < 0.3
        wanted = shown_count - (0 if subject_hidden else 1) - (1 if collective else 0)
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < wanted:
            name = self.pool[
                bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
            ]
            if name not in seen:  # pool names are distinct people: distinct strings suffice
                seen.add(name)
                names.append(name)
        if not subject_hidden:
            where = rng.random()
            if where < 0.25:
                position = 0
            elif where < 0.4:
                position = len(names)
            else:
                position = rng.randint(0, len(names))
            names.insert(position, SUBJECT)
        if collective:
            names.insert(0, COLLECTIVE)
        return names, hidden, subject_hidden

    def author_count(self) -> int:
        """Declared number of authors: mostly 2-8, heavy tail into the thousands."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.04:
            return 1
        if draw < 0.86:
            return rng.choice((2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 8))
        if draw < 0.95:
            return rng.randint(9, 24)
        if draw < 0.955:
            return MAX_SHOWN
        while True:  # Pareto tail of the hidden count, up to 6000 (the largest collaborations)
            hidden = int(3 * rng.paretovariate(0.6)) + 1
            if hidden <= 6000:
                return MAX_SHOWN + hidden

    def abstract(self, slots: _Slots) -> str:
        """The full abstract: short (shown whole) about one time in ten, else long."""
        rng = self.rng
        body = rng.randint(0, 1) if rng.random() < 0.1 else rng.randint(3, 9)
        sentences = [rng.choice(ABSTRACT_INTRO).format_map(slots)]
        picked = sorted(rng.sample(range(len(ABSTRACT_BODY)), body))
        sentences += [ABSTRACT_BODY[i].format_map(slots) for i in picked]
        if body >= 3 or rng.random() < 0.5:
            sentences.append(rng.choice(ABSTRACT_CLOSING).format_map(slots))
        text = " ".join(sentences)
        if len(text) > TEASER_CHARS and rng.random() < 0.08:
            text += "\n" + rng.choice(SECOND_PARAGRAPH).format_map(slots)
        return text

    def dates(self, index: int) -> tuple[dt.date, dt.date, bool, tuple[int, int]]:
        """v1 (newest first), last submission, revised or not, and the announcement month."""
        rng = self.rng
        offset = int((index + rng.random()) * self.span / self.entries)
        first = LAST_V1 - dt.timedelta(days=offset)
        announced = _next_month(first) if _is_last_day(first) else (first.year, first.month)
        last = first
        if rng.random() < 0.4:
            gap = 1 + int(rng.expovariate(1 / 120))
            last = min(first + dt.timedelta(days=gap), LAST_REVISION)
        return first, last, last > first, announced

    def arxiv_id(self, announced: tuple[int, int]) -> str:
        """A new-style identifier (YYMM.NNNNN) of the announcement month, unique in the run."""
        number = self.id_counters.get(announced)
        if number is None:
            number = self.rng.randint(1, 400)
        else:
            number += self.rng.randint(1, self.id_step)
        if number > 99_999:
            raise ValueError(f"too many entries for {announced}: arXiv ids have five digits")
        self.id_counters[announced] = number
        year, month = announced
        return f"{year % 100:02d}{month:02d}.{number:05d}"

    def categories(self) -> tuple[str, ...]:
        """A primary subject code and up to three others."""
        rng = self.rng
        draw = rng.random() * _CATEGORY_WEIGHTS[-1]
        primary = CATEGORIES[bisect.bisect_right(_CATEGORY_WEIGHTS, draw)]
        others = [c for c in CATEGORIES if c != primary]
        return (primary, *rng.sample(others, rng.choice((0, 1, 1, 2, 2, 3))))

    def metadata(self, year: int) -> tuple[str | None, str | None, str | None]:
        """Comments (about a third), journal reference (a tenth), DOI (one in twelve)."""
        rng = self.rng
        comments = journal_ref = doi = None
        if rng.random() < 0.35:
            kind = rng.randrange(3)
            if kind == 0:
                comments = f"{rng.randint(6, 60)} pages, {rng.randint(1, 20)} figures"
            elif kind == 1:
                comments = f"Accepted at {rng.choice(VENUES)} {year + rng.randint(0, 1)}"
            else:
                comments = f"{rng.randint(6, 40)} pages; code and data will be released"
        if rng.random() < 0.1:
            journal = rng.choice(JOURNALS)
            journal_ref = f"{journal} {rng.randint(1, 60)} ({year + rng.randint(0, 1)})"
        if rng.random() < 0.08:
            prefix = rng.choice(("TPAMI", "jmlr", "s41586", "j.artint", "TMLR"))
            doi = f"10.{rng.randint(1000, 99999)}/{prefix}.{year}.{rng.randint(10**6, 10**7 - 1)}"
        return comments, journal_ref, doi


def generate(
    entries: int, seed: int = 1, *, web_format: bool = False
) -> Iterator[tuple[str, GroundTruth]]:
    """Each entry's text (lines ending in newlines) with what it says, streamed, newest first."""
    if entries < 0:
        raise ValueError("the number of entries cannot be negative")
    return _Generator(entries, seed, web_format).run()


def write_listing(out: TextIO, entries: int, seed: int = 1, *, web_format: bool = False) -> int:
    """Write a listing to a text stream; returns the number of entries written."""
    count = 0
    for text, _truth in generate(entries, seed, web_format=web_format):
        out.write(text)
        count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a listing to a file or stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", "-n", type=int, default=1000, help="entries (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--web-format",
        action="store_true",
        help="arXiv:ID [pdf, ...] lines with subject codes, sometimes Comments/Journal ref/DOI",
    )
    parser.add_argument("--output", "-o", type=Path, help="output file (default stdout)")
    args = parser.parse_args(argv)
    if args.entries < 1:
        parser.error("--entries must be at least 1")
    if args.output is None:
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            write_listing(out, args.entries, args.seed, web_format=args.web_format)
            out.flush()
        except BrokenPipeError:  # the reader stopped early (| head): not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        out.detach()
        return 0
    with args.output.open("w", encoding="utf-8", newline="\n") as out:
        write_listing(out, args.entries, args.seed, web_format=args.web_format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
