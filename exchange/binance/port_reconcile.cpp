// The real Binance port: the reconciliation sweep (start-up, every user-stream reconnect, on demand).

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

void binance_port::impl::request_reconcile(std::string why) {
    if (stopped || !rest || !creds.ok()) return;
    if (sweeping) {
        sweep_again = std::move(why);
        return;
    }
    sweeping = true;
    spawn([self = shared_from_this(), why]() { return self->sweep(why); });
}

asio::awaitable<void> binance_port::impl::sweep(std::string why) {
    auto self = shared_from_this();
    // A sweep that could not read everything runs again after retry_rules::sweep's wait; one
    // asked for meanwhile (sweep_again) runs at once.
    co_await retry(retry_rules::sweep(), [&](int) -> asio::awaitable<attempt_outcome> {
        for (;;) {
            const bool ok = co_await sweep_pass(why);
            if (stopped) co_return attempt_outcome{attempt_outcome::ok};
            if (!sweep_again.empty()) {
                why = std::move(sweep_again);
                sweep_again.clear();
                continue;
            }
            co_return attempt_outcome{ok ? attempt_outcome::ok : attempt_outcome::transport};
        }
    });
    sweeping = false;
}

asio::awaitable<bool> binance_port::impl::sweep_pass(const std::string& why) {
    auto self = shared_from_this();
    reconciliation_summary s;
    s.trigger = why;
    const bool for_stream = stream_sweep_wanted;  // started after the stream's (re)connect
    stream_sweep_wanted = false;
    const bool ok = co_await sweep_once(s);
    if (stopped) co_return false;
    s.ran_at = now();
    if (ok) {
        summary = s;
        reconciled_once = true;
        if (for_stream && user_driver) user_driver->reconcile_done();  // the stream is trusted now
        log::info(component, "reconciliation ({}) done: {} fixed, {} untracked", why, s.fixed.size(), s.untracked.size());
        for (const auto& f : s.fixed) log::info(component, "reconciliation: {}", f);
        for (const auto& u : s.untracked)
            log::warn(component,
                      "reconciliation: untracked exchange position {} {} (not touched; new entries on {} are "
                      "blocked until it is closed)",
                      u.symbol, u.amount.to_string(), u.symbol);
        if (on_reconciled) on_reconciled(summary);
        update_connected();
    } else {
        if (for_stream) stream_sweep_wanted = true;  // the retry answers the stream
        for (const auto& p : s.problems) log::warn(component, "reconciliation ({}): {}", why, p);
    }
    co_return ok;
}

