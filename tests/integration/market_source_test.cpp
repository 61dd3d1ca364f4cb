// The market-data layer end to end (SPEC §1 Opportunities, §8): the real `traded` binary with
// real trading enabled against the real `traded-sim` on loopback. Signals follow prices: a
// strategy computed on the synthetic market trades paper only, and not one order reaches the
// exchange from it; `start` waits for a connection that is still being established.

#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>

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

    // The operator's own decision still reaches real trading (SPEC §1: manual opportunities),
    // once the exchange streams have delivered a quote for the symbol (slow under sanitizers).
    CHECK(eventually([&] {
        const auto q = d.data("/api/v1/real-trading/safety-status");
        for (const auto& s : q.at("stale_symbols").as_array())
            if (s == "BTCUSDT") return false;
        return true;
    }));
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

namespace {

double num(const json::value& v) {
    if (v.is_string()) return std::stod(std::string(v.as_string()));
    return v.to_number<double>();
}

/// The value of one series in a /metrics text (-1 when it is missing).
double metric_value(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

/// Pushes the simulator's fixed prices until `mode`'s engine has a fresh quote for every symbol
/// (static prices are streamed only when set, so a stream that connected later missed them).
bool quoted(sim_fixture& sim, daemon_fixture& d, const std::string& mode) {
    return eventually(
        [&] {
            sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
            sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
            sim.set_price("SOLUSDT", "150.00", "150.01", "150.00");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const auto m = d.data("/api/v1/" + mode + "/status").at("market");
            if (!m.at("connected").as_bool() || !m.at("stale_symbols").as_array().empty()) return false;
            for (const auto& [sym, age] : m.at("quote_age_ms").as_object())
                if (age.is_null()) return false;
            return true;
        },
        std::chrono::milliseconds(15000));
}

std::optional<json::object> position_of(daemon_fixture& d, const std::string& mode, const std::string& id) {
    const auto all = d.data("/api/v1/" + mode + "/positions");
    for (const auto& p : all.as_array())
        if (p.at("position_id").as_string() == id) return p.as_object();
    return std::nullopt;
}

json::object wait_protected(daemon_fixture& d, const std::string& mode, const std::string& id) {
    std::optional<json::object> p;
    bool ok = eventually(
        [&] {
            p = position_of(d, mode, id);
            return p && p->at("status") == "OPEN" && num(p->at("tp_price")) > 0 && num(p->at("sl_price")) > 0;
        },
        std::chrono::milliseconds(15000));
    INFO(mode << " position " << id << ": " << (p ? json::serialize(*p) : std::string("missing")) << "\nlog:\n"
              << d.proc().log());
    REQUIRE(ok);
    return *p;
}

std::string wait_exit_reason(daemon_fixture& d, const std::string& mode, const std::string& id) {
    std::string reason;
    bool ok = eventually(
        [&] {
            const auto all = d.data("/api/v1/" + mode + "/trades");
            for (const auto& t : all.as_array())
                if (t.at("position_id").as_string() == id) {
                    reason = std::string(t.at("exit_reason").as_string());
                    return true;
                }
            return false;
        },
        std::chrono::milliseconds(15000));
    INFO(mode << " trade for " << id << " not recorded\nlog:\n" << d.proc().log());
    REQUIRE(ok);
    return reason;
}

}  // namespace

TEST_CASE("market: paper on the exchange's live prices matches real trading: same qty, TP and SL, both closed by the TP",
          "[integration][market]") {
    sim_fixture sim;
    sim_credentials();
    // Both engines with the same rules; paper's slippage and fee equal the simulator's account.
    const std::string rules = "  stake_usd: 200.0\n  max_positions: 3\n  leverage: 3\n  pure_3_rule_mode: true\n"
                              "  primary_target_dollars: 10.0\n  absolute_floor_dollars: 7.0\n  stop_loss_percent: 0.5\n"
                              "  max_daily_loss: 100.0\n";
    const std::string yaml = sim.exchange_yaml() +
                             "market:\n  source: exchange\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                             "paper_trading:\n" + rules + "  slippage_bps: 1.0\n  taker_fee: 0.0004\n"
                             "real_trading:\n  enabled: true\n" + rules +
                             "opportunities:\n  strategy: none\n";
    daemon_fixture d(yaml);
    auto started = start_real(d);
    INFO("start -> " << started.status << " " << started.body << "\nlog:\n" << d.proc().log());
    REQUIRE(started.status == 200);
    REQUIRE(quoted(sim, d, "paper-trading"));
    REQUIRE(quoted(sim, d, "real-trading"));
    // One exchange source feeds both engines.
    const auto sources = d.data("/api/v1/paper-trading/status").at("market").at("sources").as_array();
    REQUIRE(sources.size() == 1);
    CHECK(sources[0].at("kind") == "exchange");
    CHECK(sources[0].at("feeds").as_array().size() == 2);

    // One opportunity, no mode: every running engine takes it.
    auto a = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","reason":"parity"})");
    INFO(a.body);
    REQUIRE(a.status == 200);
    std::map<std::string, std::string> ids;
    const auto answer = a.json();
    for (const auto& r : answer.at("data").at("results").as_array()) {
        INFO(json::serialize(r));
        REQUIRE(r.at("accepted").as_bool());
        ids[std::string(r.at("mode").as_string())] = std::string(r.at("position").at("position_id").as_string());
    }
    REQUIRE(ids.size() == 2);
    const auto paper = wait_protected(d, "paper-trading", ids["paper-trading"]);
    const auto real = wait_protected(d, "real-trading", ids["real-trading"]);
    INFO("paper " << json::serialize(paper) << "\nreal " << json::serialize(real));
    // The paper fill: the live ask plus slippage, exactly as the simulator filled the real order.
    CHECK(num(paper.at("entry_price")) == Approx(num(real.at("entry_price"))).epsilon(1e-12));
    CHECK(num(paper.at("entry_price")) > 50000.1);
    CHECK(num(paper.at("qty")) == Approx(num(real.at("qty"))).epsilon(1e-12));
    CHECK(num(paper.at("tp_price")) == Approx(num(real.at("tp_price"))).epsilon(1e-12));
    CHECK(num(paper.at("sl_price")) == Approx(num(real.at("sl_price"))).epsilon(1e-12));

