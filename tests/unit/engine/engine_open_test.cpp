// Entries: sizing, refusals, entry fills, protective orders.
#include "engine/exit_rules.hpp"

#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
open_request opp(const std::string& symbol, side s = side::long_side) {
    return open_request{opportunity{symbol, s, 1.0, "test idea", t0, "exchange"}};
}
}  // namespace

TEST_CASE("an entry is sized by stake / price, floored to the step", "[engine][open]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999.99", "3000.01");

    output o = s.step(opp("BTCUSDT"));
    REQUIRE(o.result.ok());
    const std::string id = o.result.position_id;
    CHECK(id == "paper_" + std::to_string(t0) + "_BTCUSDT");
    auto entry = placed(o);
    REQUIRE(entry.size() == 1);
    CHECK(entry[0].order.client_id == id + "-E");
    CHECK(entry[0].order.kind == order_kind::entry);
    CHECK(entry[0].order.type == order_type::market);
    CHECK(entry[0].order.side == order_side::buy);
    CHECK(entry[0].order.qty == d("0.004"));  // 200 / 50000 (the ask for a LONG)
    CHECK_FALSE(entry[0].reduce_only);
    CHECK(contains(o.dirty_orders, id + "-E"));
    CHECK(contains(o.dirty_positions, id));
    CHECK(event_names(o) == std::vector<std::string>{"position_updated"});
    const position& p = s.pos(id);
    CHECK(p.status == position_status::opening);
    CHECK(p.stake_usd == d("200"));
    CHECK(p.leverage == 3);
    CHECK(p.opened_at == t0);
    CHECK(s.order(id + "-E").status == order_status::pending);

    // SHORT uses the bid: 200 / 2999.99 = 0.0666669.. -> 0.066.
    output o2 = s.step(opp("ETHUSDT", side::short_side));
    REQUIRE(o2.result.ok());
    auto e2 = placed(o2);
    REQUIRE(e2.size() == 1);
    CHECK(e2[0].order.side == order_side::sell);
    CHECK(e2[0].order.qty == d("0.066"));
}

TEST_CASE("entries below min qty or min notional are refused", "[engine][open]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("SOLUSDT", "149.99", "150.00");
    REQUIRE(s.run(set_limits_request{{d("5.5"), std::nullopt, std::nullopt}}).result.ok());
    // 5.5 / 50000 floors to 0 BTC.
    output o = s.run(opp("BTCUSDT"));
    CHECK(o.result.code == "STAKE_TOO_SMALL");
    CHECK(o.result.http_status == 400);
    // 5.5 / 150 = 0.0366 -> 0.03 SOL (above min qty 0.01) but notional 4.5 < 5.
    o = s.run(opp("SOLUSDT"));
    CHECK(o.result.code == "STAKE_TOO_SMALL");
    CHECK(o.actions.empty());
    CHECK(s.eng.positions().empty());
    REQUIRE(s.run(set_limits_request{{d("6"), std::nullopt, std::nullopt}}).result.ok());
    CHECK(s.run(opp("SOLUSDT")).result.ok());  // 0.04 * 150 = 6
}

