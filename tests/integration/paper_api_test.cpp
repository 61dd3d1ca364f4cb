// The real `traded` binary on a loopback port: every paper-trading route, auth, bad input,
// restart persistence, and autonomous trading on the synthetic market.

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace traded::test;

namespace {

// Manual opportunities only, so a test controls exactly which positions exist.
const std::string manual_only = "opportunities:\n  strategy: none\n";

json::object open_position(daemon_fixture& d, const std::string& symbol, const std::string& side) {
    auto a = d.post("/api/v1/opportunities",
                    R"({"symbol":")" + symbol + R"(","side":")" + side + R"(","mode":"paper-trading","reason":"test"})");
    INFO(a.body);
    REQUIRE(a.status == 200);
    auto results = a.json().at("data").at("results").as_array();
    REQUIRE(results.size() == 1);
    INFO(json::serialize(results[0]));
    REQUIRE(results[0].at("accepted").as_bool());
    return results[0].at("position").as_object();
}

double num(const json::value& v) { return v.is_double() ? v.as_double() : static_cast<double>(v.to_number<double>()); }

}  // namespace

TEST_CASE("health, auth and the envelope", "[integration][api]") {
    daemon_fixture d(manual_only);
    auto h = http("GET", d.port(), "/healthz");
    CHECK(h.status == 200);
    CHECK(h.json().at("success").as_bool());

    SECTION("no token") {
        auto a = http("GET", d.port(), "/api/v1/paper-trading/status");
        CHECK(a.status == 401);
        CHECK(a.json().at("success").as_bool() == false);
        CHECK(a.json().at("error").at("code").as_string() == "UNAUTHORIZED");
    }
    SECTION("wrong token") {
        auto a = http("GET", d.port(), "/api/v1/paper-trading/status", "", "wrong-token");
        CHECK(a.status == 401);
    }
    SECTION("metrics need the token and are Prometheus text") {
        CHECK(http("GET", d.port(), "/metrics").status == 401);
        auto m = d.get("/metrics");
        CHECK(m.status == 200);
        CHECK(m.body.find("traded_market_ticks_total") != std::string::npos);
    }
    SECTION("the dashboard is served without a token") {
        auto a = http("GET", d.port(), "/");
        CHECK(a.status == 200);
        CHECK(a.body.find("<html") != std::string::npos);
    }
}

TEST_CASE("every paper-trading read route answers its documented shape", "[integration][api]") {
    daemon_fixture d(manual_only);
    const std::string p = "/api/v1/paper-trading/";

    auto st = d.data(p + "status");
    CHECK(st.at("mode").as_string() == "paper-trading");
    CHECK(st.at("running").as_bool());
    CHECK(st.at("enabled").as_bool());
    for (auto k : {"emergency_stopped", "started_at", "uptime_s", "open_positions", "config", "exchange"})
        CHECK(st.as_object().contains(k));
    for (auto k : {"stake_usd", "max_positions", "leverage", "pure_3_rule_mode", "primary_target_dollars",
                   "absolute_floor_dollars", "stop_loss_percent", "max_daily_loss"})
        CHECK(st.at("config").as_object().contains(k));

    auto s = d.data(p + "safety-status");
    for (auto k : {"max_positions", "open_positions", "positions_remaining", "max_daily_loss", "daily_realized_pnl",
                   "daily_loss_remaining", "daily_loss_limit_hit", "emergency_stopped", "can_open_new",
                   "blocked_reasons", "stake_usd", "trading_day"})
        CHECK(s.as_object().contains(k));
    CHECK(s.at("can_open_new").as_bool());

    auto b = d.data(p + "account-balance");
    CHECK(b.at("asset").as_string() == "USDT");
    CHECK(num(b.at("wallet_balance")) == Approx(10000.0));

    auto perf = d.data(p + "performance");
    CHECK(perf.at("total_trades").to_number<int>() == 0);

    CHECK(d.data(p + "positions").as_array().empty());
    CHECK(d.data(p + "trades").as_array().empty());
    CHECK(d.data("/api/v1/opportunities").is_array());

    auto real = d.data("/api/v1/real-trading/status");
    CHECK(real.at("enabled").as_bool() == false);
    CHECK(real.at("running").as_bool() == false);
}

