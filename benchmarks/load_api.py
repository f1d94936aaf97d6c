"""API load test: N concurrent users against a running geo-service on loopback.

Bounded in time and requests, traffic only to 127.0.0.1. Prints p50/p95/p99 and errors per
endpoint. Uses wrk (Debian package ``wrk``, a C client that does not steal the server's
CPU) when installed, else an asyncio httpx client. Usage (a server with a finished run,
e.g. after `make demo`)::

    python -m benchmarks.load_api --url http://127.0.0.1:8000 --user demo --password demo-kendal \
        --kabupaten 33.24 --users 50 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

import httpx
import numpy as np

ENDPOINTS = {
    "prioritas": "/kabupaten/{kab}/prioritas?per_halaman=50",
    "indikator_desa": "/kabupaten/{kab}/indikator/desa?zoom=10",
    "peta": "/kabupaten/{kab}/peta",
    # the floor in the same run: routed, a tiny body, one database read, no login
    "health": "/health",
}
DEFAULT_ENDPOINTS = ("prioritas", "indikator_desa", "peta")


async def _user(client, paths, stop_at, max_requests, out):
    i = 0
    while time.perf_counter() < stop_at and i < max_requests:
        name, path = paths[i % len(paths)]
        t0 = time.perf_counter()
        try:
            r = await client.get(path)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        out.append((name, time.perf_counter() - t0, ok))
        i += 1


async def run(
    url: str, token: str, kab: str, users: int, seconds: float, max_requests: int
) -> dict:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests only target this machine (loopback)")
    paths = [(n, ENDPOINTS[n].format(kab=kab)) for n in DEFAULT_ENDPOINTS]
    results: list[tuple[str, float, bool]] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30, limits=limits
    ) as client:
        for _, p in paths:  # warm-up: first requests fill the caches
            await client.get(p)
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *[
                _user(
                    client,
                    paths[u % len(paths) :] + paths[: u % len(paths)],
                    stop_at,
                    max_requests,
                    results,
                )
                for u in range(users)
            ]
        )
    table = {}
    for name, _ in paths:
        lat = np.array([t for n, t, _ in results if n == name]) * 1000
        errors = sum(1 for n, _, ok in results if n == name and not ok)
        table[name] = {
            "n": int(lat.size),
            "errors": errors,
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
        }
    return table


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``geo-service serve --workers N`` forks N workers)."""
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                for child in fh.read().split():
                    out += _tree(int(child))
    except OSError:
        pass
    return out


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process and its children (``/proc/<pid>/stat``), None
    without a pid."""
    if not pid:
        return None
    total = 0
    for p in _tree(pid):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wrk_row(out: str, cpu_s: float | None) -> dict:
    """The numbers of one wrk run (and the server's CPU per request when measured)."""
    got = dict(re.findall(r"^(p50|p95|p99|n|errors|bytes) ([\d.]+)$", out, re.M))
    row = {
        "bytes": int(got.get("bytes", 0)),
        "n": int(got["n"]),
        "errors": int(got["errors"]),
        "p50_ms": round(float(got["p50"]), 1),
        "p95_ms": round(float(got["p95"]), 1),
        "p99_ms": round(float(got["p99"]), 1),
    }
    if cpu_s is not None and row["n"]:
        row["server_cpu_ms"] = round(1000 * cpu_s / row["n"], 2)
    return row


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("p50 %.3f\\np95 %.3f\\np99 %.3f\\nn %d\\nerrors %d\\nbytes %d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status,
    math.floor(summary.bytes / math.max(summary.requests, 1))))
end
"""


def run_wrk(
    url: str,
    token: str,
    kab: str,
    users: int,
    seconds: float,
    gzip: bool = True,
    server_pid: int | None = None,
    endpoints: tuple[str, ...] = DEFAULT_ENDPOINTS,
) -> dict:
    """One wrk run per endpoint (2 threads, ``users`` connections), with
    ``Accept-Encoding: gzip`` like a browser unless ``gzip`` is false; ``bytes`` is the
    size on the wire per response (headers included)."""
    table = {}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    for name in endpoints:
        path = ENDPOINTS[name]
        target = url + path.format(kab=kab)
        httpx.get(target, headers={"Authorization": f"Bearer {token}"}, timeout=60)  # warm
        extra = ["-H", "Accept-Encoding: gzip"] if gzip else []
        cpu0 = cpu_seconds(server_pid)
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{users}",
                f"-d{int(seconds)}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                "-H",
                f"Authorization: Bearer {token}",
                *extra,
                target,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
        cpu1 = cpu_seconds(server_pid)
        table[name] = wrk_row(out, None if cpu0 is None or cpu1 is None else cpu1 - cpu0)
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--user", default="demo")
    ap.add_argument("--password", default="demo-kendal")
    ap.add_argument("--kabupaten", default="33.24")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--max-requests", type=int, default=2000, help="per user")
    ap.add_argument("--out", help="write the table as JSON")
    ap.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    ap.add_argument("--server-pid", type=int, help="report the server's CPU ms per request (wrk)")
    ap.add_argument(
        "--no-gzip", action="store_true", help="wrk without Accept-Encoding: gzip (plain bodies)"
    )
    ap.add_argument(
        "--endpoints",
        default=",".join(DEFAULT_ENDPOINTS),
        help=f"wrk: comma-separated, of {','.join(ENDPOINTS)} (health: the floor)",
    )
    a = ap.parse_args()
    token = httpx.post(
        f"{a.url}/auth/token", data={"username": a.user, "password": a.password}
    ).json()["access_token"]
    if urlsplit(a.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests only target this machine (loopback)")
    use_wrk = a.client == "wrk" or (a.client == "auto" and shutil.which("wrk"))
    if use_wrk:
        table = run_wrk(
            a.url,
            token,
            a.kabupaten,
            a.users,
            a.seconds,
            gzip=not a.no_gzip,
            server_pid=a.server_pid,
            endpoints=tuple(a.endpoints.split(",")),
        )
    else:
        table = asyncio.run(run(a.url, token, a.kabupaten, a.users, a.seconds, a.max_requests))
    print(f"client: {'wrk' if use_wrk else 'httpx'}, {a.users} users, {a.seconds:g} s each")
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    print(
        f"{'endpoint':<16}{'n':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'bytes':>10}{'cpu ms':>8}"
    )
    for name, row in table.items():
        print(
            f"{name:<16}{row['n']:>7}{row['errors']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}"
            f"{row['p99_ms']:>9}{row.get('bytes', ''):>10}"
            f"{row.get('server_cpu_ms', ''):>8}"
        )
    if a.out:
        with open(a.out, "w") as f:
            load = open("/proc/loadavg").read().split()[:3]
            json.dump(
                {"users": a.users, "seconds": a.seconds, "load_after": load, "endpoints": table},
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
