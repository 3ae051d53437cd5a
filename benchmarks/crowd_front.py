"""A conference crowd through the caching front (issue 22): server CPU per new browser session.

In one run, loopback only, every wait bounded:

1. direct (the floor's baseline): one app process (``streamlit run app.py`` from tests/harness.py,
   serving Streamlit's frontend files itself), warmed by one visit and left to finish its background
   warm-up, then ``--direct`` new browser contexts one after another open the ICB share link until
   the map is drawn; app-server CPU-seconds per new session.
2. front: ``python -m geo_core20.front`` with ``--replicas`` app processes behind nginx; each replica
   finishes its start-up warm-up (every built vintage: its CPU-seconds are reported as
   ``startup_cpu_s``, a cost paid once before the crowd arrives, not per session) and gets one visit
   (a cookie pinned to it); then ``--sessions`` new browser contexts (``--wave`` at a time) open the
   same link until drawn. App-server CPU (all replicas) and nginx CPU per new session, time to drawn
   p50/p95 (on 2 cores these mostly measure the browsers: reported, not tuned to), replicas' memory.

Pass bar: at most 0.2 app-server CPU-seconds per new browser session through the front.

    python benchmarks/crowd_front.py [--sessions 50] [--wave 10] [--replicas 2] [--direct 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time

import psutil
from _common import CHROMIUM, CHROMIUM_ARGS, ROOT, machine, serve_app
from load_test import VIEWPORT, cpu_seconds, open_link, pct, rss_mb, server_process

from geo_core20 import front

PASS_CPU_PER_SESSION = 0.2


async def new_sessions(chromium, base: str, n: int, wave: int, cookie: str | None = None) -> list[dict]:
    """``n`` new browser contexts opening the share link, ``wave`` at a time: seconds to drawn each."""
    out: list[dict] = []

    async def one() -> dict:
        ctx = await chromium.new_context(viewport=VIEWPORT)
        if cookie:
            await ctx.add_cookies([{"name": front.COOKIE, "value": cookie, "url": base}])
        try:
            page, took, lsoas = await open_link(ctx, base)
            await page.wait_for_timeout(500)  # trailing messages belong to this visit
            return {"s": took, "lsoas": lsoas}
        except Exception as exc:  # noqa: BLE001 - counted as a failure
            return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
        finally:
            await ctx.close()

    for start in range(0, n, wave):
        out += await asyncio.gather(*(one() for _ in range(min(wave, n - start))))
    return out


def wait_quiet(procs: list[psutil.Process], *, window: float = 3.0, below: float = 0.15,
               timeout: float = 300.0) -> float:
    """Wait until ``procs`` use under ``below`` CPU-seconds in ``window`` seconds (background warm-up
    done); the seconds waited (``timeout`` at most: the caller's figures then include the rest)."""
    t0 = time.monotonic()
    last = tree_cpu(procs)
    while time.monotonic() - t0 < timeout:
        time.sleep(window)
        now = tree_cpu(procs)
        if now - last < below:
            break
        last = now
    return time.monotonic() - t0


def tree_cpu(procs: list[psutil.Process]) -> float:
    """CPU-seconds of processes, their reaped children included (a process gone counts 0)."""
    total = 0.0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    res: dict = {
        "machine": machine(),
        "sessions": args.sessions,
        "wave": args.wave,
        "replicas": args.replicas,
    }
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # 1. direct: one app process, no front
        with serve_app() as base:
            server = server_process(base)
            await new_sessions(chromium, base, 1, 1)  # warm (the page starts the caches' warm-up)
            res["direct_quiet_after_s"] = wait_quiet([server])
            c0 = cpu_seconds(server)
            direct = await new_sessions(chromium, base, args.direct, 1)
            res["direct_cpu_per_session_s"] = (cpu_seconds(server) - c0) / max(1, args.direct)
            res["direct_s"] = [d.get("s") for d in direct]
        # 2. through the front
        with front.running(args.replicas) as f:
            replicas = [psutil.Process(p.pid) for p in f.replicas]
            nginx = psutil.Process(f.nginx.pid)
            nginx_tree = [nginx, *nginx.children(recursive=True)]
            res["quiet_after_s"] = wait_quiet(replicas)  # every vintage warm (geo_core20.serve)
            res["startup_cpu_s"] = tree_cpu(replicas)
            for cookie in f.pinned_cookies().values():  # one visit to every replica
                await new_sessions(chromium, f.url, 1, 1, cookie=cookie)
            wait_quiet(replicas, timeout=60)
            res["rss_before_mb"] = sum(rss_mb(r) for r in replicas)
            c0, n0, t0 = tree_cpu(replicas), tree_cpu(nginx_tree), time.monotonic()
            outs = await asyncio.wait_for(
                new_sessions(chromium, f.url, args.sessions, args.wave), timeout=args.max_seconds
            )
            res["wall_s"] = time.monotonic() - t0
            res["app_cpu_s"] = tree_cpu(replicas) - c0
            res["nginx_cpu_s"] = max(0.0, tree_cpu([nginx, *nginx.children(recursive=True)]) - n0)
            res["rss_after_mb"] = sum(rss_mb(r) for r in replicas)
        await chromium.close()
    ok = [o["s"] for o in outs if "s" in o]
    res["drawn"], res["failed"] = len(ok), [o["error"] for o in outs if "error" in o][:5]
    res["app_cpu_per_session_s"] = res["app_cpu_s"] / max(1, args.sessions)
    res["nginx_cpu_per_session_s"] = res["nginx_cpu_s"] / max(1, args.sessions)
    res["p50_s"], res["p95_s"] = (statistics.median(ok), pct(ok, 95)) if ok else (None, None)
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--wave", type=int, default=10, help="new browsers at once")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--direct", type=int, default=5, help="new sessions on the direct baseline")
    p.add_argument("--max-seconds", type=float, default=1200)
    args = p.parse_args(argv)
    res = asyncio.run(run(args))
    out = ROOT / "benchmarks" / "results" / "crowd_front.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    print(f"machine: {res['machine']['nproc']} cores, load {res['machine']['load_avg_at_start']}")
    print(
        f"direct (one app process, no front): {res['direct_cpu_per_session_s']:.2f} app CPU-s per new session"
    )
    print(
        f"front ({args.replicas} replicas, {args.sessions} new browsers, {args.wave} at a time): "
        f"{res['app_cpu_per_session_s']:.3f} app CPU-s + {res['nginx_cpu_per_session_s']:.3f} nginx CPU-s "
        f"per new session; drawn {res['drawn']}/{args.sessions}; to drawn p50 {res['p50_s']:.1f} s, p95 "
        f"{res['p95_s']:.1f} s; replicas' memory {res['rss_before_mb']:.0f} -> {res['rss_after_mb']:.0f} MB"
    )
    passed = res["drawn"] == args.sessions and res["app_cpu_per_session_s"] <= PASS_CPU_PER_SESSION
    print(
        ("PASS" if passed else "FAIL")
        + f": at most {PASS_CPU_PER_SESSION} app CPU-s per new browser session"
        + (f"; failures: {res['failed']}" if res["failed"] else "")
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