TEST_CASE("open, inspect and close a paper position; close is idempotent", "[integration][api]") {
    daemon_fixture d(manual_only);
    const std::string p = "/api/v1/paper-trading/";
    auto pos = open_position(d, "BTCUSDT", "LONG");
    const std::string id(pos.at("position_id").as_string());
    CHECK(id.rfind("paper_", 0) == 0);
    CHECK(id.size() > 6);

    auto positions = d.data(p + "positions").as_array();
    REQUIRE(positions.size() == 1);
    const auto& q = positions[0].as_object();
    CHECK(q.at("status").as_string() == "OPEN");
    const double entry = num(q.at("entry_price"));
    const double qty = num(q.at("qty"));
    const double tp = num(q.at("tp_price"));
    const double sl = num(q.at("sl_price"));
    // TP where unrealized PnL reaches primary_target_dollars (10), SL at 0.5 % below entry.
    CHECK((tp - entry) * qty >= 10.0 - 1e-9);
    CHECK((tp - entry) * qty < 10.0 + 0.1 * qty + 1e-9);
    CHECK(sl == Approx(entry * 0.995).margin(0.1));
    CHECK(!q.at("tp_order_id").is_null());
    CHECK(!q.at("sl_order_id").is_null());

    // A second entry on the same symbol is refused.
    auto again = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"SHORT","mode":"paper-trading"})");
    CHECK(again.json().at("data").at("results").at(0).at("accepted").as_bool() == false);

    auto c1 = d.post(p + "close-position/" + id);
    INFO(c1.body);
    REQUIRE(c1.status == 200);
    auto cd = c1.json().at("data");
    CHECK(cd.at("position_id").as_string() == id);
    CHECK(cd.at("status").as_string() == "CLOSED");
    CHECK(cd.at("already_closed").as_bool() == false);
    CHECK(cd.at("exit_reason").as_string() == "MANUAL");
    CHECK(cd.at("trade").at("position_id").as_string() == id);

    auto c2 = d.post(p + "close-position/" + id);
    REQUIRE(c2.status == 200);
    CHECK(c2.json().at("data").at("already_closed").as_bool());

    auto trades = d.data(p + "trades").as_array();
    REQUIRE(trades.size() == 1);
    CHECK(trades[0].at("exit_reason").as_string() == "MANUAL");
    CHECK(trades[0].as_object().contains("fees"));
    CHECK(d.data(p + "performance").at("total_trades").to_number<int>() == 1);

    auto unknown = d.post(p + "close-position/paper_1_NOPE");
    CHECK(unknown.status == 404);
    CHECK(unknown.json().at("error").at("code").as_string() == "POSITION_NOT_FOUND");
}

TEST_CASE("bad input gets clear errors and changes nothing", "[integration][api]") {
    daemon_fixture d(manual_only);
    const std::string p = "/api/v1/paper-trading/";
    auto before = d.data(p + "safety-status");

    auto bad_json = d.put(p + "safety-limits", "{not json");
    CHECK(bad_json.status == 400);
    CHECK(bad_json.json().at("error").at("code").as_string() == "INVALID_JSON");

    auto bad_value = d.put(p + "safety-limits", R"({"stake_usd": -5})");
    CHECK(bad_value.status == 400);
    CHECK(std::string(bad_value.json().at("error").at("message").as_string()).find("stake_usd") != std::string::npos);

    auto bad_field = d.put(p + "safety-limits", R"({"stake": 5})");
    CHECK(bad_field.status == 400);

    CHECK(d.get("/api/v1/nope/status").status == 404);
    CHECK(d.get(p + "no-such-route").status == 404);
    CHECK(http("DELETE", d.port(), p + "status", "", d.token()).status == 405);
    CHECK(d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"UP"})").status == 400);
    CHECK(d.post("/api/v1/opportunities", R"({"symbol":"NOPEUSDT","side":"LONG"})").status == 400);

    std::string huge(70 * 1024, 'x');
    auto big = d.put(p + "safety-limits", "{\"stake_usd\":\"" + huge + "\"}");
    CHECK(big.status == 413);

    auto after = d.data(p + "safety-status");
    CHECK(json::serialize(before.at("stake_usd")) == json::serialize(after.at("stake_usd")));
    CHECK(d.proc().running());
}

