#pragma once
// The Binance codec fuzz target, shared by the libFuzzer entry (binance_fuzz.cpp) and the Catch2
// test that replays 20,000 mutated fixtures on every CI run (tests/unit/exchange/).
//
// Feeds one input to every parser, to the rate-limit header reader and, read as a sequence of
// inputs, to the stream and order placement state machines and the request retry policy, and
// read as an engine state + exchange snapshot, to the reconciliation planner; returns nullptr,
// or a description of the first broken invariant. Crashes, sanitizer reports and exceptions are failures by themselves.

#include "exchange/binance/codec.hpp"
#include "exchange/binance/order_fsm.hpp"
#include "exchange/binance/port_logic.hpp"
#include "exchange/binance/rate_limit.hpp"
#include "exchange/binance/reconcile_plan.hpp"
#include "exchange/binance/request_retry.hpp"
#include "exchange/binance/stream_fsm.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace traded::binance::fuzz {

/// A result is a value or an error with a message (boost::system::result holds exactly one).
template <class T>
bool well_formed(const result<T>& r) {
    return r.has_value() || !r.error().message.empty();
}

template <class V>
bool well_formed_event(const V& v) {
    if (v.valueless_by_exception()) return false;
    if (const auto* e = std::get_if<stream_error>(&v)) return !e->message.empty();
    return true;
}

/// Drives the stream machine with inputs chosen by the bytes; checks its invariants.
inline const char* drive_fsm(std::string_view bytes, stream_kind kind) {
    stream_config cfg;
    cfg.kind = kind;
    cfg.url = "ws://127.0.0.1:1/private";
    cfg.jitter_seed = bytes.size();
    stream_fsm fsm(cfg);
    millis now = 1'000'000;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        auto op = static_cast<unsigned char>(bytes[i]) % 14;
        auto arg = static_cast<unsigned char>(bytes[i + 1]);
        now += static_cast<millis>(arg) * 997;
        stream_input_t in = stream_input::timer_fired{};
        std::uint64_t conn = fsm.connection() - (arg % 2);
        switch (op) {
            case 0: in = stream_input::start{}; break;
            case 1: in = stream_input::stop{}; break;
            case 2: in = stream_input::connected{conn}; break;
            case 3: in = stream_input::connect_failed{conn, "x"}; break;
            case 4: in = stream_input::disconnected{conn, "x"}; break;
            case 5: in = stream_input::frame_received{}; break;
            case 6: in = stream_input::timer_fired{}; break;
            case 7: in = stream_input::listen_key_created{arg % 3 == 0 ? "" : "key" + std::to_string(arg % 2)}; break;
            case 8: in = stream_input::listen_key_failed{-1000, "x"}; break;
            case 9: in = stream_input::keepalive_result{"key" + std::to_string(arg % 2), arg % 3 == 0, arg % 3 == 1 ? -1125 : 0}; break;
            case 10: in = stream_input::listen_key_expired{arg % 2 ? "" : "key1"}; break;
            case 11: in = stream_input::reconcile_done{}; break;
            case 12: in = stream_input::reconcile_failed{"x"}; break;
            default: now += 3600'000; break;  // a long sleep
        }
        auto actions = fsm.step(in, now);
        // The armed deadline never lies in the past (or we would spin), and a trusted stream
        // is always a connected one.
        if (fsm.armed() && *fsm.armed() < now) return "stream_fsm armed a timer in the past";
        if (fsm.trusted() && !fsm.connected()) return "stream_fsm trusted while not connected";
        if (fsm.state() == stream_state::stopped && fsm.armed()) return "stream_fsm stopped with a timer armed";
        for (const auto& a : actions) {
            if (const auto* c = std::get_if<stream_action::connect>(&a)) {
                if (c->connection != fsm.connection()) return "stream_fsm connect with a stale number";
                if (kind == stream_kind::user && c->url.find("/ws/key") == std::string::npos &&
                    c->url.find("listenKey=key") == std::string::npos)
                    return "user stream connect without a listen key";
            }
        }
    }
    return nullptr;
}

