// The simulated USD-M account: fills, fees, Binance rejections, conditional orders, balances.
// Expected numbers are worked out by hand in the comments next to them.

#include "exchange/paper/matching.hpp"

#include <catch2/catch.hpp>

namespace Catch {
template <>
struct StringMaker<traded::decimal> {
    static std::string convert(const traded::decimal& d) { return d.to_string(); }
};
}  // namespace Catch

namespace {

using traded::decimal;
using traded::engine::order_side;
using traded::engine::order_status;
using traded::engine::order_type;
using traded::engine::quote;
namespace paper = traded::paper;
namespace codes = traded::paper::codes;

decimal d(const char* s) { return *decimal::parse(s); }

quote q(const char* bid, const char* ask, const char* mark) { return quote{d(bid), d(ask), d(mark), 0}; }

paper::account make_account() {
    paper::account_config cfg;  // 10000 USDT, taker 0.0004, slippage 1 bp, leverage 3
    return paper::account(cfg, paper::default_symbols({"BTCUSDT", "ETHUSDT", "DOGEUSDT"}));
}

paper::new_order market(const std::string& cid, const std::string& symbol, order_side side, const char* qty,
                        bool reduce_only = false) {
    paper::new_order o;
    o.client_id = cid;
    o.symbol = symbol;
    o.side = side;
    o.type = order_type::market;
    o.qty = d(qty);
    o.reduce_only = reduce_only;
    return o;
}

paper::new_order conditional(const std::string& cid, order_type type, order_side side, const char* trigger,
                             const char* qty /* "0" = closePosition */) {
    paper::new_order o;
    o.client_id = cid;
    o.symbol = "BTCUSDT";
    o.side = side;
    o.type = type;
    o.trigger_price = d(trigger);
    o.qty = d(qty);
    o.close_position = o.qty.is_zero();
    o.reduce_only = !o.close_position;
    return o;
}

/// A long of 0.010 BTC opened at 95009.7 (ask 95000.1 + 1 bp = 95009.60001, rounded up to the tick).
paper::account long_btc() {
    auto a = make_account();
    a.on_quote("BTCUSDT", q("95000.0", "95000.1", "95000.0"), 1);
    auto r = a.place(market("L-E", "BTCUSDT", order_side::buy, "0.010"), 2);
    REQUIRE(r.ok());
    REQUIRE(a.position("BTCUSDT").entry_price == d("95009.7"));
    return a;
}

/// A short of 0.010 BTC opened at 94990.5 (bid 95000.0 - 1 bp = 94990.5 exactly).
paper::account short_btc() {
    auto a = make_account();
    a.on_quote("BTCUSDT", q("95000.0", "95000.1", "95000.0"), 1);
    auto r = a.place(market("S-E", "BTCUSDT", order_side::sell, "0.010"), 2);
    REQUIRE(r.ok());
    REQUIRE(a.position("BTCUSDT").amount == d("-0.010"));
    REQUIRE(a.position("BTCUSDT").entry_price == d("94990.5"));
    return a;
}

}  // namespace

TEST_CASE("default symbols carry Binance's filters and start prices", "[paper]") {
    auto syms = paper::default_symbols({"BTCUSDT", "SOLUSDT", "DOGEUSDT", "FOOUSDT"});
    REQUIRE(syms.size() == 4);
    CHECK(syms[0].tick_size == d("0.1"));
    CHECK(syms[0].step_size == d("0.001"));
    CHECK(syms[0].min_qty == d("0.001"));
    CHECK(syms[0].min_notional == d("100"));
    CHECK(syms[1].tick_size == d("0.01"));
    CHECK(syms[1].step_size == d("1"));
    CHECK(syms[2].tick_size == d("0.00001"));
    CHECK(syms[3].symbol == "FOOUSDT");
    CHECK(syms[3].tick_size == d("0.0001"));
    CHECK(syms[3].min_notional == d("5"));
    CHECK(paper::default_start_price("BTCUSDT") == d("95000"));
    CHECK(paper::default_start_price("XRPUSDT") == d("2.3"));
    CHECK(paper::default_start_price("FOOUSDT") == d("10"));
}

