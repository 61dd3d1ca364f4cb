// Recording and replay end to end (SPEC §8): the real `traded` binary paper trading on the real
// `traded-sim`'s public streams with `market.record_dir` set, then the same recording replayed by
// `traded backtest` and by a daemon on `market.source: replay`: the replayed prices drive paper to
// the same trades (symbol, side, qty, exit reason, entry and exit prices) as the live run did.
// Also: a bad replay file names file and line, trades nothing, and the daemon stays up.

#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace traded::test;
namespace fs = std::filesystem;

namespace {

double num(const json::value& v) {
    if (v.is_string()) return std::stod(std::string(v.as_string()));
    return v.to_number<double>();
}

/// What must be equal between the live run and a replay of its recording.
struct trade_row {
    std::string symbol;
    std::string side;
    double qty = 0;
    double entry = 0;
    double exit = 0;
    std::string reason;
    bool operator<(const trade_row& o) const { return std::tie(symbol, side, entry) < std::tie(o.symbol, o.side, o.entry); }
};

std::ostream& operator<<(std::ostream& os, const trade_row& t) {
    return os << fmt::format("{} {} qty {} entry {} exit {} {}", t.symbol, t.side, t.qty, t.entry, t.exit, t.reason);
}

std::vector<trade_row> api_trades(daemon_fixture& d) {
    std::vector<trade_row> out;
    const auto all = d.data("/api/v1/paper-trading/trades?limit=100");
    for (const auto& t : all.as_array())
        out.push_back({std::string(t.at("symbol").as_string()), std::string(t.at("side").as_string()), num(t.at("qty")),
                       num(t.at("entry_price")), num(t.at("exit_price")), std::string(t.at("exit_reason").as_string())});
    std::sort(out.begin(), out.end());
    return out;
}

/// trades.csv of `traded backtest`: trade_id,position_id,symbol,side,entry_price,exit_price,qty,...,exit_reason,...
std::vector<trade_row> csv_trades(const std::string& text) {
    std::vector<trade_row> out;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
        REQUIRE(f.size() == 13);
        out.push_back({f[2], f[3], std::stod(f[6]), std::stod(f[4]), std::stod(f[5]), f[10]});
    }
    std::sort(out.begin(), out.end());
    return out;
}

void check_same(const std::vector<trade_row>& live, const std::vector<trade_row>& replayed) {
    std::ostringstream both;
    both << "live:\n";
    for (const auto& t : live) both << "  " << t << "\n";
    both << "replayed:\n";
    for (const auto& t : replayed) both << "  " << t << "\n";
    INFO(both.str());
    REQUIRE(replayed.size() == live.size());
    for (std::size_t i = 0; i < live.size(); ++i) {
        CHECK(replayed[i].symbol == live[i].symbol);
        CHECK(replayed[i].side == live[i].side);
        CHECK(replayed[i].reason == live[i].reason);
        CHECK(replayed[i].qty == Approx(live[i].qty).epsilon(1e-12));
        CHECK(replayed[i].entry == Approx(live[i].entry).epsilon(1e-12));
        CHECK(replayed[i].exit == Approx(live[i].exit).epsilon(1e-12));
    }
}

/// Runs the `traded` binary with `args` (no spaces in them); returns its exit code, its output in `out`.
int run_traded(const std::vector<std::string>& args, const std::string& log_file, std::string& out) {
    std::string cmd = TRADED_BIN;
    for (const auto& a : args) cmd += " " + a;
    cmd += " >" + log_file + " 2>&1";
    const int status = std::system(cmd.c_str());
    out = read_file(log_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double metric(const std::string& text, const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + name.size() + 2));
}

// Strategy and rules shared by the live run and the replays: momentum over two ticks fires on a
// 40 bps move of the mid; the TP (1.5 USDT on ~550-600 USDT notional, < 30 bps) and the SL (0.3%) are
// reached by moves below that threshold, so each price step below causes exactly one thing.
const std::string rules =
    "paper_trading:\n  stake_usd: 600.0\n  leverage: 3\n  max_positions: 3\n  pure_3_rule_mode: true\n"
    "  primary_target_dollars: 1.5\n  absolute_floor_dollars: 1.2\n  stop_loss_percent: 0.3\n"
    "  slippage_bps: 1.0\n  taker_fee: 0.0004\n  max_daily_loss: 1000.0\n"
    "opportunities:\n  strategy: momentum\n  params: {lookback: 2, threshold_bps: 40, cooldown_ms: 0}\n";

}  // namespace

