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
        info == nullptr ? bn::failure<bn::result<bn::rest_request>>("symbol " + o.symbol + " is not traded")
        : algo ? bn::new_conditional_order(*info, cid, o.side, o.type, o.trigger_price, o.qty)
               : bn::new_market_order(*info, cid, o.side, o.qty, p.reduce_only);
    auto sent_qty = req ? decimal::parse(param(*req, "quantity")) : std::nullopt;
    tracker.begin(cid, o.symbol, algo, sent_qty ? *sent_qty : o.qty);
    if (!req) {
        deliver(tracker.on_rejected(cid, 0, req.error().message));
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

order_settings binance_port::impl::placement_settings() const {
    order_settings s;
    s.recv_window_ms = opts.exchange.recv_window_ms;
    s.clock_offset_ms = rest->time_offset_ms();
    s.not_found_margin_ms = logic::not_found_margin_ms;
    // An entry that cannot go out within seconds is refused: a late entry trades on old prices.
    // Protection and closes wait longer (and through a ban): they must happen.
    s.entry_max_wait_ms = 3'000;
    s.protective_max_wait_ms = protective_max_wait_ms;
    s.ban_recheck_max_ms = 30'000;
    // A lookup that keeps failing is asked again (every 30 s at most) for as long as it takes:
    // the client id stays busy, so no sweep or second placement can act on a guess.
    s.max_lookup_errors = 0;
    return s;
}

asio::awaitable<void> binance_port::impl::send_placement(std::string cid, bn::rest_request req, bool algo, bool entry) {
    auto self = shared_from_this();
    // order_fsm decides (send, retry, wait out a ban, look up, resend once, give up); this loop
    // performs its actions one after the other and feeds back what happened.
    order_fsm fsm(placement_settings(), entry);
    std::deque<order_input_t> inputs;
    inputs.emplace_back(order_input::start{});
    while (!inputs.empty()) {
        const order_input_t input = std::move(inputs.front());
        inputs.pop_front();
        const order_actions actions = fsm.step(input, now());
        for (const auto& a : actions) {
            if (const auto* send = std::get_if<order_action::send>(&a)) {
                if (auto* t = tracker.find(cid)) {
                    t->in_flight = true;
                    if (send->resend) t->resent = true;
                }
                auto r = co_await rest->call(req, urgent(send->max_wait_ms));
                if (stopped) co_return;
                inputs.push_back(placement_answer_of(cid, algo, entry, r));
            } else if (std::holds_alternative<order_action::lookup>(a)) {
                auto* t = tracker.find(cid);
                if (t == nullptr || t->final_sent) co_return;  // settled by the stream meanwhile
                if (t->cancel_wanted) inputs.push_back(order_input::cancel_wanted{});
                if (t->exchange_id != 0) {  // the stream told us meanwhile
                    inputs.push_back(order_input::looked_up{lookup_answer::found, {}});
                    continue;
                }
                const auto found = co_await lookup(cid, algo);
                if (stopped) co_return;
                inputs.push_back(order_input::looked_up{found == lookup_result::found       ? lookup_answer::found
                                                        : found == lookup_result::not_found ? lookup_answer::not_found
                                                                                            : lookup_answer::error,
                                                        "see the lookup above"});
            } else if (const auto* timer = std::get_if<order_action::arm_timer>(&a)) {
                if (!co_await sleep(timer->at - now())) co_return;
                auto* t = tracker.find(cid);
                if (t == nullptr || t->final_sent) co_return;
                if (t->cancel_wanted) inputs.push_back(order_input::cancel_wanted{});
                if (t->exchange_id != 0) inputs.push_back(order_input::seen_on_exchange{});
                inputs.push_back(order_input::timer_fired{});
            } else if (const auto* note = std::get_if<order_action::note>(&a)) {
                if (note->warning) log::warn(component, "{}: {}", cid, note->text);
                else log::info(component, "{}: {}", cid, note->text);
            } else if (const auto* fin = std::get_if<order_action::finish>(&a)) {
                co_await finish_placement(cid, *fin);
                co_return;
            }
        }
    }
}

order_input::sent binance_port::impl::placement_answer_of(const std::string& cid, bool algo, bool entry,
                                                           const xio::rest_response& r) {
    order_input::sent in;
    in.sent_at = r.sent_at;
    in.code = r.code();
    in.message = r.describe();
    if (r.outcome == xio::rest_outcome::failed) {
        in.answer = placement_answer::not_sent;
        if (r.rate_limited) {
            in.code = -1003;
            in.ban_until = std::max(rest->governor().banned_until(), now() + 1'000);
            // A ban says nothing about the position, so it is never closed for it, unless no
            // stop rests on the exchange at all (then the emergency path).
            if (!entry)
                if (const auto* e = eng())
                    in.unprotected = logic::on_ban(cid, e->positions(), e->orders()) == logic::ban_verdict::escalate;
        }
        return in;
    }
    if (r.outcome == xio::rest_outcome::unknown) {
        in.answer = placement_answer::unknown;
        if (in.sent_at == 0) in.sent_at = now();
        return in;
    }
    if (!r.ok()) {
        in.answer = classify_placement(r.status, r.code(), r.body);
        if (in.answer == placement_answer::refused && r.api_error) in.message = r.api_error->msg;
        if (in.answer == placement_answer::unknown && in.sent_at == 0) in.sent_at = now();
        return in;
    }
    // A 2xx: the order exists. Its details reach the tracker now; an unreadable body is looked up.
    in.answer = placement_answer::placed;
    if (algo) {
        auto o = bn::parse_algo_order(r.body, rest_parser);
        if (o) deliver(tracker.on_algo_info(*o));
        else in = {placement_answer::unreadable, r.sent_at, 0, o.error().message, 0, false};
    } else {
        auto o = bn::parse_order(r.body, rest_parser);
        if (o) deliver(tracker.on_order_info(*o));
        else in = {placement_answer::unreadable, r.sent_at, 0, o.error().message, 0, false};
    }
    return in;
}

asio::awaitable<void> binance_port::impl::finish_placement(const std::string& cid, const order_action::finish& f) {
    auto self = shared_from_this();
    switch (f.outcome) {
        case order_outcome::placed:
            co_await after_resolved(cid);
            co_return;
        case order_outcome::found:
            log::info(component, "{}: found on the exchange after an unknown outcome", cid);
            co_await after_resolved(cid);
            co_return;
        case order_outcome::rejected:
        case order_outcome::gave_up:
            if (f.code == -1003 && f.reason.ends_with("no stop on the exchange"))
                log::error(component, "{}: {}; the position has no stop on the exchange: emergency close", cid, f.reason);
            else
                log::warn(component, "{}: {}: {}", cid, to_string(f.outcome), f.reason);
            deliver(tracker.on_rejected(cid, f.code, f.reason));
            co_return;
        case order_outcome::not_placed:
            deliver(tracker.on_gone(cid));
            co_return;
        case order_outcome::unresolved:
            log::error(component, "{}: {}", cid, f.reason);
            request_reconcile("order outcome unresolved");
            co_return;
    }
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
    // Attempt 0 is the placement's answer (not final); retry_rules::watch_order says when to look.
    co_await retry(retry_rules::watch_order(), [&](int n) -> asio::awaitable<attempt_outcome> {
        auto* t = tracker.find(cid);
        if (t == nullptr || t->final_sent) co_return attempt_outcome{attempt_outcome::ok};
        const bool stream_first = user_trusted && n <= retry_rules::watch_stream_grace;
        if (n > 0 && !stream_first && t->final_status.empty()) co_await lookup(cid, false);  // else: fills being fetched
        co_return attempt_outcome{attempt_outcome::pending};
    });
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
            log::warn(component, "{}: lookup answer: {}", cid, a.error().message);
            co_return lookup_result::error;
        }
        out = tracker.on_algo_info(*a);
    } else {
        auto o = bn::parse_order(r.body, rest_parser);
        if (!o) {
            log::warn(component, "{}: lookup answer: {}", cid, o.error().message);
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
    // Attempt 0 is the sweep's lookup that did not find it; retry_rules::entry_wait paces the
    // looks (never past final_at) and backs off while lookups fail.
    co_await retry(retry_rules::entry_wait(), [&](int n) -> asio::awaitable<attempt_outcome> {
        const attempt_outcome not_yet{attempt_outcome::pending, 0, 0, final_at - now()};
        if (n == 0) co_return not_yet;
        auto* t = tracker.find(cid);
        if (t == nullptr || t->final_sent) co_return attempt_outcome{attempt_outcome::ok};
        if (t->exchange_id != 0) {  // the stream told us meanwhile
            co_await after_resolved(cid);
            co_return attempt_outcome{attempt_outcome::ok};
        }
        const engine::millis asked = now();
        auto found = co_await lookup(cid, false);
        t = tracker.find(cid);
        if (t == nullptr) co_return attempt_outcome{attempt_outcome::ok};
        if (found == lookup_result::found) {
            log::warn(component, "{}: the entry executed on the exchange after the restart", cid);
            co_await after_resolved(cid);
            co_return attempt_outcome{attempt_outcome::ok};
        }
        if (found == lookup_result::error) co_return attempt_outcome{attempt_outcome::transport};
        // Only a lookup asked after the window closed is final.
        if (asked < final_at) co_return attempt_outcome{attempt_outcome::pending, 0, 0, final_at - now()};
        t->in_flight = false;
        if (t->cancel_wanted) {
            deliver(tracker.on_gone(cid));
        } else {
            log::warn(component, "{}: entry still not on the exchange after its recvWindow; the position fails", cid);
            deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange within its recvWindow"));
        }
        co_return attempt_outcome{attempt_outcome::ok};
    });
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
    // retry_rules::cancel: a refusal (-2011 unknown and similar) or no luck -> find out what
    // became of it (retry_rules::cancel_lookup).
    const retry_decision sent = co_await retry(retry_rules::cancel(), [&](int) -> asio::awaitable<attempt_outcome> {
        auto r = co_await rest->call(req, urgent());
        if (stopped) co_return attempt_outcome{attempt_outcome::ok};
        if (!r.ok()) co_return outcome_of(r);
        if (!algo)
            if (auto o = bn::parse_order(r.body, rest_parser)) {
                deliver(tracker.on_order_info(*o));
                co_return attempt_outcome{attempt_outcome::ok};
            }
        deliver(tracker.on_gone(cid));
        co_return attempt_outcome{attempt_outcome::ok};
    });
    if (sent.kind != retry_decision::look_up || stopped) co_return;
    // Still open after a failed cancel: cancel again after the rule's wait rather than loop fast.
    bool still_open = false;
    auto cancel_again = [&]() -> asio::awaitable<void> {
        if (!still_open) co_return;
        auto r = co_await rest->call(req, urgent());
        if (r.ok()) deliver(algo ? tracker.on_gone(cid) : logic::order_tracker::output{});
    };
    const retry_decision looked = co_await retry(retry_rules::cancel_lookup(), [&](int) -> asio::awaitable<attempt_outcome> {
        co_await cancel_again();
        const auto found = co_await lookup(cid, algo);
        still_open = found == lookup_result::found;
        if (found == lookup_result::not_found) {
            deliver(tracker.on_gone(cid));
            co_return attempt_outcome{attempt_outcome::ok};
        }
        if (still_open) {
            t = tracker.find(cid);
            if (t == nullptr || t->final_sent) co_return attempt_outcome{attempt_outcome::ok};
        }
        co_return attempt_outcome{still_open ? attempt_outcome::pending : attempt_outcome::transport};
    });
    if (looked.kind != retry_decision::give_up || stopped) co_return;
    co_await cancel_again();
    log::error(component, "{}: could not cancel or confirm the order; the next reconciliation retries", cid);
}

asio::awaitable<void> binance_port::impl::fetch_trades(std::string cid) {
    auto self = shared_from_this();
    if (fetching_trades.count(cid)) co_return;
    fetching_trades.insert(cid);
    if (user_trusted) co_await sleep(fill_grace_ms);  // the stream usually brings them first
    co_await retry(retry_rules::user_trades(), [&](int) -> asio::awaitable<attempt_outcome> {
        auto* t = tracker.find(cid);
        if (stopped || t == nullptr || t->filled >= t->exchange_filled) co_return attempt_outcome{attempt_outcome::ok};
        const std::int64_t oid = t->algo ? t->child_id : t->exchange_id;
        if (oid == 0 || t->symbol.empty()) co_return attempt_outcome{attempt_outcome::ok};  // nothing to ask by
        auto r = co_await rest->call(bn::user_trades(t->symbol, oid));
        if (r.ok()) {
            auto trades = bn::parse_user_trades(r.body, rest_parser);
            if (trades) {
                fetching_trades.erase(cid);  // on_trades may ask again: let it
                deliver(tracker.on_trades(cid, *trades));
                fetching_trades.insert(cid);
            } else {
                log::warn(component, "{}: userTrades: {}", cid, trades.error().message);
            }
            t = tracker.find(cid);
            if (t == nullptr || t->filled >= t->exchange_filled) co_return attempt_outcome{attempt_outcome::ok};
        }
        co_return outcome_of(r, false);  // still short of fills
    });
    fetching_trades.erase(cid);
}

}  // namespace traded::binance
