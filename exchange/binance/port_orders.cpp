// The real Binance port: order placement, unknown outcomes (lookup, resend once), cancels, fills
// fetched over REST.

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

asio::awaitable<void> binance_port::impl::place(engine::place_order p) {
    auto self = shared_from_this();
    busy_guard guard(self, p.order.client_id);  // execute() counted it already
    const engine::order_record& o = p.order;
    const std::string cid = o.client_id;
    const bool algo = o.type != engine::order_type::market;
    if (auto* prev = tracker.find(cid); prev && prev->in_flight) {
        // The engine only re-uses a client id once its order is dead; an unresolved earlier
        // placement means that is not known yet. Never two orders with one client id.
        log::error(component, "{}: placement refused: an earlier order with this client id is still unresolved", cid);
        emit(engine::order_rejected{cid, 0, "an earlier order with this client id is still unresolved"});
        co_return;
    }
    const engine::symbol_info* info = find_symbol(o.symbol);
    bn::result<bn::rest_request> req =
        info == nullptr ? bn::result<bn::rest_request>::failure("symbol " + o.symbol + " is not traded")
        : algo ? bn::new_conditional_order(*info, cid, o.side, o.type, o.trigger_price, o.qty)
               : bn::new_market_order(*info, cid, o.side, o.qty, p.reduce_only);
    auto sent_qty = req ? decimal::parse(param(*req, "quantity")) : std::nullopt;
    tracker.begin(cid, o.symbol, algo, sent_qty ? *sent_qty : o.qty);
    if (!req) {
        deliver(tracker.on_rejected(cid, 0, req.error));
        co_return;
    }
    const bool entry = is_entry(cid);
    if (entry) {
        auto pf = preflight();
        if (!pf.code.empty()) {
            deliver(tracker.on_rejected(cid, 0, "exchange not ready (" + pf.code + "): " + pf.message));
            co_return;
        }
    }
    co_await send_placement(cid, *req, algo, entry);
}

