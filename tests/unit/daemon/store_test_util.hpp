#pragma once
// Helpers shared by the store tests: a temp directory and hand-built engine objects with values
// that a double could not carry exactly.

#include "engine/engine.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>

namespace store_test {

/// A fresh directory under /tmp, removed with everything in it at the end of the test.
class temp_dir {
public:
    temp_dir() {
        std::string tmpl = "/tmp/traded-store-test-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline traded::decimal dec(const char* s) {
    auto v = traded::decimal::parse(s);
    if (!v) throw std::invalid_argument(s);
    return *v;
}

namespace en = traded::engine;

inline en::position make_position(const std::string& symbol, en::millis opened_at,
                                  en::position_status status = en::position_status::open) {
    en::position p;
    p.position_id = en::make_position_id(en::mode::paper, opened_at, symbol);
    p.symbol = symbol;
    p.pos_side = en::side::short_side;
    p.status = status;
    p.entry_price = dec("0.1");
    p.qty = dec("12345.00000001");
    p.stake_usd = dec("200.3");
    p.leverage = 7;
    p.tp_order_id = en::client_order_id(p.position_id, en::order_kind::take_profit);
    p.sl_order_id = en::client_order_id(p.position_id, en::order_kind::stop_loss);
    p.tp_price = dec("0.09999999");
    p.sl_price = dec("0.1005");
    p.highest_profit_ever = dec("7.77777777");
    p.profit_floor_activated = true;
    p.mark_price = dec("0.09990001");
    p.pnl = dec("-0.00000001");
    p.fees = dec("0.0004");
    p.commissions = {{"BNB", dec("0.00000067")}};
    p.exit_price = dec("0");
    p.exit_filled_qty = dec("92233720368.54775807");  // the largest decimal
    p.reason = status == en::position_status::closed ? en::exit_reason::profit_floor : en::exit_reason::none;
    p.opened_at = opened_at;
    p.closed_at = status == en::position_status::closed ? opened_at + 60'000 : 0;
    p.updated_at = opened_at + 1;
    return p;
}

inline en::order_record make_order(const en::position& p, en::order_kind kind, en::order_status status) {
    en::order_record o;
    o.client_id = en::client_order_id(p.position_id, kind);
    o.exchange_id = kind == en::order_kind::entry ? "8389765432" : "";
    o.position_id = p.position_id;
    o.symbol = p.symbol;
    o.kind = kind;
    o.type = kind == en::order_kind::take_profit ? en::order_type::take_profit_market
             : kind == en::order_kind::stop_loss ? en::order_type::stop_market
                                                 : en::order_type::market;
    o.side = kind == en::order_kind::entry ? en::order_side::sell : en::order_side::buy;
    o.qty = p.qty;
    o.trigger_price = kind == en::order_kind::stop_loss ? p.sl_price : p.tp_price;
    o.status = status;
    o.filled_qty = dec("0.3");
    o.avg_price = dec("3.14159265");
    o.updated_at = p.updated_at + 5;
    return o;
}

inline en::trade make_trade(const en::position& p) {
    en::trade t;
    t.trade_id = p.position_id + "-T";
    t.position_id = p.position_id;
    t.symbol = p.symbol;
    t.pos_side = p.pos_side;
    t.entry_price = p.entry_price;
    t.exit_price = dec("0.0999");
    t.qty = p.qty;
    t.pnl = dec("1.23456789");
    t.fees = dec("0.1");
    t.commissions = {{"BNB", dec("0.00012345")}, {"USDT", dec("0.02592593")}};
    t.pnl_pct = 4.3210987654321;
    t.reason = en::exit_reason::take_profit;
    t.opened_at = p.opened_at;
    t.closed_at = p.opened_at + 99;
    return t;
}

inline en::engine_state make_state() {
    en::engine_state s;
    s.running = true;
    s.emergency_stopped = true;
    s.started_at = 1'732'400'000'123;
    s.trading_day_start = 1'732'406'400'000;
    s.daily_realized_pnl = dec("-123.45678901");
    s.daily_loss_limit_hit = true;
    s.overrides.stake_usd = dec("0.1");
    s.overrides.max_daily_loss = dec("42.42");
    return s;
}

// Field-by-field comparison: the first differing field, or "" when equal. Decimals compare by
// raw value, so "exact" means exact.

inline std::string diff(const en::position& a, const en::position& b) {
    auto key = [](const en::position& p) {
        return std::tie(p.position_id, p.symbol, p.pos_side, p.status, p.entry_price, p.qty, p.stake_usd, p.leverage,
                        p.tp_order_id, p.sl_order_id, p.tp_price, p.sl_price, p.highest_profit_ever,
                        p.profit_floor_activated, p.mark_price, p.pnl, p.fees, p.exit_price, p.exit_filled_qty,
                        p.reason, p.opened_at, p.closed_at, p.updated_at, p.commissions);
    };
    return key(a) == key(b) ? "" : "position " + a.position_id + " differs from " + b.position_id;
}

inline std::string diff(const en::order_record& a, const en::order_record& b) {
    auto key = [](const en::order_record& o) {
        return std::tie(o.client_id, o.exchange_id, o.position_id, o.symbol, o.kind, o.type, o.side, o.qty,
                        o.trigger_price, o.status, o.filled_qty, o.avg_price, o.updated_at);
    };
    return key(a) == key(b) ? "" : "order " + a.client_id + " differs from " + b.client_id;
}

inline std::string diff(const en::trade& a, const en::trade& b) {
    auto key = [](const en::trade& t) {
        return std::tie(t.trade_id, t.position_id, t.symbol, t.pos_side, t.entry_price, t.exit_price, t.qty, t.pnl,
                        t.fees, t.reason, t.opened_at, t.closed_at, t.commissions);
    };
    if (key(a) != key(b)) return "trade " + a.trade_id + " differs from " + b.trade_id;
    // pnl_pct is a display double stored as REAL: it must come back bit-identical anyway.
    if (a.pnl_pct != b.pnl_pct) return fmt::format("trade {} pnl_pct {} != {}", a.trade_id, a.pnl_pct, b.pnl_pct);
    return "";
}

inline std::string diff(const en::engine_state& a, const en::engine_state& b) {
    auto key = [](const en::engine_state& s) {
        return std::tie(s.running, s.emergency_stopped, s.started_at, s.trading_day_start, s.daily_realized_pnl,
                        s.daily_loss_limit_hit, s.overrides.stake_usd, s.overrides.max_positions,
                        s.overrides.max_daily_loss);
    };
    return key(a) == key(b) ? "" : "engine state differs";
}

}  // namespace store_test
