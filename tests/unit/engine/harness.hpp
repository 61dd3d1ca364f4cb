#pragma once
/// Test harness for the engine: a simulated clock (a plain `now` the test advances), helpers to
/// read outputs, and a hand-written fake exchange that answers the engine's actions the way the
/// exchange port would (MARKET fills at the quote, conditional orders rest until the test
/// triggers them, queries answer with the fake's position amount).

#include "engine/engine.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace traded::engine::test {

/// 2024-11-23 12:00:00 UTC: mid-day, so a few hours can pass without a rollover.
inline constexpr millis t0 = 1'732'363'200'000;
inline constexpr millis day_ms = 86'400'000;

inline decimal d(std::string_view s) {
    auto v = decimal::parse(s);
    REQUIRE(v.has_value());
    return *v;
}

inline std::vector<symbol_info> test_symbols() {
    return {
        {"BTCUSDT", d("0.10"), d("0.001"), d("0.001"), d("5")},
        {"ETHUSDT", d("0.01"), d("0.001"), d("0.001"), d("5")},
        {"SOLUSDT", d("0.01"), d("0.01"), d("0.01"), d("5")},
    };
}

inline engine_config paper_config() {
    engine_config c;  // defaults: stake 200, max 20, lev 3, TP 10, floor 7, SL 0.5%, loss 500
    c.engine_mode = mode::paper;
    return c;
}

template <typename T>
std::vector<T> actions_of(const output& o) {
    std::vector<T> v;
    for (const auto& a : o.actions)
        if (const T* t = std::get_if<T>(&a)) v.push_back(*t);
    return v;
}
inline std::vector<place_order> placed(const output& o) {
    return actions_of<place_order>(o);
}
inline std::vector<cancel_order> cancels(const output& o) {
    return actions_of<cancel_order>(o);
}
inline std::vector<query_position> queries(const output& o) {
    return actions_of<query_position>(o);
}

inline std::vector<place_order> placed(const output& o, order_kind k) {
    std::vector<place_order> v;
    for (const auto& p : placed(o))
        if (p.order.kind == k) v.push_back(p);
    return v;
}

inline std::vector<std::string> event_names(const output& o) {
    std::vector<std::string> v;
    for (const auto& n : o.notifications) v.emplace_back(n.event_name);
    return v;
}
inline int count_event(const output& o, std::string_view name) {
    int n = 0;
    for (const auto& x : o.notifications) n += x.event_name == name ? 1 : 0;
    return n;
}
inline bool has_event(const output& o, std::string_view name) {
    return count_event(o, name) > 0;
}
inline bool contains(const std::vector<std::string>& v, std::string_view s) {
    for (const auto& x : v)
        if (x == s) return true;
    return false;
}

/// Appends everything in `b` to `a` (several engine steps seen as one).
inline void merge(output& a, const output& b) {
    a.actions.insert(a.actions.end(), b.actions.begin(), b.actions.end());
    a.notifications.insert(a.notifications.end(), b.notifications.begin(), b.notifications.end());
    a.dirty_positions.insert(a.dirty_positions.end(), b.dirty_positions.begin(), b.dirty_positions.end());
    a.dirty_orders.insert(a.dirty_orders.end(), b.dirty_orders.begin(), b.dirty_orders.end());
    a.new_trades.insert(a.new_trades.end(), b.new_trades.begin(), b.new_trades.end());
    a.state_changed = a.state_changed || b.state_changed;
}

/// An engine, a clock and a fake exchange.
struct sim {
    engine eng;
    millis now = t0;
    decimal fee_rate = d("0.0004");
    std::map<std::string, decimal> amount;       // fake exchange position per symbol (signed)
    std::map<std::string, place_order> resting;  // accepted conditional orders by client id
    std::map<std::string, std::string> symbol_of_order;
    int next_trade = 1;
    /// When false, run() performs nothing and the test plays the exchange by hand.
    bool auto_exchange = true;

    explicit sim(engine_config cfg = paper_config()) : eng(std::move(cfg), test_symbols()) {}

    output step(const event& ev) { return eng.handle(ev, now); }

    /// One engine step, then (auto_exchange) every action it caused answered until quiet.
    output run(const event& ev) {
        output all = step(ev);
        if (auto_exchange) settle(all);
        return all;
    }