TEST_CASE("open requests are refused with the documented codes", "[engine][open]") {
    SECTION("disabled paper engine") {
        engine_config c = paper_config();
        c.enabled = false;
        sim s(c);
        output o = s.run(opp("BTCUSDT"));
        CHECK(o.result.code == "ENGINE_DISABLED");
        CHECK(o.result.http_status == 403);
    }
    SECTION("disabled real engine") {
        engine_config c = paper_config();
        c.engine_mode = mode::real;
        c.enabled = false;
        sim s(c);
        CHECK(s.run(opp("BTCUSDT")).result.code == "REAL_TRADING_DISABLED");
        output st = s.run(start_request{});
        CHECK(st.result.code == "REAL_TRADING_DISABLED");
        CHECK(st.result.http_status == 403);
        CHECK_FALSE(s.eng.state().running);
    }
    SECTION("not running, unknown symbol, no data, existing position, external block") {
        sim s;
        output o = s.run(opp("BTCUSDT"));
        CHECK(o.result.code == "NOT_RUNNING");
        CHECK(o.result.http_status == 409);
        s.start();
        o = s.run(opp("DOGEUSDT"));
        CHECK(o.result.code == "UNKNOWN_SYMBOL");
        CHECK(o.result.http_status == 400);
        o = s.run(opp("BTCUSDT"));
        CHECK(o.result.code == "NO_MARKET_DATA");
        CHECK(o.result.http_status == 409);
        s.tick("BTCUSDT", "49990", "50000");
        s.open("BTCUSDT", side::long_side);
        o = s.run(opp("BTCUSDT", side::short_side));
        CHECK(o.result.code == "POSITION_EXISTS");
        CHECK(o.actions.empty());
        s.tick("ETHUSDT", "2999", "3000");
        s.eng.set_external_block("STORAGE_UNAVAILABLE", true);
        o = s.run(opp("ETHUSDT"));
        CHECK(o.result.code == "STORAGE_UNAVAILABLE");
        CHECK(o.result.http_status == 409);
        CHECK(contains(s.eng.safety(s.now).blocked_reasons, "STORAGE_UNAVAILABLE"));
        s.eng.set_external_block("STORAGE_UNAVAILABLE", false);
        CHECK(s.run(opp("ETHUSDT")).result.ok());
    }
}

TEST_CASE("max_positions counts OPENING, OPEN and CLOSING positions", "[engine][open]") {
    sim s;
    s.start();
    REQUIRE(s.run(set_limits_request{{std::nullopt, 2, std::nullopt}}).result.ok());
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    s.tick("SOLUSDT", "149.99", "150");
    s.auto_exchange = false;
    std::string btc = s.run(opp("BTCUSDT")).result.position_id;  // stays OPENING
    s.auto_exchange = true;
    std::string eth = s.open("ETHUSDT", side::long_side);
    output o = s.run(opp("SOLUSDT"));
    CHECK(o.result.code == "MAX_POSITIONS_REACHED");
    CHECK(o.result.http_status == 409);
    safety_status st = s.eng.safety(s.now);
    CHECK(st.open_positions == 2);
    CHECK(st.positions_remaining == 0);
    CHECK_FALSE(st.can_open_new);
    CHECK(contains(st.blocked_reasons, "MAX_POSITIONS_REACHED"));
    // The entry is refused by the exchange: the slot frees up.
    s.run(order_rejected{btc + "-E", -2019, "Margin is insufficient."});
    CHECK(s.pos(btc).status == position_status::failed);
    CHECK(s.run(opp("SOLUSDT")).result.ok());
}

