#!/usr/bin/env python3
"""B2 real path and B4: the real `traded` daemon trading real money against the real `traded-sim`
on loopback. A price move through a position's take profit makes the simulator fill the TP and
push the fill on the user-data stream; the daemon then cancels the stop loss. Measured on the
wire: from the moment the simulator's fill frame is written (sim -> daemon) to the moment the
daemon's next request bytes are written (daemon -> sim), i.e. the daemon's whole reaction
(wake-up, WebSocket read, parse, engine, signing, HTTP write). Baseline in the same run: a
do-nothing loopback echo (`bench_echo_server`: read, write back), timed the same way.

B4 repeats the real path while 1,000 WebSocket clients are subscribed to the daemon's `market`
channel and the synthetic market moves 10 symbols every 10 ms (up to 1,000 quote events/s).

Timing comes from the kernel: an AF_PACKET socket on `lo` with a BPF filter on the simulator's
(or the echo's) port and SO_TIMESTAMPNS timestamps, so the sniffer's own speed does not count.
Needs CAP_NET_RAW (root); without it the script says so and prints nothing else.
Daemon and echo pinned to CPU 0; simulator, clients and this script on CPU 1. Stdlib only.
"""
import argparse
import base64
import ctypes
import json
import os
import selectors
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import system_bench as sb  # noqa: E402

SIM_KEY = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
SIM_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
# Six symbols with built-in filters in traded-sim plus four defined here: 10 symbols for B4's load.
BUILTIN = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT"]
EXTRA = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT"]
SYMBOL = "SOLUSDT"

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35


# ----- sniffer -------------------------------------------------------------------------------------

def bpf_port_filter(port):
    """Classic BPF: IPv4 TCP, unfragmented, source or destination port == port (jumps are relative)."""
    ins = [
        (0x28, 0, 0, 12),           # 0  ldh [12]          ethertype
        (0x15, 0, 10, 0x0800),      # 1  jeq IPv4 else drop
        (0x30, 0, 0, 23),           # 2  ldb [23]          protocol
        (0x15, 0, 8, 6),            # 3  jeq TCP else drop
        (0x28, 0, 0, 20),           # 4  ldh [20]          flags + fragment offset
        (0x45, 6, 0, 0x1FFF),       # 5  jset fragment -> drop
        (0xB1, 0, 0, 14),           # 6  ldxb 4*([14]&0xf) IP header length
        (0x48, 0, 0, 14),           # 7  ldh [x+14]        source port
        (0x15, 2, 0, port),         # 8  jeq port -> accept
        (0x48, 0, 0, 16),           # 9  ldh [x+16]        destination port
        (0x15, 0, 1, port),         # 10 jeq port -> accept else drop
        (0x06, 0, 0, 262144),       # 11 accept
        (0x06, 0, 0, 0),            # 12 drop
    ]
    blob = b"".join(struct.pack("HBBI", *x) for x in ins)
    buf = ctypes.create_string_buffer(blob)
    return buf, struct.pack("HL", len(ins), ctypes.addressof(buf))


