"""``python -m bench``: the benchmark of issue 7 (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import profile, report
from bench.run import Sizes, capacity, throughput
from bench.servers import GENERATOR_CORE, KINDS, SERVER_CORE, ServerSet, cores

RESULTS = Path(__file__).resolve().parent / "results"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except OSError:
        pass
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for name in ("websockets", "uvicorn", "starlette", "uvloop", "httptools", "redis",
                 "python-socketio", "python-engineio", "broadcaster", "msgspec", "sqlalchemy",
                 "asyncpg", "aiosqlite"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {"cpu": model, "cores": os.cpu_count(), "cores_usable": cores(), "memory": mem,
            "kernel": platform.release(), "python": platform.python_version(),
            "packages": versions}


def rooms_for(sizes: Sizes) -> list[tuple[str, int]]:
    top = max(sizes.idle_product, sizes.idle, sizes.peak) // sizes.small_size + 2
    return [("big", 100_000), ("w0", 1_000)] + [(f"c{i}", 50) for i in range(top)]


async def main_async(args: argparse.Namespace) -> int:
    started = time.monotonic()
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.duration:
        sizes.duration = args.duration
    kinds = args.kinds.split(",") if args.kinds else list(KINDS)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"bench: unknown kinds {unknown}; known: {list(KINDS)}", file=sys.stderr)
        return 2
    task = asyncio.current_task()
    if task is not None:  # SIGTERM: stop cleanly, servers included
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    nofile = raise_nofile()
    if cores() >= 2:
        os.sched_setaffinity(0, {GENERATOR_CORE})
    logdir = Path(tempfile.mkdtemp(prefix="bench-logs-"))

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {text}", flush=True)

    log(f"bench: {'quick' if args.quick else 'full'} run of {', '.join(kinds)}; server core "
        f"{SERVER_CORE}, generator core {GENERATOR_CORE}, open files {nofile}, logs {logdir}")
    results: dict[str, Any] = {}
    rooms = rooms_for(sizes)
    for name in kinds:
        kind = KINDS[name]
        entry: dict[str, Any] = {"label": kind.label, "processes": kind.processes}
        results[name] = entry
        for phase in kind.phases:
            if args.only and phase not in args.only:
                continue
            log(f"{name}: {phase}")
            servers = ServerSet(kind, rooms, logdir)
            try:
                await servers.start()
                if phase == "throughput":
                    entry.update(await throughput(servers, sizes, log))
                else:
                    entry.update(await capacity(servers, sizes, log,
                                                            kind.product and kind.processes == 1))
            except Exception as exc:
                traceback.print_exc()
                entry.setdefault("errors", []).append(f"{phase}: {type(exc).__name__}: {exc}")
                print(servers.log_tail(), file=sys.stderr)
            finally:
                await servers.stop()
    out_dir = Path(args.out) if args.out else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    prof = None
    if not args.no_profile and "product" in kinds:
        log("profile: product, big room, py-spy")
        try:
            prof = await profile.big_room(KINDS["product"], rooms, logdir, sizes,
                                          out_dir / "profile-big-room.txt", log)
        except Exception as exc:
            traceback.print_exc()
            prof = {"error": f"{type(exc).__name__}: {exc}"}
    if not args.no_profile and "product" in kinds:
        log("profile: product, many small rooms, py-spy")
        try:
            await profile.big_room(KINDS["product"], rooms, logdir, sizes,
                                   out_dir / "profile-small-rooms.txt", log, small_rooms=True)
        except Exception:
            traceback.print_exc()
        log("profile: product, the 18:00 join peak, py-spy")
        try:
            await profile.join_peak(KINDS["product"], rooms, logdir, sizes,
                                    out_dir / "profile-join-peak.txt", log)
        except Exception:
            traceback.print_exc()
    if not args.no_profile and "product-redis" in kinds:
        log("profile: product with Redis, connection set-up, py-spy")
        try:
            await profile.setup_redis(KINDS["product-redis"], rooms, logdir, sizes,
                                      out_dir / "profile-setup-redis.txt", log)
        except Exception:
            traceback.print_exc()
    total = time.monotonic() - started
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {"timestamp": stamp, "mode": "quick" if args.quick else "full",
                "machine": machine(), "sizes": sizes.__dict__,
                "pinning": {"server_core": SERVER_CORE, "generator_core": GENERATOR_CORE,
                            "note": "every server-side process (app processes, redis-server) "
                                    "on the server core; PostgreSQL (a system service) is not "
                                    "pinned, its backends' CPU is counted"},
                "kinds": results, "profile": prof, "total_seconds": round(total, 1)}
    document["targets"] = report.targets(document)
    (out_dir / f"{stamp}.json").write_text(json.dumps(document, indent=1) + "\n")
    (out_dir / "latest.md").write_text(report.markdown(document))
    report.plot(document, out_dir / "latency-vs-load.png")
    summary = {"deliveries_per_s": {}, "total_seconds": round(total, 1)}
    for name, entry in results.items():
        big = entry.get("big_room") or {}
        summary["deliveries_per_s"][name] = big.get("deliveries_per_s")
    print(json.dumps({"results": str(out_dir / f"{stamp}.json"), **summary}))
    log(f"bench: done in {total:.0f} s ({total / 60:.1f} min); table in {out_dir / 'latest.md'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and short runs (about a minute): a smoke test")
    parser.add_argument("--kinds", help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--only", help="throughput and/or capacity (comma-separated)")
    parser.add_argument("--duration", type=float, help="T of a measured run, seconds")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the py-spy profiles (big room, small rooms)")
    parser.add_argument("--out", help="results folder (default bench/results)")
    parser.add_argument("--report", metavar="JSON",
                        help="only write latest.md and the plot again from a results file")
    args = parser.parse_args()
    if args.report:
        document = json.loads(Path(args.report).read_text())
        document["targets"] = report.targets(document)
        out_dir = Path(args.out) if args.out else Path(args.report).parent
        out_dir.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(document, indent=1) + "\n")
        (out_dir / "latest.md").write_text(report.markdown(document))
        report.plot(document, out_dir / "latency-vs-load.png")
        return 0
    try:
        import uvloop

        return uvloop.run(main_async(args))
    except ImportError:
        return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
