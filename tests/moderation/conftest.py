"""Print the filters' precision and recall at the end of every run that scored them."""

from __future__ import annotations

import pytest

from tests.moderation.scoring import HEADER, SCORES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    scores = config.stash.get(SCORES, None)
    if not scores:
        return
    terminalreporter.section("moderation filters: labelled examples")
    terminalreporter.write_line(HEADER)
    for name in sorted(scores):
        terminalreporter.write_line(scores[name].row())
