// The idempotent close (SPEC §1): safe any number of times and in a race with TP/SL fills.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
std::string open_btc_long(sim& s) {
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    std::string id = s.open("BTCUSDT", side::long_side);
    s.auto_exchange = false;  // each test plays the exchange by hand from here
    return id;
}
int close_orders(const output& o) {
    return static_cast<int>(placed(o, order_kind::close).size());
}
}  // namespace

TEST_CASE("close of an unknown position is 404", "[engine][close]") {
    sim s;
    output o = s.run(close_request{"paper_1_BTCUSDT", exit_reason::manual});
    CHECK(o.result.code == "POSITION_NOT_FOUND");
    CHECK(o.result.http_status == 404);
    CHECK(o.actions.empty());
}

TEST_CASE("close of an OPEN position: one query, then one reduce-only -X", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    output c = s.step(close_request{id, exit_reason::manual});
    CHECK(c.result.ok());
    CHECK(c.result.position_id == id);
    CHECK_FALSE(c.result.already_closed);
    CHECK(s.pos(id).status == position_status::closing);
    CHECK(contains(c.dirty_positions, id));  // CLOSING is persisted before anything else
    auto q = queries(c);
    REQUIRE(q.size() == 1);
    CHECK(q[0].symbol == "BTCUSDT");
    CHECK(q[0].position_id == id);
    CHECK(placed(c).empty());
    CHECK(has_event(c, "position_updated"));

    output r = s.step(position_report{"BTCUSDT", d("0.004"), d("50000"), id});
    auto x = placed(r, order_kind::close);
    REQUIRE(x.size() == 1);
    CHECK(x[0].order.client_id == id + "-X");
    CHECK(x[0].order.type == order_type::market);
    CHECK(x[0].order.side == order_side::sell);
    CHECK(x[0].order.qty == d("0.004"));
    CHECK(x[0].reduce_only);
    CHECK(cancels(r).empty());  // TP/SL stay until the close fills

    // CLOSING: a second request changes nothing and sends nothing.
    output c2 = s.step(close_request{id, exit_reason::manual});
    CHECK(c2.result.ok());
    CHECK(c2.actions.empty());
    // A repeated report while -X is live: still one close order.
    CHECK(s.step(position_report{"BTCUSDT", d("0.004"), d("50000"), id}).actions.empty());

    output f = s.step(order_fill{id + "-X", "5", "x1", d("0.004"), d("50500"), d("0.0808"), true});
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::manual);
    CHECK(s.pos(id).pnl == d("1.8392"));  // 500 * 0.004 - 0.08 - 0.0808
    CHECK(cancels(f).size() == 2);
    CHECK(event_names(f) == std::vector<std::string>{"position_closed", "trade_recorded"});

    // CLOSED: already_closed, no exchange call.
    output c3 = s.step(close_request{id, exit_reason::manual});
    CHECK(c3.result.ok());
    CHECK(c3.result.already_closed);
    CHECK(c3.actions.empty());
    CHECK(c3.dirty_positions.empty());
}

TEST_CASE("twenty close requests in a row send exactly one close order", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    int xs = 0;
    int qs = 0;
    for (int i = 0; i < 20; ++i) {
        output c = s.step(close_request{id, exit_reason::manual});
        CHECK(c.result.ok());
        qs += static_cast<int>(queries(c).size());
        xs += close_orders(c);
        // The exchange still shows the position after every request.
        output r = s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
        xs += close_orders(r);
        if (i == 5) s.step(order_accepted{id + "-X", "99"});
        s.now += 10;
    }
    CHECK(qs == 1);
    CHECK(xs == 1);
    CHECK(s.pos(id).status == position_status::closing);
}

TEST_CASE("through the fake exchange a close goes query -> -X -> CLOSED", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.auto_exchange = true;
    s.tick("BTCUSDT", "50100", "50110");
    output o = s.run(close_request{id, exit_reason::manual});
    CHECK(close_orders(o) == 1);
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).exit_price == d("50100"));  // sold at the bid
    CHECK(s.amount["BTCUSDT"] == d("0"));
    CHECK(s.resting.empty());  // TP and SL were cancelled
    for (int i = 0; i < 19; ++i) {
        output again = s.run(close_request{id, exit_reason::manual});
        CHECK(again.result.already_closed);
        CHECK(again.actions.empty());
    }
}

