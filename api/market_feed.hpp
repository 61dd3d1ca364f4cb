#pragma once
/// What the WebSocket `market` channel shows (SPEC §3): the latest quote per mode and symbol,
/// at most one push per symbol per `market.push_interval_ms`, and a short price history per symbol
/// for the dashboard's chart (its snapshot). Pure: no I/O, no clock (time is an argument); the
/// daemon feeds it every quote its engines see and flushes it on a timer.
///
/// Single-threaded: owned by the daemon's io_context thread.

#include "engine/types.hpp"

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace traded::api {

/// One quote as the `market` channel shows it.
struct market_quote {
    std::string symbol;
    decimal bid;
    decimal ask;
    decimal mark;
    decimal last;        // zero: unknown (shown as null)
    std::string source;  // "synthetic" | "exchange" | "replay"
    engine::millis ts = 0;
};

/// Appends `{"symbol","bid","ask","mark","last","source","ts"}`: prices in the decimal's exact
/// text, `last` null when unknown.
void append_json(std::string& out, const market_quote& q);

/// Latest quotes, what is due for a push, and the recent history.
class market_feed {
public:
    /// `history_points` per symbol, at most one every `history_step_ms`.
    explicit market_feed(std::size_t history_points = 600, engine::millis history_step_ms = 1000)
        : history_points_(history_points), history_step_ms_(history_step_ms) {}

    /// Records a quote the engine of mode `m` saw.
    void on_quote(engine::mode m, market_quote q);
    /// Quotes that changed since the last take(), one per symbol (the newest), in symbol order.
    std::vector<market_quote> take_changed(engine::mode m);
    /// The channel's snapshot as JSON text:
    /// `{"quotes":{SYM:quote,...},"history":{SYM:[[ts,mark],...],...}}`.
    std::string snapshot(engine::mode m) const;

private:
    struct symbol_state {
        market_quote latest;
        bool changed = false;
        std::deque<std::pair<engine::millis, decimal>> history;
    };
    std::size_t history_points_;
    engine::millis history_step_ms_;
    std::map<std::pair<engine::mode, std::string>, symbol_state> symbols_;
};

}  // namespace traded::api
