"""Score the filters against the held-out corpus in ``tests/moderation/corpus/``.

Every message goes through :func:`moderation.policy.decide`, the entry point the chat server
uses, with the settings a new room gets (``FilterSettings()``) and a participant who has been
in the room for an hour (so the newcomer and flood guards stay out of the way). What counts
as a finding, per category:

- ``crisis``: ``verdict.alert`` (the sender sees the crisis resources, facilitators are
  alerted);
- ``harm``: ``verdict.harm_alert`` (someone is told to kill or harm themselves: refused, and
  facilitators are alerted);
- ``abuse``: a hit with category ``abuse`` (the message is refused);
- ``personal``: a hit of the personal-details guard (the sender is asked to confirm).

A message with no label is a hard negative: any verdict other than a plain ``allow`` flags it.

Run ``make filter-eval`` (or ``python -m tests.moderation.corpus_eval``) for the table and the
misclassified ids; the output never contains message text. ``test_corpus.py`` holds the
thresholds.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moderation.policy import decide
from moderation.settings import FilterSettings
from moderation.types import Category, FilterName, Outcome, SenderContext, Verdict

CORPUS_DIR = Path(__file__).parent / "corpus"
LANGS = ("fi", "sv", "en")
CATEGORIES = ("crisis", "harm", "abuse", "personal")
NOW = 1_000_000.0
SETTLED = SenderContext(joined_at=NOW - 3600)


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    lang: str
    text: str
    labels: frozenset[str]
    kind: str
    tags: tuple[str, ...] = ()


def load(directory: Path = CORPUS_DIR) -> list[Item]:
    items = []
    for lang in LANGS:
        path = directory / f"{lang}.jsonl"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item = Item(raw["id"], raw["lang"], raw["text"], frozenset(raw["labels"]),
                            raw["kind"], tuple(raw.get("tags", ())))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path.name} line {n}: {exc}") from None
            items.append(item)
    return items


def screen(text: str, settings: FilterSettings | None = None) -> Verdict:
    return decide(text, settings=settings or FilterSettings(), sender_context=SETTLED, now=NOW)


def predicted(verdict: Verdict) -> frozenset[str]:
    found = set()
    if verdict.alert:
        found.add("crisis")
    if getattr(verdict, "harm_alert", False):
        found.add("harm")
    if any(h.category is Category.ABUSE for h in verdict.hits):
        found.add("abuse")
    if any(h.filter is FilterName.PERSONAL_DETAILS for h in verdict.hits):
        found.add("personal")
    return frozenset(found)


def flagged(verdict: Verdict) -> bool:
    """Anything but a plain, silent ``allow``."""
    return (verdict.outcome is not Outcome.ALLOW or verdict.alert
            or bool(getattr(verdict, "harm_alert", False)))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class Report:
    items: int
    # (category, language or "all") -> score
    scores: dict[tuple[str, str], Score]
    negatives: dict[str, int]  # language or "all" -> number of hard negatives
    negatives_flagged: dict[str, list[str]]

    def score(self, category: str, lang: str = "all") -> Score:
        return self.scores[(category, lang)]

    def negative_rate(self, lang: str = "all") -> float:
        total = self.negatives[lang]
        return len(self.negatives_flagged[lang]) / total if total else 0.0


def evaluate(items: Iterable[Item], settings: FilterSettings | None = None) -> Report:
    scores = {(c, lang): Score() for c in CATEGORIES for lang in (*LANGS, "all")}
    negatives = dict.fromkeys((*LANGS, "all"), 0)
    neg_flagged: dict[str, list[str]] = {lang: [] for lang in (*LANGS, "all")}
    count = 0
    for item in items:
        count += 1
        verdict = screen(item.text, settings)
        got = predicted(verdict)
        for lang in (item.lang, "all"):
            for c in CATEGORIES:
                s = scores[(c, lang)]
                want, has = c in item.labels, c in got
                if want and has:
                    s.tp += 1
                elif want:
                    s.fn += 1
                    s.missed.append(item.id)
                elif has:
                    s.fp += 1
                    s.false.append(item.id)
            if not item.labels:
                negatives[lang] += 1
                if flagged(verdict):
                    neg_flagged[lang].append(item.id)
    return Report(count, scores, negatives, neg_flagged)


def format_report(report: Report, items: Sequence[Item]) -> str:
    kinds = {i.id: i.kind + (f" [{' '.join(i.tags)}]" if i.tags else "") for i in items}
    lines = [f"{report.items} messages; default settings of a new room; "
             "moderation.policy.decide", ""]
    lines.append(f"{'category':<9} {'lang':<4} {'n':>4} {'tp':>4} {'fp':>4} {'fn':>4} "
                 f"{'precision':>9} {'recall':>7} {'F1':>6}")
    for c in CATEGORIES:
        for lang in (*LANGS, "all"):
            s = report.score(c, lang)
            lines.append(f"{c:<9} {lang:<4} {s.support:>4} {s.tp:>4} {s.fp:>4} {s.fn:>4} "
                         f"{s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}")
    lines.append("")
    for lang in (*LANGS, "all"):
        lines.append(f"hard negatives {lang:<4} {report.negatives[lang]:>4}, flagged "
                     f"{len(report.negatives_flagged[lang]):>3} "
                     f"({100 * report.negative_rate(lang):.1f} %)")
    wrong = []
    for c in CATEGORIES:
        s = report.score(c)
        wrong += [f"  {c} missed:    {i}  {kinds[i]}" for i in s.missed]
        wrong += [f"  {c} false hit: {i}  {kinds[i]}" for i in s.false]
    wrong += [f"  negative flagged: {i}  {kinds[i]}" for i in report.negatives_flagged["all"]]
    lines += ["", "misclassified (ids; the text is in tests/moderation/corpus/):"]
    lines += wrong or ["  none"]
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    items = load()
    print(format_report(evaluate(items), items))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
