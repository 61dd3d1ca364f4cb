#pragma once
/// Private to engine/: the per-step context that implements engine::handle. Other components use
/// engine.hpp only.
///
/// One `impl_access` lives for one call of handle(): it holds the engine, the output being built
/// and the step's `now`, so helpers need no out-parameters and cannot read any other clock.
/// engine.cpp has the dispatch, entries, fills, protective orders and commands;
/// close_flow.cpp has the idempotent close (SPEC §1) in one place.

#include "engine/engine.hpp"

#include <string>
#include <string_view>

namespace traded::engine {

/// Order states in which an order may still execute on the exchange.
inline bool is_live(order_status s) {
    return s == order_status::pending || s == order_status::accepted || s == order_status::partially_filled;
}
/// Positions that are over for good (no more exposure, no more orders of ours).
inline bool is_terminal(position_status s) {
    return s == position_status::closed || s == position_status::failed;
}
/// True once the entry filled (entry_price is the fill average; zero while OPENING).
inline bool entry_filled(const position& p) {
    return p.entry_price.is_positive();
}

/// Adds a fill's commission to `fees` (USDT) and to `raw` (as charged, by asset).
template <typename Fill>
void charge(decimal& fees, std::vector<commission>& raw, const Fill& ev) {
    fees += ev.fee;
    if (ev.fee_asset.empty())
        add_commission(raw, "USDT", ev.fee);
    else
        add_commission(raw, ev.fee_asset, ev.fee_amount);
}
template <typename Fill>
void charge(position& p, const Fill& ev) {
    charge(p.fees, p.commissions, ev);
}

/// Why a position closed, and which of our orders (if any) did it.
struct close_cause {
    exit_reason reason = exit_reason::none;
    std::optional<order_kind> kind;
};

struct engine::impl_access {
    engine& e;
    output& out;
    millis now;

    // Events (engine.cpp unless noted) ----------------------------------------------------------
    void operator()(const market_tick& ev);
    void operator()(const order_accepted& ev);
    void operator()(const order_fill& ev);
    void operator()(const order_rejected& ev);
    void operator()(const order_canceled& ev);
    void operator()(const position_report& ev);  // close_flow.cpp
    void operator()(const exchange_status& ev);
    void operator()(const open_request& ev);
    void operator()(const close_request& ev);  // close_flow.cpp
    void operator()(const start_request& ev);
    void operator()(const stop_request& ev);
    void operator()(const emergency_stop_request& ev);
    void operator()(const set_limits_request& ev);
    void operator()(const timer_fired& ev);
    void operator()(const external_fill& ev);  // close_flow.cpp

    /// Remembers a fill's trade id; false when it was applied already (redelivered).
    bool first_sight(const std::string& trade_id);

    // Bookkeeping ---------------------------------------------------------------------------
    void rollover();
    void touch(position& p);
    void touch(order_record& o);
    /// `name` must be a string literal (the notification keeps a view of it).
    void notify(channel ch, std::string_view name, std::string detail = {});
    void notify_position(const position& p, std::string_view name, std::string detail = {});
    /// True when a notification of this step names `p` (it must outlive the step: not pruned).
    bool named_in_step(const position& p) const;
    void refuse(std::string code, int http_status, std::string message);
    position* find_position(const std::string& id);
    order_record* find_order(const std::string& client_id);
    order_record* order_of(const position& p, order_kind k);
    bool live(const position& p, order_kind k);
    const symbol_info* symbol_of(const position& p) const;
    /// Quantity not yet closed by exit fills.
    decimal remaining(const position& p) const;
    order_record& place(position& p, order_kind k, order_type t, decimal qty, decimal trigger,
                        bool reduce_only);
    void cancel(const order_record& o);
    void check_daily_loss();
    /// Moves `p` to CLOSED or FAILED at `now` (and into the engine's list of ended positions).
    void end_position(position& p, position_status terminal);
    void prune_history();

    // Entry and protection --------------------------------------------------------------------
    order_record* adopt_unknown_order(const std::string& client_id);
    void on_entry_fill(position& p, order_record& o, const order_fill& ev);
    void open_position(position& p, const order_record& entry);
    void fail_position(position& p, std::string detail);
    void place_protection(position& p);
    void ensure_protection(position& p);
    void maybe_announce_protection(position& p);
    void activate_floor(position& p);
    void adopt_floor(position& p, const order_record& fl);
    void on_protective_rejected(position& p, const order_record& o, const order_rejected& ev);
    void on_protective_canceled(position& p, const order_record& o, bool we_asked);

    // Idempotent close (close_flow.cpp) ----------------------------------------------------------
    /// Moves an OPEN/OPENING position to CLOSING with `reason`; no-op for CLOSING/terminal ones.
    void request_close(position& p, exit_reason reason, std::string_view why);
    void query_exchange_position(const position& p);
    /// Close at once without reading the exchange first (protective order rejected).
    void close_at_market(position& p, exit_reason reason, std::string detail);
    void place_close_order(position& p, decimal qty);
    void on_exit_fill(position& p, order_record& o, const order_fill& ev);
    void on_close_rejected(position& p, const order_rejected& ev);
    void on_close_canceled(position& p);
    void revert_to_open(position& p, std::string detail);
    close_cause cause_from_fills(const position& p);
    void finish_close(position& p, close_cause cause);
    void amend_unseen_close(position& p, const order_record& o, const order_fill& ev);
};

}  // namespace traded::engine
