#pragma once
/// What goes into the engine (events) and what comes out (actions for the exchange port,
/// notifications for subscribers, changes for the store). Small immutable structs in variants.

#include "engine/types.hpp"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace traded::engine {

// ---------------------------------------------------------------------------------------------
// Events from the exchange port
// ---------------------------------------------------------------------------------------------

/// New prices for a symbol (market stream or synthetic feed).
struct market_tick {
    std::string symbol;
    quote q;
};

/// The exchange accepted an order (conditional orders are then resting).
struct order_accepted {
    std::string client_id;
    std::string exchange_id;
};

/// A fill of one of our orders (deduplicated by trade_id in the engine).
struct order_fill {
    std::string client_id;
    std::string exchange_id;
    std::string trade_id;  // exchange trade id, unique per fill
    decimal qty;           // this fill
    decimal price;         // this fill
    decimal fee;           // commission in USDT
    bool order_done = false;  // order fully filled
    std::string fee_asset = {};  // the commission's asset as charged ("BNB"); empty: USDT (= fee)
    decimal fee_amount = {};     // the commission in fee_asset (unused when fee_asset is empty)
};

/// A fill of an order traded did not place (closed by hand on the exchange, liquidation, ADL)
/// on a symbol where it holds a position: the exchange's own numbers for an exit traded did
/// not make. Deduplicated by trade_id together with order fills.
struct external_fill {
    std::string symbol;
    order_side side = order_side::sell;  // the fill's side: SELL reduces a long
    std::string trade_id;
    std::string exchange_id;  // the order's id on the exchange
    decimal qty;
    decimal price;
    decimal fee;  // commission in USDT
    std::string fee_asset = {};  // as in order_fill
    decimal fee_amount = {};
};

/// The exchange refused an order or the request failed for good.
struct order_rejected {
    std::string client_id;
    int code = 0;  // Binance error code (-2021 would trigger, -2022 reduce-only, ...), 0 if none
    std::string message;
};

/// A resting order ended without (further) fills: canceled or expired.
struct order_canceled {
    std::string client_id;
};

/// Answer to a `query_position` action: the exchange's position amount for the symbol
/// (signed: > 0 long, < 0 short, 0 flat).
struct position_report {
    std::string symbol;
    decimal amount;
    decimal entry_price;
    std::string position_id;  // echo of the query's position id
};

/// The exchange port lost or regained its connection.
struct exchange_status {
    bool connected = false;
};

// ---------------------------------------------------------------------------------------------
// Commands from users and the opportunity manager
// ---------------------------------------------------------------------------------------------

struct open_request {
    opportunity opp;
};
struct close_request {
    std::string position_id;
    exit_reason reason = exit_reason::manual;
};
struct start_request {
    bool clear_emergency = false;
};
struct stop_request {};
struct emergency_stop_request {};
struct set_limits_request {
    safety_limits_update update;
};
/// Sent when the clock reaches next_wakeup() (daily rollover, order timeouts).
struct timer_fired {};

using event = std::variant<market_tick, order_accepted, order_fill, order_rejected, order_canceled,
                           position_report, exchange_status, open_request, close_request,
                           start_request, stop_request, emergency_stop_request, set_limits_request,
                           timer_fired, external_fill>;

// ---------------------------------------------------------------------------------------------
// Actions for the exchange port
// ---------------------------------------------------------------------------------------------

/// Place an order. For conditional types `trigger_price` is the mark-price trigger and the order
/// closes the position (reduce-only for the given qty).
struct place_order {
    order_record order;  // status pending; client id, kind, type, side, qty, trigger
    bool reduce_only = false;
};
struct cancel_order {
    std::string client_id;
    std::string symbol;
};
/// Read the exchange position of a symbol; answered by a position_report.
struct query_position {
    std::string symbol;
    std::string position_id;
};

using action = std::variant<place_order, cancel_order, query_position>;

// ---------------------------------------------------------------------------------------------
// Notifications for subscribers (SPEC §3 event names)
// ---------------------------------------------------------------------------------------------

/// `market` carries quotes (SPEC §3): pushed by the daemon from the market-data layer, never by
/// the engine, without seq and never replayed.
enum class channel { positions, trades, safety, account, status, opportunities, market };
std::string_view to_string(channel c);
std::optional<channel> parse_channel(std::string_view s);

/// A position a notification is about: the engine's own record, not a copy (a copy on every
/// revaluing tick cost five heap allocations). Valid until the engine's next step (handle or
/// restore): consumers render it while they publish that step's output, so they show the position
/// as it stands after the step.
struct position_ref {
    const position* pos = nullptr;
};
/// trade_recorded: the trade of a closed position, rendered as `trade_of(*pos)` from the engine's
/// record (the trade itself is in output::new_trades for the store). Valid like position_ref.
struct trade_ref {
    const position* pos = nullptr;
};

/// One pushed event. `event_name` is the SPEC §3 name ("position_opened", ...), a view of a
/// string literal (no allocation per notification). The payload names what it is about; views
/// turn it into JSON.
struct notification {
    channel ch = channel::positions;
    std::string_view event_name;
    std::variant<std::monostate, position_ref, trade_ref, opportunity> payload;
    std::string detail;  // human-readable reason (safety events), may be empty
};

// ---------------------------------------------------------------------------------------------
// Result of one step
// ---------------------------------------------------------------------------------------------

/// Outcome of a command (close, start, ...). `code` is empty on success, else an UPPER_SNAKE
/// error code with `http_status` (404 unknown position, 403 disabled, 409 conflict, 400 bad).
struct command_result {
    std::string code;
    std::string message;
    int http_status = 200;
    bool already_closed = false;  // close_request on a CLOSED position
    std::string position_id;      // open_request / close_request: the position acted on
    std::vector<std::string> warnings;
    bool ok() const { return code.empty(); }
};

/// Everything one call to engine::handle produced. The caller persists `dirty_positions`,
/// `dirty_orders`, `new_trades` and (when `state_changed`) the engine state in one transaction,
/// then publishes `notifications`, then performs `actions`.
struct output {
    std::vector<action> actions;
    std::vector<notification> notifications;
    std::vector<std::string> dirty_positions;  // ids whose durable fields changed
    std::vector<std::string> dirty_orders;     // client ids
    std::vector<trade> new_trades;
    bool state_changed = false;  // running / latch / limits / daily anchor changed
    command_result result;       // meaningful for command events only

    /// Empty again, keeping the vectors' capacity (engine::handle into a reused output).
    void clear() {
        actions.clear();
        notifications.clear();
        dirty_positions.clear();
        dirty_orders.clear();
        new_trades.clear();
        state_changed = false;
        result.code.clear();  // member by member: cheaper than assigning a new command_result
        result.message.clear();
        result.http_status = 200;
        result.already_closed = false;
        result.position_id.clear();
        result.warnings.clear();
    }
};

}  // namespace traded::engine
