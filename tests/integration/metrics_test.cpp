// /metrics of the real daemon, checked by the tools an operator's Prometheus setup uses:
// `promtool check metrics` (Debian `prometheus`) and the official Python client's parser
// (Debian `python3-prometheus-client`), both installed by scripts/test. Paper trading on the
// synthetic market, then real trading against traded-sim (REST round trips, streams).

#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <thread>

using namespace traded::test;

namespace {

/// Runs a shell command; returns its exit status and its output (stdout + stderr).
std::pair<int, std::string> run(const std::string& cmd, const std::string& out_file) {
    const int rc = std::system((cmd + " >" + out_file + " 2>&1").c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_file(out_file)};
}

/// Scrapes /metrics into a file and runs both checkers on it; `families` are "name:type" that
/// must be present.
void check_scrape(daemon_fixture& d, const std::string& dir, const std::string& families) {
    auto m = d.get("/metrics");
    REQUIRE(m.status == 200);
    CHECK(m.headers["Content-Type"].find("text/plain; version=0.0.4") == 0);
    const std::string file = dir + "/scrape.txt";
    write_file(file, m.body);
    INFO("scrape:\n" << m.body);

    auto [prc, pout] = run("promtool check metrics <" + file, dir + "/promtool.out");
    INFO("promtool check metrics: " << pout);
    CHECK(prc == 0);
    CHECK(pout.empty());  // no lint findings either

    auto [yrc, yout] = run("/usr/bin/python3 " TRADED_SOURCE_DIR "/tests/integration/metrics_check.py " + file + " " +
                               families,
                           dir + "/python.out");
    INFO("prometheus_client parse: " << yout);
    CHECK(yrc == 0);
    CHECK(yout.rfind("ok", 0) == 0);
}

double sample(const std::string& text, const std::string& series) {
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("metrics: paper trading scrape passes promtool and the Prometheus client parser", "[integration][metrics]") {
    daemon_fixture d;
    const auto dir = make_temp_dir("traded-metrics");
    // An entry with its TP/SL, so order counters and latency histograms have samples.
    auto a = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"paper-trading"})");
    REQUIRE(a.status == 200);
    REQUIRE(eventually([&] { return d.get("/metrics").body.find("kind=\"TAKE_PROFIT\",result=\"accepted\"") != std::string::npos; }));

    check_scrape(d, dir,
                 "traded_orders_total:counter traded_open_positions:gauge traded_daily_realized_pnl:gauge "
                 "traded_emergency_latched:gauge traded_daily_loss_limit_hit:gauge "
                 "traded_tick_to_decision_seconds:histogram traded_decision_to_wire_seconds:histogram "
                 "traded_store_commit_seconds:histogram traded_market_staleness_seconds:gauge "
                 "traded_last_event_age_seconds:gauge traded_ws_clients:gauge traded_http_requests_total:counter "
                 "traded_market_ticks_total:counter traded_build_info:gauge");

    const auto text = d.get("/metrics").body;
    CHECK(sample(text, "traded_open_positions{mode=\"paper-trading\"}") == 1);
    CHECK(sample(text, "traded_orders_total{mode=\"paper-trading\",kind=\"ENTRY\",result=\"filled\"}") == 1);
    CHECK(sample(text, "traded_emergency_latched{mode=\"paper-trading\"}") == 0);
    CHECK(sample(text, "traded_decision_to_wire_seconds_count{mode=\"paper-trading\"}") >= 3);  // E, TP, SL
    CHECK(sample(text, "traded_tick_to_decision_seconds_count{mode=\"paper-trading\"}") > 0);
    // Synthetic ticks every 250 ms: fresh.
    CHECK(sample(text, "traded_market_staleness_seconds{mode=\"paper-trading\",symbol=\"BTCUSDT\"}") < 2);
    CHECK(text.find("\nhttp_requests_total") == std::string::npos);  // the old unprefixed names are gone

    // The latch shows at once after an emergency stop.
    REQUIRE(d.post("/api/v1/paper-trading/emergency-stop").status == 200);
    CHECK(sample(d.get("/metrics").body, "traded_emergency_latched{mode=\"paper-trading\"}") == 1);
    remove_tree(dir);
}

TEST_CASE("metrics: real trading against traded-sim shows REST round trips and streams", "[integration][metrics][real]") {
    sim_fixture sim;
    auto d = make_real_daemon(sim);
    auto a = start_real(*d);
    INFO(a.body << "\n" << d->proc().log());
    REQUIRE(a.status == 200);
    const auto dir = make_temp_dir("traded-metrics-real");
    REQUIRE(eventually([&] {
        return sample(d->get("/metrics").body, "traded_user_stream_connected{mode=\"real-trading\"}") == 1;
    }));
    check_scrape(*d, dir,
                 "traded_order_round_trip_seconds:histogram traded_exchange_requests_total:counter "
                 "traded_rate_limit_weight_total:counter traded_user_stream_connected:gauge "
                 "traded_exchange_connected:gauge traded_stream_reconnects_total:counter");
    const auto text = d->get("/metrics").body;
    CHECK(text.find("traded_order_round_trip_seconds_count{endpoint=\"GET /fapi/v1/exchangeInfo\"}") != std::string::npos);
    CHECK(sample(text, "traded_rate_limit_weight_total") > 0);
    CHECK(sample(text, "traded_exchange_connected{mode=\"real-trading\"}") == 1);
    remove_tree(dir);
}
