// The real Binance port: exchange positions: untracked ones, positions closed outside traded,
// position queries for the engine.

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

void binance_port::impl::schedule_foreign_release() {
    if (foreign_release_pending) return;
    foreign_release_pending = true;
    spawn([self = shared_from_this()]() -> asio::awaitable<void> {
        if (!co_await self->sleep(foreign_hold_ms)) co_return;
        // The ALGO_UPDATE of one of our TP/SL may be late: ask the exchange about those that
        // could have triggered; the answer names the child order (and claims its fills).
        for (const auto& sym : self->tracker.held_fill_symbols())
            for (const auto& cid : self->tracker.unresolved_algos(sym)) co_await self->lookup(cid, true);
        self->foreign_release_pending = false;
        auto out = self->tracker.release_foreign(now(), foreign_hold_ms);
        for (const auto& ev : out.events)
            if (const auto* f = std::get_if<engine::external_fill>(&ev))
                log::warn(component, "{}: fill of an order traded did not place (order {}): {} {} at {}", f->symbol,
                          f->exchange_id, engine::to_string(f->side), f->qty.to_string(), f->price.to_string());
        self->deliver(std::move(out));
        if (!self->tracker.held_fill_symbols().empty()) self->schedule_foreign_release();
    });
}

asio::awaitable<void> binance_port::impl::deliver_foreign_trades(std::string symbol, engine::millis since) {
    auto self = shared_from_this();
    bn::rest_request req = bn::user_trades_since(symbol, since);
    auto r = co_await rest->call(std::move(req), urgent(10'000));
    if (!r.ok()) {
        log::warn(component, "{}: userTrades: {}", symbol, r.describe());
        co_return;
    }
    auto trades = bn::parse_user_trades(r.body, rest_parser);
    if (!trades) {
        log::warn(component, "{}: userTrades: {}", symbol, trades.error().message);
        co_return;
    }
    std::set<std::int64_t> own = tracker.own_order_ids();
    if (const auto* e = eng())
        for (const auto& [cid, o] : e->orders())
            if (!o.exchange_id.empty()) {
                std::int64_t id = 0;
                std::from_chars(o.exchange_id.data(), o.exchange_id.data() + o.exchange_id.size(), id);
                if (id != 0) own.insert(id);
            }
    auto fills = logic::foreign_trades(*trades, own, since, [this](const std::string& asset, decimal amount) {
        return tracker.fee_of(asset, amount);
    });
    for (auto& f : fills) {
        log::warn(component, "{}: fill of an order traded did not place (order {}, from userTrades): {} {} at {}",
                  f.symbol, f.exchange_id, engine::to_string(f.side), f.qty.to_string(), f.price.to_string());
        emit(std::move(f));
    }
}

void binance_port::impl::schedule_position_check() {
    if (position_check_pending || !rest || !creds.ok()) return;
    position_check_pending = true;
    spawn([this, self = shared_from_this()]() -> asio::awaitable<void> {
        // A few readings over ~7 s (retry_rules::position_check; attempt 0 is the ACCOUNT_UPDATE
        // that raised the doubt): two flat ones in a row confirm, and a position changed in the
        // last 5 s is only judged once it has been quiet that long.
        // [this], not [self]: GCC 12 destroys a by-value capture of a lambda written inside a
        // co_await expression twice (tests/lint/coroutine_captures.py); self above keeps us alive.
        co_await retry(retry_rules::position_check(), [this](int n) -> asio::awaitable<attempt_outcome> {
            if (n > 0) co_await refresh_positions();
            co_return attempt_outcome{attempt_outcome::pending};
        });
        position_check_pending = false;
    });
}

asio::awaitable<void> binance_port::impl::refresh_positions() {
    auto self = shared_from_this();
    const engine::millis sent = now();
    auto r = co_await rest->call(bn::position_risk());
    if (!r.ok()) co_return;
    auto rows = bn::parse_position_risk(r.body, rest_parser);
    if (!rows) {
        log::warn(component, "positionRisk: {}", rows.error().message);
        co_return;
    }
    set_untracked(compute_untracked(*rows, sent));
    const auto* e = eng();
    if (e == nullptr || !user_trusted) co_return;
    // A position nothing of ours owns, where an entry of ours may have executed after we
    // gave up on it: the sweep looks those entries up and revives the position.
    for (const auto& cid : logic::revive_candidates(amounts_of(*rows), e->positions(), e->orders(), now(),
                                                     revive_max_age_ms))
        if (!revive_checked.count(cid)) {
            request_reconcile("exchange position not owned by traded");
            break;
        }
    std::vector<std::string> gone;
    for (const auto& [id, p] : e->positions()) {
        if (p.status != engine::position_status::open) {
            flat_confirmations.erase(id);
            continue;
        }
        const bool ours = reconcile::holds(p, reconcile::amount_of(*rows, p.symbol));
        // Only a reading requested well after the position's last change counts: an older
        // one may predate the entry fill.
        if (ours || p.updated_at + 5'000 > sent || symbol_busy(p.symbol)) {
            flat_confirmations.erase(id);
            continue;
        }
        if (++flat_confirmations[id] >= 2) gone.push_back(id);
    }
    for (const auto& id : gone) {
        flat_confirmations.erase(id);
        if (const auto* eng_now = eng())
            if (const auto* p = eng_now->find_position(id)) {
                co_await deliver_foreign_trades(p->symbol, p->opened_at - 2'000);
                if ((eng_now = eng()) == nullptr || (p = eng_now->find_position(id)) == nullptr || is_terminal(p->status))
                    continue;  // the fills closed it
            }
        log::warn(component, "{}: the exchange shows no position any more (closed outside traded); closing it as EXTERNAL", id);
        emit(engine::close_request{id, engine::exit_reason::external});
    }
}

bool binance_port::impl::owns_symbol(const std::string& symbol) const {
    const auto* e = eng();
    if (e == nullptr) return false;
    for (const auto& [id, p] : e->positions())
        if (p.symbol == symbol && !is_terminal(p.status)) return true;
    return false;
}

bool binance_port::impl::symbol_busy(const std::string& symbol) const {
    for (const auto& [cid, t] : tracker.orders())
        if (t.symbol == symbol && (t.in_flight || (!t.final_sent && t.filled < t.exchange_filled))) return true;
    return false;
}

std::vector<logic::exchange_amount> binance_port::impl::amounts_of(const std::vector<bn::position_row>& rows) const {
    std::vector<logic::exchange_amount> out;
    for (const auto& row : rows)
        if (!row.amount.is_zero() && configured(row.symbol)) out.push_back({row.symbol, row.amount});
    return out;
}

std::vector<foreign_position> binance_port::impl::compute_untracked(const std::vector<bn::position_row>& rows, engine::millis read_at) const {
    const auto* e = eng();
    static const std::map<std::string, engine::position> none;
    return logic::untracked_positions(rows, e ? e->positions() : none, read_at);
}

void binance_port::impl::set_untracked(std::vector<foreign_position> list) {
    auto key = [](const std::vector<foreign_position>& l) {
        std::string k;
        for (const auto& u : l) k += u.symbol + '|' + u.amount.to_string() + ';';
        return k;
    };
    const bool changed = key(list) != key(untracked_list);
    untracked_list = std::move(list);
    if (changed && on_untracked) on_untracked(untracked_list);
}

asio::awaitable<void> binance_port::impl::query_position(engine::query_position q) {
    auto self = shared_from_this();
    // The engine waits for this answer to close a position: retry_rules::position keeps asking
    // while it does.
    co_await retry(retry_rules::position(eng() != nullptr), [&](int) -> asio::awaitable<attempt_outcome> {
        auto r = co_await rest->call(bn::position_risk(q.symbol), urgent());
        if (stopped) co_return attempt_outcome{attempt_outcome::ok};
        if (r.ok()) {
            if (auto rows = bn::parse_position_risk(r.body, rest_parser)) {
                co_await report_position(q, *rows);
                co_return attempt_outcome{attempt_outcome::ok};
            } else {
                log::warn(component, "positionRisk {}: {}", q.symbol, rows.error().message);
            }
        }
        if (const auto* e = eng()) {
            const auto* p = e->find_position(q.position_id);
            if (p == nullptr || is_terminal(p->status)) co_return attempt_outcome{attempt_outcome::ok};  // no one waits
        }
        log::warn(component, "position {}: {}", q.symbol, r.describe());
        co_return outcome_of(r, false);
    });
}

asio::awaitable<void> binance_port::impl::report_position(const engine::query_position& q,
                                                          const std::vector<bn::position_row>& rows) {
    auto self = shared_from_this();
    decimal amount;
    decimal entry;
    for (const auto& row : rows)
        if (row.symbol == q.symbol) {
            amount += row.amount;
            if (!row.amount.is_zero()) entry = row.entry_price;
        }
    // Fills we know were executed go first, so a flat report is explained by them.
    std::vector<std::string> short_of_fills;
    for (const auto& [cid, t] : tracker.orders())
        if (t.symbol == q.symbol && !t.final_sent && t.filled < t.exchange_filled) short_of_fills.push_back(cid);
    for (const auto& cid : short_of_fills) co_await fetch_trades(cid);
    // Flat without our exit fills: someone else's order closed it; its fills first.
    if (amount.is_zero())
        if (const auto* e = eng())
            if (const auto* p = e->find_position(q.position_id); p && p->exit_filled_qty < p->qty)
                co_await deliver_foreign_trades(q.symbol, p->opened_at - 2'000);
    emit(engine::position_report{q.symbol, amount, entry, q.position_id});
}

}  // namespace traded::binance
