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


def apply_overrides(entries: list[Any], overrides: dict[bytes, bytes]) -> list[tuple[int, bytes]]:
    out = []
    for eid, fields in entries:
        seq = seq_of_id(eid)
        out.append((seq, overrides.get(str(seq).encode(), fields[b"f"])))
    return out


def seq_of_id(entry_id: bytes | str) -> int:
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(raw.split("-", 1)[0])