class Sniffer:
    """Records (t_ns, sport, dport, payload) of every outgoing packet with a payload on `lo`."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self._filter_buf, prog = bpf_port_filter(port)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.01)
        self.last_idle = 0.0  # time.monotonic() of the last empty read: everything before it was read
        self.packets = []
        self.capturing = False
        self.stopped = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                data, anc, _, addr = self.sock.recvmsg(65536, 64)
            except socket.timeout:
                self.last_idle = time.monotonic()
                continue
            except OSError:
                return
            if addr[2] != PACKET_OUTGOING or not self.capturing:
                continue
            ts = None
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    ts = sec * 1_000_000_000 + nsec
            if ts is None or len(data) < 34:
                continue
            ihl = (data[14] & 0x0F) * 4
            t = 14 + ihl
            sport, dport = struct.unpack("!HH", data[t:t + 4])
            doff = (data[t + 12] >> 4) * 4
            payload = data[t + doff:]
            if payload:
                with self.lock:
                    self.packets.append((ts, sport, dport, bytes(payload)))

    def start(self):
        with self.lock:
            self.packets = []
        self.capturing = True

    def stop(self, settle=0.05):
        time.sleep(settle)  # let the last packets be written
        asked = time.monotonic()
        end = asked + 5
        while self.last_idle <= asked and time.monotonic() < end:  # the thread has read all that arrived
            time.sleep(0.002)
        self.capturing = False
        with self.lock:
            return list(self.packets)

    def close(self):
        self.stopped = True
        self.sock.close()


# ----- processes -----------------------------------------------------------------------------------

def sim_yaml(port):
    extra = "".join(
        f"  - {{symbol: {s}, base_asset: {s[:3]}, tick_size: \"0.01\", min_price: \"0.01\", max_price: \"100000\","
        f" step_size: \"1\", min_qty: \"1\", max_qty: \"1000000\", market_max_qty: \"1000000\", min_notional: \"5\","
        f" start_price: \"100\"}}\n" for s in EXTRA)
    return (f"listen:\n  host: 127.0.0.1\n  port: {port}\nsymbols:\n" + "".join(f"  - {s}\n" for s in BUILTIN) + extra +
            "prices:\n  source: static\nlog:\n  level: warn\n")


def daemon_yaml(tmp, port, sim_port):
    root = f"127.0.0.1:{sim_port}"
    return f"""server:
  bind: 127.0.0.1
  port: {port}
  api_token: "{sb.TOKEN}"
  max_connections: 4000
storage:
  data_dir: {tmp}/data
exchange:
  rest_url: http://{root}
  ws_public_url: ws://{root}/public
  ws_market_url: ws://{root}/market
  ws_private_url: ws://{root}/private
  api_key_env: SIM_API_KEY
  api_secret_env: SIM_API_SECRET
  recv_window_ms: 5000
market:
  source: synthetic
  symbols: [{", ".join(BUILTIN + EXTRA)}]
  push_interval_ms: 10
  synthetic: {{seed: 7, interval_ms: 10, volatility_bps: 2}}
paper_trading:
  enabled: true
  autostart: true
real_trading:
  enabled: true
  stake_usd: 200.0
  max_positions: 3
  leverage: 3
  pure_3_rule_mode: true
  primary_target_dollars: 10.0
  absolute_floor_dollars: 50.0
  stop_loss_percent: 5
  max_daily_loss: 100000.0
opportunities:
  strategy: none
log:
  level: warn