TEST_CASE("MARKET orders fill at the touch moved by slippage, paying the taker fee", "[paper]") {
    auto a = make_account();
    a.on_quote("BTCUSDT", q("95000.0", "95000.1", "95000.0"), 1);

    auto r = a.place(market("p1-E", "BTCUSDT", order_side::buy, "0.010"), 10);
    REQUIRE(r.ok());
    REQUIRE(r.order);
    CHECK(r.order->status == order_status::filled);
    CHECK(r.order->filled_qty == d("0.010"));
    CHECK(r.order->avg_price == d("95009.7"));  // 95000.1 * 1.0001 = 95009.60001 -> up to 95009.7
    REQUIRE(r.events.fills.size() == 1);
    const auto& f = r.events.fills[0];
    CHECK(f.client_id == "p1-E");
    CHECK(f.order_id == r.order->order_id);
    CHECK(f.qty == d("0.010"));
    CHECK(f.price == d("95009.7"));
    CHECK(f.fee == d("0.3800388"));  // 950.097 * 0.0004
    CHECK(f.realized_pnl.is_zero());
    CHECK(f.order_done);
    CHECK(r.events.positions_changed);
    // NEW then FILLED, like ORDER_TRADE_UPDATE on Binance.
    REQUIRE(r.events.orders.size() == 2);
    CHECK(r.events.orders[0].status == order_status::accepted);
    CHECK(r.events.orders[1].status == order_status::filled);

    // Sells go to the bid minus slippage, rounded down.
    a.on_quote("DOGEUSDT", q("0.35000", "0.35001", "0.35000"), 11);
    auto s = a.place(market("p2-E", "DOGEUSDT", order_side::sell, "100"), 12);
    REQUIRE(s.ok());
    CHECK(s.order->avg_price == d("0.34996"));  // 0.35 * 0.9999 = 0.349965 -> down to 0.34996
    CHECK(s.events.fills[0].fee == d("0.01399840"));  // 34.996 * 0.0004
    auto b = a.place(market("p3-E", "DOGEUSDT", order_side::buy, "100"), 13);
    CHECK(b.order->avg_price == d("0.35005"));  // 0.35001 * 1.0001 = 0.350045001 -> up to 0.35005
}

TEST_CASE("wallet, unrealized PnL and available balance after an open and a close", "[paper]") {
    auto a = long_btc();
    auto bal = a.balance();
    CHECK(bal.wallet_balance == d("9999.6199612"));    // 10000 - fee 0.3800388
    CHECK(bal.unrealized_pnl == d("-0.097"));          // (95000.0 - 95009.7) * 0.010
    CHECK(bal.margin_balance == d("9999.5229612"));
    CHECK(bal.available_balance == d("9682.8239612"));  // margin balance - 950.097 / 3 (316.699)
    auto pos = a.position("BTCUSDT");
    CHECK(pos.amount == d("0.010"));
    CHECK(pos.mark_price == d("95000.0"));
    CHECK(pos.unrealized_pnl == d("-0.097"));
    CHECK(pos.leverage == 3);
    REQUIRE(a.positions().size() == 1);

    a.on_quote("BTCUSDT", q("96000.0", "96000.1", "96000.0"), 3);
    CHECK(a.balance().unrealized_pnl == d("9.903"));  // (96000 - 95009.7) * 0.010

    auto r = a.place(market("L-X", "BTCUSDT", order_side::sell, "0.010", true), 4);
    REQUIRE(r.ok());
    const auto& f = r.events.fills.at(0);
    CHECK(f.price == d("95990.4"));          // 96000.0 * 0.9999
    CHECK(f.realized_pnl == d("9.807"));     // (95990.4 - 95009.7) * 0.010
    CHECK(f.fee == d("0.3839616"));          // 959.904 * 0.0004
    CHECK(f.reduce_only);
    bal = a.balance();
    CHECK(bal.wallet_balance == d("10009.0429996"));  // 9999.6199612 + 9.807 - 0.3839616
    CHECK(bal.unrealized_pnl.is_zero());
    CHECK(bal.available_balance == bal.wallet_balance);
    CHECK(a.position("BTCUSDT").amount.is_zero());
    CHECK(a.positions().empty());
    CHECK(a.fills().size() == 2);
}