TEST_CASE("market: a recording of a live paper run replays (backtest and daemon) to the same trades",
          "[integration][market]") {
    sim_fixture sim;
    const std::string rec_dir = make_temp_dir("traded-rec");
    const std::string out_dir = make_temp_dir("traded-bt");
    std::vector<trade_row> live;
    std::string config_copy = out_dir + "/live.yaml";
    {
        const std::string yaml = sim.exchange_yaml() + "market:\n  source: exchange\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                                 "  record_dir: " + rec_dir + "\n" + rules;
        daemon_fixture d(yaml);
        // Every symbol quoted on the live streams (prices move only when set: set them until seen).
        REQUIRE(eventually(
            [&] {
                sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
                sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
                sim.set_price("SOLUSDT", "150.00", "150.01", "150.00");
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                const auto m = d.data("/api/v1/paper-trading/status").at("market");
                for (const auto& [sym, age] : m.at("quote_age_ms").as_object())
                    if (age.is_null()) return false;
                return m.at("connected").as_bool() && m.at("stale_symbols").as_array().empty();
            },
            std::chrono::milliseconds(15000)));
        auto positions = [&] { return d.data("/api/v1/paper-trading/positions").as_array(); };
        auto trades = [&] { return d.data("/api/v1/paper-trading/trades").as_array().size(); };
        // On failure: what the engine did, and the daemon's log.
        auto need = [&](bool ok, const char* what) {
            if (ok) return;
            FAIL(what << "\npositions " << json::serialize(d.data("/api/v1/paper-trading/positions")) << "\ntrades "
                      << json::serialize(d.data("/api/v1/paper-trading/trades")) << "\nopportunities "
                      << json::serialize(d.data("/api/v1/opportunities")) << "\nlog:\n" << d.proc().log());
        };

        // The simulator streams a price change as bookTicker, then markPrice: the mark of an entry
        // step is moved first, alone, so no entry ever meets a mark from before the step (the
        // paper SL would trigger at once on it, live or replayed, depending on message timing).
        sim.set_price("BTCUSDT", "50000.0", "50000.1", "50250.0");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        // BTC +50 bps: LONG. Then +30 bps (below the signal threshold): the mark reaches the TP.
        sim.set_price("BTCUSDT", "50250.0", "50250.1", "50250.0");
        need(eventually([&] { return positions().size() == 1; }), "one position");
        const auto btc = positions().at(0);
        INFO("btc position " << json::serialize(btc));
        REQUIRE(btc.at("side") == "LONG");
        REQUIRE(eventually([&] { return num(positions().at(0).at("tp_price")) > 0; }));
        sim.set_price("BTCUSDT", "50400.0", "50400.1", "50400.0");
        need(eventually([&] { return trades() == 1; }), "one trade");

        // ETH -50 bps: SHORT. Then +35 bps (below the threshold): the mark passes the SL.
        sim.set_price("ETHUSDT", "3000.00", "3000.01", "2985.00");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sim.set_price("ETHUSDT", "2985.00", "2985.01", "2985.00");
        need(eventually([&] { return positions().size() == 1; }), "one position");
        REQUIRE(eventually([&] { return num(positions().at(0).at("sl_price")) > 0; }));
        sim.set_price("ETHUSDT", "2995.50", "2995.51", "2995.50");
        need(eventually([&] { return trades() == 2; }), "two trades");
        // A last second of quiet prices so both trades' fills are followed by more recorded ticks.
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        live = api_trades(d);
        need(live.size() == 2 && live[0].reason == "TAKE_PROFIT" && live[1].reason == "STOP_LOSS", "TP then SL");
        CHECK(live[0].reason == "TAKE_PROFIT");
        CHECK(live[1].reason == "STOP_LOSS");
        CHECK(positions().empty());

        // The recorder shows in status and in /metrics.
        json::value rec;
        REQUIRE(eventually([&] {
            rec = d.data("/api/v1/paper-trading/status").at("market").at("recording");
            return rec.is_object() && rec.at("lines_written").to_number<double>() > 10;
        }));
        INFO("recording status " << json::serialize(rec));
        CHECK(rec.at("dir").as_string() == rec_dir);
        CHECK(rec.at("lines_dropped").to_number<double>() == 0);
        CHECK(rec.at("last_error").is_null());
        const auto metrics = d.get("/metrics").body;
        CHECK(metrics.find("# TYPE traded_market_record_dropped_total counter") != std::string::npos);
        CHECK(metrics.find("# HELP traded_market_record_dropped_total ") != std::string::npos);
        CHECK(metric(metrics, "traded_market_record_dropped_total") == 0);
        CHECK(metric(metrics, "traded_market_recorded_lines_total") > 10);
        std::ofstream(config_copy) << read_file(d.config_path());
        CHECK(d.stop() == 0);  // flushes the recorder
    }

    // The day file: one JSON line per exchange message, the payload as received.
    std::vector<fs::path> days;
    for (const auto& e : fs::directory_iterator(rec_dir)) days.push_back(e.path());
    REQUIRE(days.size() == 1);
    CHECK(days[0].extension() == ".jsonl");
    const auto recorded = read_file(days[0].string());
    CHECK(recorded.find("\"stream\":\"btcusdt@bookTicker\",\"data\":{") != std::string::npos);
    CHECK(recorded.back() == '\n');

    // `traded backtest` over the recording: the same trades.
    std::string out;
    const int rc = run_traded({"backtest", "--config", config_copy, "--replay", rec_dir, "--out", out_dir},
                              out_dir + "/backtest.log", out);
    INFO("backtest: " << out);
    REQUIRE(rc == 0);
    INFO("recording:\n" << recorded);
    check_same(live, csv_trades(read_file(out_dir + "/trades.csv")));

    // A daemon on `market.source: replay` at the recorded pace: paper trades on the replayed prices.
    {
        const std::string yaml = "market:\n  source: replay\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                                 "  replay_file: " + rec_dir + "\n  replay_speed: 1\n" + rules;
        daemon_fixture d(yaml);
        json::value m;
        const bool finished = eventually(
            [&] {
                m = d.data("/api/v1/paper-trading/status").at("market");
                return m.at("detail").as_string().starts_with("replay finished");
            },
            std::chrono::milliseconds(20000));
        INFO("market status " << json::serialize(m) << "\nlog:\n" << d.proc().log());
        REQUIRE(finished);
        CHECK(m.at("source") == "replay");
        check_same(live, api_trades(d));
    }
    remove_tree(rec_dir);
    remove_tree(out_dir);
}

