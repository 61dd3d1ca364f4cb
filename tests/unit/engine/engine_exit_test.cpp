// The Pure 3-rule exits: take profit, stop loss, profit floor; protective order failures.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
/// A LONG 0.004 BTC from 50000 (fee 0.08) with TP 52500 and SL 49750 resting.
std::string open_btc_long(sim& s) {
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    std::string id = s.open("BTCUSDT", side::long_side);
    REQUIRE(s.pos(id).entry_price == d("50000"));
    REQUIRE(s.pos(id).tp_price == d("52500"));
    REQUIRE(s.pos(id).sl_price == d("49750"));
    return id;
}
}  // namespace

TEST_CASE("take-profit fill closes with TAKE_PROFIT and cancels the stop", "[engine][exit]") {
    sim s;
    const std::string id = open_btc_long(s);
    output o = s.trigger(id + "-TP");  // fills 0.004 at 52500, fee 0.084
    const position& p = s.pos(id);
    CHECK(p.status == position_status::closed);
    CHECK(p.reason == exit_reason::take_profit);
    CHECK(p.exit_price == d("52500"));
    CHECK(p.fees == d("0.164"));
    CHECK(p.pnl == d("9.836"));  // 2500 * 0.004 - 0.164
    CHECK(p.closed_at == s.now);
    auto c = cancels(o);
    REQUIRE(c.size() == 1);
    CHECK(c[0].client_id == id + "-SL");
    CHECK(s.order(id + "-SL").status == order_status::canceled);  // the fake answered the cancel
    REQUIRE(o.new_trades.size() == 1);
    const trade& t = o.new_trades[0];
    CHECK(t.trade_id == id + "-T");
    CHECK(t.reason == exit_reason::take_profit);
    CHECK(t.pnl == d("9.836"));
    CHECK(t.fees == d("0.164"));
    CHECK(t.qty == d("0.004"));
    CHECK(t.entry_price == d("50000"));
    CHECK(t.exit_price == d("52500"));
    CHECK(t.pnl_pct == Approx(14.754));  // 9.836 / (200 / 3) * 100
    CHECK(event_names(o) == std::vector<std::string>{"tp_filled", "position_closed", "trade_recorded"});
    CHECK(o.notifications[2].ch == channel::trades);
    CHECK(s.eng.state().daily_realized_pnl == d("9.836"));
    CHECK(o.state_changed);
    CHECK(contains(o.dirty_positions, id));
    CHECK(s.eng.trades().size() == 1);
}

TEST_CASE("stop-loss fill closes with STOP_LOSS and cancels the take-profit", "[engine][exit]") {
    sim s;
    const std::string id = open_btc_long(s);
    output o = s.trigger(id + "-SL");  // 0.004 at 49750, fee 0.0796
    CHECK(s.pos(id).reason == exit_reason::stop_loss);
    CHECK(s.pos(id).pnl == d("-1.1596"));  // -250 * 0.004 - 0.08 - 0.0796
    REQUIRE(cancels(o).size() == 1);
    CHECK(cancels(o)[0].client_id == id + "-TP");
    CHECK(has_event(o, "sl_filled"));
    CHECK_FALSE(has_event(o, "tp_filled"));
    CHECK(s.eng.state().daily_realized_pnl == d("-1.1596"));
}

TEST_CASE("SHORT positions mirror the exit prices", "[engine][exit]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.open("BTCUSDT", side::short_side);  // sells at the bid 49990
    const position& p = s.pos(id);
    CHECK(p.entry_price == d("49990"));
    CHECK(p.qty == d("0.004"));
    CHECK(p.tp_price == d("47490"));  // 49990 - 10 / 0.004
    CHECK(p.sl_price == d("50240"));  // 49990 * 1.005 = 50239.95 -> nearest tick
    CHECK(s.order(id + "-TP").side == order_side::buy);
    CHECK(s.order(id + "-SL").side == order_side::buy);
    s.tick("BTCUSDT", "48240", "48250", "48240");  // +7 for a short at 48240
    CHECK(s.pos(id).profit_floor_activated);
    CHECK(s.order(id + "-FL").trigger_price == d("48240"));  // 49990 - 1750
    CHECK(s.pos(id).sl_order_id == id + "-FL");
    output o = s.trigger(id + "-TP");
    CHECK(s.pos(id).reason == exit_reason::take_profit);
    CHECK(s.pos(id).pnl == d("10") - s.pos(id).fees);
    CHECK(cancels(o).size() == 1);  // the floor stop (the old SL was cancelled when FL was accepted)
    CHECK(cancels(o)[0].client_id == id + "-FL");
}