TEST_CASE("race: the TP fills while CLOSING; the later flat report does nothing", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.step(close_request{id, exit_reason::manual});
    output tp = s.step(order_fill{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true});
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::take_profit);  // the order that filled decides
    CHECK(has_event(tp, "tp_filled"));
    output flat = s.step(position_report{"BTCUSDT", d("0"), {}, id});
    CHECK(flat.actions.empty());
    CHECK(flat.new_trades.empty());
    CHECK(flat.notifications.empty());
    CHECK(s.eng.trades().size() == 1);
}

TEST_CASE("race: the TP fills while our -X is live; -X is cancelled, its rejection ignored",
          "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.step(close_request{id, exit_reason::manual});
    s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    output tp = s.step(order_fill{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true});
    CHECK(s.pos(id).reason == exit_reason::take_profit);
    std::vector<std::string> cancelled;
    for (const auto& c : cancels(tp)) cancelled.push_back(c.client_id);
    CHECK(contains(cancelled, id + "-X"));
    CHECK(contains(cancelled, id + "-SL"));
    output rej = s.step(order_rejected{id + "-X", -2022, "ReduceOnly Order is rejected."});
    CHECK(rej.actions.empty());
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::take_profit);
}

TEST_CASE("reduce-only -2022: re-read; flat means closed, not an error", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.tick("BTCUSDT", "50900", "50910", "50900");  // +3.6: below the profit floor
    s.step(close_request{id, exit_reason::manual});
    s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    output rej = s.step(order_rejected{id + "-X", -2022, "ReduceOnly Order is rejected."});
    REQUIRE(queries(rej).size() == 1);  // read the exchange again
    CHECK(placed(rej).empty());
    CHECK(s.pos(id).status == position_status::closing);

    SECTION("flat: CLOSED (no fill seen: EXTERNAL at the mark)") {
        output flat = s.step(position_report{"BTCUSDT", d("0"), {}, id});
        CHECK(flat.result.ok());
        CHECK(s.pos(id).status == position_status::closed);
        CHECK(s.pos(id).reason == exit_reason::external);
        CHECK(s.pos(id).exit_price == d("50900"));
        CHECK(cancels(flat).size() == 2);  // leftover TP and SL
        REQUIRE(flat.new_trades.size() == 1);

        // The TP's own fill arrives late (user stream behind REST): it names the real exit.
        output late = s.step(order_fill{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true});
        CHECK(s.pos(id).reason == exit_reason::take_profit);
        CHECK(s.pos(id).exit_price == d("52500"));
        CHECK(s.pos(id).pnl == d("9.836"));
        REQUIRE(late.new_trades.size() == 1);
        CHECK(late.new_trades[0].trade_id == id + "-T");
        CHECK(late.new_trades[0].reason == exit_reason::take_profit);
        CHECK(s.eng.trades().size() == 1);
        CHECK(s.eng.trades()[0].reason == exit_reason::take_profit);
        CHECK(s.eng.state().daily_realized_pnl == d("9.836"));
        // ...and only once.
        output again = s.step(order_fill{id + "-SL", "8", "sl1", d("0.004"), d("49750"), d("0.08"), true});
        CHECK(again.new_trades.empty());
        CHECK(s.pos(id).reason == exit_reason::take_profit);
    }
    SECTION("still open after -2022: one more -X, only if none is live") {
        output r = s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
        CHECK(close_orders(r) == 1);
        CHECK(close_orders(s.step(position_report{"BTCUSDT", d("0.004"), {}, id})) == 0);
        s.step(order_fill{id + "-X", "9", "x2", d("0.004"), d("50890"), d("0.08"), true});
        CHECK(s.pos(id).reason == exit_reason::manual);
    }
}

TEST_CASE("a close order rejected for another reason returns the position to OPEN", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.step(close_request{id, exit_reason::manual});
    s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    output rej = s.step(order_rejected{id + "-X", -1003, "Too many requests."});
    CHECK(s.pos(id).status == position_status::open);
    CHECK(s.pos(id).reason == exit_reason::none);
    CHECK(rej.actions.empty());  // TP and SL are still resting
    REQUIRE(has_event(rej, "position_updated"));
    CHECK(rej.notifications.back().detail.find("-1003") != std::string::npos);
    // A new close request starts over.
    CHECK(queries(s.step(close_request{id, exit_reason::manual})).size() == 1);
}

