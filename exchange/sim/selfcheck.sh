#!/usr/bin/env bash
# Self-check of traded-sim over real sockets: starts the binary on a free port and checks
# /fapi/v1/time, signing (official test vector key: a wrong signature gets -1022, a right one is
# served), a MARKET order, an algo stop that triggers through /admin/price, a fault, and (when
# python3 is available) that the user-data WebSocket delivers the order's events.
#
#   exchange/sim/selfcheck.sh [path/to/traded-sim]
#
# Needs curl and openssl. Exits non-zero on the first failed check. Never prints the secret.
set -euo pipefail

SIM=${1:-$(dirname "$0")/../../build/exchange/traded-sim}
[ -x "$SIM" ] || { echo "traded-sim not found at $SIM (pass its path)"; exit 2; }

WORK=$(mktemp -d)
OUT=$WORK/sim.out
"$SIM" --port 0 >"$OUT" 2>"$WORK/sim.err" &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

for _ in $(seq 50); do grep -q '^listening on ' "$OUT" && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$OUT")
[ -n "$PORT" ] || { echo "FAIL: no 'listening on' line"; cat "$WORK/sim.err"; exit 1; }
B=http://127.0.0.1:$PORT

# The official Binance signing test vector (binance-usdm.md §2.2), the built-in account.
KEY=dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83
SECRET=2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9

