#!/usr/bin/env python3
"""B5 (REST) and B7 (footprint) against the real daemon on loopback, with their peers measured in
the same run: FastAPI + uvicorn and a bare Beast server for B5, a bare Beast idle connection for
B7. Prints Markdown tables. Called by scripts/bench; stdlib only (plus wrk and the peers).

The daemon (and each peer server) is pinned to CPU 0 and wrk to CPU 1 with taskset.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-token-0123456789abcdef0123456789abcdef"
SYMBOLS = [f"S{i:03d}USDT" for i in range(100)]
# The Debian interpreter, where python3-fastapi and python3-uvicorn are installed.
DEBIAN_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def http(port, method, path, body=None, timeout=5):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def commit_totals(port):
    """(seconds, count) the paper engine spent in store commits, from the daemon's /metrics."""
    _, body = http(port, "GET", "/metrics")
    total = count = 0.0
    for line in body.decode().splitlines():
        if 'mode="paper-trading"' in line and line.startswith("traded_store_commit_seconds_sum"):
            total = float(line.split()[-1])
        if 'mode="paper-trading"' in line and line.startswith("traded_store_commit_seconds_count"):
            count = float(line.split()[-1])
    return total, count


def wait_http(port, path, timeout=30, auth=True):
    end = time.time() + timeout
    while time.time() < end:
        try:
            code, _ = http(port, "GET", path, timeout=1)
            if code == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def pinned(cpu, argv, **kw):
    return subprocess.Popen(["taskset", "-c", str(cpu)] + argv, preexec_fn=raise_nofile, **kw)


def stop(p):
    if p and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ----- wrk ---------------------------------------------------------------------------------------

def to_us(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    x = float(m.group(1))
    return x * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]


