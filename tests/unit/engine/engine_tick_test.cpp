// Market ticks: a tick revalues the positions on its symbol and no others, whether they were
// opened here, restored from a snapshot or revived by a late entry fill; ended ones stay still.
#include "harness.hpp"

using traded::decimal;
using namespace traded::engine;
using namespace traded::engine::test;

namespace {
std::vector<std::string> updated_ids(const output& o) {
    std::vector<std::string> ids;
    for (const auto& n : o.notifications)
        if (n.event_name == "position_updated")
            if (const auto* p = std::get_if<position_ref>(&n.payload)) ids.push_back(p->pos->position_id);
    return ids;
}
}  // namespace

TEST_CASE("a tick revalues only the positions on its symbol", "[engine][tick]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999.99", "3000.01");
    const std::string btc = s.open("BTCUSDT", side::long_side);
    const std::string eth = s.open("ETHUSDT", side::short_side);
    const decimal btc_mark = s.pos(btc).mark_price;

    output o = s.tick("ETHUSDT", "2989.99", "2990.01");
    CHECK(updated_ids(o) == std::vector<std::string>{eth});
    CHECK(s.pos(eth).mark_price == d("2990"));
    CHECK(s.pos(eth).pnl.is_positive());  // short, price fell
    CHECK(s.pos(btc).mark_price == btc_mark);

    CHECK(updated_ids(s.tick("SOLUSDT", "100", "100.02")).empty());
    CHECK(updated_ids(s.tick("BTCUSDT", "50090", "50100")) == std::vector<std::string>{btc});
    CHECK(s.pos(btc).mark_price == d("50095"));
}

TEST_CASE("ticks reach restored and revived positions, not ended ones", "[engine][tick]") {
    sim first;
    first.start();
    first.tick("BTCUSDT", "49990", "50000");
    first.tick("ETHUSDT", "2999.99", "3000.01");
    const std::string btc = first.open("BTCUSDT", side::long_side);
    const std::string eth = first.open("ETHUSDT", side::long_side);
    // ETH closes on its take-profit: it must not move with later ticks.
    first.trigger(eth + "-TP");
    REQUIRE(first.pos(eth).status == position_status::closed);
    const decimal eth_exit_mark = first.pos(eth).mark_price;
    CHECK(updated_ids(first.tick("ETHUSDT", "2900", "2900.02")).empty());
    CHECK(first.pos(eth).mark_price == eth_exit_mark);

    engine_snapshot snap{first.eng.state(), {}, {}, {first.eng.trades().begin(), first.eng.trades().end()}, {}};
    for (const auto& [pid, p] : first.eng.positions()) snap.positions.push_back(p);
    for (const auto& [cid, o] : first.eng.orders()) snap.orders.push_back(o);
    sim second;
    second.eng.restore(snap);
    CHECK(updated_ids(second.tick("BTCUSDT", "50190", "50200")) == std::vector<std::string>{btc});
    CHECK(second.pos(btc).mark_price == d("50195"));
    CHECK(updated_ids(second.tick("ETHUSDT", "2800", "2800.02")).empty());

    // A FAILED entry that fills after all is live again and gets ticks.
    sim third;
    third.auto_exchange = false;
    third.start();
    third.tick("SOLUSDT", "99.99", "100.01");
    const std::string sol = third.step(open_request{opportunity{"SOLUSDT", side::long_side, 1.0, "t", t0}})
                                .result.position_id;
    third.step(order_canceled{sol + "-E"});
    REQUIRE(third.pos(sol).status == position_status::failed);
    CHECK(updated_ids(third.tick("SOLUSDT", "101", "101.02")).empty());
    third.step(order_fill{sol + "-E", "1", "late", d("2"), d("100"), d("0.08"), true});
    REQUIRE(third.pos(sol).status == position_status::open);
    CHECK(updated_ids(third.tick("SOLUSDT", "102", "102.02")) == std::vector<std::string>{sol});
    CHECK(third.pos(sol).mark_price == d("102.01"));
}