TEST_CASE("close requested while OPENING waits for the entry, then closes", "[engine][close]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id =
        s.step(open_request{opportunity{"BTCUSDT", side::long_side, 1, "", t0, "exchange"}}).result.position_id;
    output c = s.step(close_request{id, exit_reason::manual});
    CHECK(c.result.ok());
    CHECK(c.actions.empty());
    CHECK(s.pos(id).status == position_status::closing);
    CHECK(s.step(close_request{id, exit_reason::manual}).actions.empty());
    output f = s.step(order_fill{id + "-E", "1", "e1", d("0.004"), d("50000"), d("0.08"), true});
    CHECK(placed(f).empty());  // no TP/SL for a position that is being closed
    REQUIRE(queries(f).size() == 1);
    CHECK(s.pos(id).entry_price == d("50000"));
    output r = s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    CHECK(close_orders(r) == 1);
    s.step(order_fill{id + "-X", "2", "x1", d("0.004"), d("49990"), d("0.08"), true});
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::manual);
    CHECK(s.pos(id).pnl == d("-0.2"));  // -10 * 0.004 - 0.16
}

TEST_CASE("a CLOSED or FAILED position answers already_closed", "[engine][close]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id =
        s.step(open_request{opportunity{"BTCUSDT", side::long_side, 1, "", t0, "exchange"}}).result.position_id;
    s.step(order_rejected{id + "-E", -4164, "notional too small"});
    output c = s.step(close_request{id, exit_reason::manual});
    CHECK(c.result.ok());
    CHECK(c.result.already_closed);
    CHECK(c.actions.empty());
}

TEST_CASE("a restored CLOSED position ignores fills; a restored OPEN one still closes", "[engine][close]") {
    sim first;
    const std::string id = open_btc_long(first);
    first.step(order_fill{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true});
    engine_snapshot snap{first.eng.state(), {}, {}, {first.eng.trades().begin(), first.eng.trades().end()}, {}};
    for (const auto& [pid, p] : first.eng.positions()) snap.positions.push_back(p);
    for (const auto& [cid, o] : first.eng.orders()) snap.orders.push_back(o);

    sim second;
    second.eng.restore(snap);
    second.auto_exchange = false;
    output o = second.step(order_fill{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true});
    CHECK(o.new_trades.empty());
    CHECK(second.pos(id).pnl == d("9.836"));
    CHECK(second.eng.state().daily_realized_pnl == d("9.836"));
    CHECK(second.eng.trades().size() == 1);

    // An OPEN position restored from a snapshot still closes on its SL fill.
    sim third;
    const std::string id3 = open_btc_long(third);
    engine_snapshot snap3{third.eng.state(), {third.pos(id3)}, {}, {}, {}};
    for (const auto& [cid, o3] : third.eng.orders()) snap3.orders.push_back(o3);
    sim fourth;
    fourth.eng.restore(snap3);
    fourth.auto_exchange = false;
    output f = fourth.step(order_fill{id3 + "-SL", "8", "sl1", d("0.004"), d("49750"), d("0.0796"), true});
    CHECK(fourth.pos(id3).reason == exit_reason::stop_loss);
    REQUIRE(cancels(f).size() == 1);
    CHECK(cancels(f)[0].client_id == id3 + "-TP");
}

TEST_CASE("a close the exchange keeps refusing as reduce-only is bounded and returns to OPEN",
          "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.step(close_request{id, exit_reason::manual});
    int xs = 0;
    output last;
    for (int i = 0; i < 5 && s.pos(id).status == position_status::closing; ++i) {
        last = s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
        xs += close_orders(last);
        if (close_orders(last) == 1) {
            output rej = s.step(order_rejected{id + "-X", -2022, "ReduceOnly Order is rejected."});
            CHECK(queries(rej).size() == 1);
        }
    }
    CHECK(xs == 3);
    CHECK(s.pos(id).status == position_status::open);
    CHECK(last.actions.empty());  // TP and SL are still resting: nothing to re-place
    REQUIRE(has_event(last, "position_updated"));
    CHECK(last.notifications.back().detail.find("3 times") != std::string::npos);
}

