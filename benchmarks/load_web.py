"""Web-page load test: N concurrent browser users against a running geo-service on loopback.

Each simulated user logs in through the form (``GET /masuk``, ``POST /masuk``: its own
cookie jar and session), fetches the map layers once (a browser keeps them: the URL names the
run), then walks the planner's pages in a loop with no think time: the kabupaten overview,
the priority list (unfiltered and three filters), three desa profiles, pockets and the OPD
view. Bounded in time and requests; traffic only to 127.0.0.1. Prints p50/p95/p99 per page
and overall, and errors. Usage (a server with a finished run, e.g. after ``make demo``)::

    python -m benchmarks.load_web --url http://127.0.0.1:8000 --user demo \\
        --password demo-kendal --kabupaten 33.24 --users 20 --seconds 20

``--serve-test-db`` starts a server itself on the API tests' database (Kendal with a
finished run of 12,000 synthetic families; the pages read per-desa tables, so their cost
does not depend on the number of families) and logs in as ``analis_a``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from urllib.parse import urlsplit

import httpx
import numpy as np

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
DESA = re.compile(r'data-kode-desa="([0-9.]+)"')
MAP_URL = re.compile(r'"url":"([^"]+\.json)"')


def pages(kab: str, desa: list[str]) -> list[tuple[str, str]]:
    out = [
        ("ringkasan", f"/kabupaten/{kab}"),
        ("prioritas", f"/kabupaten/{kab}/hal/prioritas"),
        ("prioritas_saring", f"/kabupaten/{kab}/hal/prioritas?kuadran=I&min_keluarga=5"),
        ("prioritas_saring", f"/kabupaten/{kab}/hal/prioritas?kantong=ya"),
        ("prioritas_saring", f"/kabupaten/{kab}/hal/prioritas?urut=n_jiwa_ekstrem&arah=turun"),
        ("kantong", f"/kabupaten/{kab}/hal/kantong"),
        ("opd", f"/kabupaten/{kab}/hal/opd"),
    ]
    out += [("desa", f"/kabupaten/{kab}/hal/desa/{d}") for d in desa[:3]]
    return out


async def login(client: httpx.AsyncClient, user: str, password: str) -> None:
    form = await client.get("/masuk")
    token = CSRF.search(form.text)
    if token is None:
        raise SystemExit("no login form at /masuk")
    r = await client.post(
        "/masuk", data={"username": user, "password": password, "csrf_token": token.group(1)}
    )
    if r.status_code != 303:
        raise SystemExit(f"login as {user} failed: HTTP {r.status_code}")


async def _user(client, paths, stop_at, max_requests, out) -> None:
    i = 0
    while time.perf_counter() < stop_at and i < max_requests:
        name, path = paths[i % len(paths)]
        t0 = time.perf_counter()
        try:
            r = await client.get(path)
            ok = r.status_code == 200 and len(r.content) > 0
        except httpx.HTTPError:
            ok = False
        out.append((name, time.perf_counter() - t0, ok))
        i += 1


async def run(
    url: str,
    user: str,
    password: str,
    kab: str,
    users: int,
    seconds: float,
    max_requests: int,
) -> dict:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests only target this machine (loopback)")
    clients = [
        httpx.AsyncClient(base_url=url, timeout=60, follow_redirects=False) for _ in range(users)
    ]
    results: list[tuple[str, float, bool]] = []
    try:
        for c in clients:  # one session per simulated browser
            await login(c, user, password)
        first = await clients[0].get(f"/kabupaten/{kab}/hal/prioritas")
        if first.status_code != 200:
            raise SystemExit(f"priority page: HTTP {first.status_code}")
        desa = list(dict.fromkeys(DESA.findall(first.text)))
        map_url = MAP_URL.search(first.text)
        paths = pages(kab, desa)
        for _name, p in paths:  # warm-up: the first request of a run fills the caches
            await clients[0].get(p)
        if map_url:  # each browser loads the map layers once
            t0 = time.perf_counter()
            got = await asyncio.gather(*[c.get(map_url.group(1)) for c in clients])
            results += [
                ("peta_json_sekali", time.perf_counter() - t0, r.status_code == 200) for r in got
            ]
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(
            *[
                _user(
                    c,
                    paths[u % len(paths) :] + paths[: u % len(paths)],
                    stop_at,
                    max_requests,
                    results,
                )
                for u, c in enumerate(clients)
            ]
        )
    finally:
        for c in clients:
            await c.aclose()
    table: dict[str, dict] = {}
    names = list(dict.fromkeys(n for n, _, _ in results))
    for name in [*names, "semua_halaman"]:
        rows = [
            (t, ok)
            for n, t, ok in results
            if n == name or (name == "semua_halaman" and n != "peta_json_sekali")
        ]
        lat = np.array([t for t, _ in rows]) * 1000
        table[name] = {
            "n": int(lat.size),
            "errors": sum(1 for _, ok in rows if not ok),
            "p50_ms": round(float(np.percentile(lat, 50)), 1) if lat.size else None,
            "p95_ms": round(float(np.percentile(lat, 95)), 1) if lat.size else None,
            "p99_ms": round(float(np.percentile(lat, 99)), 1) if lat.size else None,
        }
    return table


def run_wrk(
    url: str,
    user: str,
    password: str,
    kab: str,
    users: int,
    seconds: float,
    only: list[str] | None = None,
    server_pid: int | None = None,
) -> dict:
    """One wrk run per page (2 threads, ``users`` connections, one logged-in session shared
    by the connections: the per-session user check is remembered for 2 s, so sharing it does
    not make the server's work smaller), with the headers a browser sends."""
    import shutil
    import subprocess
    import tempfile

    from benchmarks.load_api import WRK_SCRIPT, cpu_seconds, wrk_row

    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests only target this machine (loopback)")
    assert shutil.which("wrk"), "Debian package wrk"

    async def session() -> tuple[str, list[tuple[str, str]], str | None]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            await login(c, user, password)
            first = await c.get(f"/kabupaten/{kab}/hal/prioritas")
            desa = list(dict.fromkeys(DESA.findall(first.text)))
            found = MAP_URL.search(first.text)
            return c.cookies.get("gs_sesi"), pages(kab, desa), found.group(1) if found else None

    cookie, paths, map_url = asyncio.run(session())
    targets = list(dict.fromkeys(paths))
    if map_url:
        targets.append(("peta_json", map_url))
    if only:
        targets = [t for t in targets if t[0] in only]
    table = {}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
    for name, path in targets:
        headers = {"Cookie": f"gs_sesi={cookie}; gs_bahasa=id", "Accept-Encoding": "gzip"}
        httpx.get(url + path, headers=headers, timeout=60)  # warm
        args = ["wrk", "-t2", f"-c{users}", f"-d{int(seconds)}s", "--timeout", "10s"]
        args += ["-s", f.name]
        for k, v in headers.items():
            args += ["-H", f"{k}: {v}"]
        cpu0 = cpu_seconds(server_pid)
        out = subprocess.run(
            [*args, url + path], capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
        cpu1 = cpu_seconds(server_pid)
        label = f"{name} `{path.split('?', 1)[1]}`" if "?" in path else name
        table[label] = wrk_row(out, None if cpu0 is None or cpu1 is None else cpu1 - cpu0)
    return table


def _serve_test_db(port: int):
    """A server on the API tests' database (built by tests.api.support) in a subprocess."""
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from tests.api.support import _template

    folder, _, _ = _template()
    work = Path(tempfile.mkdtemp(prefix="geo-load-web-"))
    for name in ("api.sqlite", "opd_programmes.csv"):
        if (folder / name).exists():
            shutil.copy(folder / name, work / name)
    script = (
        "import sys, uvicorn\n"
        "from geo_service.api import create_app\n"
        "from tests.fixtures.settings import make_settings\n"
        "from tests.api.web.conftest import make_web_app\n"
        f"s = make_settings(data_dir={str(work)!r}, "
        f"database_url='sqlite:///{work / 'api.sqlite'}')\n"
        f"uvicorn.run(make_web_app(s), host='127.0.0.1', port={port}, log_level='warning')\n"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("test server did not start")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--user", default="demo")
    ap.add_argument("--password", default="demo-kendal")
    ap.add_argument("--kabupaten", default="33.24")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--max-requests", type=int, default=100_000, help="per user")
    ap.add_argument("--serve-test-db", action="store_true")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--json", help="also write the table to this file")
    ap.add_argument("--server-pid", type=int, help="wrk: report the server's CPU ms per request")
    ap.add_argument(
        "--pages",
        help="wrk only: these pages, comma-separated (e.g. ringkasan,peta_json)",
    )
    ap.add_argument(
        "--client",
        choices=["httpx", "wrk"],
        default="httpx",
        help="httpx: every simulated user logs in and walks the pages; wrk: one run per page "
        "from a C client (does not take the server's CPU)",
    )
    args = ap.parse_args(argv)
    proc = None
    url, user, password = args.url, args.user, args.password
    if args.serve_test_db:
        from tests.api.support import PASSWORD

        proc, url = _serve_test_db(args.port)
        user, password = "analis_a", PASSWORD
    try:
        if args.client == "wrk":
            only = args.pages.split(",") if args.pages else None
            pid = proc.pid if proc is not None else args.server_pid
            table = run_wrk(
                url,
                user,
                password,
                args.kabupaten,
                args.users,
                args.seconds,
                only=only,
                server_pid=pid,
            )
        else:
            table = asyncio.run(
                run(
                    url, user, password, args.kabupaten, args.users, args.seconds, args.max_requests
                )
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"client {args.client}, {args.users} users, {args.seconds:.0f} s, {url}")
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    print(
        "| page | requests | errors | p50 ms | p95 ms | p99 ms | bytes on the wire "
        "| server CPU ms/request |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, row in table.items():
        print(
            f"| {name} | {row['n']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['p99_ms']} | {row.get('bytes', '')} | {row.get('server_cpu_ms', '')} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(table, fh, indent=1)


if __name__ == "__main__":
    main()
