"""No test may depend on the day it runs: no literal calendar date in a test file.

A date written into a test goes stale: a schedule that "starts on" it slips into the past and
its next meetings change (issue 14). Tests compute their dates from the clock the code under
test reads (tests/calendar_dates.py). A test that freezes a clock that the server under test
really reads may hold a literal date; it must be listed in ALLOWED with the reason.
"""

from __future__ import annotations

import ast
import gc
import re
from pathlib import Path

TESTS = Path(__file__).parent
# ISO dates (YYYY-MM-DD) and compact iCalendar ones (YYYYMMDDTHHMMSSZ), built so that this file
# does not hold one itself.
ISO_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")
COMPACT_DATE = re.compile(r"\b(?:19|20)\d\d[01]\d[0-3]\dT\d{4,6}Z?\b")
DATE_CONSTRUCTORS = {"date", "datetime", "utc", "utc_at"}

# Files that may hold literal dates, and why. Empty: no test freezes a clock today.
ALLOWED: dict[str, str] = {}


def literal_dates(path: Path) -> list[str]:
    """Every literal date in a test file: in its text, or a date built from a literal year."""
    source = path.read_text(encoding="utf-8")
    found = [
        f"{path.name}:{source.count(chr(10), 0, m.start()) + 1}: {m.group()}"
        for pattern in (ISO_DATE, COMPACT_DATE)
        for m in pattern.finditer(source)
    ]
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
            node.func, "id", "")
        year = node.args[0]
        if (name in DATE_CONSTRUCTORS and isinstance(year, ast.Constant)
                and isinstance(year.value, int) and 1900 <= year.value <= 2199):
            found.append(f"{path.name}:{node.lineno}: {name}({year.value}, ...)")
    return found


def test_no_test_file_holds_a_literal_calendar_date() -> None:
    # Sockets left by an earlier failed test are collected here, not inside ast.parse: on
    # Python 3.11 a warning raised there turns into "AST constructor recursion depth mismatch".
    gc.collect()
    offenders = [
        hit
        for path in sorted(TESTS.rglob("*.py"))
        if str(path.relative_to(TESTS)) not in ALLOWED
        for hit in literal_dates(path)
    ]
    assert offenders == [], "compute dates from the clock (tests/calendar_dates.py):\n" + "\n".join(
        offenders)


def test_the_scan_finds_the_dates_it_is_meant_to_find(tmp_path: Path) -> None:
    year = 2000 + 26
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from datetime import date\n"
        f"START = '{year}-12-01'\n"
        f"STAMP = '{year}0320T080000Z'\n"
        f"DAY = date({year}, 3, 31)\n"
        "LATER = date(YEAR + 1, 1, 1)\n"
        "PORT = '127.0.0.1:2026'\n",
        encoding="utf-8",
    )
    hits = literal_dates(sample)
    assert [h.split(": ", 1)[1] for h in hits] == [
        f"{year}-12-01", f"{year}0320T080000Z", f"date({year}, ...)"]


def test_every_allowed_file_exists_and_says_why() -> None:
    for name, reason in ALLOWED.items():
        assert (TESTS / name).is_file(), name
        assert len(reason) > 20, name