TEST_CASE("a protective order rejection while CLOSING does not start a second close", "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.step(close_request{id, exit_reason::manual});
    s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    s.resting.erase(id + "-SL");
    output c = s.step(order_canceled{id + "-SL"});  // not re-placed: the close is under way
    CHECK(c.actions.empty());
    CHECK(s.pos(id).status == position_status::closing);
}

TEST_CASE("the same events at the same times give the same output (replay)", "[engine][close]") {
    auto scenario = [](sim& s) {
        std::vector<std::string> trace;
        s.start();
        s.tick("BTCUSDT", "49990", "50000");
        s.tick("ETHUSDT", "2999", "3000");
        s.open("BTCUSDT", side::long_side);
        s.open("ETHUSDT", side::short_side);
        s.now += 1000;
        for (const auto& o : {s.tick("BTCUSDT", "51800", "51810", "51800"), s.run(emergency_stop_request{})}) {
            for (const auto& a : o.actions) {
                if (const auto* p = std::get_if<place_order>(&a)) trace.push_back("place " + p->order.client_id);
                if (const auto* c = std::get_if<cancel_order>(&a)) trace.push_back("cancel " + c->client_id);
                if (const auto* q = std::get_if<query_position>(&a)) trace.push_back("query " + q->position_id);
            }
            for (const auto& n : o.notifications) trace.emplace_back(n.event_name);
        }
        return trace;
    };
    sim a;
    sim b;
    const auto ta = scenario(a);
    CHECK(ta == scenario(b));
    CHECK(ta.size() > 10);
    CHECK(a.eng.trades().size() == 2);
    for (const auto& t : a.eng.trades()) CHECK(t.reason == exit_reason::emergency);
}

TEST_CASE("closed positions beyond the in-memory bound are forgotten oldest first", "[engine][close]") {
    sim s;
    s.start();
    std::string first;
    std::string last;
    for (int i = 0; i < 1003; ++i) {
        s.now += 1000;
        s.tick("BTCUSDT", "49990", "50000");
        last = s.open("BTCUSDT", side::long_side);
        if (i == 0) first = last;
        s.trigger(last + "-TP");
    }
    CHECK(s.eng.positions().size() == 1000);
    CHECK(s.eng.find_position(first) == nullptr);
    CHECK(s.eng.find_position(last) != nullptr);
    CHECK(s.eng.trades().size() == 1003);  // trades are history, all kept
    for (const auto& [cid, o] : s.eng.orders()) CHECK(s.eng.find_position(o.position_id) != nullptr);
}

TEST_CASE("an exit commission paid in BNB: fees in USDT, the raw BNB kept beside the entry's USDT",
          "[engine][close]") {
    sim s;
    const std::string id = open_btc_long(s);
    const traded::decimal entry_fees = s.pos(id).fees;
    REQUIRE(entry_fees.is_positive());
    order_fill tp{id + "-TP", "7", "tp1", d("0.004"), d("52500"), d("0.084"), true};
    tp.fee_asset = "BNB";
    tp.fee_amount = d("0.00014");  // 0.084 USDT at 600 USDT/BNB
    s.step(tp);
    REQUIRE(s.pos(id).status == position_status::closed);
    REQUIRE(s.eng.trades().size() == 1);
    const trade& t = s.eng.trades()[0];
    CHECK(t.fees == entry_fees + d("0.084"));
    CHECK(t.pnl == (d("52500") - s.pos(id).entry_price) * d("0.004") - t.fees);
    CHECK(t.commissions == std::vector<commission>{{"USDT", entry_fees}, {"BNB", d("0.00014")}});
    CHECK(s.pos(id).commissions == t.commissions);
}

TEST_CASE("commissions text round-trips and rejects malformed input", "[engine][close]") {
    std::vector<commission> c;
    CHECK(commissions_text(c).empty());
    add_commission(c, "", d("0.08"));
    add_commission(c, "BNB", d("0.0001"));
    add_commission(c, "USDT", d("0.02"));
    CHECK(commissions_text(c) == "USDT:0.1,BNB:0.0001");
    CHECK(parse_commissions(commissions_text(c)) == c);
    CHECK(parse_commissions("")->empty());
    CHECK_FALSE(parse_commissions("BNB"));
    CHECK_FALSE(parse_commissions(":1"));
    CHECK_FALSE(parse_commissions("BNB:x"));
}