TEST_CASE("short positions realize PnL with the sign reversed", "[paper]") {
    auto a = short_btc();
    CHECK(a.balance().wallet_balance == d("9999.6200380"));  // fee 949.905 * 0.0004 = 0.379962
    a.on_quote("BTCUSDT", q("94000.0", "94000.1", "94000.0"), 3);
    CHECK(a.balance().unrealized_pnl == d("9.905"));  // (94000 - 94990.5) * -0.010
    auto r = a.place(market("S-X", "BTCUSDT", order_side::buy, "0.010", true), 4);
    REQUIRE(r.ok());
    CHECK(r.events.fills.at(0).price == d("94009.6"));  // 94000.1 * 1.0001 = 94009.50001 -> up to 94009.6
    CHECK(r.events.fills.at(0).realized_pnl == d("9.809"));  // (94990.5 - 94009.6) * 0.010
}

TEST_CASE("adding to a position averages the entry; a plain MARKET through zero flips it", "[paper]") {
    auto a = long_btc();
    a.on_quote("BTCUSDT", q("96000.0", "96000.1", "96000.0"), 3);
    REQUIRE(a.place(market("L-E2", "BTCUSDT", order_side::buy, "0.010"), 4).ok());
    // (95009.7 + 96009.7) / 2: the second fill is 96000.1 * 1.0001 = 96009.70001 -> 96009.8
    CHECK(a.position("BTCUSDT").amount == d("0.020"));
    CHECK(a.position("BTCUSDT").entry_price == d("95509.75"));

    auto r = a.place(market("F-E", "BTCUSDT", order_side::sell, "0.030"), 5);
    REQUIRE(r.ok());
    const auto& f = r.events.fills.at(0);
    CHECK(f.price == d("95990.4"));
    CHECK(f.realized_pnl == d("9.613"));  // (95990.4 - 95509.75) * 0.020
    CHECK(a.position("BTCUSDT").amount == d("-0.010"));
    CHECK(a.position("BTCUSDT").entry_price == d("95990.4"));
}

