#pragma once
/// Pure views: engine and daemon state -> the JSON objects of SPEC §2/§3. No I/O, no clock.
///
/// Every number is a JSON number. Money, prices and quantities go out as the decimal's exact
/// text, every digit of it (a double would keep only 15-17); computed display values (pnl_pct,
/// win_rate, profit_factor, score) are rounded to 2 decimals as a person reads them. Times are
/// epoch milliseconds. Empty ids, unset prices and unset times are `null`, so a client never
/// mistakes "not placed yet" for a price of 0.

#include "engine/engine.hpp"
#include "engine/events.hpp"
#include "engine/performance.hpp"
#include "engine/types.hpp"
#include "exchange/port_types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::api {

/// An exchange position the engine does not own (reported, never touched; SPEC §6); amount is
/// signed: > 0 long, < 0 short.
using untracked_position = port::foreign_position;

/// Connection state of one engine's exchange side (GET status `exchange{}`).
struct exchange_info {
    bool connected = false;
    /// "connected" | "connecting" | "disconnected" | "disabled" (not used by this engine), or
    /// whatever short state word the port reports.
    std::string market_stream = "disabled";
    std::string user_stream = "disabled";
    /// Age of the last exchange event; nullopt (JSON null) when none was seen yet.
    std::optional<engine::millis> last_event_age_ms;
};

/// Everything GET status shows for one engine; the daemon fills it from the engine and ports.
struct status_info {
    engine::mode mode = engine::mode::paper;
    bool enabled = false;
    bool running = false;
    bool emergency_stopped = false;
    engine::millis started_at = 0;  ///< 0 (JSON null) when not running
    std::int64_t uptime_s = 0;
    int open_positions = 0;
    engine::engine_config config;  ///< effective config (overrides applied)
    exchange_info exchange;
    std::vector<untracked_position> untracked;
};

/// Account balance of one engine (GET account-balance); updated_at 0 is JSON null (never updated).
using balance_info = port::balance_snapshot;

/// PnL as a percentage of the margin (stake / leverage), rounded to 2 decimals; 0 when the
/// margin is 0.
double pnl_percent(decimal pnl, decimal stake_usd, int leverage);

// Text writers: each appends one view's JSON straight from the engine or port record to `out`
// (no JSON tree, no temporary strings). REST answers, WebSocket pushes and snapshots all use
// these, so there is one rendering of each view.

/// Position object: position_id, symbol, side, entry_price, qty, stake_usd, leverage,
/// tp_order_id, sl_order_id, tp_price, sl_price, highest_profit_ever, profit_floor_activated,
/// status, pnl, pnl_pct, mark_price, opened_at, fees, commissions, exit_price, exit_reason,
/// closed_at, updated_at.
void append_json(std::string& out, const engine::position& p);
/// Trade object: trade_id, position_id, symbol, side, entry_price, exit_price, qty, pnl,
/// pnl_pct, fees, commissions, exit_reason, opened_at, closed_at.
void append_json(std::string& out, const engine::trade& t);
/// A list of trades, in the given order.
void append_json(std::string& out, const std::vector<engine::trade>& ts);
/// safety-status data (field names as in engine::safety_status).
void append_json(std::string& out, const engine::safety_status& s);
/// performance data (field names as in engine::performance_stats).
void append_json(std::string& out, const engine::performance_stats& s);
/// Opportunity object: symbol, side, score, reason, ts, source.
void append_json(std::string& out, const engine::opportunity& o);
/// The rule/safety part of status: stake_usd, max_positions, leverage, pure_3_rule_mode,
/// primary_target_dollars, absolute_floor_dollars, stop_loss_percent, max_daily_loss.
void append_json(std::string& out, const engine::engine_config& c);
/// account-balance data: asset, wallet_balance, available_balance, unrealized_pnl,
/// margin_balance, updated_at.
void append_json(std::string& out, const balance_info& b);
/// The members of the status object, without the braces: mode, enabled, running,
/// emergency_stopped, started_at, uptime_s, open_positions, config{...},
/// exchange{connected, market_stream, user_stream, last_event_age_ms},
/// untracked[{symbol, amount, entry_price, entries_blocked}]. GET status writes them and then
/// its daemon-level members into one object.
void append_members(std::string& out, const status_info& s);

/// Adds `"<key>":` as the last member of the object `out` ends with (its closing brace is
/// reopened); the caller then writes the value and closes the object with '}'.
void reopen_with_key(std::string& out, std::string_view key);
/// Adds `"detail":"..."` to the object `out` ends with, when `detail` is not empty.
void append_detail(std::string& out, std::string_view detail);

/// The `data` of a pushed event for an engine notification that carries its payload: the
/// position, trade or opportunity, with `"detail"` added when the notification has one; for a
/// notification without payload, `{"detail": ...}` (or `{}`).
void append_notification_data(std::string& out, const engine::notification& n);

}  // namespace traded::api