/// Drives one placement machine with inputs chosen by the bytes; checks its invariants: nothing
/// happens after it finished, it finishes once, an entry is never written again once its first
/// write may have executed, resends stay within the settings, timers never lie in the past.
inline const char* drive_order_fsm(std::string_view bytes, bool entry) {
    order_settings cfg;
    cfg.clock_offset_ms = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]) * 10 - 1'000;
    order_fsm fsm(cfg, entry);
    millis now = 1'000'000;
    bool finished = false;
    bool maybe_executed = false;  // an entry write answered unknown / unreadable
    const auto sent = [](placement_answer a, millis at, int code = 0, millis ban_until = 0, bool unprotected = false) {
        order_input::sent r;
        r.answer = a;
        r.sent_at = at;
        r.code = code;
        r.message = "x";
        r.ban_until = ban_until;
        r.unprotected = unprotected;
        return r;
    };
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
        const auto op = static_cast<unsigned char>(bytes[i]) % 12;
        const auto arg = static_cast<unsigned char>(bytes[i + 1]);
        now += static_cast<millis>(arg) * 97;
        order_input_t in = order_input::timer_fired{};
        switch (op) {
            case 0: in = order_input::start{}; break;
            case 1: in = sent(placement_answer::placed, now); break;
            case 2: in = sent(placement_answer::refused, now, -2019); break;
            case 3: in = sent(placement_answer::busy, now, -1008); break;
            case 4: in = sent(placement_answer::not_sent, 0, 0, arg % 2 ? now + arg * 100 : 0, arg % 3 == 0); break;
            case 5: in = sent(arg % 2 ? placement_answer::unknown : placement_answer::unreadable, now); break;
            case 6: in = order_input::looked_up{static_cast<lookup_answer>(arg % 3), "x"}; break;
            case 7: in = order_input::seen_on_exchange{}; break;
            case 8: in = order_input::cancel_wanted{}; break;
            case 9: in = order_input::timer_fired{}; break;
            case 10: now += 60'000; in = order_input::timer_fired{}; break;
            default: in = sent(placement_answer::unknown, arg % 2 ? now : 0); break;
        }
        const bool was_sending = fsm.state() == order_state::sending;
        auto actions = fsm.step(in, now);
        if (finished && !actions.empty()) return "order_fsm acted after it finished";
        if (entry && was_sending) {
            if (const auto* r = std::get_if<order_input::sent>(&in);
                r && (r->answer == placement_answer::unknown || r->answer == placement_answer::unreadable))
                maybe_executed = true;
        }
        for (const auto& a : actions) {
            if (const auto* f = std::get_if<order_action::send>(&a)) {
                if (entry && (f->resend || maybe_executed)) return "order_fsm sent an entry twice";
            } else if (const auto* t = std::get_if<order_action::arm_timer>(&a)) {
                if (t->at < now) return "order_fsm armed a timer in the past";
            } else if (std::holds_alternative<order_action::finish>(a)) {
                if (finished) return "order_fsm finished twice";
                finished = true;
            }
        }
        if (finished != fsm.done()) return "order_fsm done() disagrees with its finish action";
        if (fsm.resends() > cfg.max_resends) return "order_fsm resent more often than allowed";
    }
    return nullptr;
}

/// Steps request_retry (a retry_run) with outcomes chosen by the bytes: the wait is never
/// negative nor above its cap, a pending wait never runs past the outcome's left_ms, nothing
/// follows the end, and a limited rule without resets always ends within its attempts.
inline const char* drive_retry(std::string_view bytes) {
    if (bytes.size() < 4) return nullptr;
    retry_settings s;
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    s.max_attempts = b(0) % 12;
    s.base_backoff_ms = b(1) * 10;
    s.max_shift = b(2) % 64;
    s.max_backoff_ms = 1'000 + b(3) * 1'000;
    s.pending_wait_ms = b(0) % 3 == 0 ? 2'000 : 0;
    s.fast_attempts = b(1) % 4;
    s.fast_wait_ms = b(2) % 2 ? 700 : 0;
    s.pending_resets = b(3) % 3 == 0;
    s.on_refusal = static_cast<retry_fallback>(b(1) % 3);
    s.on_exhausted = b(2) % 2 ? retry_fallback::look_up : retry_fallback::give_up;
    s.wait_after_last = b(3) % 2;
    retry_run run(s);
    int attempts = 0;
    for (std::size_t i = 4; i < bytes.size(); ++i, ++attempts) {
        const auto k = static_cast<attempt_outcome::kind_t>(b(i) % 5);
        attempt_outcome o{k, 300 + b(i) % 240, -b(i)};
        if (k == attempt_outcome::pending && b(i) % 7 == 0) o.left_ms = static_cast<engine::millis>(b(i)) * 8 - 1'000;
        const int before = run.attempt();
        const auto d = run.step(o);
        if (d.wait_ms < 0) return "request_retry waits a negative time";
        if (d.wait_ms > std::max({s.max_backoff_ms, s.pending_wait_ms, s.fast_wait_ms}))
            return "request_retry waits above its cap";
        if (o.left_ms && before >= s.fast_attempts && d.wait_ms > std::max<engine::millis>(*o.left_ms, 0))
            return "request_retry waits past the moment the outcome names";
        if (k == attempt_outcome::ok && d.kind != retry_decision::done) return "request_retry did not stop on success";
        if (s.max_attempts > 0 && !s.pending_resets && attempts + 1 >= s.max_attempts && d.kind == retry_decision::retry)
            return "request_retry retried beyond its attempts";
        if (d.kind != retry_decision::retry) break;
    }
    return nullptr;
}

