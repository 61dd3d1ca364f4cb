// The idempotent close (SPEC §1), in one place.
//
// A close is a small state machine per position:
//   OPEN --close_request--> CLOSING --query_position--> position_report
//     flat      -> CLOSED from the exit fills already seen (or at the mark, EXTERNAL)
//     not flat  -> one reduce-only MARKET order <id>-X, unless one is live already
//   -X filled                    -> CLOSED (reason: the reason the close was asked for)
//   -X rejected -2022            -> read the exchange position again (it may be flat now)
//   -X rejected otherwise        -> back to OPEN; TP/SL still rest (re-placed if missing)
// TP/SL/floor stop keep resting while CLOSING, so the position stays protected until an exit
// fill flattens it; whichever of our orders filled names the exit reason, whatever the order
// in which the events arrived. Every way to CLOSED goes through finish_close().

#include "engine/engine_impl.hpp"
#include "engine/exit_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace traded::engine {

namespace {
/// -X orders sent for one close before the position goes back to OPEN (with its TP/SL) for the
/// operator to look at: bounds a reduce-only rejection loop with an exchange that disagrees.
constexpr int max_close_attempts = 3;

constexpr std::array<order_kind, 4> exit_kinds{order_kind::take_profit, order_kind::stop_loss,
                                               order_kind::floor_stop, order_kind::close};

}  // namespace

trade trade_of(const position& p) {
    trade t;
    t.trade_id = p.position_id + "-T";
    t.position_id = p.position_id;
    t.symbol = p.symbol;
    t.pos_side = p.pos_side;
    t.entry_price = p.entry_price;
    t.exit_price = p.exit_price;
    t.qty = p.qty;
    t.pnl = p.pnl;
    t.fees = p.fees;
    t.commissions = p.commissions;
    const double margin = p.stake_usd.to_double() / std::max(1, p.leverage);
    t.pnl_pct = margin > 0 ? p.pnl.to_double() / margin * 100.0 : 0.0;
    t.reason = p.reason;
    t.opened_at = p.opened_at;
    t.closed_at = p.closed_at;
    return t;
}

void engine::impl_access::operator()(const close_request& ev) {
    position* p = find_position(ev.position_id);
    if (p == nullptr) return refuse("POSITION_NOT_FOUND", 404, fmt::format("no position {}", ev.position_id));
    out.result.position_id = p->position_id;
    if (is_terminal(p->status)) {
        out.result.already_closed = true;
        return;
    }
    request_close(*p, ev.reason == exit_reason::none ? exit_reason::manual : ev.reason, "close requested");
}

void engine::impl_access::request_close(position& p, exit_reason reason, std::string_view why) {
    switch (p.status) {
        case position_status::closed:
        case position_status::failed:
        case position_status::closing: return;  // idempotent: the close already under way wins
        case position_status::opening:
            p.status = position_status::closing;
            p.reason = reason;
            touch(p);
            notify_position(p, "position_updated", fmt::format("{}: closing once the entry fills", why));
            return;
        case position_status::open:
            p.status = position_status::closing;
            p.reason = reason;
            e.close_attempts_[p.position_id] = 0;
            touch(p);
            query_exchange_position(p);
            notify_position(p, "position_updated", fmt::format("{}: reading the exchange position", why));
            return;
    }
}

void engine::impl_access::query_exchange_position(const position& p) {
    out.actions.emplace_back(query_position{p.symbol, p.position_id});
}

void engine::impl_access::close_at_market(position& p, exit_reason reason, std::string detail) {
    if (is_terminal(p.status)) return;
    p.status = position_status::closing;
    p.reason = reason;
    e.close_attempts_[p.position_id] = 0;
    touch(p);
    if (!live(p, order_kind::close)) place_close_order(p, remaining(p));
    notify_position(p, "position_updated", std::move(detail));
}

void engine::impl_access::place_close_order(position& p, decimal qty) {
    if (const symbol_info* sym = symbol_of(p)) qty = qty.floor_to(sym->step_size);
    if (!qty.is_positive()) return;
    place(p, order_kind::close, order_type::market, qty, {}, true);
    ++e.close_attempts_[p.position_id];
    touch(p);
}

