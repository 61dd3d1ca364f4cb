#pragma once
/// Pure views: engine and daemon state -> the JSON objects of SPEC §2/§3. No I/O, no clock.
///
/// Every number is a JSON number. Money, prices and quantities go out as the decimal's exact
/// text (a double that to_text() prints in shortest plain form, which is exact up to 15
/// significant digits); computed display values (pnl_pct, win_rate, profit_factor, score) are
/// rounded to 2 decimals. Times are epoch milliseconds. Empty ids, unset prices and unset times
/// are `null`, so a client never mistakes "not placed yet" for a price of 0.

#include "engine/engine.hpp"
#include "engine/events.hpp"
#include "engine/performance.hpp"
#include "engine/types.hpp"
#include "exchange/port_types.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
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

/// Position object: position_id, symbol, side, entry_price, qty, stake_usd, leverage,
/// tp_order_id, sl_order_id, tp_price, sl_price, highest_profit_ever, profit_floor_activated,
/// status, pnl, pnl_pct, mark_price, opened_at, plus fees, exit_price, exit_reason, closed_at,
/// updated_at.
boost::json::value to_json(const engine::position& p);
/// Trade object: trade_id, position_id, symbol, side, entry_price, exit_price, qty, pnl,
/// pnl_pct, fees, exit_reason, opened_at, closed_at.
boost::json::value to_json(const engine::trade& t);
/// safety-status data (field names as in engine::safety_status).
boost::json::value to_json(const engine::safety_status& s);
/// performance data (field names as in engine::performance_stats).
boost::json::value to_json(const engine::performance_stats& s);
/// Opportunity object: symbol, side, score, reason, ts.
boost::json::value to_json(const engine::opportunity& o);
/// The rule/safety part of status: stake_usd, max_positions, leverage, pure_3_rule_mode,
/// primary_target_dollars, absolute_floor_dollars, stop_loss_percent, max_daily_loss.
boost::json::value to_json(const engine::engine_config& c);
/// status data: mode, enabled, running, emergency_stopped, started_at, uptime_s,
/// open_positions, config{...}, exchange{connected, market_stream, user_stream,
/// last_event_age_ms}, untracked[{symbol, amount, entry_price}].
boost::json::value to_json(const status_info& s);
/// The same config object as text (money in the decimal's exact text).
void append_json(std::string& out, const engine::engine_config& c);
/// The members of to_json(s) as text, without the braces: GET status writes them and then its
/// daemon-level members into one object, straight from state (no JSON tree).
void append_members(std::string& out, const status_info& s);
/// account-balance data: asset, wallet_balance, available_balance, unrealized_pnl,
/// margin_balance, updated_at.
boost::json::value to_json(const balance_info& b);

/// A list of positions (for GET positions and the positions snapshot).
boost::json::value to_json(const std::vector<engine::position>& ps);
/// Appends the same JSON text as to_text(to_json(p)), written straight from the position (no
/// JSON tree, no temporary strings): GET positions renders hundreds of them per answer.
void append_json(std::string& out, const engine::position& p);
/// A list of trades.
boost::json::value to_json(const std::vector<engine::trade>& ts);
/// A list of opportunities.
boost::json::value to_json(const std::vector<engine::opportunity>& os);

/// The `data` of a pushed event for an engine notification: the position, trade or
/// opportunity it carries, with `"detail"` added when the notification has one; for a
/// notification without payload, `{"detail": ...}` (or `{}`).
boost::json::value notification_data(const engine::notification& n);

}  // namespace traded::api
