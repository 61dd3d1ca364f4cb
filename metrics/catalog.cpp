#include "metrics/catalog.hpp"

#include <string>

namespace traded::metrics {

void declare_all(registry& r) {
    using namespace names;
    auto d = [&r](std::string_view n, kind k, const char* help) { r.declare(std::string(n), k, help); };

    d(build_info, kind::gauge, "Always 1; the version label says which build is running.");
    d(start_time, kind::gauge, "Start time of the process, seconds since the Unix epoch.");
    d(commands, kind::counter, "REST and WebSocket commands executed (queries and control operations).");

    d(market_ticks, kind::counter, "Market ticks processed by an engine, by mode.");
    d(open_positions, kind::gauge, "Positions OPENING, OPEN or CLOSING, by mode.");
    d(trades, kind::counter, "Closed trades recorded, by mode.");
    d(engine_running, kind::gauge, "1 while the engine is started (accepts new entries when its safety checks pass).");
    d(storage_ok, kind::gauge, "0 while the state store cannot commit (new entries are blocked).");
    d(emergency_latched, kind::gauge, "1 while the emergency-stop latch is set (start is refused until cleared).");
    d(daily_loss_limit_hit, kind::gauge, "1 when today's realized loss reached max_daily_loss (new entries stop).");
    d(daily_realized_pnl, kind::gauge, "Realized PnL since 00:00 UTC in USDT, net of fees, by mode.");
    d(unrealized_pnl, kind::gauge, "Unrealized PnL of the open positions in USDT, by mode.");
    d(orders, kind::counter,
      "Orders by mode, kind (ENTRY, TAKE_PROFIT, STOP_LOSS, FLOOR_STOP, CLOSE) and result (sent, accepted, filled, "
      "rejected, canceled).");
    d(tick_to_decision, kind::histogram,
      "Time from a market tick reaching the engine runner to the engine's decision (its actions), by mode.");
    d(decision_to_wire, kind::histogram,
      "Time from the engine's decision to the order being handed to the exchange port (store commit and push "
      "included), by mode.");
    d(store_commit, kind::histogram, "Duration of one SQLite commit of engine state, by mode.");

    d(market_staleness, kind::gauge,
      "Age in seconds of the last market tick an engine received for a symbol (entries block past max_staleness_ms).");
    d(last_event_age, kind::gauge, "Age in seconds of the last event from the engine's exchange port (or market tick).");
    d(market_messages, kind::counter, "Market-stream messages received from the exchange, by stream connection.");
    d(market_recorded, kind::counter, "Market messages written to the recording (market.record_dir).");
    d(market_record_dropped, kind::counter,
      "Market messages the recorder dropped (buffer full because the disk could not keep up, or a failed write).");
    d(exchange_connected, kind::gauge, "1 while the engine's exchange port is connected and reconciled.");
    d(user_stream_connected, kind::gauge, "1 while the user-data stream is connected (real trading).");
    d(stream_reconnects, kind::counter, "Exchange stream reconnects, by stream (user, or a market root).");
    d(order_round_trip, kind::histogram,
      "Exchange REST round trip (rate-limit wait, connect and answer), by endpoint \"METHOD /path\".");
    d(exchange_requests, kind::counter,
      "Exchange REST requests by endpoint and outcome (answered with 2xx, error (4xx/5xx), failed, unknown).");
    d(rate_limit_weight, kind::counter, "Request weight sent to the exchange (counts against X-MBX-USED-WEIGHT-1M).");
    d(rate_limit_used_weight, kind::gauge, "X-MBX-USED-WEIGHT-1M as the exchange last reported it.");

    d(http_requests, kind::counter, "HTTP requests answered by the API server, by status code.");
    d(http_connections, kind::gauge, "Open HTTP and WebSocket connections.");
    d(ws_clients, kind::gauge, "Open WebSocket sessions.");
    d(ws_queue_max, kind::gauge, "Longest WebSocket send queue right now (messages).");
    d(ws_dropped, kind::counter, "WebSocket sessions closed (1013) for falling behind.");
    d(ws_fanout_pending, kind::gauge, "Events waiting for (or in the middle of) WebSocket fan-out.");
    d(api_refused, kind::counter,
      "API clients refused or cut off, by reason (host, origin, unauthorized, auth_throttled, too_many_connections, "
      "evicted, payload_too_large, bad_request, timeout, ws_pre_auth, accept).");
    d(api_unauthenticated, kind::gauge, "Open API connections that have not presented a valid token.");

    d(notify_sent, kind::counter, "Notification messages delivered, by target.");
    d(notify_failed, kind::counter, "Notification messages given up on (4xx, or retries exhausted), by target.");
    d(notify_dropped, kind::counter, "Notification events dropped because the target's queue was full, by target.");
    d(notify_retries, kind::counter, "Notification delivery attempts retried after a 5xx, 429 or timeout, by target.");
    d(notify_queue, kind::gauge, "Notification events waiting for delivery, by target.");
}

}  // namespace traded::metrics