TEST_CASE("safety limits, stop, emergency latch and restart keep state", "[integration][api]") {
    daemon_fixture d(manual_only);
    const std::string p = "/api/v1/paper-trading/";

    auto lim = d.put(p + "safety-limits", R"({"stake_usd": 150, "max_positions": 2})");
    INFO(lim.body);
    REQUIRE(lim.status == 200);
    CHECK(num(lim.json().at("data").at("stake_usd")) == Approx(150));
    CHECK(lim.json().at("data").at("max_positions").to_number<int>() == 2);

    auto pos = open_position(d, "ETHUSDT", "SHORT");
    const std::string id(pos.at("position_id").as_string());

    const auto before = d.data(p + "positions").as_array();
    REQUIRE(before.size() == 1);
    const double wallet_before = num(d.data(p + "account-balance").at("wallet_balance"));

    // Restart: the open position, its TP/SL, the wallet and the overrides survive.
    d.restart();
    CHECK(num(d.data(p + "account-balance").at("wallet_balance")) == wallet_before);
    {
        const auto after = d.data(p + "positions").as_array();
        REQUIRE(after.size() == 1);
        for (auto k : {"entry_price", "qty", "tp_price", "sl_price", "tp_order_id", "sl_order_id", "opened_at"})
            CHECK(json::serialize(before[0].at(k)) == json::serialize(after[0].at(k)));
    }
    auto positions = d.data(p + "positions").as_array();
    REQUIRE(positions.size() == 1);
    CHECK(positions[0].at("position_id").as_string() == id);
    CHECK(positions[0].at("status").as_string() == "OPEN");
    CHECK(d.data(p + "safety-status").at("max_positions").to_number<int>() == 2);

    auto em = d.post(p + "emergency-stop");
    REQUIRE(em.status == 200);
    CHECK(d.data(p + "status").at("emergency_stopped").as_bool());
    CHECK(eventually([&] { return d.data(p + "positions").as_array().empty(); }));
    auto trades = d.data(p + "trades").as_array();
    REQUIRE(trades.size() == 1);
    CHECK(trades[0].at("exit_reason").as_string() == "EMERGENCY");

    // The latch survives a restart; start is refused until cleared.
    d.restart();
    CHECK(d.data(p + "status").at("emergency_stopped").as_bool());
    auto s1 = d.post(p + "start");
    CHECK(s1.status == 409);
    CHECK(s1.json().at("error").at("code").as_string() == "EMERGENCY_LATCHED");
    auto s2 = d.post(p + "start", R"({"clear_emergency": true})");
    INFO(s2.body);
    CHECK(s2.status == 200);
    CHECK(d.data(p + "status").at("running").as_bool());

    auto stop = d.post(p + "stop");
    CHECK(stop.status == 200);
    d.restart();
    CHECK(d.data(p + "status").at("running").as_bool() == false);
    CHECK(d.data(p + "trades").as_array().size() == 1);
}

TEST_CASE("real trading is disabled by default", "[integration][api]") {
    daemon_fixture d(manual_only);
    auto a = d.post("/api/v1/real-trading/start");
    CHECK(a.status == 403);
    CHECK(a.json().at("error").at("code").as_string() == "REAL_TRADING_DISABLED");
}

TEST_CASE("on a fast synthetic market the paper engine trades by itself", "[integration][autonomous]") {
    daemon_fixture d(
        "market:\n  synthetic: {seed: 7, interval_ms: 20, volatility_bps: 20}\n"
        "opportunities:\n  strategy: momentum\n  params: {lookback: 10, threshold_bps: 20, cooldown_ms: 500}\n");
    const std::string p = "/api/v1/paper-trading/";
    bool saw_protected_position = false;
    bool traded = eventually(
        [&] {
            const auto positions = d.data(p + "positions");
            for (const auto& pos : positions.as_array())
                if (num(pos.at("tp_price")) > 0 && num(pos.at("sl_price")) > 0) saw_protected_position = true;
            return d.data(p + "trades").as_array().size() >= 2;
        },
        std::chrono::milliseconds(60000));
    CHECK(traded);
    CHECK(saw_protected_position);
}