/// Runs the reconciliation planner on an engine state and exchange snapshot built from the bytes;
/// checks that it never touches an order a flow is handling (busy) or one not ours, never judges
/// a position flat on a busy symbol, never plans
/// a client id twice, keeps only live orders, and that "await" verdicts lie in the future.
inline const char* drive_reconcile(std::string_view bytes) {
    namespace rc = reconcile;
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const millis now = 10'000'000;
    rc::exchange_snapshot x;
    std::map<std::string, engine::order_record> orders;
    std::map<std::string, engine::position> positions;
    std::set<std::string> busy;
    std::set<std::string> busy_symbols;
    const char* symbols[] = {"BTCUSDT", "ETHUSDT"};
    for (std::size_t i = 0; i + 2 < bytes.size() && i < 96; i += 3) {
        const std::string sym = symbols[b(i) % 2];
        const std::string pid = engine::make_position_id(engine::mode::real, 1'000 + b(i) % 6, sym);
        const auto kind = static_cast<engine::order_kind>(b(i + 1) % 5);
        const std::string cid =
            b(i + 1) % 7 == 0 ? "web_" + std::to_string(i / 3) : engine::client_order_id(pid, kind);
        engine::order_record o;
        o.client_id = cid;
        o.position_id = pid;
        o.symbol = sym;
        o.kind = kind;
        o.status = static_cast<engine::order_status>(b(i + 2) % 8);
        o.updated_at = now - static_cast<millis>(b(i + 2)) * 100;
        if (b(i + 2) % 13 != 0) orders[cid] = o;  // sometimes the engine no longer holds it
        engine::position p;
        p.position_id = pid;
        p.symbol = sym;
        p.status = static_cast<engine::position_status>(b(i + 1) % 5);
        positions.emplace(pid, p);
        if (b(i + 2) % 7 == 0) busy.insert(cid);
        if (b(i + 2) % 11 == 0) busy_symbols.insert(sym);
        if (b(i) % 3 == 0) {
            if (logic::is_algo_client_id(cid)) {
                algo_order_info a;
                a.client_algo_id = cid;
                a.symbol = sym;
                x.open_algos[cid] = a;
            } else {
                order_info oi;
                oi.symbol = sym;
                oi.client_order_id = cid;
                oi.state = engine::order_status::accepted;
                x.open_orders[cid] = oi;
            }
        }
        if (const auto v = rc::on_missing(o, now, 5'000, static_cast<millis>(b(i)) - 128);
            v.what == rc::missing_verdict::kind::await_entry && (o.kind != engine::order_kind::entry || v.final_at <= now))
            return "reconcile on_missing awaits a non-entry or a past deadline";
    }
    const auto live = [](engine::order_status s) {
        return s == engine::order_status::pending || s == engine::order_status::accepted ||
               s == engine::order_status::partially_filled;
    };
    std::set<std::string> seen;
    for (const auto& st : rc::plan_orders(x, orders, busy)) {
        if (busy.count(st.client_id)) return "reconcile plan_orders touched a busy order";
        if (!seen.insert(st.client_id).second) return "reconcile plan_orders planned an order twice";
        auto it = orders.find(st.client_id);
        if (it == orders.end() || !live(it->second.status)) return "reconcile plan_orders planned a non-live order";
    }
    const auto own = [](const std::string& cid) { return cid.rfind("web_", 0) != 0; };
    seen.clear();
    for (const auto& l : rc::plan_leftovers(x, positions, orders, own, busy).cancels) {
        if (busy.count(l.client_id) || !own(l.client_id)) return "reconcile cancels a busy or foreign order";
        if (!seen.insert(l.client_id).second) return "reconcile cancels an order twice";
        if (!x.open_orders.count(l.client_id) && !x.open_algos.count(l.client_id))
            return "reconcile cancels an order that is not open";
    }
    seen.clear();
    for (const auto& st : rc::plan_positions(x, positions, busy_symbols)) {
        // A CLOSING position is only read again; judging one flat waits for the busy symbol.
        if (st.what == rc::position_step::kind::confirm_flat && busy_symbols.count(st.symbol))
            return "reconcile judged a position on a busy symbol";
        if (!seen.insert(st.position_id).second) return "reconcile planned a position twice";
        auto it = positions.find(st.position_id);
        if (it == positions.end() || it->second.status == engine::position_status::closed ||
            it->second.status == engine::position_status::failed)
            return "reconcile planned a position that is over";
    }
    return nullptr;
}

/// One fuzz input through everything. nullptr when every invariant held.
inline const char* check_one(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    // One parser reused across calls, as the daemon does per stream: a previous malformed
    // document must not poison the next one.
    static json_parser parser;

    if (!well_formed_event(parse_market_event(s, parser))) return "parse_market_event";
    if (!well_formed_event(parse_user_event(s, parser))) return "parse_user_event";
    if (auto e = parse_api_error(s, parser); e && e->code >= 0) return "parse_api_error non-negative code";
    if (!well_formed(parse_exchange_info(s, parser))) return "parse_exchange_info";
    if (!well_formed(parse_symbol_rules(s, parser))) return "parse_symbol_rules";
    if (!well_formed(parse_order(s, parser))) return "parse_order";
    if (!well_formed(parse_orders(s, parser))) return "parse_orders";
    if (!well_formed(parse_algo_order(s, parser))) return "parse_algo_order";
    if (!well_formed(parse_algo_orders(s, parser))) return "parse_algo_orders";
    if (!well_formed(parse_ack(s, parser))) return "parse_ack";
    if (!well_formed(parse_position_risk(s, parser))) return "parse_position_risk";
    if (!well_formed(parse_balances(s, parser))) return "parse_balances";
    if (!well_formed(parse_account(s, parser))) return "parse_account";
    if (!well_formed(parse_leverage(s, parser))) return "parse_leverage";
    if (!well_formed(parse_position_mode(s, parser))) return "parse_position_mode";
    if (!well_formed(parse_server_time(s, parser))) return "parse_server_time";
    if (!well_formed(parse_listen_key(s, parser))) return "parse_listen_key";
    if (!well_formed(parse_user_trades(s, parser))) return "parse_user_trades";

    // A successfully parsed exchangeInfo only yields usable filters.
    if (auto r = parse_exchange_info(s, parser); r.has_value()) {
        for (const auto& sym : r->symbols) {
            if (!sym.info.tick_size.is_positive() || !sym.info.step_size.is_positive())
                return "exchangeInfo symbol with a non-positive tick or step";
        }
    }

    // Header values straight from the input.
    response_meta meta;
    auto colon = s.find(':');
    if (colon != std::string_view::npos) meta.add_header(s.substr(0, colon), s.substr(colon + 1));
    meta.http_status = size > 0 ? 400 + static_cast<int>(data[0] % 30) : 200;
    rate_governor gov;
    gov.on_response(1'000'000, meta);
    auto dec = gov.can_send(1'000'000, 5, size % 2 == 0);
    if (!dec.ok() && dec.until <= 1'000'000) return "rate_governor waits until the past";

    if (const char* p = drive_fsm(s, stream_kind::user)) return p;
    if (const char* p = drive_fsm(s, stream_kind::market)) return p;
    if (const char* p = drive_order_fsm(s, true)) return p;
    if (const char* p = drive_order_fsm(s, false)) return p;
    if (const char* p = drive_retry(s)) return p;
    if (const char* p = drive_reconcile(s)) return p;
    return nullptr;
}

}  // namespace traded::binance::fuzz