void engine::impl_access::operator()(const position_report& ev) {
    position* p = find_position(ev.position_id);
    if (p == nullptr || p->symbol != ev.symbol) {
        p = nullptr;
        for (auto& [id, candidate] : e.positions_)
            if (candidate.symbol == ev.symbol && candidate.status == position_status::closing) p = &candidate;
    }
    // Only a close in progress asks for reports; a close requested while OPENING waits for its
    // entry (open_position queries again once it fills).
    if (p == nullptr || p->status != position_status::closing || !entry_filled(*p)) return;

    const bool ours_on_exchange =
        p->pos_side == side::long_side ? ev.amount.is_positive() : ev.amount.is_negative();
    decimal qty = std::min(ev.amount.abs(), remaining(*p));
    if (const symbol_info* sym = symbol_of(*p)) qty = qty.floor_to(sym->step_size);
    if (!ours_on_exchange || !qty.is_positive()) {
        // Flat (or less than one step, or the other direction, which is not ours): the position
        // is gone. Close it from the fills that flattened it.
        if (p->exit_filled_qty.is_positive()) return finish_close(*p, cause_from_fills(*p));
        const auto q = e.quotes_.find(p->symbol);
        p->exit_price = p->mark_price.is_positive()                            ? p->mark_price
                        : q != e.quotes_.end() && q->second.mark.is_positive() ? q->second.mark
                                                                               : p->entry_price;
        const std::string id = p->position_id;
        finish_close(*p, close_cause{exit_reason::external, std::nullopt});
        e.closed_unseen_[id] = {};
        return;
    }
    if (live(*p, order_kind::close)) return;  // never two close orders
    if (e.close_attempts_[p->position_id] >= max_close_attempts)
        return revert_to_open(*p,
                              fmt::format("close order failed {} times while the exchange still shows {}; "
                                          "the position stays OPEN with its TP/SL",
                                          max_close_attempts, ev.amount.to_string()));
    place_close_order(*p, qty);
}

void engine::impl_access::on_exit_fill(position& p, order_record& o, const order_fill& ev) {
    if (p.status == position_status::closed) return amend_unseen_close(p, o, ev);
    if (p.status == position_status::failed || !entry_filled(p)) return;
    const decimal before = p.exit_filled_qty;
    const decimal total = before + ev.qty;
    p.exit_price = (p.exit_price * before + ev.price * ev.qty) / total;
    p.exit_filled_qty = total;
    charge(p, ev);
    touch(p);
    if (total >= p.qty) return finish_close(p, cause_from_fills(p));
    notify_position(p, "position_updated",
                    fmt::format("{} order {} partly filled: {} of {}", to_string(o.kind), o.client_id,
                                total.to_string(), p.qty.to_string()));
    // Our close order is done but the position is not: read what is left.
    if (o.kind == order_kind::close && o.status == order_status::filled &&
        p.status == position_status::closing)
        query_exchange_position(p);
}

void engine::impl_access::operator()(const external_fill& ev) {
    if (!first_sight(ev.trade_id) || !ev.qty.is_positive()) return;
    // The position this fill reduces: ours on the symbol, on the other side of the fill.
    const side reduced = ev.side == order_side::sell ? side::long_side : side::short_side;
    position* p = nullptr;
    position* closed = nullptr;
    for (auto& [id, c] : e.positions_) {
        if (c.symbol != ev.symbol || c.pos_side != reduced) continue;
        if ((c.status == position_status::open || c.status == position_status::closing) && entry_filled(c)) p = &c;
        // Closed from a flat reading before this fill arrived: the fill says what it really fetched.
        else if (c.status == position_status::closed && e.closed_unseen_.count(id) != 0) closed = &c;
    }
    if (p != nullptr) {
        const decimal before = p->exit_filled_qty;
        const decimal total = before + ev.qty;
        p->exit_price = (p->exit_price * before + ev.price * ev.qty) / total;
        p->exit_filled_qty = total;
        charge(*p, ev);
        touch(*p);
        if (total >= p->qty) return finish_close(*p, cause_from_fills(*p));
        notify_position(*p, "position_updated",
                        fmt::format("reduced outside traded on the exchange: {} of {} at {}", total.to_string(),
                                    p->qty.to_string(), ev.price.to_string()));
        return;
    }
    if (closed == nullptr) return;
    position& c = *closed;
    const decimal old_pnl = c.pnl;
    const decimal before = c.exit_filled_qty;
    const decimal total = before + ev.qty;
    c.exit_price = before.is_zero() ? ev.price : (c.exit_price * before + ev.price * ev.qty) / total;
    c.exit_filled_qty = total;
    charge(c, ev);
    if (total >= c.qty) e.closed_unseen_.erase(c.position_id);
    c.pnl = unrealized_pnl(c.pos_side, c.entry_price, c.exit_price, c.qty) - c.fees;
    touch(c);
    trade t = trade_of(c);
    const std::span<trade> kept = e.live_trades();
    for (auto r = kept.rbegin(); r != kept.rend(); ++r)
        if (r->trade_id == t.trade_id) {
            *r = t;
            break;
        }
    out.new_trades.push_back(std::move(t));  // same trade_id: the store replaces the recorded one
    if (c.closed_at >= e.state_.trading_day_start) {
        e.state_.daily_realized_pnl += c.pnl - old_pnl;
        out.state_changed = true;
    }
    notify_position(c, "position_updated",
                    fmt::format("close corrected from the exchange's fills: {} at {}", total.to_string(),
                                c.exit_price.to_string()));
    out.notifications.push_back(notification{channel::trades, "trade_recorded", trade_ref{&c}, "corrected"});
    check_daily_loss();
}

