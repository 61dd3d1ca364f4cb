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
    for (;;) {
        reconciliation_summary s;
        s.trigger = why;
        const bool for_stream = stream_sweep_wanted;  // started after the stream's (re)connect
        stream_sweep_wanted = false;
        const bool ok = co_await sweep_once(s);
        if (stopped) co_return;
        s.ran_at = now();
        if (ok) {
            summary = s;
            reconciled_once = true;
            if (for_stream && user_driver) user_driver->reconcile_done();  // the stream is trusted now
            log::info(component, "reconciliation ({}) done: {} fixed, {} untracked", why, s.fixed.size(),
                      s.untracked.size());
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
        if (!sweep_again.empty()) {
            why = std::move(sweep_again);
            sweep_again.clear();
            continue;
        }
        if (ok) break;
        if (!co_await sleep(10'000)) co_return;
    }
    sweeping = false;
}

asio::awaitable<bool> binance_port::impl::sweep_once(reconciliation_summary& s) {
    auto self = shared_from_this();
    // 1. Exchange positions, read first: a later reading cannot predate fills found below.
    const engine::millis read_at = now();
    auto pr = co_await rest->call(bn::position_risk());
    std::optional<std::vector<bn::position_row>> rows;
    if (pr.ok()) {
        auto parsed = bn::parse_position_risk(pr.body, rest_parser);
        if (parsed) rows = std::move(*parsed);
    }
    if (!rows) {
        s.problems.push_back("positionRisk: " + pr.describe());
        co_return false;
    }
    // 2. Open orders and open algo orders on the configured symbols.
    std::map<std::string, bn::order_info> open;
    std::map<std::string, bn::algo_order_info> open_algo;
    for (const auto& sym : opts.symbols) {
        auto r = co_await rest->call(bn::open_orders(sym));
        auto list = r.ok() ? bn::parse_orders(r.body, rest_parser) : bn::result<std::vector<bn::order_info>>::failure(r.describe());
        if (!list) {
            s.problems.push_back("openOrders " + sym + ": " + list.error);
            co_return false;
        }
        for (auto& o : *list) open[o.client_order_id] = o;
        auto ra = co_await rest->call(bn::open_algo_orders(sym));
        auto alist = ra.ok() ? bn::parse_algo_orders(ra.body, rest_parser)
                             : bn::result<std::vector<bn::algo_order_info>>::failure(ra.describe());
        if (!alist) {
            s.problems.push_back("openAlgoOrders " + sym + ": " + alist.error);
            co_return false;
        }
        for (auto& a : *alist) open_algo[a.client_algo_id] = a;
    }
    const auto* e = eng();
    if (e == nullptr) {
        s.untracked = compute_untracked(*rows, read_at);
        set_untracked(s.untracked);
        co_return true;
    }
    // 3. Every order the engine holds as live: confirm it, or learn what became of it.
    std::vector<engine::order_record> live;
    for (const auto& [cid, o] : e->orders())
        if (is_live(o.status)) live.push_back(o);
    bool complete = true;
    for (const auto& o : live) {
        const std::string& cid = o.client_id;
        if (is_busy(cid)) continue;  // its placement or cancel flow decides
        const bool algo = logic::is_algo_client_id(cid);
        if (algo) {
            if (auto it = open_algo.find(cid); it != open_algo.end()) {
                tracker.adopt(cid, o.symbol, true);
                deliver(tracker.on_algo_info(it->second));
                continue;
            }
        } else if (auto it = open.find(cid); it != open.end()) {
            tracker.adopt(cid, o.symbol, false);
            deliver(tracker.on_order_info(it->second));
            continue;
        }
        if (tracker.find(cid) == nullptr) tracker.adopt(cid, o.symbol, algo);
        auto found = co_await lookup(cid, algo);
        if (found == lookup_result::error) {
            s.problems.push_back(cid + ": lookup failed");
            complete = false;
            continue;
        }
        if (found == lookup_result::found) {
            const auto* t = tracker.find(cid);
            s.fixed.push_back(cid + ": " + (t && !t->final_status.empty() ? t->final_status : "open") +
                              " on the exchange");
            // Fills found by the lookup are fetched before positions are judged below.
            if (t && t->filled < t->exchange_filled) co_await fetch_trades(cid);
            continue;
        }
        // Not on the exchange at all, unless a flow started while we asked: it decides.
        if (is_busy(cid)) continue;
        if (is_entry(cid)) {
            // Not found is final only once the exchange can no longer execute the request:
            // recvWindow after it was written (plus clock offset and margin). Until then the
            // position stays OPENING and the entry is looked up again.
            const engine::millis final_at =
                logic::entry_not_found_final_at(o.updated_at, opts.exchange.recv_window_ms, rest->time_offset_ms());
            if (now() < final_at) {
                s.fixed.push_back(fmt::format("{}: entry order not on the exchange yet; it may still execute "
                                              "for {} ms: kept OPENING and looked up again",
                                              cid, final_at - now()));
                await_entry(cid, o.symbol, final_at);
                continue;
            }
            s.fixed.push_back(cid + ": entry order not found on the exchange; the position fails");
            deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange"));
        } else {
            s.fixed.push_back(cid + ": not found on the exchange; reported as canceled");
            deliver(tracker.on_gone(cid));
        }
    }
    // 3b. Exchange positions that no live position of ours owns, on a symbol where an entry of
    // ours was given up on (FAILED): if that entry executed after all (late, or while we were
    // down), the position is ours. Revive it; the engine protects it from the actual fill.
    if (!co_await revive_executed_entries(*rows, s)) complete = false;
    // 4. Our orders still open on the exchange for positions that are over: leftovers (a
    // reduce-only stop of an old position could cut a new one). Unknown ids are left alone.
    for (const auto& [cid, a] : open_algo) co_await cancel_leftover(cid, a.symbol, s);
    for (const auto& [cid, o] : open) co_await cancel_leftover(cid, o.symbol, s);
    // 5. Positions: OPEN ones flat on the exchange were closed outside traded; CLOSING ones
    // get a fresh reading so their close flow continues after a restart.
    e = eng();
    if (e == nullptr) co_return complete;
    std::vector<engine::position> positions;
    for (const auto& [id, p] : e->positions())
        if (!is_terminal(p.status)) positions.push_back(p);
    for (const auto& p : positions) {
        if (p.status == engine::position_status::closing) {
            engine::query_position q{p.symbol, p.position_id};
            co_await query_position(std::move(q));
            continue;
        }
        if (p.status != engine::position_status::open) continue;
        const decimal amount = amount_of(*rows, p.symbol);
        const bool ours = p.pos_side == engine::side::long_side ? amount.is_positive() : amount.is_negative();
        if (ours || symbol_busy(p.symbol)) continue;
        // Confirm with a second, fresh reading before calling it gone.
        auto again = co_await rest->call(bn::position_risk(p.symbol));
        auto rows2 = again.ok() ? bn::parse_position_risk(again.body, rest_parser)
                                : bn::result<std::vector<bn::position_row>>::failure(again.describe());
        if (!rows2) {
            s.problems.push_back(p.symbol + ": second position reading failed");
            complete = false;
            continue;
        }
        const decimal amount2 = amount_of(*rows2, p.symbol);
        const bool ours2 = p.pos_side == engine::side::long_side ? amount2.is_positive() : amount2.is_negative();
        const auto* now_p = eng() ? eng()->find_position(p.position_id) : nullptr;
        if (ours2 || now_p == nullptr || now_p->status != engine::position_status::open) continue;
        s.fixed.push_back(p.position_id + ": flat on the exchange (closed outside traded); closing as EXTERNAL");
        emit(engine::close_request{p.position_id, engine::exit_reason::external});
    }
    s.untracked = compute_untracked(*rows, read_at);
    set_untracked(s.untracked);
    co_return complete;
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
        // Its fills revive the position in the engine, which then places TP/SL from them.
        for (int i = 0; i < 100 && !stopped; ++i) {
            t = tracker.find(cid);
            if (t == nullptr || t->filled >= t->exchange_filled) break;
            co_await fetch_trades(cid);  // returns at once while another fetch of it runs
            t = tracker.find(cid);
            if (t != nullptr && t->filled < t->exchange_filled && !co_await sleep(100)) break;
        }
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

asio::awaitable<void> binance_port::impl::cancel_leftover(const std::string& cid, const std::string& symbol, reconciliation_summary& s) {
    auto self = shared_from_this();
    if (!tracker.is_own(cid)) co_return;
    const auto* e = eng();
    if (e == nullptr) co_return;
    auto parsed = engine::split_client_order_id(cid);
    const auto* p = e->find_position(parsed->first);
    if (p == nullptr) {
        log::warn(component, "open order {} names a position traded does not know; left alone", cid);
        co_return;
    }
    auto o = e->orders().find(cid);
    const bool engine_live = o != e->orders().end() && is_live(o->second.status);
    if (!is_terminal(p->status) && engine_live) co_return;
    if (is_busy(cid)) co_return;
    s.fixed.push_back(cid + ": left open on the exchange for a " + std::string(engine::to_string(p->status)) +
                      " position; canceled");
    engine::cancel_order c{cid, symbol};
    co_await cancel(std::move(c));
}

}  // namespace traded::binance