asio::awaitable<bool> binance_port::impl::sweep_once(reconciliation_summary& s) {
    auto self = shared_from_this();
    // Read: exchange positions first (a later reading cannot predate fills found below), then
    // open orders and open algo orders on the configured symbols.
    const engine::millis read_at = now();
    reconcile::exchange_snapshot x;
    {
        auto pr = co_await rest->call(bn::position_risk());
        auto parsed = pr.ok() ? bn::parse_position_risk(pr.body, rest_parser)
                              : bn::failure<bn::result<std::vector<bn::position_row>>>(pr.describe());
        if (!parsed) {
            s.problems.push_back("positionRisk: " + pr.describe());
            co_return false;
        }
        x.positions = std::move(*parsed);
    }
    for (const auto& sym : opts.symbols) {
        auto r = co_await rest->call(bn::open_orders(sym));
        auto list = r.ok() ? bn::parse_orders(r.body, rest_parser) : bn::failure<bn::result<std::vector<bn::order_info>>>(r.describe());
        if (!list) {
            s.problems.push_back("openOrders " + sym + ": " + list.error().message);
            co_return false;
        }
        for (auto& o : *list) x.open_orders[o.client_order_id] = o;
        auto ra = co_await rest->call(bn::open_algo_orders(sym));
        auto alist = ra.ok() ? bn::parse_algo_orders(ra.body, rest_parser)
                             : bn::failure<bn::result<std::vector<bn::algo_order_info>>>(ra.describe());
        if (!alist) {
            s.problems.push_back("openAlgoOrders " + sym + ": " + alist.error().message);
            co_return false;
        }
        for (auto& a : *alist) x.open_algos[a.client_algo_id] = a;
    }
    const auto* e = eng();
    if (e == nullptr) {
        s.untracked = compute_untracked(x.positions, read_at);
        set_untracked(s.untracked);
        co_return true;
    }
    // Phase 1: every order the engine holds as live: confirm it, or learn what became of it.
    bool complete = true;
    const std::vector<reconcile::order_step> steps = reconcile::plan_orders(x, e->orders(), busy_ids());
    for (const auto& step : steps) {
        const std::string& cid = step.client_id;
        if (is_busy(cid)) continue;  // a flow started meanwhile: it decides
        if (step.what == reconcile::order_step::kind::confirm_open) {
            tracker.adopt(cid, step.symbol, step.algo);
            deliver(step.algo ? tracker.on_algo_info(x.open_algos.at(cid)) : tracker.on_order_info(x.open_orders.at(cid)));
            continue;
        }
        if (tracker.find(cid) == nullptr) tracker.adopt(cid, step.symbol, step.algo);
        auto found = co_await lookup(cid, step.algo);
        if (found == lookup_result::error) {
            s.problems.push_back(cid + ": lookup failed");
            complete = false;
            continue;
        }
        if (found == lookup_result::found) {
            const auto* t = tracker.find(cid);
            s.fixed.push_back(reconcile::found_line(cid, t ? t->final_status : std::string()));
            // Fills found by the lookup are fetched before positions are judged below.
            if (t && t->filled < t->exchange_filled) co_await fetch_trades(cid);
            continue;
        }
        // Not on the exchange at all, unless a flow started while we asked: it decides.
        if (is_busy(cid)) continue;
        const auto* now_e = eng();
        const auto oit = now_e ? now_e->orders().find(cid) : std::map<std::string, engine::order_record>::const_iterator{};
        if (now_e == nullptr || oit == now_e->orders().end()) continue;
        const auto verdict =
            reconcile::on_missing(oit->second, now(), opts.exchange.recv_window_ms, rest->time_offset_ms());
        s.fixed.push_back(verdict.line);
        switch (verdict.what) {
            case reconcile::missing_verdict::kind::await_entry:
                await_entry(cid, step.symbol, verdict.final_at);
                break;
            case reconcile::missing_verdict::kind::entry_failed:
                deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange"));
                break;
            case reconcile::missing_verdict::kind::canceled:
                deliver(tracker.on_gone(cid));
                break;
        }
    }
    // Exchange positions that no live position of ours owns, on a symbol where an entry of ours
    // was given up on (FAILED): if that entry executed after all (late, or while we were down),
    // the position is ours. Revive it; the engine protects it from the actual fill.
    if (!co_await revive_executed_entries(x.positions, s)) complete = false;
    // Phase 2: our orders still open on the exchange for positions that are over: leftovers (a
    // reduce-only stop of an old position could cut a new one). Unknown ids are left alone.
    if ((e = eng()) != nullptr) {
        const reconcile::leftover_plan leftovers = reconcile::plan_leftovers(
            x, e->positions(), e->orders(), [this](const std::string& cid) { return tracker.is_own(cid); }, busy_ids());
        for (const auto& cid : leftovers.unknown_positions)
            log::warn(component, "open order {} names a position traded does not know; left alone", cid);
        for (const auto& l : leftovers.cancels) {
            if (is_busy(l.client_id)) continue;
            s.fixed.push_back(l.line);
            engine::cancel_order c{l.client_id, l.symbol};
            co_await cancel(std::move(c));
        }
    }
    // Phase 3: OPEN positions flat on the exchange were closed outside traded; CLOSING ones get a
    // fresh reading so their close flow continues after a restart.
    e = eng();
    if (e == nullptr) co_return complete;
    std::set<std::string> busy_symbols;
    for (const auto& [id, p] : e->positions())
        if (symbol_busy(p.symbol)) busy_symbols.insert(p.symbol);
    const std::vector<reconcile::position_step> pos_steps = reconcile::plan_positions(x, e->positions(), busy_symbols);
    for (const auto& step : pos_steps) {
        if (step.what == reconcile::position_step::kind::query) {
            engine::query_position q{step.symbol, step.position_id};
            co_await query_position(std::move(q));
            continue;
        }
        // Confirm with a second, fresh reading before calling it gone.
        auto again = co_await rest->call(bn::position_risk(step.symbol));
        auto rows2 = again.ok() ? bn::parse_position_risk(again.body, rest_parser)
                                : bn::failure<bn::result<std::vector<bn::position_row>>>(again.describe());
        if (!rows2) {
            s.problems.push_back(step.symbol + ": second position reading failed");
            complete = false;
            continue;
        }
        const auto* now_p = eng() ? eng()->find_position(step.position_id) : nullptr;
        if (now_p == nullptr || now_p->status != engine::position_status::open ||
            reconcile::holds(*now_p, reconcile::amount_of(*rows2, step.symbol)))
            continue;
        s.fixed.push_back(reconcile::closed_outside_line(step.position_id));
        emit(engine::close_request{step.position_id, engine::exit_reason::external});
    }
    s.untracked = compute_untracked(x.positions, read_at);
    set_untracked(s.untracked);
    co_return complete;
}

