#pragma once
/// What a notification says (SPEC §10): one `note` per event, built from engine notifications
/// and daemon events, rendered as a line of text (Telegram, and the webhook's `text`) and as
/// JSON fields (the webhook's `events`). Pure: no clocks, no I/O.
///
/// Every note carries the mode; real-trading notes are marked REAL MONEY in their text and with
/// `real_money: true` in JSON, so nobody mistakes a live loss for a paper one.

#include "engine/events.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace traded::notify {

/// One event worth telling an operator about.
struct note {
    std::string event;  // SPEC §10 name: position_opened, position_closed, profit_floor, ...
    engine::mode mode = engine::mode::paper;
    engine::millis ts = 0;
    std::string symbol;
    std::string side;  // LONG / SHORT
    std::string position_id;
    std::optional<decimal> qty;
    std::optional<decimal> entry_price;
    std::optional<decimal> exit_price;
    std::optional<decimal> tp_price;
    std::optional<decimal> sl_price;
    std::optional<decimal> pnl;  // realized (closes) or best unrealized (profit floor)
    std::string exit_reason;     // TAKE_PROFIT, STOP_LOSS, ... (closes)
    std::string detail;          // human-readable context (safety events, reconciliation)
};

/// The note for an engine notification, or nullopt when it is not one of the SPEC §10 events
/// (position_updated, tp_sl_placed, ...). `stop_moved` becomes `profit_floor`.
std::optional<note> from_engine(engine::mode m, const engine::notification& n, engine::millis ts);

/// A note for a daemon-side event (reconciliation_fixed, storage_unavailable, ...).
note daemon_note(std::string event, engine::mode m, engine::millis ts, std::string detail);

/// One line: "[REAL MONEY] real-trading: position closed BTCUSDT LONG qty 0.003 entry 50000.1
/// exit 53333.5 PnL +9.87 USDT (TAKE_PROFIT) live_..._BTCUSDT".
std::string text(const note& n);

/// The note as a JSON object (decimals as exact strings, as in the REST API).
boost::json::object to_json(const note& n);

}  // namespace traded::notify