TEST_CASE("place() rejects like Binance, with its codes and messages", "[paper]") {
    auto a = make_account();

    SECTION("unknown symbol") {
        auto r = a.place(market("x", "NOPEUSDT", order_side::buy, "1"), 1);
        CHECK(r.code == -1121);
        CHECK(r.message == "Invalid symbol.");
        CHECK_FALSE(r.order);
    }
    SECTION("no quote yet") {
        auto r = a.place(market("x", "BTCUSDT", order_side::buy, "0.010"), 1);
        CHECK(r.code == codes::no_market_price);
        CHECK(r.message == "No market price");
    }

    a.on_quote("BTCUSDT", q("95000.0", "95000.1", "95000.0"), 1);
    a.on_quote("ETHUSDT", q("3500.00", "3500.01", "3500.00"), 1);

    SECTION("zero or negative quantity") {
        auto r = a.place(market("x", "BTCUSDT", order_side::buy, "0"), 2);
        CHECK(r.code == -4003);
        CHECK(r.message == "Quantity less than or equal to zero.");
        CHECK(a.place(market("x", "BTCUSDT", order_side::buy, "-0.010"), 2).code == -4003);
    }
    SECTION("quantity off the step grid") {
        auto r = a.place(market("x", "BTCUSDT", order_side::buy, "0.0105"), 2);
        CHECK(r.code == -1111);
        CHECK(r.message == "Precision is over the maximum defined for this asset.");
    }
    SECTION("trigger off the tick grid") {
        auto r = a.place(conditional("x", order_type::stop_market, order_side::sell, "94000.05", "0.010"), 2);
        CHECK(r.code == -1111);
    }
    SECTION("notional below the minimum unless reduce-only") {
        // 0.005 ETH * 3500 = 17.5 < 20
        auto r = a.place(market("x", "ETHUSDT", order_side::buy, "0.005"), 2);
        CHECK(r.code == -4164);
        CHECK(r.message == "Order's notional must be no smaller than 20.0 (unless you choose reduce only)");
        REQUIRE(a.place(market("e1", "ETHUSDT", order_side::buy, "0.006"), 3).ok());  // 21 >= 20
        auto ro = a.place(market("e2", "ETHUSDT", order_side::sell, "0.005", true), 4);
        CHECK(ro.ok());
        CHECK(a.position("ETHUSDT").amount == d("0.001"));
    }
    SECTION("reduce-only MARKET while flat or on the position's side") {
        auto r = a.place(market("x", "BTCUSDT", order_side::sell, "0.010", true), 2);
        CHECK(r.code == -2022);
        CHECK(r.message == "ReduceOnly Order is rejected.");
        REQUIRE(a.place(market("L-E", "BTCUSDT", order_side::buy, "0.010"), 3).ok());
        CHECK(a.place(market("x", "BTCUSDT", order_side::buy, "0.010", true), 4).code == -2022);
        CHECK(a.position("BTCUSDT").amount == d("0.010"));  // nothing moved
    }
    SECTION("margin: notional / leverage + fee must fit the available balance") {
        // 0.315 * 95009.7 = 29928.0555 -> 9976.0185 margin + 11.9712222 fee < 10000
        // 0.316 * 95009.7 = 30023.0652 -> 10007.6884 margin + fee > 10000
        auto big = a.place(market("x", "BTCUSDT", order_side::buy, "0.316"), 2);
        CHECK(big.code == -2019);
        CHECK(big.message == "Margin is insufficient.");
        CHECK(a.position("BTCUSDT").amount.is_zero());
        CHECK(a.place(market("y", "BTCUSDT", order_side::buy, "0.315"), 3).ok());
        // At 3x nothing is left for 0.010 more (available 8.95); at 5x the same position needs less.
        CHECK(a.place(market("z", "BTCUSDT", order_side::buy, "0.010"), 4).code == -2019);
        CHECK(a.set_leverage("BTCUSDT", 5) == 0);
        CHECK(a.place(market("z", "BTCUSDT", order_side::buy, "0.010"), 5).ok());
    }
    SECTION("duplicate client id of an open order; reusable once it is finished") {
        REQUIRE(a.place(market("L-E", "BTCUSDT", order_side::buy, "0.010"), 2).ok());
        REQUIRE(a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3).ok());
        auto dup = a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "93000.0", "0"), 4);
        CHECK(dup.code == codes::duplicate_client_id);
        CHECK(dup.message == "clientOrderId is duplicated");
        // A filled MARKET order is not open: its id may be used again.
        CHECK(a.place(market("L-E", "BTCUSDT", order_side::buy, "0.010"), 5).ok());
        REQUIRE(a.cancel("BTCUSDT", "L-SL", 0, 6).ok());
        CHECK(a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "93000.0", "0"), 7).ok());
    }
    SECTION("client id outside Binance's pattern") {
        auto r = a.place(market("bad id!", "BTCUSDT", order_side::buy, "0.010"), 2);
        CHECK(r.code == -4015);
        CHECK(a.place(market(std::string(37, 'a'), "BTCUSDT", order_side::buy, "0.010"), 2).code == -4015);
    }
    SECTION("closePosition only on conditionals and without a quantity") {
        auto m = market("x", "BTCUSDT", order_side::sell, "0");
        m.close_position = true;
        CHECK(a.place(m, 2).code == -1106);
        auto c = conditional("y", order_type::stop_market, order_side::sell, "94000.0", "0.010");
        c.reduce_only = false;
        c.close_position = true;
        CHECK(a.place(c, 2).code == -4137);
    }
    SECTION("leverage range") {
        CHECK(a.set_leverage("BTCUSDT", 0) == -4028);
        CHECK(a.set_leverage("BTCUSDT", 126) == -4028);
        CHECK(a.set_leverage("NOPEUSDT", 5) == -1121);
        CHECK(a.leverage("BTCUSDT") == 3);
    }
}