std::set<std::string> binance_port::impl::busy_ids() const {
    std::set<std::string> ids;
    for (const auto& [cid, n] : busy) ids.insert(cid);
    return ids;
}

asio::awaitable<bool> binance_port::impl::revive_executed_entries(const std::vector<bn::position_row>& rows, reconciliation_summary& s) {
    auto self = shared_from_this();
    const auto* e = eng();
    if (e == nullptr) co_return true;
    bool complete = true;
    std::set<std::string> revived;  // symbols
    for (const auto& cid : logic::revive_candidates(amounts_of(rows), e->positions(), e->orders(), now(),
                                                    revive_max_age_ms)) {
        if (revive_checked.count(cid) || is_busy(cid)) continue;
        e = eng();
        if (e == nullptr) break;
        const auto* p = e->find_position(engine::split_client_order_id(cid)->first);
        if (p == nullptr || p->status != engine::position_status::failed || revived.count(p->symbol)) continue;
        const std::string symbol = p->symbol;
        const std::string position_id = p->position_id;
        tracker.adopt(cid, symbol, false);
        auto found = co_await lookup(cid, false);
        if (found == lookup_result::error) {
            s.problems.push_back(cid + ": lookup for revival failed");
            complete = false;
            continue;
        }
        const auto* t = tracker.find(cid);
        if (found == lookup_result::not_found || t == nullptr || !t->exchange_filled.is_positive()) {
            revive_checked.insert(cid);
            continue;
        }
        log::error(component, "{}: entry executed on the exchange after its position was marked FAILED; reviving it",
                   cid);
        // Its fills revive the position in the engine, which then places TP/SL from them
        // (retry_rules::revive_fills paces the fetches).
        co_await retry(retry_rules::revive_fills(), [&](int) -> asio::awaitable<attempt_outcome> {
            auto owed = [&] {
                const auto* o = tracker.find(cid);
                return !stopped && o != nullptr && o->filled < o->exchange_filled;
            };
            if (!owed()) co_return attempt_outcome{attempt_outcome::ok};
            co_await fetch_trades(cid);  // returns at once while another fetch of it runs
            co_return attempt_outcome{owed() ? attempt_outcome::pending : attempt_outcome::ok};
        });
        e = eng();
        const auto* now_p = e ? e->find_position(position_id) : nullptr;
        if (now_p != nullptr && now_p->status != engine::position_status::failed) {
            revived.insert(symbol);
            s.fixed.push_back(fmt::format("{}: entry executed on the exchange after the position was marked FAILED; "
                                          "position revived ({}) and protected",
                                          cid, engine::to_string(now_p->status)));
        } else {
            s.problems.push_back(cid + ": executed on the exchange, but its fills could not be read yet");
            complete = false;
        }
    }
    co_return complete;
}

}  // namespace traded::binance
