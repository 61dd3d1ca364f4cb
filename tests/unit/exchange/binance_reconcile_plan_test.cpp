// The reconciliation planner (exchange/binance/reconcile_plan.*) stepped by hand: an exchange
// snapshot and an engine state in, the sweep's steps and report lines out. No sockets.
#include "exchange/binance/reconcile_plan.hpp"

#include "exchange/binance/port_logic.hpp"

#include <catch2/catch.hpp>

namespace bn = traded::binance;
namespace rc = traded::binance::reconcile;
namespace eng = traded::engine;
using traded::decimal;

namespace {

constexpr eng::millis t0 = 1'700'000'100'000;
const std::string pos_id = "live_1700000000000_BTCUSDT";
const std::string entry_id = pos_id + "-E";
const std::string tp_id = pos_id + "-TP";
const std::string sl_id = pos_id + "-SL";

decimal d(const char* s) { return *decimal::parse(s); }

eng::order_record order(const std::string& cid, eng::order_status st, eng::millis updated_at = t0 - 60'000) {
    eng::order_record o;
    o.client_id = cid;
    o.symbol = "BTCUSDT";
    o.status = st;
    o.updated_at = updated_at;
    return o;
}

eng::position position(eng::position_status st, eng::side s = eng::side::long_side) {
    eng::position p;
    p.position_id = pos_id;
    p.symbol = "BTCUSDT";
    p.status = st;
    p.pos_side = s;
    return p;
}

bn::position_row row(const char* symbol, const char* amount) {
    bn::position_row r;
    r.symbol = symbol;
    r.amount = d(amount);
    return r;
}

bn::order_info open_order(const std::string& cid) {
    bn::order_info o;
    o.symbol = "BTCUSDT";
    o.client_order_id = cid;
    return o;
}

bn::algo_order_info open_algo(const std::string& cid) {
    bn::algo_order_info a;
    a.symbol = "BTCUSDT";
    a.client_algo_id = cid;
    return a;
}

bool ours(const std::string& cid) { return cid.rfind("live_", 0) == 0; }

}  // namespace

TEST_CASE("reconcile plan: live orders open on the exchange are confirmed, the others looked up", "[binance][reconcile]") {
    rc::exchange_snapshot x;
    x.open_algos[tp_id] = open_algo(tp_id);
    std::map<std::string, eng::order_record> orders{
        {entry_id, order(entry_id, eng::order_status::filled)},  // not live: nothing to check
        {tp_id, order(tp_id, eng::order_status::accepted)},
        {sl_id, order(sl_id, eng::order_status::accepted)},
    };
    auto steps = rc::plan_orders(x, orders, {});
    REQUIRE(steps.size() == 2);
    CHECK(steps[0].client_id == sl_id);
    CHECK(steps[0].what == rc::order_step::kind::look_up);
    CHECK(steps[0].algo);
    CHECK(steps[1].client_id == tp_id);
    CHECK(steps[1].what == rc::order_step::kind::confirm_open);
    // A regular order is confirmed from the open orders, not the algo list.
    const std::string close_id = pos_id + "-C";
    orders[close_id] = order(close_id, eng::order_status::pending);
    x.open_orders[close_id] = open_order(close_id);
    steps = rc::plan_orders(x, orders, {});
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].client_id == close_id);
    CHECK(steps[0].what == rc::order_step::kind::confirm_open);
    CHECK_FALSE(steps[0].algo);
}

TEST_CASE("reconcile plan: an order a placement or cancel flow handles is left to it", "[binance][reconcile]") {
    rc::exchange_snapshot x;
    std::map<std::string, eng::order_record> orders{{tp_id, order(tp_id, eng::order_status::pending)}};
    CHECK(rc::plan_orders(x, orders, {tp_id}).empty());
    CHECK(rc::plan_orders(x, orders, {}).size() == 1);
}