TEST_CASE("reduce-only MARKET larger than the position is cut to the position", "[paper]") {
    auto a = long_btc();
    auto part = a.place(market("L-X1", "BTCUSDT", order_side::sell, "0.004", true), 3);
    REQUIRE(part.ok());
    CHECK(a.position("BTCUSDT").amount == d("0.006"));
    CHECK(a.position("BTCUSDT").entry_price == d("95009.7"));  // reducing never moves the entry
    CHECK(part.events.fills.at(0).realized_pnl == d("-0.0768"));  // (94990.5 - 95009.7) * 0.004

    auto r = a.place(market("L-X2", "BTCUSDT", order_side::sell, "0.050", true), 4);
    REQUIRE(r.ok());
    CHECK(r.order->req.qty == d("0.006"));
    CHECK(r.order->filled_qty == d("0.006"));
    CHECK(r.order->status == order_status::filled);
    CHECK(r.events.fills.at(0).qty == d("0.006"));
    CHECK(a.position("BTCUSDT").amount.is_zero());
}

TEST_CASE("TP and SL on a long trigger on the mark price, not the book", "[paper]") {
    auto a = long_btc();
    auto tp = a.place(conditional("L-TP", order_type::take_profit_market, order_side::sell, "96000.0", "0.010"), 3);
    auto sl = a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3);
    REQUIRE(tp.ok());
    REQUIRE(sl.ok());
    CHECK(tp.order->status == order_status::accepted);
    REQUIRE(tp.events.orders.size() == 1);
    CHECK(tp.events.fills.empty());
    CHECK(a.open_orders("BTCUSDT").size() == 2);

    // The book trades through the trigger but the mark does not: nothing happens.
    auto none = a.on_quote("BTCUSDT", q("96000.5", "96000.6", "95999.9"), 4);
    CHECK(none.orders.empty());
    CHECK(none.fills.empty());

    auto ev = a.on_quote("BTCUSDT", q("95999.9", "96000.0", "96000.0"), 5);
    REQUIRE(ev.orders.size() == 4);
    CHECK(ev.orders[0].order_id == tp.order->order_id);  // triggered, pointing at its child
    CHECK(ev.orders[0].status == order_status::accepted);
    const auto child_id = ev.orders[0].triggered_order_id;
    CHECK(child_id != 0);
    CHECK(ev.orders[1].order_id == child_id);
    CHECK(ev.orders[1].status == order_status::accepted);
    CHECK(ev.orders[1].parent_order_id == tp.order->order_id);
    CHECK(ev.orders[1].req.reduce_only);
    CHECK(ev.orders[2].order_id == child_id);
    CHECK(ev.orders[2].status == order_status::filled);
    CHECK(ev.orders[3].order_id == tp.order->order_id);
    CHECK(ev.orders[3].status == order_status::filled);
    CHECK(ev.orders[3].filled_qty == d("0.010"));
    REQUIRE(ev.fills.size() == 1);
    CHECK(ev.fills[0].order_id == child_id);
    CHECK(ev.fills[0].parent_client_id == "L-TP");
    CHECK(ev.fills[0].parent_order_id == tp.order->order_id);
    CHECK(ev.fills[0].price == d("95990.3"));  // bid 95999.9 * 0.9999 = 95990.30001 -> 95990.3
    CHECK(ev.fills[0].realized_pnl == d("9.806"));  // (95990.3 - 95009.7) * 0.010
    CHECK(ev.positions_changed);
    CHECK(a.position("BTCUSDT").amount.is_zero());

    // The closePosition stop stays open after the position is flat (the caller cancels it) ...
    auto open = a.open_orders("BTCUSDT");
    REQUIRE(open.size() == 1);
    CHECK(open[0].req.client_id == "L-SL");
    // ... and if left alone it expires, without a fill, when its trigger is reached.
    auto late = a.on_quote("BTCUSDT", q("93999.9", "94000.0", "93999.9"), 6);
    REQUIRE(late.orders.size() == 1);
    CHECK(late.orders[0].req.client_id == "L-SL");
    CHECK(late.orders[0].status == order_status::expired);
    CHECK(late.fills.empty());
    CHECK(a.open_orders("").empty());

    // The fate of both is still known by client id; the child by its id.
    CHECK(a.find_order("BTCUSDT", "L-TP")->status == order_status::filled);
    CHECK(a.find_order("BTCUSDT", "L-TP")->triggered_order_id == child_id);
    CHECK(a.find_order("BTCUSDT", "L-SL")->status == order_status::expired);
    CHECK(a.find_order_by_id(child_id)->parent_order_id == tp.order->order_id);
}