    /// Performs the actions in `out` (and the ones their answers cause), merging into `out`.
    void settle(output& out) {
        std::deque<action> todo(out.actions.begin(), out.actions.end());
        for (int guard = 0; !todo.empty(); ++guard) {
            REQUIRE(guard < 1000);
            action a = todo.front();
            todo.pop_front();
            for (const event& ev : answer(a)) {
                output o = step(ev);
                todo.insert(todo.end(), o.actions.begin(), o.actions.end());
                merge(out, o);
            }
        }
    }

    /// The fake exchange's reaction to one action.
    std::vector<event> answer(const action& a) {
        std::vector<event> evs;
        if (const auto* po = std::get_if<place_order>(&a)) {
            const order_record& o = po->order;
            symbol_of_order[o.client_id] = o.symbol;
            if (o.type != order_type::market) {
                resting[o.client_id] = *po;
                evs.emplace_back(order_accepted{o.client_id, exchange_id(o.client_id)});
                return evs;
            }
            const quote& q = eng.quotes().at(o.symbol);
            const decimal price = o.side == order_side::buy ? q.ask : q.bid;
            if (auto f = execute(*po, price)) {
                evs.emplace_back(order_accepted{o.client_id, exchange_id(o.client_id)});
                evs.emplace_back(*f);
            } else {
                evs.emplace_back(order_rejected{o.client_id, -2022, "ReduceOnly Order is rejected."});
            }
        } else if (const auto* co = std::get_if<cancel_order>(&a)) {
            if (resting.erase(co->client_id) != 0) evs.emplace_back(order_canceled{co->client_id});
        } else if (const auto* qp = std::get_if<query_position>(&a)) {
            evs.emplace_back(position_report{qp->symbol, amount[qp->symbol], {}, qp->position_id});
        }
        return evs;
    }

    static std::string exchange_id(const std::string& client_id) {
        std::string id = "ex-";  // not "ex-" + s: GCC 12 -O3 warns falsely (-Wrestrict)
        id += client_id;
        return id;
    }

    /// Executes an order on the fake book; nullopt when a reduce-only order would not reduce.
    std::optional<order_fill> execute(const place_order& po, decimal price) {
        const order_record& o = po.order;
        decimal& amt = amount[o.symbol];
        decimal qty = o.qty;
        if (po.reduce_only) {
            const bool reduces = o.side == order_side::sell ? amt.is_positive() : amt.is_negative();
            if (!reduces) return std::nullopt;
            qty = std::min(qty, amt.abs());
        }
        amt += o.side == order_side::buy ? qty : -qty;
        order_fill f;
        f.client_id = o.client_id;
        f.exchange_id = exchange_id(o.client_id);
        f.trade_id = fmt::format("T{}", next_trade++);
        f.qty = qty;
        f.price = price;
        f.fee = (price * qty * fee_rate);
        f.order_done = true;
        return f;
    }

    /// A resting conditional order triggers and fills at its trigger price.
    output trigger(const std::string& client_id) {
        auto it = resting.find(client_id);
        REQUIRE(it != resting.end());
        place_order po = it->second;
        resting.erase(it);
        auto f = execute(po, po.order.trigger_price);
        REQUIRE(f.has_value());
        return run(*f);
    }

    output tick(const std::string& symbol, std::string_view bid, std::string_view ask,
                std::string_view mark = {}) {
        quote q{d(bid), d(ask), mark.empty() ? (d(bid) + d(ask)) / decimal::from_int(2) : d(mark), now};
        return run(market_tick{symbol, q});
    }

    output start() {
        output o = run(start_request{});
        REQUIRE(o.result.ok());
        return o;
    }

    /// Opens a position through the fake exchange (entry filled, TP and SL resting).
    std::string open(const std::string& symbol, side s) {
        output o = run(open_request{opportunity{symbol, s, 1.0, "test", now, "exchange"}});
        REQUIRE(o.result.ok());
        REQUIRE(!o.result.position_id.empty());
        REQUIRE(pos(o.result.position_id).status == position_status::open);
        return o.result.position_id;
    }

    const position& pos(const std::string& id) const {
        const position* p = eng.find_position(id);
        REQUIRE(p != nullptr);
        return *p;
    }
    const order_record& order(const std::string& client_id) const { return eng.orders().at(client_id); }
};

}  // namespace traded::engine::test
