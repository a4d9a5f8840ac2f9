"""The scenarios: each opens connections, drives stamped traffic and measures one run."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.client import ADAPTERS, Adapter, Collector, Conn, open_conn, stamp
from bench.servers import GENERATOR_CORE, ServerSet

GEN_SATURATED = 0.90  # generator CPU share of its core above which a run is flagged
CORE_SATURATED = 0.97  # the generator's core as a whole (process + kernel) above which too


@dataclass
class Sizes:
    """Scenario sizes (the defaults are the issue's)."""

    big_members: int = 200
    big_senders: int = 20
    big_rate: float = 200.0
    small_rooms: int = 500
    small_size: int = 8
    small_rate: float = 400.0
    idle: int = 5000
    idle_product: int = 10000
    peak: int = 2000
    peak_concurrency: int = 200
    duration: float = 10.0  # T of a measured run
    knee_duration: float = 4.0
    knee_rates: list[float] = field(default_factory=lambda: [
        25, 50, 75, 100, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000, 1200])
    # The small-rooms knee (issue 20), for the ceiling, the Starlette baseline and the product.
    small_knee_rates: list[float] = field(default_factory=lambda: [
        400, 800, 1200, 1600, 2000, 2500, 3000, 4000])
    drain: float = 3.0
    # The small-rooms run is repeated and its median kept: at about 7 % of a core the
    # ceiling's CPU per delivery was seen to vary by a third from one run to the next.
    small_repeats: int = 3
    profile_duration: float = 10.0
    # Idle CPU is read over one keep-alive interval (every server pings every 20 s, so each
    # connection is pinged once in the window, whatever its phase), after a settle time for
    # what the set-up left behind. (Read over 3 s right after the set-up, as before, it saw
    # no keep-alive at all: the first pings were still 17 s away.)
    idle_settle: float = 5.0
    idle_window: float = 20.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(big_members=50, big_senders=5, big_rate=100, small_rooms=40, small_size=8,
                   small_rate=40, idle=500, idle_product=1000, peak=200, peak_concurrency=100,
                   duration=3.0, knee_duration=1.5, knee_rates=[100, 400, 1600], drain=2.0,
                   profile_duration=3.0, idle_settle=1.0, idle_window=3.0,
                   small_knee_rates=[40, 160], small_repeats=1)


def _ms(ns: float) -> float:
    return round(ns / 1e6, 3)


def quantiles(values: list[int]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    values = sorted(values)
    n = len(values)

    def q(p: float) -> float:
        return _ms(values[min(n - 1, int(p * n))])

    return {"p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": _ms(values[-1])}


def core_ticks() -> dict[int, tuple[int, int]]:
    """(busy, total) jiffies of each core from /proc/stat: busy includes interrupts,
    softirqs (loopback TCP is processed there) and steal."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                v = [int(x) for x in values[:8]]
                idle = v[3] + v[4]
                out[int(name[3:])] = (sum(v) - idle, sum(v))
    return out


def core_busy(before: dict[int, tuple[int, int]],
              after: dict[int, tuple[int, int]]) -> dict[str, float]:
    return {f"core{c}": round((after[c][0] - before[c][0]) / max(after[c][1] - before[c][1], 1),
                              3) for c in after if c in before}


def gen_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Bench:
    def __init__(self, servers: ServerSet, timeout: float = 30.0,
                 fast_reader: bool = True) -> None:
        self.servers = servers
        self.adapter: Adapter = ADAPTERS[servers.kind.adapter]()
        self.collector = Collector()
        self.timeout = timeout
        self.fast_reader = fast_reader
        self.conns: list[Conn] = []
        self._run_ids = 0
        self._index = 0

    async def open(self, rooms: list[str], concurrency: int,
                   tokens: list[str | None] | None = None) -> dict[str, Any]:
        """Open one connection per entry of ``rooms`` (spread over the server's processes
        in turn, as a load balancer would) and join it to that room; with ``tokens``, as
        the people those tokens were given to (the product's returning participants)."""
        urls = self.servers.ws_urls
        sem = asyncio.Semaphore(concurrency)
        times: list[float] = []
        failures: Counter[str] = Counter()
        opened: list[Conn | None] = [None] * len(rooms)

        async def one(slot: int, index: int, room: str) -> None:
            async with sem:
                started = time.monotonic()
                try:
                    conn = await open_conn(index, urls[index % len(urls)], self.adapter,
                                           self.collector, self.timeout, self.fast_reader,
                                           tokens[slot] if tokens else None)
                    try:
                        await self.adapter.join(conn, room, self.timeout)
                    except BaseException:
                        conn.abort()
                        raise
                except Exception as exc:
                    failures[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                    return
                times.append(time.monotonic() - started)
                opened[slot] = conn

        started = time.monotonic()
        await asyncio.gather(*(one(slot, self._index + slot, room)
                               for slot, room in enumerate(rooms)))
        elapsed = time.monotonic() - started
        self._index += len(rooms)
        new = [c for c in opened if c is not None]
        self.conns.extend(new)
        times.sort()
        return {"requested": len(rooms), "connected": len(new),
                "failed": len(rooms) - len(new), "failures": dict(failures.most_common(5)),
                "seconds": round(elapsed, 3),
                "setup_per_s": round(len(new) / elapsed, 1) if elapsed else None,
                "join_p50_ms": round(times[len(times) // 2] * 1e3, 1) if times else None,
                "join_p99_ms": (round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1e3, 1)
                                if times else None)}

    async def traffic(self, conns: list[Conn], senders: list[Conn], rate: float,
                      duration: float, drain: float, label: str) -> dict[str, Any]:
        """``senders`` send ``rate`` messages a second in all, in turn, for ``duration``
        seconds; every connection in ``conns`` counts what it receives."""
        self._run_ids += 1
        run = self._run_ids
        stats = self.collector.new_run(run)
        size = Counter(c.room for c in conns if not c.closed)
        await self.servers.refresh_db_pids()
        lags: list[float] = []
        tick = 0.002
        gc.collect()
        gc.disable()  # no collector pause of the generator's own inside a measured run
        cores0 = core_ticks()
        cpu0, gen0, t0 = self.servers.cpu(), gen_cpu(), time.monotonic()
        sent = 0
        while True:
            now = time.monotonic()
            elapsed = now - t0
            if elapsed >= duration:
                break
            due = min(int(rate * elapsed) + 1, int(rate * duration))
            while sent < due:
                conn = senders[sent % len(senders)]
                if not conn.closed and conn.room is not None:
                    self.adapter.send(conn, conn.room, stamp(conn.index, run, sent))
                    stats.expected += size[conn.room]
                    stats.sent += 1
                sent += 1
            before = time.monotonic()
            await asyncio.sleep(tick)
            lags.append(time.monotonic() - before - tick)
        send_end = time.monotonic()
        deadline = send_end + drain
        while stats.received < stats.expected and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        t_end = time.monotonic()
        await self.servers.refresh_db_pids()
        cpu1, gen1 = self.servers.cpu(), gen_cpu()
        cores1 = core_ticks()
        gc.enable()
        self.collector.current = None
        wall = t_end - t0
        cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
        total_cpu = sum(cpu.values())
        received = max(stats.received, 1)
        lags.sort()
        gen_share = (gen1 - gen0) / wall
        result: dict[str, Any] = {
            "rate_msgs_per_s": rate, "duration_s": duration, "senders": len(senders),
            "connections": sum(size.values()), "rooms": len(size),
            "sent": stats.sent, "expected_deliveries": stats.expected,
            "deliveries": stats.received,
            "deliveries_per_s": round(stats.received / duration, 1),
            "lost": max(stats.expected - stats.received, 0), "duplicated": stats.dups,
            "error_frames": stats.errors,
            **quantiles(stats.lat),
            "server_cpu_s": {k: round(v, 3) for k, v in cpu.items()},
            "server_cpu_share": round(cpu["app"] / wall, 3),
            "cpu_us_per_delivery": round(total_cpu * 1e6 / received, 2)
            if stats.received else None,
            "cpu_us_per_delivery_app": round(cpu["app"] * 1e6 / received, 2)
            if stats.received else None,
            "generator_cpu_share": round(gen_share, 3),
            "core_busy": core_busy(cores0, cores1),
            "generator_loop_lag_p99_ms": round(lags[int(len(lags) * 0.99)] * 1e3, 2)
            if lags else None,
            # The generator's core also carries the kernel's loopback work for what it
            # receives (softirq time, charged to no process): a busy core counts too.
            "generator_saturated": gen_share >= GEN_SATURATED or core_busy(cores0, cores1).get(
                f"core{GENERATOR_CORE}", 0.0) >= CORE_SATURATED,
            "drain_s": round(t_end - send_end, 3),
            "servers_alive": self.servers.alive(),
        }
        # The generator's one JSON line per measured run.
        print(json.dumps({"kind": self.servers.kind.name, "scenario": label, **result}),
              flush=True)
        return result

    async def close_all(self) -> None:
        for conn in self.conns:
            conn.close()
        self.conns = []
        await asyncio.sleep(0.5)


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median CPU per delivery, with what every run must show taken over
    all of them: the losses and duplicates added up, the worst p99; each run's CPU per
    delivery is kept beside it."""
    ranked = sorted(runs, key=lambda r: r["cpu_us_per_delivery"] or float("inf"))
    median = dict(ranked[len(ranked) // 2])
    if len(runs) > 1:
        median["lost"] = sum(r["lost"] for r in runs)
        median["duplicated"] = sum(r["duplicated"] for r in runs)
        median["p99_ms"] = max((r["p99_ms"] for r in runs if r["p99_ms"] is not None),
                               default=None)
        median["runs_cpu_us_per_delivery"] = [r["cpu_us_per_delivery"] for r in runs]
    return median


SMALL_KNEE_KINDS = ("websockets", "starlette", "product", "product-redis")


def good(step: dict[str, Any]) -> bool:
    p99 = step.get("p99_ms")
    return (p99 is not None and p99 <= 100.0 and step["lost"] == 0
            and step["duplicated"] == 0 and step["servers_alive"])


async def step_knee(bench: Bench, conns: list[Conn], senders: list[Conn], rates: list[float],
                    sizes: Sizes, log: Any, name: str) -> dict[str, Any]:
    """Raise the rate step by step until p99 > 100 ms or anything is lost or doubled."""
    steps = []
    knee = None
    for rate in rates:
        await asyncio.sleep(0.5)
        step = await bench.traffic(conns, senders, rate, sizes.knee_duration, 2.0,
                                   f"{name}_{rate:g}")
        steps.append(step)
        ok = good(step)
        log(f"  {name} {rate:>6.0f} msg/s: p99 {step['p99_ms']} ms lost {step['lost']} "
            f"dup {step['duplicated']} server {step['server_cpu_share']:.0%} "
            f"gen {step['generator_cpu_share']:.0%} {'ok' if ok else 'OVER'}")
        if not ok:
            break
        knee = step
    return {"steps": steps,
            "knee_msgs_per_s": knee["rate_msgs_per_s"] if knee else None,
            "knee_deliveries_per_s": knee["deliveries_per_s"] if knee else None,
            "reached_end": bool(steps) and good(steps[-1]),
            "generator_saturated_at_knee": bool(
                any(s["generator_saturated"] for s in steps[-2:]))}


async def throughput(servers: ServerSet, sizes: Sizes, log: Any) -> dict[str, Any]:
    """The big room, then the knee (raising the rate in the same room)."""
    bench = Bench(servers)
    out: dict[str, Any] = {}
    try:
        rss0 = servers.rss()
        setup = await bench.open(["big"] * sizes.big_members,
                                 servers.kind.join_concurrency or 50)
        out["big_room_setup"] = setup
        log(f"  big room: {setup['connected']}/{setup['requested']} joined in "
            f"{setup['seconds']} s")
        conns = list(bench.conns)
        if setup["failed"]:
            out["error"] = "connections failed"
        await asyncio.sleep(1.0)
        senders = conns[:sizes.big_senders]
        rss = servers.rss()
        setup["rss_per_connection_kb"] = round((rss["app_kb"] - rss0["app_kb"])
                                               / max(len(conns), 1), 2)
        big = await bench.traffic(conns, senders, sizes.big_rate, sizes.duration, sizes.drain,
                                  "big_room")
        big["setup_per_s"] = setup["setup_per_s"]
        big["rss_per_connection_kb"] = setup["rss_per_connection_kb"]
        out["big_room"] = big
        log(f"  big room: {big['deliveries_per_s']:.0f} deliveries/s p99 {big['p99_ms']} ms "
            f"lost {big['lost']} dup {big['duplicated']} cpu/delivery "
            f"{big['cpu_us_per_delivery']} µs gen {big['generator_cpu_share']:.0%}")
        out["knee"] = await step_knee(bench, conns, senders, sizes.knee_rates, sizes, log,
                                      "knee")
    finally:
        await bench.close_all()
    return out


async def returning_peak(bench: Bench, servers: ServerSet, people: list[Conn],
                         sizes: Sizes) -> dict[str, Any]:
    """The 18:00 peak as it mostly is: the peak's people, gone since yesterday, all come back
    at once with their tokens (a returning hello reads the identity, and the first one of
    the day marks it used) and join their rooms again, among the others still connected."""
    rooms = [c.room or "" for c in people]
    tokens: list[str | None] = [c.token for c in people]
    gone = set(map(id, people))
    for conn in people:
        conn.abort()
    bench.conns = [c for c in bench.conns if id(c) not in gone]
    await asyncio.sleep(3.0)  # their leaving is done with
    await servers.age_identities()
    return await bench.open(rooms, sizes.peak_concurrency, tokens=tokens)


async def capacity(servers: ServerSet, sizes: Sizes, log: Any,
                   product: bool) -> dict[str, Any]:
    """The 18:00 peak on a fresh server, then idle capacity, then many small rooms."""
    bench = Bench(servers, timeout=60.0)
    out: dict[str, Any] = {}
    size = sizes.small_size
    try:
        await bench.open(["w0"] * size, size)
        await asyncio.sleep(1.0)
        rss0 = servers.rss()
        base = len(bench.conns)
        peak = await bench.open([f"c{i // size}" for i in range(sizes.peak)],
                                sizes.peak_concurrency)
        peak_conns = bench.conns[base:]
        out["peak"] = peak
        log(f"  peak: {peak['connected']}/{peak['requested']} joined in {peak['seconds']} s, "
            f"failed {peak['failed']}")
        more = await bench.open([f"c{i // size}" for i in range(sizes.peak, sizes.idle)], 100)
        await asyncio.sleep(sizes.idle_settle)
        rss1 = servers.rss()
        idle_n = len(bench.conns) - base
        cpu0, t0 = servers.cpu(), time.monotonic()
        await asyncio.sleep(sizes.idle_window)
        cpu1, t1 = servers.cpu(), time.monotonic()
        out["idle"] = {
            "connections": idle_n, "setup": more, "warm_connections": base,
            "rss_before_kb": rss0, "rss_after_kb": rss1,
            "rss_per_connection_kb": round((rss1["app_kb"] - rss0["app_kb"]) / max(idle_n, 1), 2),
            "redis_per_connection_kb": round(
                (rss1["redis_kb"] - rss0["redis_kb"]) / max(idle_n, 1), 2),
            "idle_cpu_share": round((cpu1["app"] - cpu0["app"]) / (t1 - t0), 4),
            "idle_redis_cpu_share": round((cpu1["redis"] - cpu0["redis"]) / (t1 - t0), 4),
            "idle_window_s": round(t1 - t0, 1),
        }
        log(f"  idle: {idle_n} connections, {out['idle']['rss_per_connection_kb']} KB each, "
            f"idle CPU {out['idle']['idle_cpu_share']:.1%}")
        conns = [c for c in bench.conns[base:] if c.room is not None
                 and int(c.room[1:]) < sizes.small_rooms]
        by_room: dict[str, list[Conn]] = {}
        for c in conns:
            by_room.setdefault(c.room or "", []).append(c)
        senders = [members[0] for members in by_room.values()]
        small = median_run([await bench.traffic(conns, senders, sizes.small_rate,
                                                sizes.duration, sizes.drain, "small_rooms")
                            for _ in range(sizes.small_repeats)])
        out["small_rooms"] = small
        log(f"  small rooms: {small['rooms']} rooms {small['deliveries_per_s']:.0f} "
            f"deliveries/s p99 {small['p99_ms']} ms lost {small['lost']} dup "
            f"{small['duplicated']} cpu/delivery {small['cpu_us_per_delivery']} µs")
        if servers.kind.name in SMALL_KNEE_KINDS:
            out["small_knee"] = await step_knee(bench, conns, senders, sizes.small_knee_rates,
                                                sizes, log, "small-rooms knee")
        if product and sizes.idle_product > sizes.idle:
            extra = await bench.open([f"c{i // size}" for i in range(sizes.idle,
                                                                      sizes.idle_product)], 100)
            await asyncio.sleep(3.0)
            rss2 = servers.rss()
            n = len(bench.conns) - base
            out["idle_max"] = {"connections": n, "setup": extra, "rss_after_kb": rss2,
                               "rss_per_connection_kb": round(
                                   (rss2["app_kb"] - rss0["app_kb"]) / max(n, 1), 2),
                               "servers_alive": servers.alive()}
            log(f"  idle max: {n} connections, "
                f"{out['idle_max']['rss_per_connection_kb']} KB each")
        if servers.kind.product:
            out["returning"] = await returning_peak(bench, servers, peak_conns, sizes)
            log(f"  returning peak: {out['returning']['connected']}/"
                f"{out['returning']['requested']} back in {out['returning']['seconds']} s, "
                f"failed {out['returning']['failed']}")
    finally:
        with contextlib.suppress(Exception):
            await bench.close_all()
    return out