TEST_CASE("stop loss on a long closes the whole position with closePosition", "[paper]") {
    auto a = long_btc();
    REQUIRE(a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3).ok());
    CHECK(a.on_quote("BTCUSDT", q("94000.0", "94000.1", "94000.1"), 4).fills.empty());
    auto ev = a.on_quote("BTCUSDT", q("93999.9", "94000.0", "94000.0"), 5);
    REQUIRE(ev.fills.size() == 1);
    CHECK(ev.fills[0].qty == d("0.010"));
    CHECK(ev.fills[0].price == d("93990.5"));             // 93999.9 * 0.9999 = 93990.50001 -> 93990.5
    CHECK(ev.fills[0].realized_pnl == d("-10.192"));      // (93990.5 - 95009.7) * 0.010
    CHECK(a.position("BTCUSDT").amount.is_zero());
}

TEST_CASE("TP and SL on a short trigger in the opposite directions", "[paper]") {
    SECTION("take profit: BUY fires when the mark falls to the trigger") {
        auto a = short_btc();
        REQUIRE(a.place(conditional("S-TP", order_type::take_profit_market, order_side::buy, "94000.0", "0.010"), 3)
                    .ok());
        CHECK(a.on_quote("BTCUSDT", q("94000.0", "94000.1", "94000.1"), 4).fills.empty());
        auto ev = a.on_quote("BTCUSDT", q("93999.9", "94000.0", "94000.0"), 5);
        REQUIRE(ev.fills.size() == 1);
        CHECK(ev.fills[0].side == order_side::buy);
        CHECK(ev.fills[0].price == d("94009.4"));         // ask 94000.0 * 1.0001 = 94009.4 exactly
        CHECK(ev.fills[0].realized_pnl == d("9.811"));  // (94990.5 - 94009.4) * 0.010
        CHECK(a.position("BTCUSDT").amount.is_zero());
    }
    SECTION("stop loss: BUY fires when the mark rises to the trigger") {
        auto a = short_btc();
        REQUIRE(a.place(conditional("S-SL", order_type::stop_market, order_side::buy, "96000.0", "0"), 3).ok());
        CHECK(a.on_quote("BTCUSDT", q("95999.8", "95999.9", "95999.9"), 4).fills.empty());
        auto ev = a.on_quote("BTCUSDT", q("96000.0", "96000.1", "96000.0"), 5);
        REQUIRE(ev.fills.size() == 1);
        CHECK(ev.fills[0].price == d("96009.8"));        // 96000.1 * 1.0001 = 96009.70001 -> 96009.8
        CHECK(ev.fills[0].realized_pnl == d("-10.193"));  // (94990.5 - 96009.8) * 0.010
        CHECK(a.position("BTCUSDT").amount.is_zero());
    }
}