"""


def set_price(sim_port, symbol, bid, ask):
    body = json.dumps({"symbol": symbol, "bid": bid, "ask": ask, "mark": bid}).encode()
    s = socket.create_connection(("127.0.0.1", sim_port))
    s.sendall(f"POST /admin/price HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
              f"\r\nConnection: close\r\n\r\n".encode() + body)
    resp = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        resp += c
    s.close()
    if not resp.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"/admin/price: {resp[:200]!r}")


def real_positions(port):
    code, body = sb.http(port, "GET", "/api/v1/real-trading/positions")
    return json.loads(body)["data"] if code == 200 else []


def wait_until(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise RuntimeError("timed out waiting for " + what)


# ----- WebSocket load (a child process: --ws-load) --------------------------------------------------

def masked_text(payload):
    key = os.urandom(4)
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + struct.pack("!H", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def ws_load(port, n, seconds):
    """n clients subscribed to the market channel; reads and discards for `seconds`; prints bytes."""
    socks = sb.open_ws(port, n)
    sub = masked_text(b'{"op":"subscribe","id":1,"channels":["market"],"modes":["paper-trading"]}')
    sel = selectors.DefaultSelector()
    for s in socks:
        s.sendall(sub)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    total = 0
    end = time.time() + seconds
    while time.time() < end:
        for key, _ in sel.select(0.1):
            try:
                d = key.fileobj.recv(262144)
            except BlockingIOError:
                continue
            total += len(d)
    print(json.dumps({"bytes": total, "seconds": seconds}), flush=True)


# ----- measurements --------------------------------------------------------------------------------

def reactions(packets, sim_port, daemon_request_prefixes=(b"DELETE ", b"POST ", b"GET ", b"PUT ")):
    """(fill frame -> next daemon request) in us, and (tick frame -> next request)."""
    fill = next((p for p in packets if p[1] == sim_port and b"ORDER_TRADE_UPDATE" in p[3]
                 and b'"X":"FILLED"' in p[3]), None)
    if fill is None:
        return None
    req = next((p for p in packets if p[2] == sim_port and p[0] > fill[0] and p[3].startswith(daemon_request_prefixes)),
               None)
    if req is None:
        return None
    first = next((p for p in packets if p[1] == sim_port), None)
    return (req[0] - fill[0]) / 1000.0, (req[0] - first[0]) / 1000.0, req[3].split(b"?")[0][:40].decode(errors="replace")


def one_exit(port, sim_port, sniffer):
    set_price(sim_port, SYMBOL, "150.00", "150.01")
    time.sleep(0.05)
    code, body = sb.http(port, "POST", "/api/v1/opportunities",
                         {"symbol": SYMBOL, "side": "LONG", "reason": "bench", "mode": "real-trading"})
    res = json.loads(body)["data"]["results"][0]
    if not res.get("accepted"):
        raise RuntimeError(f"entry refused: {res}")
    pid = res["position"]["position_id"]

    def is_open():
        for p in real_positions(port):
            if p["position_id"] == pid and p["status"] == "OPEN" and p.get("tp_order_id") and p.get("sl_order_id"):
                return p
        return None
    p = wait_until(is_open, 15, "the position to be OPEN with TP and SL")
    tp = float(p["tp_price"])
    time.sleep(0.1)
    sniffer.start()
    set_price(sim_port, SYMBOL, f"{tp + 1:.2f}", f"{tp + 1.01:.2f}")
    wait_until(lambda: all(q["position_id"] != pid for q in real_positions(port)) or None, 15, "the exit")
    packets = sniffer.stop()
    return reactions(packets, sim_port)


def echo_rounds(echo_bin, n):
    port = sb.free_port()
    e = subprocess.Popen(["taskset", "-c", "0", echo_bin, str(port)], stdout=subprocess.PIPE)
    e.stdout.readline()
    sn = Sniffer(port)
    c = socket.create_connection(("127.0.0.1", port))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * 300
    out = []
    try:
        for _ in range(n):
            time.sleep(0.005)  # idle in between, as the daemon is between exits
            sn.start()
            c.sendall(msg)
            got = 0
            while got < len(msg):
                got += len(c.recv(65536))
            packets = sn.stop(0.001)
            req = next((p for p in packets if p[2] == port), None)
            rep = next((p for p in packets if p[1] == port), None)
            if req and rep:
                out.append((rep[0] - req[0]) / 1000.0)
    finally:
        c.close()
        sn.close()
        e.kill()
        e.wait()
    return out





def commit_totals(port):
    """(sum seconds, count) of the real engine's store commits, from /metrics."""
    _, body = sb.http(port, "GET", "/metrics")
    total = count = 0.0
    for line in body.decode().splitlines():
        if line.startswith("traded_store_commit_seconds_sum") and 'mode="real-trading"' in line:
            total = float(line.split()[-1])
        if line.startswith("traded_store_commit_seconds_count") and 'mode="real-trading"' in line:
            count = float(line.split()[-1])
    return total, count