TEST_CASE("entry fill opens the position and places TP and SL", "[engine][open]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.step(opp("BTCUSDT")).result.position_id;
    s.step(order_accepted{id + "-E", "9001"});
    CHECK(s.order(id + "-E").status == order_status::accepted);
    CHECK(s.order(id + "-E").exchange_id == "9001");

    // Two partial fills: volume-weighted average price, fees add up.
    output f1 = s.step(order_fill{id + "-E", "9001", "t1", d("0.001"), d("49990"), d("0.02"), false});
    CHECK(s.pos(id).status == position_status::opening);
    CHECK(placed(f1).empty());
    CHECK(s.order(id + "-E").status == order_status::partially_filled);
    output f2 = s.step(order_fill{id + "-E", "9001", "t2", d("0.003"), d("50010"), d("0.06"), true});
    const position& p = s.pos(id);
    CHECK(p.status == position_status::open);
    CHECK(p.entry_price == d("50005"));  // (49990 + 3 * 50010) / 4
    CHECK(p.qty == d("0.004"));
    CHECK(p.fees == d("0.08"));
    CHECK(p.tp_price == tp_price(side::long_side, d("50005"), d("0.004"), d("10"), d("0.10")));
    CHECK(p.tp_price == d("52505"));
    CHECK(p.sl_price == d("49755"));  // 50005 * 0.995 = 49754.975 -> 49755.0
    auto tp = placed(f2, order_kind::take_profit);
    auto sl = placed(f2, order_kind::stop_loss);
    REQUIRE(tp.size() == 1);
    REQUIRE(sl.size() == 1);
    CHECK(tp[0].order.client_id == id + "-TP");
    CHECK(tp[0].order.type == order_type::take_profit_market);
    CHECK(tp[0].order.trigger_price == d("52505"));
    CHECK(tp[0].order.side == order_side::sell);
    CHECK(tp[0].order.qty == d("0.004"));
    CHECK(tp[0].reduce_only);
    CHECK(sl[0].order.client_id == id + "-SL");
    CHECK(sl[0].order.type == order_type::stop_market);
    CHECK(sl[0].order.trigger_price == d("49755"));
    CHECK(sl[0].reduce_only);
    CHECK(p.tp_order_id == id + "-TP");
    CHECK(p.sl_order_id == id + "-SL");
    CHECK(has_event(f2, "position_opened"));
    CHECK(contains(f2.dirty_orders, id + "-TP"));
    CHECK(contains(f2.dirty_orders, id + "-SL"));

    // tp_sl_placed once both are accepted, and only once.
    CHECK_FALSE(has_event(s.step(order_accepted{id + "-TP", "9002"}), "tp_sl_placed"));
    CHECK(has_event(s.step(order_accepted{id + "-SL", "9003"}), "tp_sl_placed"));
    CHECK_FALSE(has_event(s.step(order_accepted{id + "-SL", "9003"}), "tp_sl_placed"));
}

TEST_CASE("a redelivered fill (same trade id) is applied once", "[engine][open]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.step(opp("BTCUSDT")).result.position_id;
    order_fill half{id + "-E", "1", "dup-1", d("0.002"), d("50000"), d("0.04"), false};
    s.step(half);
    output again = s.step(half);
    CHECK(again.actions.empty());
    CHECK(again.dirty_orders.empty());
    CHECK(s.order(id + "-E").filled_qty == d("0.002"));
    CHECK(s.pos(id).fees == d("0.04"));
    CHECK(s.pos(id).status == position_status::opening);
    s.step(order_fill{id + "-E", "1", "dup-2", d("0.002"), d("50000"), d("0.04"), true});
    CHECK(s.pos(id).status == position_status::open);
    CHECK(s.pos(id).qty == d("0.004"));
    CHECK(s.pos(id).fees == d("0.08"));
}

TEST_CASE("a rejected entry fails the position; the id is not reused", "[engine][open]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.step(opp("BTCUSDT")).result.position_id;
    output r = s.step(order_rejected{id + "-E", -2019, "Margin is insufficient."});
    CHECK(s.pos(id).status == position_status::failed);
    CHECK(has_event(r, "position_closed"));
    CHECK(r.notifications.back().detail.find("-2019") != std::string::npos);
    CHECK(r.new_trades.empty());
    CHECK(placed(r).empty());
    // Same millisecond, same symbol: the next position gets the next free id.
    const std::string id2 = s.step(opp("BTCUSDT")).result.position_id;
    CHECK(id2 == "paper_" + std::to_string(t0 + 1) + "_BTCUSDT");
    CHECK(s.pos(id).status == position_status::failed);
}

TEST_CASE("an entry that fills after being reported failed is revived and protected", "[engine][open]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.step(opp("BTCUSDT")).result.position_id;
    s.step(order_canceled{id + "-E"});
    REQUIRE(s.pos(id).status == position_status::failed);
    // The exchange executed it anyway (a timeout reported as a failure): exposure is real.
    // The order record is canceled, so re-open it through a fill of the same client id.
    output f = s.step(order_fill{id + "-E", "1", "late", d("0.004"), d("50000"), d("0.08"), true});
    CHECK(s.pos(id).status == position_status::open);
    CHECK(placed(f, order_kind::take_profit).size() == 1);
    CHECK(placed(f, order_kind::stop_loss).size() == 1);
}
