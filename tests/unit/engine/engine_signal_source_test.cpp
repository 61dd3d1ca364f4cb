// Signals follow prices (SPEC §1): the real engine acts only on signals computed from the
// exchange's own prices, or manual ones; and a symbol whose quote is too old blocks new entries
// on it (SPEC §8, MARKET_DATA_STALE) while the other symbols keep trading.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
open_request idea(const std::string& symbol, std::string source) {
    return open_request{opportunity{symbol, side::long_side, 1.0, "test", t0, std::move(source)}};
}
}  // namespace

TEST_CASE("the real engine refuses signals from synthetic, replayed or unlabeled prices", "[engine][open][source]") {
    engine_config c = paper_config();
    c.engine_mode = mode::real;
    sim s(c);
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    for (const std::string src : {"synthetic", "replay", ""}) {
        INFO("source '" << src << "'");
        output o = s.run(idea("BTCUSDT", src));
        CHECK(o.result.code == "SIGNAL_SOURCE");
        CHECK(o.result.http_status == 409);
        CHECK(o.actions.empty());
        CHECK(s.eng.positions().empty());
    }
    CHECK(s.run(idea("BTCUSDT", "exchange")).result.ok());
    s.tick("ETHUSDT", "2999", "3000");
    CHECK(s.run(idea("ETHUSDT", "manual")).result.ok());
}

TEST_CASE("the paper engine takes signals from any source", "[engine][open][source]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    CHECK(s.run(idea("BTCUSDT", "synthetic")).result.ok());
    CHECK(s.run(idea("ETHUSDT", "replay")).result.ok());
}

TEST_CASE("a stale symbol blocks entries on it only, and shows in safety", "[engine][open][staleness]") {
    engine_config c = paper_config();
    c.max_staleness_ms = 5000;
    sim s(c);
    s.start();
    // No quote yet: every symbol is stale, nothing can open.
    auto safety = s.eng.safety(s.now);
    CHECK(safety.stale_symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"});
    CHECK_FALSE(safety.can_open_new);

    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    s.now += 4000;
    s.tick("ETHUSDT", "2999", "3000");  // ETH keeps quoting, BTC goes quiet
    s.now += 1500;                       // BTC's last quote is now 5.5 s old
    safety = s.eng.safety(s.now);
    CHECK(safety.stale_symbols == std::vector<std::string>{"BTCUSDT", "SOLUSDT"});
    CHECK(std::find(safety.blocked_reasons.begin(), safety.blocked_reasons.end(), "MARKET_DATA_STALE:BTCUSDT") !=
          safety.blocked_reasons.end());
    CHECK(safety.can_open_new);  // ETH is fresh

    output o = s.run(idea("BTCUSDT", "exchange"));
    CHECK(o.result.code == "MARKET_DATA_STALE");
    CHECK(o.result.http_status == 409);
    CHECK(o.actions.empty());
    CHECK(s.run(idea("ETHUSDT", "exchange")).result.ok());

    // A fresh quote unblocks the symbol.
    s.tick("BTCUSDT", "49990", "50000");
    CHECK(s.run(idea("BTCUSDT", "exchange")).result.ok());
}