TEST_CASE("profit floor: new stop first, old stop cancelled only after it is accepted", "[engine][exit]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.auto_exchange = false;

    // +6.8: tracked, nothing moves.
    output t1 = s.tick("BTCUSDT", "51700", "51710", "51700");
    CHECK(s.pos(id).highest_profit_ever == d("6.8"));
    CHECK(s.pos(id).pnl == d("6.8"));
    CHECK(contains(t1.dirty_positions, id));  // highest_profit_ever is durable
    CHECK(t1.actions.empty());
    CHECK(has_event(t1, "position_updated"));
    CHECK_FALSE(s.pos(id).profit_floor_activated);

    // +7.0: the floor activates; only the new stop is sent.
    output t2 = s.tick("BTCUSDT", "51750", "51760", "51750");
    CHECK(s.pos(id).profit_floor_activated);
    REQUIRE(t2.actions.size() == 1);
    auto fl = placed(t2, order_kind::floor_stop);
    REQUIRE(fl.size() == 1);
    CHECK(fl[0].order.client_id == id + "-FL");
    CHECK(fl[0].order.type == order_type::stop_market);
    CHECK(fl[0].order.trigger_price == d("51750"));
    CHECK(fl[0].order.qty == d("0.004"));
    CHECK(fl[0].reduce_only);
    CHECK(cancels(t2).empty());
    CHECK(s.pos(id).sl_order_id == id + "-SL");  // the old stop is still the stop

    // A lower tick: pure mark updates are not durable; no second floor order.
    output t3 = s.tick("BTCUSDT", "51000", "51010", "51000");
    CHECK(t3.actions.empty());
    CHECK(t3.dirty_positions.empty());
    CHECK(s.pos(id).highest_profit_ever == d("7"));

    // The exchange accepts the floor stop: now the old SL goes.
    output acc = s.step(order_accepted{id + "-FL", "777"});
    auto c = cancels(acc);
    REQUIRE(c.size() == 1);
    CHECK(c[0].client_id == id + "-SL");
    CHECK(s.pos(id).sl_order_id == id + "-FL");
    CHECK(s.pos(id).sl_price == d("51750"));
    CHECK(has_event(acc, "stop_moved"));
    CHECK(contains(acc.dirty_positions, id));
    // Our own cancel of the old SL is not "someone cancelled our stop": nothing re-placed.
    output cx = s.step(order_canceled{id + "-SL"});
    CHECK(cx.actions.empty());

    // The floor stop fills: PROFIT_FLOOR, TP cancelled.
    output f = s.step(order_fill{id + "-FL", "777", "fl-1", d("0.004"), d("51750"), d("0.0828"), true});
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::profit_floor);
    CHECK(s.pos(id).pnl == d("6.8372"));  // 7 - 0.08 - 0.0828
    REQUIRE(cancels(f).size() == 1);
    CHECK(cancels(f)[0].client_id == id + "-TP");
    CHECK(event_names(f) == std::vector<std::string>{"sl_filled", "position_closed", "trade_recorded"});
    CHECK(f.new_trades.at(0).reason == exit_reason::profit_floor);
}

TEST_CASE("profit floor is only rule 2 of pure_3_rule_mode", "[engine][exit]") {
    engine_config c = paper_config();
    c.pure_3_rule_mode = false;
    sim s(c);
    const std::string id = open_btc_long(s);
    output t = s.tick("BTCUSDT", "52000", "52010", "52000");
    CHECK(t.actions.empty());
    CHECK_FALSE(s.pos(id).profit_floor_activated);
    CHECK(s.pos(id).highest_profit_ever == d("8"));
}

