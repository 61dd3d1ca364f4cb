#!/usr/bin/env python3
"""B6 recovery: the daemon killed with SIGKILL while it holds 1k or 10k open paper positions and
100k trades in its store; time from exec of the restarted daemon to /healthz 200 and to the first
answer of GET positions with every position, beside a raw SELECT of the same rows (Python's
sqlite3 module reading the same file in the same run). Prints a Markdown table.

The store is made by the daemon itself (100 positions opened through the API on 100 synthetic
symbols), then widened with copies of those rows under new ids; trades are written in the
store's own row format. Called by scripts/bench; stdlib only. Daemon pinned to CPU 0.
"""
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import system_bench as sb  # noqa: E402


CPU_WINDOW_S = 2.0  # after recovery: how busy the moving market with every position keeps the daemon


def healthz_ok(port, path="/healthz"):
    try:
        code, _ = sb.http(port, "GET", path, timeout=1)
        return code == 200
    except OSError:
        return False


def widen(db_path, positions, trades):
    db = sqlite3.connect(db_path)
    pcols = [r[1] for r in db.execute("PRAGMA table_info(positions)")]
    ocols = [r[1] for r in db.execute("PRAGMA table_info(orders)")]
    base_pos = db.execute("SELECT * FROM positions WHERE status = 'OPEN'").fetchall()
    base_ord = db.execute("SELECT * FROM orders").fetchall()
    pi, oi = pcols.index("position_id"), ocols.index("position_id")
    ci = ocols.index("client_id")
    by_pos = {}
    for o in base_ord:
        by_pos.setdefault(o[oi], []).append(o)
    new_p, new_o = [], []
    k = 0
    while len(base_pos) + len(new_p) < positions:
        k += 1
        for p in base_pos:
            if len(base_pos) + len(new_p) >= positions:
                break
            old = p[pi]
            nid = f"{old}x{k}"
            row = list(p)
            row[pi] = nid
            for c in ("tp_order_id", "sl_order_id"):
                j = pcols.index(c)
                if row[j]:
                    row[j] = row[j].replace(old, nid)
            new_p.append(row)
            for o in by_pos.get(old, []):
                r = list(o)
                r[oi] = nid
                r[ci] = r[ci].replace(old, nid)
                new_o.append(r)
    db.executemany(f"INSERT INTO positions VALUES ({','.join('?' * len(pcols))})", new_p)
    db.executemany(f"INSERT INTO orders VALUES ({','.join('?' * len(ocols))})", new_o)
    t0 = 1_700_000_000_000
    db.executemany(
        "INSERT INTO trades (mode, trade_id, position_id, symbol, side, entry_price, exit_price, qty, pnl, fees,"
        " pnl_pct, exit_reason, opened_at, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [("paper-trading", f"paper_{t0 + i}_S{i % 100:03d}USDT-T", f"paper_{t0 + i}_S{i % 100:03d}USDT",
          f"S{i % 100:03d}USDT", "LONG", "100", "100.5", "0.5", "0.2", "0.04", 0.6, "TAKE_PROFIT", t0 + i,
          t0 + i + 60_000) for i in range(trades)])
    db.commit()
    db.close()


