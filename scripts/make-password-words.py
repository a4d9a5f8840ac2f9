"""Make chatserver/core/data/words_{fi,sv}.txt: the most frequent Finnish and Swedish words,
most frequent first, which the password strength check (chatserver/core/staff.py) adds to
zxcvbn's English lists.

Run once by hand with the wordfreq wheel unpacked (its data files, "cBpack": msgpack lists of
words per frequency band, most frequent first) and msgpack importable:

    pip download --no-deps wordfreq && unzip wordfreq-*.whl -d wf
    python scripts/make-password-words.py wf/wordfreq/data

The data is wordfreq's (Robyn Speer), CC BY-SA 4.0; see chatserver/core/data/README.md.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import msgpack

COUNT = 15_000
OUT = Path(__file__).resolve().parent.parent / "chatserver" / "core" / "data"


def words(data: Path, lang: str) -> list[str]:
    with gzip.open(data / f"large_{lang}.msgpack.gz") as f:
        header, *bands = msgpack.load(f, raw=False)
    assert header.get("format") == "cB", header
    out: list[str] = []
    for band in bands:
        for word in band:
            if word.isalpha() and len(word) >= 3 and word == word.lower():
                out.append(word)
                if len(out) == COUNT:
                    return out
    return out


def main() -> None:
    data = Path(sys.argv[1])
    for lang in ("fi", "sv"):
        (OUT / f"words_{lang}.txt").write_text("\n".join(words(data, lang)) + "\n")


if __name__ == "__main__":
    main()
