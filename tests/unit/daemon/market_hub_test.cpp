// Which engines a strategy signal may reach (SPEC §1): real money only on the exchange's own
// prices; paper on whatever market.source it trades on.
#include "daemon/market_hub.hpp"

#include <catch2/catch.hpp>

using traded::daemon::parse_source_kind;
using traded::daemon::signal_targets;
using traded::engine::mode;
using traded::market::source_kind;
using modes = std::vector<mode>;

TEST_CASE("signal targets follow the prices a signal was computed from", "[market][daemon]") {
    // Real trading enabled, paper on the synthetic market: synthetic signals go to paper only.
    CHECK(signal_targets(source_kind::synthetic, source_kind::synthetic, true) == modes{mode::paper});
    CHECK(signal_targets(source_kind::exchange, source_kind::synthetic, true) == modes{mode::real});
    // Both on the exchange streams: the same signal reaches both.
    CHECK(signal_targets(source_kind::exchange, source_kind::exchange, true) == modes{mode::real, mode::paper});
    // Replay never reaches real money, whatever else is configured.
    CHECK(signal_targets(source_kind::replay, source_kind::replay, true) == modes{mode::paper});
    CHECK(signal_targets(source_kind::replay, source_kind::synthetic, true).empty());
    // Real trading disabled: paper only.
    CHECK(signal_targets(source_kind::exchange, source_kind::exchange, false) == modes{mode::paper});
    CHECK(signal_targets(source_kind::synthetic, source_kind::exchange, false).empty());
}

TEST_CASE("market.source names parse; unknown ones do not", "[market][daemon]") {
    CHECK(parse_source_kind("synthetic") == source_kind::synthetic);
    CHECK(parse_source_kind("exchange") == source_kind::exchange);
    CHECK(parse_source_kind("replay") == source_kind::replay);
    CHECK_FALSE(parse_source_kind("binance"));
    CHECK_FALSE(parse_source_kind(""));
}