TEST_CASE("market: a bad replay file names file and line, trades nothing, and the daemon stays up",
          "[integration][market]") {
    const std::string dir = make_temp_dir("traded-badreplay");
    // Row 3 is bad; rows 2 and 4 would move the price enough to trigger the strategy.
    const std::string file = dir + "/BTCUSDT-bookTicker-2026-01-15.csv";
    write_file(file,
               "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n"
               "1,50000.0,1.0,50000.1,1.0,1768435200000,1768435200000\n"
               "2,50000.0,1.0,oops,1.0,1768435200100,1768435200100\n"
               "3,51000.0,1.0,51000.1,1.0,1768435200200,1768435200200\n");
    const std::string yaml = "market:\n  source: replay\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n  replay_file: " + file +
                             "\n  replay_speed: 0\n" + rules;
    daemon_fixture d(yaml);
    json::value m;
    const bool failed = eventually([&] {
        m = d.data("/api/v1/paper-trading/status").at("market");
        return m.at("detail").as_string().starts_with("replay error");
    });
    INFO("market status " << json::serialize(m) << "\nlog:\n" << d.proc().log());
    REQUIRE(failed);
    const std::string detail(m.at("detail").as_string());
    CHECK(detail.find("BTCUSDT-bookTicker-2026-01-15.csv:3") != std::string::npos);
    CHECK(d.proc().log().find("BTCUSDT-bookTicker-2026-01-15.csv:3") != std::string::npos);
    CHECK_FALSE(m.at("connected").as_bool());
    // Nothing traded from it, and the daemon answers.
    CHECK(d.get("/healthz").status == 200);
    CHECK(d.data("/api/v1/paper-trading/positions").as_array().empty());
    CHECK(d.data("/api/v1/paper-trading/trades").as_array().empty());
    CHECK(d.data("/api/v1/opportunities").as_array().empty());
    CHECK(m.at("quote_age_ms").at("BTCUSDT").is_null());

    // A missing file: the same, naming it.
    const std::string yaml2 = "market:\n  source: replay\n  symbols: [BTCUSDT]\n  replay_file: " + dir +
                              "/nothing-here.jsonl\n" + rules;
    daemon_fixture d2(yaml2);
    REQUIRE(eventually([&] {
        m = d2.data("/api/v1/paper-trading/status").at("market");
        return m.at("detail").as_string().starts_with("replay error");
    }));
    INFO("market status " << json::serialize(m));
    CHECK(m.at("detail").as_string().find("nothing-here.jsonl") != std::string::npos);
    CHECK(d2.get("/healthz").status == 200);
    remove_tree(dir);
}
