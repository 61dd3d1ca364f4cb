// `traded backtest` (SPEC §8) over real files: trades happen, two runs give byte-identical
// trades.csv and the same report.json apart from its timing fields, time comes from the events,
// and bad input exits 2 naming file:line with nothing written.

#include "backtest/backtest.hpp"
#include "backtest/cli.hpp"
#include "tests/unit/market/test_files.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <random>

using market_test::read_file;
using market_test::temp_dir;
using market_test::write_file;
using namespace traded;

namespace {

/// A seeded random walk of BTCUSDT's book, one row every 5-95 ms, in Binance's format.
std::string book_csv(int rows, unsigned seed, long long start_ms) {
    std::string s = std::string(market::book_ticker_header) + "\n";
    std::mt19937 rng(seed);
    std::normal_distribution<double> step(0, 12);
    long long bid = 970'000;  // tenths
    long long t = start_ms;
    for (int i = 0; i < rows; ++i) {
        bid += static_cast<long long>(std::lround(step(rng)));
        t += 5 + static_cast<long long>(rng() % 90);
        s += std::to_string(1000 + i) + "," + std::to_string(bid / 10) + "." + std::to_string(bid % 10) + ",1.5," +
             std::to_string((bid + 1) / 10) + "." + std::to_string((bid + 1) % 10) + ",2," + std::to_string(t - 1) +
             "," + std::to_string(t) + "\n";
    }
    return s;
}

/// A config that trades a lot on the walk above: small targets, a twitchy momentum strategy.
std::string config_yaml(const std::string& symbols = "[BTCUSDT, ETHUSDT]") {
    return "market:\n  symbols: " + symbols +
           "\npaper_trading:\n  stake_usd: 2000\n  primary_target_dollars: 2\n  absolute_floor_dollars: 1.4\n"
           "  stop_loss_percent: 0.1\nopportunities:\n  strategy: momentum\n"
           "  params: {lookback: 20, threshold_bps: 1, cooldown_ms: 20000}\n";
}

int run_cli(std::vector<std::string> args) {
    args.insert(args.begin(), "backtest");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return backtest::cli_main(static_cast<int>(argv.size()), argv.data());
}

boost::json::object without_timing(const std::string& report) {
    auto o = boost::json::parse(report).as_object();
    o.erase("elapsed_s");
    o.erase("events_per_second");
    return o;
}

}  // namespace

TEST_CASE("two backtest runs over the same files give byte-identical trades", "[backtest]") {
    temp_dir t;
    const auto cfg = write_file(t.file("traded.yaml"), config_yaml());
    const auto csv = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), book_csv(60000, 7, 1768435200000));
    const auto agg = write_file(t.file("ETHUSDT-aggTrades-2026-01-15.csv"),
                                std::string(market::agg_trades_header) +
                                    "\n1,3300.10,1,1,1,1768435200100,true\n2,3301.20,1,2,2,1768435260000,false\n");
    REQUIRE(run_cli({"--config", cfg, "--replay", csv, agg, "--out", t.file("a")}) == 0);
    REQUIRE(run_cli({"--config", cfg, "--replay", t.path.string(), "--out", t.file("b")}) == 0);  // the directory

    const auto trades = read_file(t.file("a/trades.csv"));
    CHECK(trades == read_file(t.file("b/trades.csv")));
    CHECK(without_timing(read_file(t.file("a/report.json"))) == without_timing(read_file(t.file("b/report.json"))));

    // Real trades, with times from the events (2026-01-15), not from the wall clock.
    auto report = boost::json::parse(read_file(t.file("a/report.json"))).as_object();
    const auto n = report["total_trades"].as_int64();
    CHECK(n >= 5);
    CHECK(report["events"].to_number<std::int64_t>() == 60002);
    const auto first = report["first_event_time"].to_number<std::int64_t>();
    CHECK(first > 1768435200000);  // the first row's event_time
    CHECK(first < 1768435200100);
    CHECK(report["by_symbol"].as_object().contains("BTCUSDT"));
    CHECK(report.contains("by_exit_reason"));
    CHECK(trades.rfind("trade_id,position_id,symbol,side,entry_price,exit_price,qty,pnl,pnl_pct,fees,exit_reason,"
                       "opened_at,closed_at\n",
                       0) == 0);
    CHECK(trades.find(",paper_17684") != std::string::npos);
    CHECK(static_cast<std::int64_t>(std::count(trades.begin(), trades.end(), '\n')) == n + 1);
}

TEST_CASE("backtest: exit reasons follow the paper engine's rules", "[backtest]") {
    temp_dir t;
    const auto cfg = write_file(t.file("traded.yaml"), config_yaml());
    const auto csv = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), book_csv(60000, 11, 1768435200000));
    auto loaded = config::load_file(cfg);
    REQUIRE(loaded.has_value());
    market::replay_stream s({csv}, {"BTCUSDT", "ETHUSDT"});
    auto r = backtest::run(*loaded, s);
    REQUIRE(r.ok());
    REQUIRE(!r.trades.empty());
    for (const auto& tr : r.trades) {
        CHECK(tr.closed_at >= tr.opened_at);
        CHECK(tr.opened_at >= r.first_event);
        CHECK(tr.closed_at <= r.last_event);
        const bool known = tr.reason == engine::exit_reason::take_profit || tr.reason == engine::exit_reason::stop_loss ||
                           tr.reason == engine::exit_reason::profit_floor || tr.reason == engine::exit_reason::stop;
        CHECK(known);
    }
}

TEST_CASE("backtest: bad input exits 2 naming file and line, and writes nothing", "[backtest]") {
    temp_dir t;
    const auto cfg = write_file(t.file("traded.yaml"), config_yaml());
    auto rows = book_csv(3000, 3, 1768435200000);
    rows += "9999,oops,1,2,1,1,1\n";
    const auto csv = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), rows);
    CHECK(run_cli({"--config", cfg, "--replay", csv, "--out", t.file("out")}) == 2);
    CHECK(!std::filesystem::exists(t.file("out")));

    auto loaded = config::load_file(cfg);
    REQUIRE(loaded.has_value());
    market::replay_stream s({csv}, {"BTCUSDT"});
    auto r = backtest::run(*loaded, s);
    CHECK(r.error == csv + ":3002: best_bid_price: expected a positive decimal");

    const auto sol = write_file(t.file("SOLUSDT-bookTicker-2026-01-15.csv"), book_csv(10, 3, 1768435200000));
    CHECK(run_cli({"--config", cfg, "--replay", sol, "--out", t.file("out")}) == 2);  // not in market.symbols
    CHECK(run_cli({"--config", cfg, "--replay", t.file("missing.csv"), "--out", t.file("out")}) == 2);
    CHECK(run_cli({"--config", t.file("nope.yaml"), "--replay", csv}) == 2);
    CHECK(run_cli({"--replay", csv}) == 2);
    CHECK(run_cli({"--config", cfg}) == 2);
    CHECK(run_cli({"--config", cfg, "--replay", csv, "--bogus"}) == 2);
    CHECK(!std::filesystem::exists(t.file("out")));
}
