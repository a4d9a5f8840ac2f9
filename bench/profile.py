"""py-spy profiles of the product (big room, many small rooms, the 18:00 join peak): where its
CPU goes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.run import Bench, Sizes
from bench.servers import GENERATOR_CORE, Kind, ServerSet, pinned


def _py_spy() -> str:
    local = Path(sys.executable).parent / "py-spy"
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed (pip install -e '.[bench]')")
    return found


def _name(frame: str) -> str:
    """``func (path/to/file.py:123)`` -> ``func (to/file.py)``: lines of one function merged."""
    func, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    parts = path.split("/")
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    elif "chatserver" in parts or "moderation" in parts:
        first = min(parts.index(p) for p in ("chatserver", "moderation") if p in parts)
        parts = parts[first:]
    else:
        parts = parts[-2:]
    return f"{func} ({'/'.join(parts)})"


# Where a sample's time goes, by the first rule whose marker is anywhere on its stack.
AREAS = [
    ("fan-out: hub to every member's transport", ("Hub.on_event",)),
    ("moderation screen (moderation/)", ("(moderation/",)),
    ("persistence: SQLAlchemy, aiosqlite/asyncpg, group commit",
     ("(aiosqlite/", "(sqlalchemy/", "(asyncpg/", "(chatserver/storage/")),
    ("Redis broker", ("(redis/", "(chatserver/broker/redis.py")),
    ("frame decoding and validation", ("decode_client_frame",)),
    ("presence, heartbeat", ("heartbeat", "presence")),
    ("WebSocket handshake (uvicorn, websockets)", ("handle_websocket_upgrade",
                                                   "WebSocket.accept")),
    ("event loop and transports (uvloop, native)", ("Runner.run",)),
]
# Frames every sample of the main thread has: left out of the total-time list.
WRAPPERS = ("(<frozen runpy>)", "(chatserver/cli.py)", "(chatserver/__main__.py)",
            "(uvicorn/main.py)", "(uvicorn/server.py)", "(uvicorn/_compat.py)",
            "(asyncio/runners.py)")


def area(frames: list[str]) -> str:
    for name, markers in AREAS[:-1]:
        if any(m in f for f in frames for m in markers):
            return name
    if frames and frames[-1].startswith("Runner.run"):
        return AREAS[-1][0]
    return "other"


def summarise(raw: str, top: int = 30) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]],
                                                list[tuple[str, int]]]:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [_name(f) for f in stack.split(";") if f and not f.startswith(("process ",
                                                                               "thread "))]
        if not frames:
            continue
        own[frames[-1]] += count
        areas[area(frames)] += count
        for name in set(frames):
            if not name.endswith(WRAPPERS):
                total[name] += count
    return samples, own.most_common(top), total.most_common(top), areas.most_common()


async def big_room(kind: Kind, rooms: list[tuple[str, int]], logdir: Path, sizes: Sizes,
                   out: Path, log: Any, small_rooms: bool = False) -> dict[str, Any]:
    """Profile the product in the big room (or, with ``small_rooms``, in the many small
    rooms scenario)."""
    servers = ServerSet(kind, rooms, logdir)
    await servers.start()
    bench = Bench(servers, timeout=60.0)
    raw_path = out.parent / "raw" / (out.stem + ".raw.txt")  # collapsed stacks (not committed)
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if small_rooms:
            await bench.open([f"c{i // sizes.small_size}"
                              for i in range(sizes.small_rooms * sizes.small_size)], 100)
            senders = bench.conns[::sizes.small_size]
            rate = sizes.small_rate
        else:
            await bench.open(["big"] * sizes.big_members, 50)
            senders = bench.conns[:sizes.big_senders]
            rate = sizes.big_rate
        await asyncio.sleep(1.0)
        spy = subprocess.Popen(  # noqa: ASYNC220
            pinned([_py_spy(), "record", "--pid", str(servers.pids[0]), "--rate", "200",
                    "--duration", str(int(sizes.profile_duration)), "--format", "raw",
                    "--output", str(raw_path), "--nonblocking"], GENERATOR_CORE),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await asyncio.sleep(0.5)
        result = await bench.traffic(bench.conns, senders, rate, sizes.profile_duration,
                                     sizes.drain, "small_rooms_profiled" if small_rooms
                                     else "big_room_profiled")
        while spy.poll() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        if spy.returncode != 0 or not raw_path.exists():
            err = spy.stderr.read().decode(errors="replace") if spy.stderr else ""
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err[-300:]}")
    finally:
        await bench.close_all()
        await servers.stop()
    return write_summary(raw_path.read_text(), out, scenario_line(sizes, small_rooms), result,
                         log)


async def join_peak(kind: Kind, rooms: list[tuple[str, int]], logdir: Path, sizes: Sizes,
                    out: Path, log: Any) -> dict[str, Any]:
    """Profile the product while `sizes.peak` people connect, say hello and join rooms of
    `sizes.small_size` at once (`sizes.peak_concurrency` in flight): the 18:00 peak."""
    servers = ServerSet(kind, rooms, logdir)
    await servers.start()
    bench = Bench(servers, timeout=60.0)
    raw_path = out.parent / "raw" / (out.stem + ".raw.txt")
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        await bench.open(["w0"] * sizes.small_size, sizes.small_size)  # warm, as capacity()
        await asyncio.sleep(1.0)
        spy = subprocess.Popen(  # noqa: ASYNC220
            pinned([_py_spy(), "record", "--pid", str(servers.pids[0]), "--rate", "200",
                    "--duration", "600", "--format", "raw", "--output", str(raw_path),
                    "--nonblocking", "--gil"], GENERATOR_CORE),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        await asyncio.sleep(0.5)
        result = await bench.open([f"c{i // sizes.small_size}" for i in range(sizes.peak)],
                                  sizes.peak_concurrency)
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has on an interrupt
        while spy.poll() is None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        if not raw_path.exists():
            err = spy.stderr.read().decode(errors="replace") if spy.stderr else ""
            raise RuntimeError(f"py-spy failed ({spy.returncode}): {err[-300:]}")
    finally:
        await bench.close_all()
        await servers.stop()
    header = ("# py-spy profile of the product (1 process, in-process broker, SQLite) at the "
              "18:00 peak\n"
              f"# {sizes.peak} people connect, say hello and join rooms of {sizes.small_size} "
              f"at once, {sizes.peak_concurrency} in flight; sampled at 200 Hz (--nonblocking), "
              "only while a thread holds the GIL (--gil)")
    return write_summary(raw_path.read_text(), out, header, result, log)


async def setup_redis(kind: Kind, rooms: list[tuple[str, int]], logdir: Path, sizes: Sizes,
                      out: Path, log: Any) -> dict[str, Any]:
    """Profile both processes of the product with Redis while connections are set up (hello
    and a join to a room of `sizes.small_size`, 100 in flight, after the peak's): the one
    target of issue 20 missed on the committed machine. For this profile only `redis-server`
    runs on the generator's core: on the servers' core it preempts an app process inside its
    socket writes, and py-spy counts a preempted thread as busy (half the samples then sat in
    `StreamWriter.write`)."""
    servers = ServerSet(kind, rooms, logdir)
    await servers.start()
    bench = Bench(servers, timeout=60.0)
    raw_dir = out.parent / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    raws = [raw_dir / f"{out.stem}.{i}.raw.txt" for i in range(len(servers.pids))]
    try:
        if servers.redis is not None:
            os.sched_setaffinity(servers.redis.pid, {GENERATOR_CORE})
        await bench.open(["w0"] * sizes.small_size, sizes.small_size)
        await bench.open([f"c{i // sizes.small_size}" for i in range(sizes.peak)],
                         sizes.peak_concurrency)
        await asyncio.sleep(1.0)
        spies = [subprocess.Popen(  # noqa: ASYNC220
            pinned([_py_spy(), "record", "--pid", str(pid), "--rate", "200", "--duration",
                    "600", "--format", "raw", "--output", str(raw), "--nonblocking", "--gil"],
                   GENERATOR_CORE), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for pid, raw in zip(servers.pids, raws, strict=True)]
        await asyncio.sleep(0.5)
        result = await bench.open([f"c{i // sizes.small_size}"
                                   for i in range(sizes.peak, sizes.idle)], 100)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        while any(spy.poll() is None for spy in spies):  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        if not all(raw.exists() for raw in raws):
            raise RuntimeError("py-spy failed: " + "; ".join(
                spy.stderr.read().decode(errors="replace")[-200:] for spy in spies if spy.stderr))
    finally:
        await bench.close_all()
        await servers.stop()
    header = ("# py-spy profile of the product with Redis (2 processes, PostgreSQL), both "
              "processes, while connections are set up\n"
              f"# {sizes.idle - sizes.peak} connections (hello, a join to a room of "
              f"{sizes.small_size}), 100 in flight, after the peak's {sizes.peak}; sampled at "
              "200 Hz (--nonblocking --gil); redis-server on the generator's core for this "
              "run only (see bench/profile.py)")
    return write_summary("".join(raw.read_text() for raw in raws), out, header, result, log)


def scenario_line(sizes: Sizes, small_rooms: bool) -> str:
    scenario = (f"{sizes.small_rooms} rooms of {sizes.small_size}, one sender each, "
                f"{sizes.small_rate:g} msg/s" if small_rooms else
                f"{sizes.big_members} members, {sizes.big_senders} senders, "
                f"{sizes.big_rate:g} msg/s")
    return ("# py-spy profile of the product (1 process, in-process broker, SQLite) in the "
            + ("many small rooms" if small_rooms else "big room") + "\n"
            + f"# {scenario}, {sizes.profile_duration:g} s, sampled at 200 Hz (--nonblocking)")


def write_summary(raw: str, out: Path, header: str, result: dict[str, Any],
                  log: Any) -> dict[str, Any]:
    samples, own, total, areas = summarise(raw, top=40)
    lines = [
        header,
        f"# {samples} samples of non-idle threads (the aiosqlite thread included)",
        "# run under the profiler: " + json.dumps({k: result.get(k) for k in (
            "deliveries_per_s", "p50_ms", "p99_ms", "lost", "duplicated",
            "cpu_us_per_delivery", "server_cpu_share", "seconds", "connected",
            "failed") if k in result}),
        "",
        "## By area (first marker found on the sample's stack)",
        f"{'%':>6}  {'samples':>7}  area",
    ]
    lines += [f"{100 * n / max(samples, 1):6.1f}  {n:7d}  {name}" for name, n in areas]
    lines += ["", "## Own time (the function itself was on top of the stack)",
              f"{'%':>6}  {'samples':>7}  function"]
    lines += [f"{100 * n / max(samples, 1):6.1f}  {n:7d}  {name}" for name, n in own]
    lines += ["", "## Total time (the function was anywhere on the stack; the start-up frames "
              "every sample has are left out)", f"{'%':>6}  {'samples':>7}  function"]
    lines += [f"{100 * n / max(samples, 1):6.1f}  {n:7d}  {name}" for name, n in total]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    log(f"  profile: {samples} samples, top: {own[0][0] if own else '-'}; written to {out}")
    return {"samples": samples, "areas": areas, "own_top": own[:15], "total_top": total[:15],
            "run": result}