def loop_lag(port):
    """The daemon's own event-loop lag histogram (traded_event_loop_lag_seconds): {le: count}, count."""
    _, body = sb.http(port, "GET", "/metrics")
    buckets, count, mx = {}, 0, 0.0
    for line in body.decode().splitlines():
        if line.startswith("traded_event_loop_lag_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = int(float(line.split()[-1]))
        elif line.startswith("traded_event_loop_lag_seconds_count"):
            count = int(float(line.split()[-1]))
        elif line.startswith("traded_event_loop_lag_max_seconds"):
            mx = float(line.split()[-1])
    return buckets, count, mx


def lag_summary(before, after):
    """Timer firings and stalls over 200 us / 1 ms between two scrapes, and the p99 bucket."""
    b0, c0, _ = before
    b1, c1, mx = after
    n = c1 - c0
    d = {le: b1[le] - b0.get(le, 0) for le in b1}
    over = lambda le: n - d.get(le, n)
    p99 = next((le for le in sorted(d) if d[le] >= 0.99 * n), float("inf")) if n else 0
    p99s = "> 1 s" if p99 == float("inf") else f"<= {p99 * 1e6:,.0f} us"
    return (f"{n} firings of the 1 ms timer, {over(0.0002)} late by over 200 us, {over(0.001)} by over 1 ms; "
            f"p99 {p99s}; max of the last 10-20 s {mx * 1e6:,.0f} us")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(sb.ROOT, "build"))
    ap.add_argument("--exits", type=int, default=25)
    ap.add_argument("--ws-clients", type=int, default=1000)
    ap.add_argument("--ws-load", nargs=3, metavar=("PORT", "N", "SECONDS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    sb.raise_nofile()
    if a.ws_load:
        ws_load(int(a.ws_load[0]), int(a.ws_load[1]), float(a.ws_load[2]))
        return
    try:
        Sniffer(1).close()
    except PermissionError:
        print("B2 real path / B4: skipped (needs CAP_NET_RAW for the loopback sniffer: run scripts/bench as root)")
        return
    os.sched_setaffinity(0, {1})
    tmp = tempfile.mkdtemp(prefix="traded-b2real-")
    procs = []
    try:
        echo = echo_rounds(os.path.join(a.build, "bench", "bench_echo_server"), 400)

        sim_port = sb.free_port()
        with open(os.path.join(tmp, "sim.yaml"), "w") as f:
            f.write(sim_yaml(sim_port))
        sim = subprocess.Popen(["taskset", "-c", "1", os.path.join(a.build, "exchange", "traded-sim"), "--config",
                                os.path.join(tmp, "sim.yaml")], stdout=subprocess.PIPE,
                               stderr=open(os.path.join(tmp, "sim.log"), "w"))
        procs.append(sim)
        line = sim.stdout.readline().decode()
        if "listening on" not in line:
            sys.exit("traded-sim did not start: " + open(os.path.join(tmp, "sim.log")).read()[-2000:])
        for s in BUILTIN + EXTRA:
            set_price(sim_port, s, "150.00", "150.01")
        port = sb.free_port()
        with open(os.path.join(tmp, "traded.yaml"), "w") as f:
            f.write(daemon_yaml(tmp, port, sim_port))
        env = dict(os.environ, SIM_API_KEY=SIM_KEY, SIM_API_SECRET=SIM_SECRET)
        d = sb.pinned(0, [os.path.join(a.build, "daemon", "traded"), "--config", os.path.join(tmp, "traded.yaml")],
                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "daemon.log"), "w"), env=env)
        procs.append(d)
        if not sb.wait_http(port, "/api/v1/real-trading/status"):
            sys.exit("daemon did not come up: " + open(os.path.join(tmp, "daemon.log")).read()[-2000:])
        wait_until(lambda: sb.http(port, "POST", "/api/v1/real-trading/start", {})[0] == 200, 30, "real-trading start")

        def market_connected():
            for s in BUILTIN + EXTRA:
                set_price(sim_port, s, "150.00", "150.01")
            time.sleep(0.2)
            st = json.loads(sb.http(port, "GET", "/api/v1/real-trading/status")[1])["data"]
            return st["exchange"]["market_stream"] in (True, "connected")
        wait_until(market_connected, 30, "the daemon's market stream")
        time.sleep(0.3)

        sn = Sniffer(sim_port)
        idle = []
        try:
            one_exit(port, sim_port, sn)  # warm-up
            c0 = commit_totals(port)
            lag_idle0 = loop_lag(port)
            for _ in range(a.exits):
                r = one_exit(port, sim_port, sn)
                if r:
                    idle.append(r)
            c1 = commit_totals(port)
            lag_idle1 = loop_lag(port)
            # B4: the same with 1,000 clients on the market channel.
            load_seconds = 3600
            loader = subprocess.Popen(["taskset", "-c", "1", sys.executable, os.path.abspath(__file__), "--ws-load",
                                       str(port), str(a.ws_clients), str(load_seconds)],
                                      stdout=subprocess.PIPE, preexec_fn=sb.raise_nofile)
            procs.append(loader)
            if loader.stdout.readline().strip() != b"ready":
                sys.exit("WebSocket load did not start")
            time.sleep(1)
            lag_busy0 = loop_lag(port)
            t0 = time.time()
            busy = []
            for _ in range(a.exits):
                r = one_exit(port, sim_port, sn)
                if r:
                    busy.append(r)
            busy_s = time.time() - t0
            lag_busy1 = loop_lag(port)
            loader.kill()
            loader.wait()
            # B5's side condition: the same while wrk hammers GET status (10 keep-alive connections).
            time.sleep(1)
            wrk = subprocess.Popen(["taskset", "-c", "1", "wrk", "-t1", "-c10", "-d600s", "-H",
                                    "Authorization: Bearer " + sb.TOKEN,
                                    f"http://127.0.0.1:{port}/api/v1/paper-trading/status"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(wrk)
            time.sleep(1)
            rest = []
            for _ in range(a.exits):
                r = one_exit(port, sim_port, sn)
                if r:
                    rest.append(r)
            wrk.kill()
            wrk.wait()
        finally:
            sn.close()

        def row(name, v):
            return (f"| {name} | {len(v)} | {statistics.median(v):.1f} | {pct(v, 0.99):.1f} | {min(v):.1f} | "
                    f"{max(v):.1f} |")
        react_idle = [r[0] for r in idle]
        react_busy = [r[0] for r in busy]
        print("B2 real path: a price move through the TP of a real position (traded-sim on loopback, plain ws/http); "
              "on-the-wire times from the kernel (AF_PACKET on lo, SO_TIMESTAMPNS); daemon + echo on CPU 0, sim and "
              "load on CPU 1\n")
        print("| case | n | median us | p99 us | min us | max us |")
        print("|---|---:|---:|---:|---:|---:|")
        print(row("baseline: loopback echo (bytes in -> same bytes out, `bench_echo_server`)", echo))
        print(row("daemon: TP fill frame written by sim -> daemon's next request written (SL cancel)", react_idle))
        print(row("end to end: first sim frame after the price move -> daemon's request", [r[1] for r in idle]))
        print(row(f"B4: reaction while {a.ws_clients} WS clients take the market channel", react_busy))
        react_rest = [r[0] for r in rest]
        print(row("B5 side condition: reaction while wrk -c10 hammers GET status", react_rest))
        print(f"\nRequest the daemon wrote: {idle[0][2] if idle else '-'}. Reaction / echo (medians): "
              f"{statistics.median(react_idle) / statistics.median(echo):.1f}x (goal <= 1.2x). "
              f"B4 p99 under load / idle p99: {pct(react_busy, 0.99) / pct(react_idle, 0.99):.2f}x (goal <= 1.5x); "
              f"medians {statistics.median(react_busy) / statistics.median(react_idle):.2f}x. Under GET status load: "
              f"p99 {pct(react_rest, 0.99) / pct(react_idle, 0.99):.2f}x idle (goal: moves <= 10%). B4 phase took "
              f"{busy_s:.1f} s; load average now {' '.join(open('/proc/loadavg').read().split()[:3])}.")
        print(f"\nB4 loop lag (the daemon's `traded_event_loop_lag_seconds`, goal: no stall over 200 us): idle phase "
              f"(B2 exits only): {lag_summary(lag_idle0, lag_idle1)}. Under the fan-out: "
              f"{lag_summary(lag_busy0, lag_busy1)}.")
        n_commits = c1[1] - c0[1]
        if n_commits > 0:
            print(f"Profile: the real engine made {n_commits / len(idle):.1f} SQLite commits per exit (entry + exit, "
                  f"synchronous=FULL), {(c1[0] - c0[0]) / n_commits * 1e6:.0f} us each on average "
                  "(traded_store_commit_seconds); orders wait for their commit, but the SL cancel that leads the "
                  "TP fill's actions goes out before it.")
    finally:
        for p in reversed(procs):
            sb.stop(p)
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