asio::awaitable<void> binance_port::impl::send_placement(std::string cid, bn::rest_request req, bool algo, bool entry) {
    auto self = shared_from_this();
    // An entry that cannot go out within seconds is refused: a late entry trades on old
    // prices. Protection and closes wait longer: they must happen.
    const auto co = urgent(entry ? 3'000 : protective_max_wait_ms);
    int retries = 0;
    for (;;) {
        auto r = co_await rest->call(req, co);
        if (stopped) co_return;
        if (r.ok()) {
            co_await on_placed(cid, algo, r.body);
            co_return;
        }
        if (r.outcome == xio::rest_outcome::failed && r.rate_limited && !entry) {
            // Not sent: a 418 ban or 429 back-off outlasted max_wait. That says nothing about
            // the position, so it is never closed for it: the order goes out when the ban ends,
            // unless the position has no stop resting at all (then the emergency path).
            const auto* e = eng();
            const auto verdict = e ? logic::on_ban(cid, e->positions(), e->orders()) : logic::ban_verdict::wait;
            if (verdict != logic::ban_verdict::wait) {
                log::error(component, "{}: {}; the position has no stop on the exchange: emergency close", cid,
                           r.describe());
                deliver(tracker.on_rejected(cid, -1003, r.describe() + "; no stop on the exchange"));
                co_return;
            }
            const engine::millis until = rest->governor().banned_until();
            const engine::millis wait = std::clamp<engine::millis>(until - now(), 1'000, 30'000);
            log::warn(component, "{}: {}; sending it when the ban ends (next try in {} ms){}", cid, r.describe(), wait,
                      is_close(cid) ? "" : "; the stop resting on the exchange protects the position meanwhile");
            if (!co_await sleep(wait)) co_return;
            continue;
        }
        if (r.outcome == xio::rest_outcome::failed) {
            if (r.rate_limited || entry || retries >= 4) {
                deliver(tracker.on_rejected(cid, r.rate_limited ? -1003 : 0, r.describe()));
                co_return;
            }
            ++retries;
            log::warn(component, "{}: {}; retrying", cid, r.describe());
            if (!co_await sleep(500LL << retries)) co_return;
            continue;
        }
        if (r.outcome == xio::rest_outcome::answered) {
            auto kind = logic::classify_order_answer(r.status, r.code(), r.body);
            if (kind == logic::placement_failure::rejected) {
                log::warn(component, "{}: rejected: {}", cid, r.describe());
                deliver(tracker.on_rejected(cid, r.code(), r.api_error ? r.api_error->msg : r.describe()));
                co_return;
            }
            if (kind == logic::placement_failure::retry) {
                if (retries >= 3) {
                    deliver(tracker.on_rejected(cid, r.code(), r.describe()));
                    co_return;
                }
                ++retries;
                log::warn(component, "{}: {}; retrying", cid, r.describe());
                if (!co_await sleep(200LL << retries)) co_return;
                continue;
            }
        }
        log::warn(component, "{}: {}; looking the order up before anything else", cid, r.describe());
        co_await resolve_unknown(cid, req, algo, r.sent_at > 0 ? r.sent_at : now());
        co_return;
    }
}

asio::awaitable<void> binance_port::impl::on_placed(const std::string& cid, bool algo, const std::string& body) {
    auto self = shared_from_this();
    if (algo) {
        auto a = bn::parse_algo_order(body, rest_parser);
        if (!a) {
            log::warn(component, "{}: unreadable answer ({}); looking it up", cid, a.error);
            co_await lookup(cid, true);
            co_return;
        }
        deliver(tracker.on_algo_info(*a));
    } else {
        auto o = bn::parse_order(body, rest_parser);
        if (!o) {
            log::warn(component, "{}: unreadable answer ({}); looking it up", cid, o.error);
            co_await lookup(cid, false);
            co_return;
        }
        deliver(tracker.on_order_info(*o));
    }
    co_await after_resolved(cid);
}

asio::awaitable<void> binance_port::impl::after_resolved(const std::string& cid) {
    auto self = shared_from_this();
    auto* t = tracker.find(cid);
    if (t == nullptr) co_return;
    if (t->cancel_wanted && !t->final_sent) {
        t->cancel_wanted = false;
        engine::cancel_order c{cid, t->symbol};
        co_await cancel(std::move(c));
        co_return;
    }
    if (!t->algo && !t->final_sent) co_await watch(cid);
}

asio::awaitable<void> binance_port::impl::watch(std::string cid) {
    auto self = shared_from_this();
    for (int i = 0; i < 30; ++i) {
        if (!co_await sleep(i < 5 ? 1'000 : 5'000)) co_return;
        auto* t = tracker.find(cid);
        if (t == nullptr || t->final_sent) co_return;
        if ((user_trusted && i < 2) || !t->final_status.empty()) continue;  // fills being fetched
        co_await lookup(cid, false);
    }
}

asio::awaitable<binance_port::impl::lookup_result> binance_port::impl::lookup(const std::string& cid, bool algo) {
    auto self = shared_from_this();
    auto* t = tracker.find(cid);
    std::string symbol = t ? t->symbol : std::string();
    if (!algo && symbol.empty()) {
        if (const auto* e = eng())
            if (auto it = e->orders().find(cid); it != e->orders().end()) symbol = it->second.symbol;
    }
    // Named, not a ?: temporary inside co_await: g++ 12 destroys such temporaries twice.
    bn::rest_request req = algo ? bn::query_algo_order(cid) : bn::query_order(symbol, cid);
    auto r = co_await rest->call(std::move(req));
    if (r.outcome == xio::rest_outcome::answered && logic::is_not_found(r.code())) co_return lookup_result::not_found;
    if (!r.ok()) {
        log::warn(component, "{}: lookup failed: {}", cid, r.describe());
        co_return lookup_result::error;
    }
    logic::order_tracker::output out;
    if (algo) {
        auto a = bn::parse_algo_order(r.body, rest_parser);
        if (!a) {
            log::warn(component, "{}: lookup answer: {}", cid, a.error);
            co_return lookup_result::error;
        }
        out = tracker.on_algo_info(*a);
    } else {
        auto o = bn::parse_order(r.body, rest_parser);
        if (!o) {
            log::warn(component, "{}: lookup answer: {}", cid, o.error);
            co_return lookup_result::error;
        }
        out = tracker.on_order_info(*o);
    }
    deliver(std::move(out));
    t = tracker.find(cid);
    // Found, but an earlier incarnation of the client id: not the order we are asking about.
    if (t != nullptr && t->exchange_id == 0) co_return lookup_result::not_found;
    co_return lookup_result::found;
}

asio::awaitable<void> binance_port::impl::resolve_unknown(std::string cid, bn::rest_request req, bool algo, engine::millis sent_at) {
    auto self = shared_from_this();
    // Wait out recvWindow (plus the clock offset and a margin) from the write: the exchange
    // executes a request only while its timestamp is within recvWindow, so "not found"
    // afterwards means it will not appear later.
    auto until_final = [this](engine::millis written) {
        return std::max<engine::millis>(
            0, logic::not_found_final_at(written, opts.exchange.recv_window_ms, rest->time_offset_ms()) - now());
    };
    engine::millis wait = until_final(sent_at);
    int errors = 0;
    for (;;) {
        if (!co_await sleep(wait)) co_return;
        auto* t = tracker.find(cid);
        if (t == nullptr || t->final_sent) co_return;
        if (t->exchange_id != 0) {  // the stream told us meanwhile
            co_await after_resolved(cid);
            co_return;
        }
        auto found = co_await lookup(cid, algo);
        t = tracker.find(cid);
        if (t == nullptr) co_return;
        if (found == lookup_result::found) {
            log::info(component, "{}: found on the exchange after an unknown outcome", cid);
            co_await after_resolved(cid);
            co_return;
        }
        if (found == lookup_result::error) {
            wait = std::min<engine::millis>(30'000, 1'000LL << std::min(++errors, 5));
            continue;
        }
        if (t->cancel_wanted) {
            deliver(tracker.on_gone(cid));
            co_return;
        }
        if (t->resent) {
            deliver(tracker.on_rejected(cid, 0, "order outcome unknown and not found on the exchange after one resend"));
            co_return;
        }
        if (is_entry(cid)) {
            // An entry is written once only: a late one trades on old prices, and after a
            // crash the daemon bounds how long an entry may still execute by its first write.
            deliver(tracker.on_rejected(cid, -2013, "entry outcome unknown and not found on the exchange within its "
                                                    "recvWindow; not sent again"));
            co_return;
        }
        t->resent = true;
        t->in_flight = true;
        log::warn(component, "{}: not on the exchange; sending it once more with the same client id", cid);
        auto r = co_await rest->call(req, urgent());
        if (stopped) co_return;
        if (r.ok()) {
            co_await on_placed(cid, algo, r.body);
            co_return;
        }
        if (r.outcome == xio::rest_outcome::failed ||
            (r.outcome == xio::rest_outcome::answered &&
             logic::classify_order_answer(r.status, r.code(), r.body) != logic::placement_failure::unknown)) {
            deliver(tracker.on_rejected(cid, r.code(), r.api_error ? r.api_error->msg : r.describe()));
            co_return;
        }
        wait = until_final(r.sent_at > 0 ? r.sent_at : now());
    }
}

void binance_port::impl::await_entry(const std::string& cid, const std::string& symbol, engine::millis final_at) {
    auto& t = tracker.adopt(cid, symbol, false);
    if (t.symbol.empty()) t.symbol = symbol;
    t.in_flight = true;  // its outcome is unknown: the symbol counts as busy meanwhile
    ++busy[cid];
    spawn([self = shared_from_this(), cid, final_at]() { return self->await_entry_loop(cid, final_at); });
}

asio::awaitable<void> binance_port::impl::await_entry_loop(std::string cid, engine::millis final_at) {
    auto self = shared_from_this();
    busy_guard guard(self, cid);  // counted by await_entry
    int errors = 0;
    for (;;) {
        const engine::millis left = final_at - now();
        const engine::millis step = errors > 0 ? std::min<engine::millis>(30'000, 1'000LL << std::min(errors, 5))
                                               : std::clamp<engine::millis>(left, 0, 1'000);
        if (!co_await sleep(step)) co_return;
        auto* t = tracker.find(cid);
        if (t == nullptr || t->final_sent) co_return;
        if (t->exchange_id != 0) {  // the stream told us meanwhile
            co_await after_resolved(cid);
            co_return;
        }
        const engine::millis asked = now();
        auto found = co_await lookup(cid, false);
        t = tracker.find(cid);
        if (t == nullptr) co_return;
        if (found == lookup_result::found) {
            log::warn(component, "{}: the entry executed on the exchange after the restart", cid);
            co_await after_resolved(cid);
            co_return;
        }
        if (found == lookup_result::error) {
            ++errors;
            continue;
        }
        errors = 0;
        // Only a lookup asked after the window closed is final.
        if (asked < final_at) continue;
        t->in_flight = false;
        if (t->cancel_wanted) {
            deliver(tracker.on_gone(cid));
        } else {
            log::warn(component, "{}: entry still not on the exchange after its recvWindow; the position fails", cid);
            deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange within its recvWindow"));
        }
        co_return;
    }
}

asio::awaitable<void> binance_port::impl::cancel(engine::cancel_order c, bool counted) {
    auto self = shared_from_this();
    if (!counted) ++busy[c.client_id];
    busy_guard guard(self, c.client_id);
    const std::string& cid = c.client_id;
    const bool algo = logic::is_algo_client_id(cid);
    auto* t = tracker.find(cid);
    if (t != nullptr && t->in_flight) {
        t->cancel_wanted = true;  // the placement flow cancels it once its fate is known
        co_return;
    }
    if (t != nullptr && t->final_sent) {
        emit(engine::order_canceled{cid});  // already over; the engine ignores it if filled
        co_return;
    }
    if (t == nullptr) t = &tracker.adopt(cid, c.symbol, algo);
    if (t->symbol.empty()) t->symbol = c.symbol;
    auto req = algo ? bn::cancel_algo_order(cid) : bn::cancel_order(c.symbol, cid);
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto r = co_await rest->call(req, urgent());
        if (stopped) co_return;
        if (r.ok()) {
            if (!algo) {
                if (auto o = bn::parse_order(r.body, rest_parser)) {
                    deliver(tracker.on_order_info(*o));
                    co_return;
                }
            }
            deliver(tracker.on_gone(cid));
            co_return;
        }
        if (r.outcome == xio::rest_outcome::answered && r.status < 500 && r.status != 408 && r.status != 429 &&
            r.status != 418)
            break;  // -2011 unknown and similar: find out what became of it
        if (!co_await sleep(500LL << attempt)) co_return;
    }
    for (int attempt = 0; attempt < 10; ++attempt) {
        auto found = co_await lookup(cid, algo);
        if (found == lookup_result::not_found) {
            deliver(tracker.on_gone(cid));
            co_return;
        }
        if (found == lookup_result::found) {
            t = tracker.find(cid);
            if (t != nullptr && !t->final_sent) {
                // Still open after a failed cancel: try again later rather than loop fast.
                if (!co_await sleep(2'000)) co_return;
                auto r = co_await rest->call(req, urgent());
                if (r.ok()) deliver(algo ? tracker.on_gone(cid) : logic::order_tracker::output{});
                continue;
            }
            co_return;
        }
        if (!co_await sleep(std::min<engine::millis>(30'000, 1'000LL << attempt))) co_return;
    }
    log::error(component, "{}: could not cancel or confirm the order; the next reconciliation retries", cid);
}

asio::awaitable<void> binance_port::impl::fetch_trades(std::string cid) {
    auto self = shared_from_this();
    if (fetching_trades.count(cid)) co_return;
    fetching_trades.insert(cid);
    if (user_trusted) co_await sleep(fill_grace_ms);  // the stream usually brings them first
    for (int attempt = 0; attempt < 6 && !stopped; ++attempt) {
        auto* t = tracker.find(cid);
        if (t == nullptr || t->filled >= t->exchange_filled) break;
        const std::int64_t oid = t->algo ? t->child_id : t->exchange_id;
        if (oid == 0 || t->symbol.empty()) break;
        auto r = co_await rest->call(bn::user_trades(t->symbol, oid));
        if (r.ok()) {
            auto trades = bn::parse_user_trades(r.body, rest_parser);
            if (trades) {
                fetching_trades.erase(cid);  // on_trades may ask again: let it
                deliver(tracker.on_trades(cid, *trades));
                fetching_trades.insert(cid);
            } else {
                log::warn(component, "{}: userTrades: {}", cid, trades.error);
            }
            t = tracker.find(cid);
            if (t == nullptr || t->filled >= t->exchange_filled) break;
        }
        if (!co_await sleep(1'000LL << attempt)) break;
    }
    fetching_trades.erase(cid);
}

}  // namespace traded::binance
