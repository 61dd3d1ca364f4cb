#include "engine/exit_rules.hpp"

#include "harness.hpp"

using namespace traded::engine;
using traded::decimal;
using traded::engine::test::d;

TEST_CASE("take-profit price meets the dollar target after rounding", "[exit_rules]") {
    // 0.004 BTC from 50000: +10 USD needs +2500 exactly.
    CHECK(tp_price(side::long_side, d("50000"), d("0.004"), d("10"), d("0.10")) == d("52500"));
    CHECK(tp_price(side::short_side, d("50000"), d("0.004"), d("10"), d("0.10")) == d("47500"));
    // 0.003 BTC: +10 needs +3333.33...; LONG rounds UP, SHORT rounds DOWN to the tick.
    CHECK(tp_price(side::long_side, d("50000"), d("0.003"), d("10"), d("0.10")) == d("53333.4"));
    CHECK(tp_price(side::short_side, d("50000"), d("0.003"), d("10"), d("0.10")) == d("46666.6"));
    for (auto s : {side::long_side, side::short_side}) {
        decimal p = tp_price(s, d("3012.37"), d("0.066"), d("10"), d("0.01"));
        CHECK(p.is_multiple_of(d("0.01")));
        CHECK(unrealized_pnl(s, d("3012.37"), p, d("0.066")) >= d("10"));
        // One tick closer to the entry would miss the target.
        decimal closer = s == side::long_side ? p - d("0.01") : p + d("0.01");
        CHECK(unrealized_pnl(s, d("3012.37"), closer, d("0.066")) < d("10"));
    }
    CHECK(tp_price(side::long_side, d("50000"), d("0"), d("10"), d("0.10")) == d("0"));
}

TEST_CASE("stop-loss price is entry times one minus/plus percent, nearest tick", "[exit_rules]") {
    CHECK(sl_price(side::long_side, d("50000"), d("0.5"), d("0.10")) == d("49750"));
    CHECK(sl_price(side::short_side, d("50000"), d("0.5"), d("0.10")) == d("50250"));
    // 3012.37 * 0.995 = 2997.30815 -> 2997.31; * 1.005 = 3027.43185 -> 3027.43
    CHECK(sl_price(side::long_side, d("3012.37"), d("0.5"), d("0.01")) == d("2997.31"));
    CHECK(sl_price(side::short_side, d("3012.37"), d("0.5"), d("0.01")) == d("3027.43"));
}

TEST_CASE("profit floor price still locks in the floor", "[exit_rules]") {
    CHECK(floor_price(side::long_side, d("50000"), d("0.004"), d("7"), d("0.10")) == d("51750"));
    CHECK(floor_price(side::short_side, d("50000"), d("0.004"), d("7"), d("0.10")) == d("48250"));
    // 7 / 0.003 = 2333.33..: LONG 52333.4 (ceil), SHORT 47666.6 (floor).
    CHECK(floor_price(side::long_side, d("50000"), d("0.003"), d("7"), d("0.10")) == d("52333.4"));
    CHECK(floor_price(side::short_side, d("50000"), d("0.003"), d("7"), d("0.10")) == d("47666.6"));
    CHECK(unrealized_pnl(side::short_side, d("50000"), d("47666.6"), d("0.003")) >= d("7"));
}

TEST_CASE("unrealized pnl sign follows the side", "[exit_rules]") {
    CHECK(unrealized_pnl(side::long_side, d("100"), d("110"), d("2")) == d("20"));
    CHECK(unrealized_pnl(side::short_side, d("100"), d("110"), d("2")) == d("-20"));
    CHECK(unrealized_pnl(side::short_side, d("100"), d("90"), d("2")) == d("20"));
}