TEST_CASE("a rejected floor stop keeps the old stop unless it would trigger", "[engine][exit]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.auto_exchange = false;
    s.tick("BTCUSDT", "51750", "51760", "51750");
    SECTION("other error: old SL stays, no close") {
        output r = s.step(order_rejected{id + "-FL", -1001, "internal error"});
        CHECK(r.actions.empty());
        CHECK(s.pos(id).status == position_status::open);
        CHECK(s.pos(id).sl_order_id == id + "-SL");
        CHECK(s.order(id + "-SL").status == order_status::accepted);
        CHECK(has_event(r, "position_updated"));
    }
    SECTION("-2021: the price is already through the floor, close at market as PROFIT_FLOOR") {
        output r = s.step(order_rejected{id + "-FL", -2021, "Order would immediately trigger."});
        auto x = placed(r, order_kind::close);
        REQUIRE(x.size() == 1);
        CHECK(x[0].order.client_id == id + "-X");
        CHECK(x[0].order.qty == d("0.004"));
        CHECK(x[0].reduce_only);
        CHECK(cancels(r).empty());  // TP/SL keep protecting until the close fills
        CHECK(s.pos(id).status == position_status::closing);
        output f = s.step(order_fill{id + "-X", "1", "x1", d("0.004"), d("51700"), d("0.08"), true});
        CHECK(s.pos(id).reason == exit_reason::profit_floor);
        CHECK(cancels(f).size() == 2);
    }
}

TEST_CASE("TP/SL placement failure closes at market at once; never unprotected", "[engine][exit]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id =
        s.step(open_request{opportunity{"BTCUSDT", side::long_side, 1, "", t0, "exchange"}}).result.position_id;
    s.step(order_fill{id + "-E", "1", "e1", d("0.004"), d("50000"), d("0.08"), true});
    s.step(order_accepted{id + "-SL", "2"});

    SECTION("TP would immediately trigger: close as TAKE_PROFIT") {
        output r = s.step(order_rejected{id + "-TP", -2021, "Order would immediately trigger."});
        auto x = placed(r, order_kind::close);
        REQUIRE(x.size() == 1);  // at once: no query first
        CHECK(queries(r).empty());
        CHECK(x[0].order.side == order_side::sell);
        CHECK(x[0].reduce_only);
        CHECK(cancels(r).empty());  // the SL stays until the close fills
        CHECK(s.pos(id).status == position_status::closing);
        output f = s.step(order_fill{id + "-X", "3", "x1", d("0.004"), d("52600"), d("0.08"), true});
        CHECK(s.pos(id).status == position_status::closed);
        CHECK(s.pos(id).reason == exit_reason::take_profit);
        REQUIRE(cancels(f).size() == 1);
        CHECK(cancels(f)[0].client_id == id + "-SL");
        CHECK_FALSE(has_event(f, "tp_filled"));  // our -X filled, not the TP order
    }
    SECTION("SL rejected for another reason: EMERGENCY close") {
        s.step(order_accepted{id + "-TP", "4"});
        output r = s.step(order_rejected{id + "-SL", -2019, "Margin is insufficient."});
        REQUIRE(placed(r, order_kind::close).size() == 1);
        CHECK(s.pos(id).reason == exit_reason::emergency);
        s.step(order_fill{id + "-X", "3", "x1", d("0.004"), d("49990"), d("0.08"), true});
        CHECK(s.pos(id).reason == exit_reason::emergency);
    }
    SECTION("SL would immediately trigger: STOP_LOSS") {
        s.step(order_rejected{id + "-SL", -2021, "Order would immediately trigger."});
        s.step(order_fill{id + "-X", "3", "x1", d("0.004"), d("49700"), d("0.08"), true});
        CHECK(s.pos(id).reason == exit_reason::stop_loss);
    }
}

TEST_CASE("a protective order cancelled by someone else is placed again", "[engine][exit]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.auto_exchange = false;
    s.resting.erase(id + "-SL");
    output o = s.step(order_canceled{id + "-SL"});
    auto re = placed(o, order_kind::stop_loss);
    REQUIRE(re.size() == 1);
    CHECK(re[0].order.client_id == id + "-SL");
    CHECK(re[0].order.trigger_price == d("49750"));
    CHECK(re[0].order.qty == d("0.004"));
    CHECK(re[0].reduce_only);
    CHECK(s.order(id + "-SL").status == order_status::pending);
}
