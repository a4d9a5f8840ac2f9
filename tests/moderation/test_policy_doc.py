"""docs/moderation.md's table of what passes and what does not stays true to the policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderation.types import Outcome
from tests.moderation.corpus_eval import screen

DOC = Path(__file__).resolve().parents[2] / "docs" / "moderation.md"


def _rows() -> list[tuple[str, str]]:
    table = DOC.read_text(encoding="utf-8").split("### What passes and what does not", 1)[1]
    table = table.split("\n###", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith('"'):
            continue
        for quoted in re.findall(r'"([^"]+)"', cells[0]):
            if not quoted.endswith("..."):
                rows.append((quoted.replace("\\*", "*"), cells[1]))
    return rows


ROWS = _rows()


def test_the_table_is_there() -> None:
    assert len(ROWS) >= 40


@pytest.mark.parametrize(("text", "what"), ROWS)
def test_each_example_does_what_the_doc_says(text: str, what: str) -> None:
    v = screen(text)
    if what.startswith("posted, with the crisis resources"):
        assert v.outcome is Outcome.ALLOW_AND_ALERT and v.alert
    elif what.startswith("posted"):
        assert v.outcome is Outcome.ALLOW and not v.alert and not v.harm_alert
    elif what.startswith("refused, and the facilitators alerted"):
        assert v.outcome is Outcome.REJECT and v.harm_alert
    elif what.startswith("refused"):
        assert v.outcome is Outcome.REJECT and not v.harm_alert
    elif what.startswith("the writer is asked"):
        assert v.outcome is Outcome.CONFIRM
    else:
        pytest.fail(f"unknown outcome in the doc: {what}")
