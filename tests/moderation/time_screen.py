"""Microseconds per message for the screen the chat server runs (``decide``), over the corpus.

    .venv/bin/python -m tests.moderation.time_screen [ROUNDS]

Settings are passed as a dict, as the chat server does (it merges its defaults with the
room's own). Prints the best of five runs in CPU time of this process (the least disturbed
by other work on the machine), over every corpus message and over the unlabelled (clean)
ones, which are most of what a real room sees. Not a test: timings are asserted nowhere.
"""

from __future__ import annotations

import sys
import time

from moderation.policy import decide
from tests.moderation.corpus_eval import NOW, SETTLED, load


def per_message(texts: list[str], rounds: int, repeats: int = 5) -> float:
    """The best of ``repeats`` runs of ``rounds`` passes, in µs of CPU per message."""
    settings: dict[str, object] = {}
    for text in texts:  # warm the caches (compiled lists, validated settings)
        decide(text, settings=settings, sender_context=SETTLED, now=NOW)
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(rounds):
            for text in texts:
                decide(text, settings=settings, sender_context=SETTLED, now=NOW)
        best = min(best, time.process_time() - start)
    return best / (rounds * len(texts)) * 1e6


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    items = load()
    every = [i.text for i in items]
    clean = [i.text for i in items if not i.labels]
    print(f"all {len(every)} messages: {per_message(every, rounds):7.1f} µs/message")
    print(f"clean {len(clean)} messages: {per_message(clean, rounds):7.1f} µs/message")


if __name__ == "__main__":
    main()