def wrk(url, seconds, conns, method="GET"):
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
            "-H", "Authorization: Bearer " + TOKEN]
    script = None
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(f'wrk.method = "{method}"\n')
        script.close()
        args += ["-s", script.name]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = to_us(re.search(r"\s99%\s+(\S+)", out).group(1))
    p50 = to_us(re.search(r"\s50%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(non2xx.group(1)) if non2xx else 0}


def wrk_reps(url, reps, seconds, conns, method="GET"):
    runs = [wrk(url, seconds, conns, method) for _ in range(reps)]
    rps = sorted(r["rps"] for r in runs)
    p99 = sorted(r["p99"] for r in runs)
    return {"rps": statistics.median(rps), "rps_min": rps[0], "rps_max": rps[-1],
            "p99": statistics.median(p99), "p99_min": p99[0], "p99_max": p99[-1],
            "p50": statistics.median(r["p50"] for r in runs), "non2xx": sum(r["non2xx"] for r in runs)}


# ----- idle WebSocket / TCP clients ------------------------------------------------------------

def open_ws(port, n):
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall((f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"websocket {i}: connection closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"websocket {i}: {head[:80]!r}")
        socks.append(s)
    return socks


def open_http_idle(port, n):
    """Idle keep-alive HTTP connections that have each completed one request."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        s.recv(65536)
        socks.append(s)
    return socks


# ----- main --------------------------------------------------------------------------------------

def daemon_config(tmp, port):
    cfg = f"""server:
  bind: 127.0.0.1
  port: {port}
  api_token: "{TOKEN}"
  max_connections: 4000
storage:
  data_dir: {tmp}/data
market:
  source: synthetic
  symbols: [{", ".join(SYMBOLS)}]
  synthetic: {{seed: 7, interval_ms: 250, volatility_bps: 5}}
paper_trading:
  enabled: true
  autostart: true
  starting_balance: 1000000.0
  stake_usd: 50.0
  max_positions: 1000
  stop_loss_percent: 20
opportunities:
  strategy: none
log:
  level: warn
"""
    path = os.path.join(tmp, "bench.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--ws-clients", type=int, default=1000)
    ap.add_argument("--soak-seconds", type=int, default=60)
    a = ap.parse_args()
    raise_nofile()
    tmp = tempfile.mkdtemp(prefix="traded-bench-")
    procs = []
    out = []
    try:
        port = free_port()
        cfg = daemon_config(tmp, port)
        d = pinned(0, [os.path.join(a.build, "daemon", "traded"), "--config", cfg],
                   stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "daemon.log"), "w"))
        procs.append(d)
        if not wait_http(port, "/api/v1/paper-trading/status"):
            sys.exit("daemon did not come up; see " + tmp)
        time.sleep(2)
        rss_idle = rss_kb(d.pid)

        # B7 per position: 100 positions on 100 symbols.
        before = rss_kb(d.pid)
        opened = 0
        for s in SYMBOLS:
            code, body = http(port, "POST", "/api/v1/opportunities",
                              {"symbol": s, "side": "LONG", "reason": "bench", "mode": "paper-trading"})
            res = json.loads(body)
            if code == 200 and res["data"]["results"][0].get("accepted"):
                opened += 1
        time.sleep(1)
        per_position = (rss_kb(d.pid) - before) * 1024 / max(opened, 1)

        # Bodies the peers will serve: the daemon's own answers.
        _, status_body = http(port, "GET", "/api/v1/paper-trading/status")
        _, positions_body = http(port, "GET", "/api/v1/paper-trading/positions")
        npos = len(json.loads(positions_body)["data"])
        with open(os.path.join(tmp, "status.json"), "wb") as f:
            f.write(status_body)
        with open(os.path.join(tmp, "positions.json"), "wb") as f:
            f.write(positions_body)

        # B5 on the daemon.
        base = f"http://127.0.0.1:{port}/api/v1/paper-trading"
        res = {}
        commits0, t0 = commit_totals(port), time.time()
        res[("status", "traded")] = wrk_reps(base + "/status", a.reps, a.seconds, 10)
        commits1, status_wall = commit_totals(port), time.time() - t0
        res[("positions", "traded")] = wrk_reps(base + "/positions", a.reps, a.seconds, 10)
        res[("close", "traded")] = wrk_reps(base + "/close-position/paper_1_NOPE", a.reps, a.seconds, 10, "POST")

        # B7 per idle WebSocket client.
        before = rss_kb(d.pid)
        ws = open_ws(port, a.ws_clients)
        time.sleep(1)
        per_ws = (rss_kb(d.pid) - before) * 1024 / a.ws_clients
        for s in ws:
            s.close()

        # Peers, in the same minutes as the daemon's rows (the machine's load drifts over a long
        # soak): the daemon is frozen (SIGSTOP) meanwhile so it takes no CPU from them.
        d.send_signal(signal.SIGSTOP)
        fport = free_port()
        fp = pinned(0, [DEBIAN_PYTHON, os.path.join(ROOT, "bench", "peers", "fastapi_peer.py"), str(fport), TOKEN,
                        os.path.join(tmp, "status.json"), os.path.join(tmp, "positions.json")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(fp)
        if not wait_http(fport, "/api/v1/paper-trading/status"):
            sys.exit("FastAPI peer did not come up")
        fbase = f"http://127.0.0.1:{fport}/api/v1/paper-trading"
        res[("status", "fastapi")] = wrk_reps(fbase + "/status", a.reps, a.seconds, 10)
        res[("positions", "fastapi")] = wrk_reps(fbase + "/positions", a.reps, a.seconds, 10)
        res[("close", "fastapi")] = wrk_reps(fbase + "/close-position/paper_1_NOPE", a.reps, a.seconds, 10, "POST")
        stop(fp)

        bport = free_port()
        bp = pinned(0, [os.path.join(a.build, "bench", "bench_bare_beast"), str(bport), TOKEN,
                        os.path.join(tmp, "status.json")], stdout=subprocess.DEVNULL)
        procs.append(bp)
        if not wait_http(bport, "/"):
            sys.exit("bare Beast did not come up")
        res[("status", "beast")] = wrk_reps(f"http://127.0.0.1:{bport}/api/v1/paper-trading/status", a.reps,
                                            a.seconds, 10)
        before = rss_kb(bp.pid)
        idle = open_http_idle(bport, a.ws_clients)
        time.sleep(1)
        per_beast_conn = (rss_kb(bp.pid) - before) * 1024 / a.ws_clients
        for s in idle:
            s.close()
        stop(bp)

        d.send_signal(signal.SIGCONT)

        # B7 soak: the synthetic market keeps moving 100 positions.
        time.sleep(1)
        soak_start = rss_kb(d.pid)
        soak_max = soak_start
        end = time.time() + a.soak_seconds
        while time.time() < end:
            time.sleep(1)
            soak_max = max(soak_max, rss_kb(d.pid))
        soak_end = rss_kb(d.pid)
        stop(d)


        # ----- tables -----
        def row(name, r, peer=None, label=""):
            ratio = f"{r['rps'] / peer['rps']:.2f}x" if peer else "-"
            return (f"| {name} | {label} | {r['rps']:,.0f} | {r['rps_min']:,.0f}-{r['rps_max']:,.0f} | "
                    f"{r['p50']:.0f} | {r['p99']:.0f} ({r['p99_min']:.0f}-{r['p99_max']:.0f}) | {ratio} |")

        out.append(f"B5 REST: wrk -t1 -c10, {a.reps} x {a.seconds} s per row (median, min-max), server on CPU 0, "
                   f"wrk on CPU 1; status body {len(status_body)} B, positions body {len(positions_body)} B "
                   f"({npos} positions)\n")
        out.append("| route | server | req/s (median) | req/s min-max | p50 us | p99 us (min-max) | vs FastAPI |")
        out.append("|---|---|---:|---:|---:|---:|---:|")
        for route, label in (("status", "GET status"), ("positions", f"GET positions ({npos})"),
                             ("close", "POST close-position (unknown id)")):
            peer = res[(route, "fastapi")]
            out.append(row(label, res[(route, "traded")], peer, "traded"))
            out.append(row(label, peer, None, "FastAPI + uvicorn"))
            if (route, "beast") in res:
                out.append(row(label, res[(route, "beast")], peer, "bare Beast (fixed body)"))
        t, b = res[("status", "traded")], res[("status", "beast")]
        out.append(f"\nGET status: traded / bare Beast = {t['rps'] / b['rps']:.2f}x throughput, "
                   f"p99 {t['p99'] / b['p99']:.2f}x of bare Beast's. Non-2xx answers: close-position rows are "
                   f"404 by design; other rows {sum(v['non2xx'] for k, v in res.items() if k[0] != 'close')}. "
                   f"While the GET status rows ran ({status_wall:.1f} s), the daemon's one thread spent "
                   f"{commits1[0] - commits0[0]:.2f} s in {commits1[1] - commits0[1]:.0f} synchronous SQLite commits "
                   f"of the paper engine (the synthetic market moving {npos} positions), answering nothing meanwhile.\n")

        out.append(f"B7 footprint (VmRSS of the daemon; {opened} positions opened through the API, "
                   f"{a.ws_clients} idle WebSocket clients)\n")
        out.append("| measure | traded | peer / limit |")
        out.append("|---|---:|---:|")
        out.append(f"| idle RSS | {rss_idle / 1024:.1f} MB | goal <= 20 MB |")
        out.append(f"| per open position | {per_position:,.0f} B | goal <= 512 B |")
        out.append(f"| per idle WebSocket client | {per_ws:,.0f} B | bare Beast idle HTTP connection, same run: "
                   f"{per_beast_conn:,.0f} B; goal <= 4096 B |")
        out.append(f"| soak {a.soak_seconds} s (100 positions, synthetic market) | start {soak_start / 1024:.1f} MB, "
                   f"end {soak_end / 1024:.1f} MB, max {soak_max / 1024:.1f} MB (growth {(soak_end - soak_start)} kB) "
                   f"| goal growth <= 1 MB |")
        print("\n".join(out))
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