TEST_CASE("reconcile plan: what a live order not found by its lookup means", "[binance][reconcile]") {
    SECTION("a TP/SL is reported canceled") {
        auto v = rc::on_missing(order(sl_id, eng::order_status::accepted), t0, 5'000, 0);
        CHECK(v.what == rc::missing_verdict::kind::canceled);
        CHECK(v.line == sl_id + ": not found on the exchange; reported as canceled");
    }
    SECTION("an entry still inside its window is awaited") {
        const eng::millis decided = t0 - 2'000;
        auto v = rc::on_missing(order(entry_id, eng::order_status::pending, decided), t0, 5'000, -200);
        CHECK(v.what == rc::missing_verdict::kind::await_entry);
        CHECK(v.final_at == bn::logic::entry_not_found_final_at(decided, 5'000, -200));
        CHECK(v.final_at > t0);
        CHECK(v.line.find(entry_id + ": entry order not on the exchange yet; it may still execute for ") == 0);
        CHECK(v.line.find("kept OPENING") != std::string::npos);
    }
    SECTION("an entry past its window fails the position") {
        const eng::millis decided = t0 - 60'000;
        auto v = rc::on_missing(order(entry_id, eng::order_status::pending, decided), t0, 5'000, 0);
        CHECK(v.what == rc::missing_verdict::kind::entry_failed);
        CHECK(v.line == entry_id + ": entry order not found on the exchange; the position fails");
    }
    CHECK(rc::found_line(tp_id, "") == tp_id + ": open on the exchange");
    CHECK(rc::found_line(tp_id, "FILLED") == tp_id + ": FILLED on the exchange");
}

TEST_CASE("reconcile plan: our orders left open for a position that is over are canceled", "[binance][reconcile]") {
    rc::exchange_snapshot x;
    x.open_algos[sl_id] = open_algo(sl_id);
    x.open_orders["web_123"] = open_order("web_123");  // placed by hand: never touched
    std::map<std::string, eng::order_record> orders{{sl_id, order(sl_id, eng::order_status::accepted)}};
    std::map<std::string, eng::position> positions;

    SECTION("position OPEN and its order live: kept") {
        positions[pos_id] = position(eng::position_status::open);
        auto plan = rc::plan_leftovers(x, positions, orders, ours, {});
        CHECK(plan.cancels.empty());
        CHECK(plan.unknown_positions.empty());
    }
    SECTION("position CLOSED: canceled") {
        positions[pos_id] = position(eng::position_status::closed);
        auto plan = rc::plan_leftovers(x, positions, orders, ours, {});
        REQUIRE(plan.cancels.size() == 1);
        CHECK(plan.cancels[0].client_id == sl_id);
        CHECK(plan.cancels[0].symbol == "BTCUSDT");
        CHECK(plan.cancels[0].line == sl_id + ": left open on the exchange for a CLOSED position; canceled");
    }
    SECTION("position OPEN but the engine no longer holds the order live: canceled") {
        positions[pos_id] = position(eng::position_status::open);
        orders[sl_id].status = eng::order_status::canceled;
        auto plan = rc::plan_leftovers(x, positions, orders, ours, {});
        REQUIRE(plan.cancels.size() == 1);
        CHECK(plan.cancels[0].line == sl_id + ": left open on the exchange for a OPEN position; canceled");
    }
    SECTION("a flow handles it: left alone") {
        positions[pos_id] = position(eng::position_status::failed);
        CHECK(rc::plan_leftovers(x, positions, orders, ours, {sl_id}).cancels.empty());
    }
    SECTION("it names a position the engine does not know: reported, not canceled") {
        auto plan = rc::plan_leftovers(x, positions, orders, ours, {});
        CHECK(plan.cancels.empty());
        REQUIRE(plan.unknown_positions.size() == 1);
        CHECK(plan.unknown_positions[0] == sl_id);
    }
}

TEST_CASE("reconcile plan: positions flat on the exchange are confirmed, CLOSING ones re-read", "[binance][reconcile]") {
    rc::exchange_snapshot x;
    x.positions = {row("BTCUSDT", "0"), row("ETHUSDT", "0.5")};
    std::map<std::string, eng::position> positions{{pos_id, position(eng::position_status::open)}};

    auto steps = rc::plan_positions(x, positions, {});
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].what == rc::position_step::kind::confirm_flat);
    CHECK(steps[0].position_id == pos_id);
    CHECK(rc::closed_outside_line(pos_id) == pos_id + ": flat on the exchange (closed outside traded); closing as EXTERNAL");
    // An order of ours in flight on the symbol: the reading may predate its fill.
    CHECK(rc::plan_positions(x, positions, {"BTCUSDT"}).empty());
    // The exchange holds it (long): nothing to do; the wrong side counts as flat for a long.
    x.positions[0].amount = d("0.004");
    CHECK(rc::plan_positions(x, positions, {}).empty());
    x.positions[0].amount = d("-0.004");
    CHECK(rc::plan_positions(x, positions, {}).size() == 1);
    // A short is held by a negative amount.
    positions[pos_id] = position(eng::position_status::open, eng::side::short_side);
    CHECK(rc::plan_positions(x, positions, {}).empty());
    // CLOSING: a fresh reading, whatever the snapshot says; OPENING / CLOSED / FAILED: nothing.
    positions[pos_id].status = eng::position_status::closing;
    steps = rc::plan_positions(x, positions, {});
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].what == rc::position_step::kind::query);
    for (auto st : {eng::position_status::opening, eng::position_status::closed, eng::position_status::failed}) {
        positions[pos_id].status = st;
        CHECK(rc::plan_positions(x, positions, {}).empty());
    }
}