TEST_CASE("a conditional that would fire at once is rejected with -2021", "[paper]") {
    auto a = long_btc();  // mark 95000.0
    auto tp = a.place(conditional("x1", order_type::take_profit_market, order_side::sell, "94000.0", "0.010"), 3);
    CHECK(tp.code == -2021);
    CHECK(tp.message == "Order would immediately trigger.");
    CHECK(a.place(conditional("x2", order_type::stop_market, order_side::sell, "96000.0", "0"), 3).code == -2021);
    CHECK(a.place(conditional("x3", order_type::stop_market, order_side::sell, "95000.0", "0"), 3).code == -2021);
    CHECK(a.place(conditional("x4", order_type::stop_market, order_side::buy, "94000.0", "0"), 3).code == -2021);
    CHECK(a.place(conditional("x5", order_type::take_profit_market, order_side::buy, "96000.0", "0"), 3).code ==
          -2021);
    CHECK(a.open_orders("").empty());
}

TEST_CASE("a conditional triggered while flat expires without a fill", "[paper]") {
    auto a = make_account();
    a.on_quote("BTCUSDT", q("95000.0", "95000.1", "95000.0"), 1);
    auto sl = a.place(conditional("p-SL", order_type::stop_market, order_side::sell, "94000.0", "0.010"), 2);
    REQUIRE(sl.ok());  // conditionals may rest before the entry fills
    auto ev = a.on_quote("BTCUSDT", q("93900.0", "93900.1", "93900.0"), 3);
    REQUIRE(ev.orders.size() == 1);
    CHECK(ev.orders[0].status == order_status::expired);
    CHECK(ev.orders[0].updated_at == 3);
    CHECK(ev.fills.empty());
    CHECK_FALSE(ev.positions_changed);
    CHECK(a.balance().wallet_balance == d("10000"));
}

TEST_CASE("conditionals fire in order id order and each is cut to what is left", "[paper]") {
    auto a = long_btc();
    auto first = a.place(conditional("c1", order_type::stop_market, order_side::sell, "94000.0", "0.006"), 3);
    auto second = a.place(conditional("c2", order_type::stop_market, order_side::sell, "94500.0", "0.006"), 3);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    auto ev = a.on_quote("BTCUSDT", q("93900.0", "93900.1", "93900.0"), 4);
    REQUIRE(ev.fills.size() == 2);
    CHECK(ev.fills[0].parent_client_id == "c1");
    CHECK(ev.fills[0].qty == d("0.006"));
    CHECK(ev.fills[1].parent_client_id == "c2");
    CHECK(ev.fills[1].qty == d("0.004"));
    CHECK(a.position("BTCUSDT").amount.is_zero());
    CHECK(ev.fills[0].trade_id < ev.fills[1].trade_id);
}

TEST_CASE("cancel: open orders only, unknown or finished ones give -2011", "[paper]") {
    auto a = long_btc();
    auto sl = a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3);
    REQUIRE(sl.ok());

    auto unknown = a.cancel("BTCUSDT", "nope", 0, 4);
    CHECK(unknown.code == -2011);
    CHECK(unknown.message == "Unknown order sent.");
    CHECK(a.cancel("BTCUSDT", "", 999999, 4).code == -2011);
    CHECK(a.cancel("BTCUSDT", "L-E", 0, 4).code == -2011);  // the filled entry
    CHECK(a.cancel("ETHUSDT", "L-SL", 0, 4).code == -2011);  // wrong symbol

    auto ok = a.cancel("BTCUSDT", "", sl.order->order_id, 5);
    REQUIRE(ok.ok());
    CHECK(ok.order->status == order_status::canceled);
    REQUIRE(ok.events.orders.size() == 1);
    CHECK(ok.events.orders[0].status == order_status::canceled);
    CHECK(a.cancel("BTCUSDT", "L-SL", 0, 6).code == -2011);  // twice
    CHECK(a.on_quote("BTCUSDT", q("93000.0", "93000.1", "93000.0"), 7).orders.empty());
    CHECK(a.position("BTCUSDT").amount == d("0.010"));
}

