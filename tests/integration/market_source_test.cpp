// The market-data layer end to end (SPEC §1 Opportunities, §8): the real `traded` binary with
// real trading enabled against the real `traded-sim` on loopback. Signals follow prices: a
// strategy computed on the synthetic market trades paper only, and not one order reaches the
// exchange from it; `start` waits for a connection that is still being established.

#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

using namespace traded::test;

namespace {

void sim_credentials() {
    ::setenv("SIM_API_KEY", sim_api_key, 1);
    ::setenv("SIM_API_SECRET", sim_api_secret, 1);
}

std::size_t count_source(const json::array& opps, const std::string& source) {
    std::size_t n = 0;
    for (const auto& o : opps)
        if (o.at("source").as_string() == source) ++n;
    return n;
}

}  // namespace

TEST_CASE("market: on a synthetic market with real trading running, momentum trades paper and sends no order to the exchange",
          "[integration][market]") {
    sim_fixture sim;
    sim_credentials();
    // A momentum strategy that fires on nearly every synthetic tick (2-tick window, 0.5 bps, no
    // cooldown) and paper rules that close positions within seconds, so entries keep coming.
    const std::string yaml = sim.exchange_yaml() +
                             "market:\n  source: synthetic\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                             "  synthetic: {seed: 7, interval_ms: 20, volatility_bps: 40}\n"
                             "paper_trading:\n  stake_usd: 200.0\n  max_positions: 20\n  primary_target_dollars: 0.4\n"
                             "  absolute_floor_dollars: 0.3\n  stop_loss_percent: 0.05\n  max_daily_loss: 100000.0\n"
                             "real_trading:\n  enabled: true\n  stake_usd: 200.0\n  max_positions: 3\n"
                             "  max_daily_loss: 100.0\n"
                             "opportunities:\n  strategy: momentum\n  params: {lookback: 2, threshold_bps: 0.5, cooldown_ms: 0}\n";
    daemon_fixture d(yaml);
    auto started = start_real(d);
    INFO("start -> " << started.status << " " << started.body << "\nlog:\n" << d.proc().log());
    REQUIRE(started.status == 200);
    REQUIRE(d.data("/api/v1/real-trading/status").at("running").as_bool());

    // Paper trades on the synthetic signals.
    json::array paper_trades;
    json::array opps;
    bool traded = eventually(
        [&] {
            paper_trades = d.data("/api/v1/paper-trading/trades?limit=100").as_array();
            opps = d.data("/api/v1/opportunities").as_array();
            return paper_trades.size() >= 5 && count_source(opps, "synthetic") >= 20;
        },
        std::chrono::milliseconds(30000));
    INFO("paper trades " << paper_trades.size() << ", opportunities " << json::serialize(opps));
    REQUIRE(traded);
    // Every generated signal says where it came from, and here that is the synthetic market.
    CHECK(count_source(opps, "synthetic") == opps.size());
    const auto real_status = d.data("/api/v1/real-trading/status");
    INFO("real status: " << json::serialize(real_status));
    CHECK(real_status.at("running").as_bool());
    CHECK(real_status.at("market").at("source") == "exchange");
    CHECK(d.data("/api/v1/paper-trading/status").at("market").at("source") == "synthetic");

    // The real engine kept running the whole time, and acted on none of them.
    CHECK(d.data("/api/v1/real-trading/positions").as_array().empty());
    CHECK(d.data("/api/v1/real-trading/trades").as_array().empty());
    const auto st = sim.state();
    INFO("sim orderLog: " << json::serialize(st.at("orderLog")));
    CHECK(st.at("orderLog").as_array().empty());
    CHECK(st.at("accounts").at(0).at("positions").as_array().empty());

    // The operator's own decision still reaches real trading (SPEC §1: manual opportunities).
    auto manual = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"real-trading"})");
    INFO(manual.body);
    REQUIRE(manual.status == 200);
    CHECK(manual.json().at("data").at("opportunity").at("source") == "manual");
    CHECK(manual.json().at("data").at("results").at(0).at("accepted").as_bool());
    CHECK(eventually([&] { return !sim.state().at("orderLog").as_array().empty(); }));
}

TEST_CASE("market: start sent right after /healthz first answers waits for the exchange connection and succeeds",
          "[integration][market]") {
    sim_fixture sim;
    // The fixture returns as soon as /healthz first answers: the exchange connection (time sync,
    // exchangeInfo, account checks, user stream, reconciliation) is still being established.
    auto d = make_real_daemon(sim);
    const auto t0 = std::chrono::steady_clock::now();
    auto a = d->post("/api/v1/real-trading/start", "{}");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    INFO("start -> " << a.status << " " << a.body << " after " << took.count() << " ms\nlog:\n" << d->proc().log());
    CHECK(a.status == 200);
    CHECK(took.count() < 10000);  // exchange.connect_timeout_ms
    CHECK(d->data("/api/v1/real-trading/status").at("running").as_bool());
}