    // The price path reaches the TP: both close with TAKE_PROFIT (paper triggers on the live mark).
    const std::string px = fmt::format("{:.1f}", num(real.at("tp_price")) + 50.0);
    sim.set_price("BTCUSDT", px);
    CHECK(wait_exit_reason(d, "real-trading", ids["real-trading"]) == "TAKE_PROFIT");
    CHECK(wait_exit_reason(d, "paper-trading", ids["paper-trading"]) == "TAKE_PROFIT");
}

TEST_CASE("market: a lost exchange feed reconnects with backoff, blocks entries while stale, never blocks the API",
          "[integration][market]") {
    sim_fixture sim;
    // Paper trading on live prices with real trading disabled: no credentials needed.
    const std::string yaml = sim.exchange_yaml() +
                             "market:\n  source: exchange\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                             "  max_staleness_ms: 1500\n"
                             "opportunities:\n  strategy: none\n";
    daemon_fixture d(yaml);
    REQUIRE(quoted(sim, d, "paper-trading"));
    auto ok = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"paper-trading"})");
    INFO(ok.body);
    CHECK(ok.json().at("data").at("results").at(0).at("accepted").as_bool());

    sim.proc().stop(std::chrono::milliseconds(3000));
    // While the exchange is gone the API answers at once, status says so, and after
    // max_staleness_ms new entries are refused with MARKET_DATA_STALE.
    json::value market;
    bool stale = eventually(
        [&] {
            const auto t0 = std::chrono::steady_clock::now();
            market = d.data("/api/v1/paper-trading/status").at("market");
            CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1000));
            return !market.at("connected").as_bool() && market.at("stale_symbols").as_array().size() == 3;
        },
        std::chrono::milliseconds(10000));
    INFO("market status: " << json::serialize(market));
    REQUIRE(stale);
    CHECK(market.at("source") == "exchange");
    const auto safety = d.data("/api/v1/paper-trading/safety-status");
    const auto reasons = json::serialize(safety.at("blocked_reasons"));
    CHECK(reasons.find("MARKET_DATA_STALE") != std::string::npos);
    auto refused = d.post("/api/v1/opportunities", R"({"symbol":"ETHUSDT","side":"SHORT","mode":"paper-trading"})");
    INFO(refused.body);
    CHECK(refused.json().at("data").at("results").at(0).at("error").at("code") == "MARKET_DATA_STALE");

    // The exchange comes back: the feed reconnects by itself and entries resume.
    sim.restart();
    REQUIRE(quoted(sim, d, "paper-trading"));
    auto again = d.post("/api/v1/opportunities", R"({"symbol":"ETHUSDT","side":"SHORT","mode":"paper-trading"})");
    INFO(again.body);
    CHECK(again.json().at("data").at("results").at(0).at("accepted").as_bool());
    const auto log = d.proc().log();
    CHECK(log.find("reconnecting with backoff") != std::string::npos);
    // Every message the exchange source received is counted per connection, and so is the
    // reconnect of each connection the simulator's restart cut.
    const auto metrics = d.get("/metrics").body;
    INFO(metrics);
    for (const std::string root : {"public", "market"}) {
        CHECK(metric_value(metrics, "traded_market_messages_total{stream=\"" + root + "\"}") > 0);
        CHECK(metric_value(metrics, "traded_stream_reconnects_total{stream=\"" + root + "\"}") >= 1);
    }
}
