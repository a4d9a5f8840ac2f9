"""Precision and recall per filter, kept on the pytest config for the terminal summary."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class Score:
    filter: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, expected: bool, got: bool, label: str) -> None:
        if expected and got:
            self.tp += 1
        elif expected:
            self.fn += 1
            self.wrong.append(f"missed: {label}")
        elif got:
            self.fp += 1
            self.wrong.append(f"false hit: {label}")
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def row(self) -> str:
        return (f"{self.filter:<18} {self.tp + self.fn:>4} {self.fp + self.tn:>4} "
                f"{self.precision:>9.3f} {self.recall:>7.3f} {len(self.wrong):>6}")


HEADER = f"{'filter':<18} {'pos':>4} {'neg':>4} {'precision':>9} {'recall':>7} {'wrong':>6}"

SCORES = pytest.StashKey[dict[str, Score]]()


def record(config: pytest.Config, score: Score) -> None:
    config.stash.setdefault(SCORES, {})[score.filter] = score