pass=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
fail() { echo "FAIL $1"; echo "     got: $2"; exit 1; }
expect() { # name, haystack, needle
    case "$2" in *"$3"*) ok "$1" ;; *) fail "$1" "$2" ;; esac
}
hmac() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //'; }
now_ms() { date +%s%3N; }
# signed METHOD PATH PARAMS [SECRET]: query string signed like the daemon does.
signed() {
    local q="$3&timestamp=$(now_ms)"
    q=${q#&}
    curl -s -X "$1" -H "X-MBX-APIKEY: $KEY" "$B$2?$q&signature=$(hmac "${4:-$SECRET}" "$q")"
}
admin() { curl -s -X "$1" "$B$2" ${3:+-H 'Content-Type: application/json' -d "$3"}; }

echo "traded-sim on port $PORT"
expect "GET /fapi/v1/time" "$(curl -s "$B/fapi/v1/time")" '"serverTime":'
expect "weight header on every answer" "$(curl -s -i "$B/fapi/v1/ping")" 'X-MBX-USED-WEIGHT-1M'

expect "signature mismatch -> -1022" "$(signed GET /fapi/v2/balance "" 0000)" '"code":-1022'
expect "correct signature is served" "$(signed GET /fapi/v2/balance "")" '"asset":"USDT","balance":"10000.00000000"'
expect "missing API key -> -2014" "$(curl -s "$B/fapi/v2/balance?timestamp=$(now_ms)&signature=00")" '"code":-2014'
stale="timestamp=$(( $(now_ms) - 6000 ))"
expect "stale timestamp -> -1021" \
    "$(curl -s -H "X-MBX-APIKEY: $KEY" "$B/fapi/v2/balance?$stale&signature=$(hmac "$SECRET" "$stale")")" '"code":-1021'

expect "admin price" "$(admin POST /admin/price '{"symbol":"BTCUSDT","bid":"50000.0","ask":"50000.1","mark":"50000.0"}')" '"frozen":true'

# User-data stream (needs python3 for a tiny WebSocket client).
LK=$(curl -s -X POST -H "X-MBX-APIKEY: $KEY" "$B/fapi/v1/listenKey" | sed 's/.*"listenKey":"\([A-Za-z0-9]*\)".*/\1/')
[ ${#LK} -eq 64 ] || fail "POST listenKey" "$LK"
ok "POST /fapi/v1/listenKey"
WS_PID=
if command -v python3 >/dev/null; then
    python3 - "$PORT" "$LK" >"$WORK/ws.out" 2>&1 <<'PY' &
import base64, os, socket, struct, sys, time
port, key = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall((f"GET /private/ws/{key} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf: buf += s.recv(4096)
buf = buf.split(b"\r\n\r\n", 1)[1]
print("connected", flush=True)
def read(n):
    global buf
    while len(buf) < n:
        c = s.recv(65536)
        if not c: raise SystemExit(0)
        buf += c
    out, buf = buf[:n], buf[n:]
    return out
end = time.time() + 8
while time.time() < end:
    b0, b1 = read(2)
    n = b1 & 0x7F
    if n == 126: n = struct.unpack(">H", read(2))[0]
    elif n == 127: n = struct.unpack(">Q", read(8))[0]
    payload = read(n)
    if b0 & 0x0F == 1: print(payload.decode(), flush=True)
PY
    WS_PID=$!
    for _ in $(seq 50); do grep -q connected "$WORK/ws.out" 2>/dev/null && break; sleep 0.1; done
fi

r=$(signed POST /fapi/v1/order "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=selfcheck-E&newOrderRespType=RESULT")
expect "MARKET order fills" "$r" '"status":"FILLED"'
expect "query order by client id" "$(signed GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=selfcheck-E")" '"status":"FILLED"'
expect "conditional type on /fapi/v1/order -> -4120" \
    "$(signed POST /fapi/v1/order "symbol=BTCUSDT&side=SELL&type=STOP_MARKET&stopPrice=45000&closePosition=true")" '"code":-4120'
expect "reduce-only on a flat position -> -2022" \
    "$(signed POST /fapi/v1/order "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.010&reduceOnly=true")" '"code":-2022'

r=$(signed POST /fapi/v1/algoOrder "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=49000.0&closePosition=true&workingType=MARK_PRICE&clientAlgoId=selfcheck-SL")
expect "algo order accepted" "$r" '"algoStatus":"NEW"'
ALGO_ID=$(printf '%s' "$r" | sed 's/.*"algoId":\([0-9]*\).*/\1/')
expect "open algo orders list it" "$(signed GET /fapi/v1/openAlgoOrders "symbol=BTCUSDT")" "\"algoId\":$ALGO_ID"
admin POST /admin/price '{"symbol":"BTCUSDT","bid":"48900.0","ask":"48900.1","mark":"48900.0"}' >/dev/null
expect "algo stop triggered and finished" "$(signed GET /fapi/v1/algoOrder "algoId=$ALGO_ID")" '"algoStatus":"FINISHED"'
expect "position flat again" "$(signed GET /fapi/v3/positionRisk "symbol=BTCUSDT")" '[]'

admin POST /admin/fault '{"kind":"unknown_503"}' >/dev/null
r=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-MBX-APIKEY: $KEY" \
    "$B/fapi/v1/order?$(q="symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010&newClientOrderId=selfcheck-503&timestamp=$(now_ms)"; printf '%s&signature=%s' "$q" "$(hmac "$SECRET" "$q")")")
[ "$r" = 503 ] && ok "unknown_503 fault answers 503" || fail "unknown_503 fault answers 503" "$r"
expect "...but the order exists" "$(signed GET /fapi/v1/order "symbol=BTCUSDT&origClientOrderId=selfcheck-503")" '"status":"FILLED"'
expect "order log records it" "$(admin GET /admin/state)" '"clientId":"selfcheck-503"'

if [ -n "$WS_PID" ]; then
    sleep 0.5
    kill "$WS_PID" 2>/dev/null || true
    ws=$(cat "$WORK/ws.out")
    expect "user stream: ORDER_TRADE_UPDATE TRADE" "$ws" '"x":"TRADE","X":"FILLED"'
    expect "user stream: ACCOUNT_UPDATE" "$ws" '"e":"ACCOUNT_UPDATE"'
    expect "user stream: ALGO_UPDATE FINISHED" "$ws" '"X":"FINISHED"'
else
    echo "skip user-data stream checks (no python3)"
fi
echo "all $pass checks passed"
