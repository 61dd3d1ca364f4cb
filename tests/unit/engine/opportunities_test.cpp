#include "engine/opportunities.hpp"

#include "harness.hpp"

using namespace traded::engine;
using traded::decimal;
using traded::engine::test::d;

namespace {
quote at(const char* mid) {
    return quote{d(mid), d(mid), d(mid), 0};
}
opportunity_config momentum(int lookback, double bps, int cooldown) {
    return opportunity_config{"momentum", lookback, bps, cooldown};
}
}  // namespace

TEST_CASE("momentum fires LONG on a rise over the window", "[opportunities]") {
    opportunity_manager m(momentum(3, 8, 30'000));
    CHECK_FALSE(m.on_tick("BTCUSDT", at("50000"), 0));
    CHECK_FALSE(m.on_tick("BTCUSDT", at("50010"), 100));  // window not full yet
    auto o = m.on_tick("BTCUSDT", at("50050"), 200);      // +10 bps over 3 ticks
    REQUIRE(o.has_value());
    CHECK(o->symbol == "BTCUSDT");
    CHECK(o->opp_side == side::long_side);
    CHECK(o->score == Approx(10.0));
    CHECK(o->reason == "momentum +10.0 bps over 3 ticks");
    CHECK(o->ts == 200);
    REQUIRE(m.recent().size() == 1);
    CHECK(m.recent().back().reason == o->reason);
}

TEST_CASE("momentum fires SHORT on a fall and ignores small moves", "[opportunities]") {
    opportunity_manager m(momentum(2, 8, 0));
    CHECK_FALSE(m.on_tick("ETHUSDT", at("3000"), 0));
    CHECK_FALSE(m.on_tick("ETHUSDT", at("2998"), 1));  // -6.7 bps: below the threshold
    auto o = m.on_tick("ETHUSDT", at("2995"), 2);      // 2998 -> 2995: -10 bps
    REQUIRE(o.has_value());
    CHECK(o->opp_side == side::short_side);
    CHECK(o->score == Approx(10.0067).epsilon(0.001));
    CHECK(o->reason.rfind("momentum -10.0 bps", 0) == 0);
}

TEST_CASE("momentum respects the per-symbol cooldown", "[opportunities]") {
    opportunity_manager m(momentum(2, 8, 30'000));
    m.on_tick("BTCUSDT", at("50000"), 0);
    REQUIRE(m.on_tick("BTCUSDT", at("50100"), 1000));
    // Still rising strongly, but within the cooldown: quiet.
    CHECK_FALSE(m.on_tick("BTCUSDT", at("50200"), 2000));
    CHECK_FALSE(m.on_tick("BTCUSDT", at("50300"), 30'999));
    // Another symbol has its own cooldown.
    m.on_tick("ETHUSDT", at("3000"), 2000);
    CHECK(m.on_tick("ETHUSDT", at("3010"), 3000));
    // After the cooldown BTC fires again.
    CHECK(m.on_tick("BTCUSDT", at("50400"), 31'000));
    CHECK(m.recent().size() == 3);
}

TEST_CASE("strategy none produces nothing; manual ones are recorded, bounded", "[opportunities]") {
    opportunity_manager m(opportunity_config{"none", 2, 1, 0});
    m.on_tick("BTCUSDT", at("50000"), 0);
    CHECK_FALSE(m.on_tick("BTCUSDT", at("60000"), 1));
    CHECK(m.recent().empty());
    for (int i = 0; i < 150; ++i)
        m.record(opportunity{"BTCUSDT", side::long_side, 0, "manual " + std::to_string(i), i, "manual"});
    REQUIRE(m.recent().size() == opportunity_manager::recent_capacity);
    CHECK(m.recent().front().reason == "manual 50");
    CHECK(m.recent().back().reason == "manual 149");
    CHECK(known_strategy("momentum"));
    CHECK(known_strategy("none"));
    CHECK_FALSE(known_strategy("martingale"));
}
