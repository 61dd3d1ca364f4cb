#pragma once
// The Binance codec fuzz target, shared by the libFuzzer entry (binance_fuzz.cpp) and the Catch2
// test that replays 20,000 mutated fixtures on every CI run (tests/unit/exchange/).
//
// Feeds one input to every parser, to the rate-limit header reader and, read as a sequence of
// inputs, to the stream state machine; returns nullptr, or a description of the first broken
// invariant. Crashes, sanitizer reports and exceptions are failures by themselves.

#include "exchange/binance/codec.hpp"
#include "exchange/binance/rate_limit.hpp"
#include "exchange/binance/stream_fsm.hpp"

#include <cstddef>
#include <cstdint>
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
    return nullptr;
}

}  // namespace traded::binance::fuzz