def cpu_seconds(pid):
    """utime + stime of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_select(db_path):
    t = time.perf_counter()
    db = sqlite3.connect(db_path)
    n = len(db.execute("SELECT * FROM positions WHERE mode = 'paper-trading' AND status NOT IN ('CLOSED','FAILED')")
            .fetchall())
    n += len(db.execute("SELECT * FROM orders WHERE mode = 'paper-trading'").fetchall())
    n += len(db.execute("SELECT * FROM trades WHERE mode = 'paper-trading' ORDER BY closed_at").fetchall())
    db.close()
    return (time.perf_counter() - t) * 1000, n


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--build", default=os.path.join(sb.ROOT, "build"))
    a = ap.parse_args()
    build = a.build
    sb.raise_nofile()
    reps = a.reps
    tmp = tempfile.mkdtemp(prefix="traded-b6-")
    out = ["B6 recovery (paper): SIGKILL, then exec -> /healthz 200, -> /readyz 200 (reconciled and ready) and -> "
           f"GET positions answered with every position; {reps} restarts per row (median, min-max); raw SELECT = "
           "Python sqlite3 reading the same positions, orders and trades rows from the same file; RSS = the "
           "daemon's VmRSS once every position is listed; CPU after = the daemon's CPU time (user + system) "
           f"in the {CPU_WINDOW_S:g} s after that, while the synthetic market moves (revalues and pushes) every "
           "recovered position\n",
           "| store | exec -> /healthz 200 ms | exec -> /readyz 200 ms | exec -> positions complete ms | "
           "raw SELECT ms (rows) | readyz / raw SELECT | RSS MB | CPU after % |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    rss_by_size = {}
    try:
        port = sb.free_port()
        cfg = sb.daemon_config(tmp, port)
        db_path = os.path.join(tmp, "data", "traded.db")
        seed = None
        for positions in [int(x) for x in a.sizes.split(",")]:
            shutil.rmtree(os.path.join(tmp, "data"), ignore_errors=True)
            if seed is None:
                d = sb.pinned(0, [os.path.join(build, "daemon", "traded"), "--config", cfg],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if not sb.wait_http(port, "/api/v1/paper-trading/status"):
                    sys.exit("daemon did not come up")
                for s in sb.SYMBOLS:
                    sb.http(port, "POST", "/api/v1/opportunities",
                            {"symbol": s, "side": "LONG", "reason": "bench", "mode": "paper-trading"})
                time.sleep(0.5)
                d.send_signal(signal.SIGTERM)
                d.wait(timeout=30)
                seed = os.path.join(tmp, "seed")
                shutil.copytree(os.path.join(tmp, "data"), seed)
                shutil.rmtree(os.path.join(tmp, "data"))
            shutil.copytree(seed, os.path.join(tmp, "data"))
            if not os.path.exists(db_path):
                cands = [f for f in os.listdir(os.path.join(tmp, "data")) if f.endswith(".db")]
                db_path = os.path.join(tmp, "data", cands[0])
            widen(db_path, positions, 100_000)
            health, ready, complete, raw, rss, cpu = [], [], [], [], [], []
            for _ in range(reps):
                t = time.perf_counter()
                d = sb.pinned(0, [os.path.join(build, "daemon", "traded"), "--config", cfg],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while not healthz_ok(port):
                    if d.poll() is not None:
                        sys.exit("daemon exited during recovery")
                    if time.perf_counter() - t > 120:
                        sys.exit("no /healthz within 120 s")
                    time.sleep(0.002)
                health.append((time.perf_counter() - t) * 1000)
                while not healthz_ok(port, "/readyz"):
                    if time.perf_counter() - t > 120:
                        sys.exit("no /readyz within 120 s")
                    time.sleep(0.002)
                ready.append((time.perf_counter() - t) * 1000)
                while True:
                    code, body = sb.http(port, "GET", "/api/v1/paper-trading/positions", timeout=30)
                    if code == 200 and len(json.loads(body)["data"]) >= positions:
                        break
                    time.sleep(0.002)
                complete.append((time.perf_counter() - t) * 1000)
                rss.append(sb.rss_kb(d.pid))
                c0 = cpu_seconds(d.pid)
                time.sleep(CPU_WINDOW_S)
                cpu.append((cpu_seconds(d.pid) - c0) * 100 / CPU_WINDOW_S)
                d.kill()  # SIGKILL: the next start recovers from what was committed
                d.wait()
                ms, rows = raw_select(db_path)
                raw.append(ms)
            f = lambda v: f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})"  # noqa: E731
            rss_by_size[positions] = statistics.median(rss)
            out.append(f"| {positions:,} open positions, 100,000 trades | {f(health)} | {f(ready)} | {f(complete)} | "
                       f"{f(raw)} ({rows:,}) | {statistics.median(ready) / statistics.median(raw):.1f}x | "
                       f"{statistics.median(rss) / 1024:.1f} | {f(cpu)} |")
        sizes = sorted(rss_by_size)
        if len(sizes) >= 2:
            lo, hi = sizes[0], sizes[-1]
            per = (rss_by_size[hi] - rss_by_size[lo]) * 1024 / (hi - lo)
            out.append(f"\nB7 bytes per open position (steady state, recovered): (RSS at {hi:,} - RSS at {lo:,}) / "
                       f"{hi - lo:,} = {per:,.0f} B per position (goal <= 512 B)")
        print("\n".join(out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
