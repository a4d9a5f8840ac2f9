"""Reading what the Redis broker keeps: stream entries with their overrides (edits and
erasures made after the entry was buffered), presence infos and reaction fields."""

from __future__ import annotations

from typing import Any

import msgspec


def one_per_member(infos: list[bytes]) -> list[bytes]:
    """A member with several connections (tabs) is listed once."""
    seen: dict[str, bytes] = {}
    for info in infos:
        seen.setdefault(msgspec.json.decode(info)["member"], info)
    return list(seen.values())


def reaction_counts(fields: list[bytes]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    for field in fields:
        seq, reaction, _ = field.decode().split("|", 2)
        per = counts.setdefault(int(seq), {})
        per[reaction] = per.get(reaction, 0) + 1
    return counts


def buffered_frames(entries: list[Any], overrides: dict[bytes, bytes]) -> list[tuple[int, bytes]]:
    """(seq, frame) of a room's buffer entries, each replaced by its override (an edit or an
    erasure made after it was buffered) where it has one. The entries as Redis sends them,
    without redis-py's reply parsing (a dict per entry cost ~1 us each, 50 at every join):
    ``[b"<seq>-0", [b"f", frame]]`` (the append script writes that one field); the overrides
    an HGETALL's map, seq -> frame."""
    out = []
    for eid, fields in entries:
        seq = eid[:eid.index(b"-")]
        out.append((int(seq), overrides.get(seq, fields[1])))
    return out