TEST_CASE("cancel_all cancels every open order of the symbol", "[paper]") {
    auto a = long_btc();
    REQUIRE(a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3).ok());
    REQUIRE(a.place(conditional("L-TP", order_type::take_profit_market, order_side::sell, "96000.0", "0"), 3).ok());
    auto ev = a.cancel_all("BTCUSDT", 4);
    REQUIRE(ev.orders.size() == 2);
    CHECK(ev.orders[0].status == order_status::canceled);
    CHECK(ev.orders[1].status == order_status::canceled);
    CHECK(a.open_orders("BTCUSDT").empty());
}

TEST_CASE("find_order returns the most recent order with a client id", "[paper]") {
    auto a = long_btc();
    auto first = a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "94000.0", "0"), 3);
    REQUIRE(a.cancel("BTCUSDT", "L-SL", 0, 4).ok());
    auto second = a.place(conditional("L-SL", order_type::stop_market, order_side::sell, "93000.0", "0"), 5);
    REQUIRE(second.ok());
    auto found = a.find_order("BTCUSDT", "L-SL");
    REQUIRE(found);
    CHECK(found->order_id == second.order->order_id);
    CHECK(found->status == order_status::accepted);
    CHECK(a.find_order_by_id(first.order->order_id)->status == order_status::canceled);
    CHECK(a.find_order("BTCUSDT", "L-E")->status == order_status::filled);
    CHECK_FALSE(a.find_order("BTCUSDT", "nope"));
    CHECK_FALSE(a.find_order("ETHUSDT", "L-SL"));
}

TEST_CASE("a canceled stop no longer fires and the next one out still does", "[paper]") {
    // The account keeps, per symbol, the mark at which the nearest resting order fires; ending
    // the nearest one must widen that to the next, not leave it where it was nor drop the rest.
    auto a = long_btc();  // 0.010 BTC, mark 95000.0
    REQUIRE(a.place(conditional("near", order_type::stop_market, order_side::sell, "94000.0", "0.004"), 3).ok());
    REQUIRE(a.place(conditional("far", order_type::stop_market, order_side::sell, "93000.0", "0.004"), 3).ok());
    REQUIRE(a.place(conditional("tp", order_type::take_profit_market, order_side::sell, "97000.0", "0.002"), 3).ok());
    REQUIRE(a.cancel("BTCUSDT", "near", 0, 4).ok());

    // Below the canceled stop, above the far one: nothing fires.
    CHECK(a.on_quote("BTCUSDT", q("93500.0", "93500.1", "93500.0"), 5).orders.empty());
    CHECK(a.open_orders("BTCUSDT").size() == 2);
    // A quote of another symbol at any price leaves BTC's orders alone.
    CHECK(a.on_quote("ETHUSDT", q("90000.00", "90000.01", "90000.00"), 6).orders.empty());

    auto ev = a.on_quote("BTCUSDT", q("92999.9", "93000.0", "93000.0"), 7);
    REQUIRE(ev.fills.size() == 1);
    CHECK(ev.fills[0].parent_client_id == "far");
    CHECK(ev.fills[0].qty == d("0.004"));
    CHECK(a.position("BTCUSDT").amount == d("0.006"));

    // Only the take profit rests now: a fall fires nothing, the rise to 97000 does.
    CHECK(a.on_quote("BTCUSDT", q("90000.0", "90000.1", "90000.0"), 8).orders.empty());
    auto up = a.on_quote("BTCUSDT", q("97000.0", "97000.1", "97000.0"), 9);
    REQUIRE(up.fills.size() == 1);
    CHECK(up.fills[0].parent_client_id == "tp");
    CHECK(a.position("BTCUSDT").amount == d("0.004"));
    CHECK(a.open_orders("").empty());
}