void engine::impl_access::on_close_rejected(position& p, const order_rejected& ev) {
    if (p.status != position_status::closing) return;  // a TP/SL fill won the race
    // -2022 "ReduceOnly Order is rejected": most likely already flat. Read again; a flat report
    // closes the position, a non-flat one sends at most one more -X.
    if (ev.code == -2022) return query_exchange_position(p);
    revert_to_open(p, fmt::format("close order rejected ({}: {}); the position stays OPEN with its TP/SL",
                                  ev.code, ev.message));
}

void engine::impl_access::on_close_canceled(position& p) {
    // An expired or canceled close order: read the exchange again and decide from there.
    if (p.status == position_status::closing) query_exchange_position(p);
}

void engine::impl_access::revert_to_open(position& p, std::string detail) {
    p.status = position_status::open;
    p.reason = exit_reason::none;
    e.close_attempts_.erase(p.position_id);
    touch(p);
    ensure_protection(p);
    notify_position(p, "position_updated", std::move(detail));
}

close_cause engine::impl_access::cause_from_fills(const position& p) {
    close_cause cause;
    decimal most;
    for (order_kind k : exit_kinds) {
        const order_record* o = order_of(p, k);
        if (o == nullptr || o->filled_qty <= most) continue;
        most = o->filled_qty;
        cause.kind = k;
    }
    if (!cause.kind) {
        cause.reason = exit_reason::external;
        return cause;
    }
    switch (*cause.kind) {
        case order_kind::take_profit: cause.reason = exit_reason::take_profit; break;
        case order_kind::stop_loss: cause.reason = exit_reason::stop_loss; break;
        case order_kind::floor_stop: cause.reason = exit_reason::profit_floor; break;
        default:
            // Our -X: the reason the close was asked for (MANUAL/STOP/EMERGENCY, or the rule
            // whose protective order could not be placed).
            cause.reason = p.reason == exit_reason::none || p.reason == exit_reason::external
                               ? exit_reason::manual
                               : p.reason;
            break;
    }
    return cause;
}

void engine::impl_access::finish_close(position& p, close_cause cause) {
    end_position(p, position_status::closed);
    p.reason = cause.reason;
    p.pnl = unrealized_pnl(p.pos_side, p.entry_price, p.exit_price, p.qty) - p.fees;
    touch(p);
    trade t = trade_of(p);
    e.trades_.push_back(t);
    e.trim_trades();
    out.new_trades.push_back(std::move(t));
    e.state_.daily_realized_pnl += p.pnl;
    out.state_changed = true;
    for (order_kind k : exit_kinds)
        if (const order_record* o = order_of(p, k)) cancel(*o);  // only live ones are sent
    e.close_attempts_.erase(p.position_id);
    if (cause.kind == order_kind::take_profit)
        notify_position(p, "tp_filled");
    else if (cause.kind == order_kind::stop_loss || cause.kind == order_kind::floor_stop)
        notify_position(p, "sl_filled");
    notify_position(p, "position_closed");
    out.notifications.push_back(notification{channel::trades, "trade_recorded", trade_ref{&p}, {}});
    check_daily_loss();
    prune_history();
}

void engine::impl_access::amend_unseen_close(position& p, const order_record& o, const order_fill& ev) {
    // A CLOSED position ignores fills, except one closed from a flat report before its exit
    // fill arrived (REST answered before the user stream): that fill says what really closed it.
    auto it = e.closed_unseen_.find(p.position_id);
    if (it == e.closed_unseen_.end()) return;
    charge(it->second.usdt, it->second.raw, ev);
    if (o.filled_qty < p.qty) return;  // wait until one of our orders accounts for the position
    const decimal old_pnl = p.pnl;
    const trade before = trade_of(p);
    p.fees += it->second.usdt;
    for (const auto& c : it->second.raw) add_commission(p.commissions, c.asset, c.amount);
    e.closed_unseen_.erase(it);
    p.exit_price = o.avg_price;
    p.exit_filled_qty = o.filled_qty;
    p.reason = cause_from_fills(p).reason;
    p.pnl = unrealized_pnl(p.pos_side, p.entry_price, p.exit_price, p.qty) - p.fees;
    touch(p);
    trade t = trade_of(p);
    const std::span<trade> window = e.live_trades();
    auto kept = std::find_if(window.rbegin(), window.rend(), [&](const trade& r) { return r.trade_id == t.trade_id; });
    if (kept != window.rend())
        *kept = t;
    else
        e.earlier_trades_.replace(before, t);  // it already left memory: correct the totals
    out.new_trades.push_back(std::move(t));  // same trade_id: the store replaces the recorded one
    if (p.closed_at >= e.state_.trading_day_start) {
        e.state_.daily_realized_pnl += p.pnl - old_pnl;
        out.state_changed = true;
    }
    notify_position(p, "position_updated",
                    fmt::format("close corrected: {} filled at {} ({})", o.client_id,
                                p.exit_price.to_string(), to_string(p.reason)));
    out.notifications.push_back(notification{channel::trades, "trade_recorded", trade_ref{&p}, "corrected"});
    check_daily_loss();
}

}  // namespace traded::engine
