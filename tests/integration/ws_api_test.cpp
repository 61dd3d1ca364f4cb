// The WebSocket API of the real daemon: auth, Origin, subscribe/snapshot/events, and the same
// answer over REST and over WebSocket for every op (one command router serves both).

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace traded::test;

namespace {

const std::string manual_only = "opportunities:\n  strategy: none\n";

// Fields that legitimately differ between two calls made a few milliseconds apart.
void strip_volatile(json::value& v) {
    if (v.is_object()) {
        auto& o = v.as_object();
        for (auto k : {"uptime_s", "last_event_age_ms", "mark_price", "pnl", "pnl_pct", "unrealized_pnl",
                       "margin_balance", "available_balance", "updated_at", "highest_profit_ever", "ts",
                       "last_update_age_ms", "quote_age_ms"})
            o.erase(k);
        for (auto& kv : o) strip_volatile(kv.value());
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) strip_volatile(e);
    }
}

// Reads WS messages until the answer with this id arrives (events may be interleaved).
json::object answer_for(ws_client& ws, std::int64_t id) {
    for (int i = 0; i < 200; ++i) {
        auto m = ws.receive_json(std::chrono::milliseconds(5000));
        REQUIRE(m);
        auto& o = m->as_object();
        if (o.contains("id") && o.at("id").is_int64() && o.at("id").as_int64() == id) return o;
    }
    FAIL("no answer for id " << id);
    return {};
}

}  // namespace

TEST_CASE("WebSocket auth and Origin", "[integration][ws]") {
    daemon_fixture d(manual_only);
    SECTION("token in the URL is enough for a browser") {
        ws_client ws;
        REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
        ws.send(R"({"op":"status","id":1,"mode":"paper-trading"})");
        auto a = answer_for(ws, 1);
        CHECK(a.at("success").as_bool());
    }
    SECTION("a wrong token in the URL is refused") {
        ws_client ws;
        auto err = ws.connect(d.port(), "/api/v1/ws?access_token=wrong");
        if (err.empty()) {
            // Accepted the upgrade: it must then refuse to serve and close.
            ws.send(R"({"op":"status","id":1,"mode":"paper-trading"})");
            auto m = ws.receive_json(std::chrono::milliseconds(3000));
            CHECK((!m || !m->at("success").as_bool()));
        } else {
            CHECK(err.find("handshake") != std::string::npos);
        }
    }
    SECTION("a first auth message authenticates") {
        ws_client ws;
        REQUIRE(ws.connect(d.port(), "/api/v1/ws").empty());
        ws.send(R"({"op":"status","id":1,"mode":"paper-trading"})");
        auto before = answer_for(ws, 1);
        CHECK_FALSE(before.at("success").as_bool());
        ws_client ws2;
        REQUIRE(ws2.connect(d.port(), "/api/v1/ws").empty());
        ws2.send(R"({"op":"auth","id":2,"token":")" + d.token() + "\"}");
        CHECK(answer_for(ws2, 2).at("success").as_bool());
        ws2.send(R"({"op":"status","id":3,"mode":"paper-trading"})");
        CHECK(answer_for(ws2, 3).at("success").as_bool());
    }
    SECTION("a foreign Origin is refused at the upgrade") {
        ws_client ws;
        auto err = ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token(), {{"Origin", "http://evil.example"}});
        CHECK_FALSE(err.empty());
    }
    SECTION("malformed frames get error answers and the connection stays") {
        ws_client ws;
        REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
        ws.send("{not json");
        auto m = ws.receive_json();
        REQUIRE(m);
        CHECK_FALSE(m->at("success").as_bool());
        ws.send(R"({"op":"no_such_op","id":5})");
        CHECK(answer_for(ws, 5).at("error").at("code").as_string() == "UNKNOWN_OP");
        ws.send(R"({"op":"status","mode":"paper-trading"})");  // no id
        m = ws.receive_json();
        REQUIRE(m);
        CHECK_FALSE(m->at("success").as_bool());
        ws.send(R"({"op":"status","id":6,"mode":"paper-trading"})");
        CHECK(answer_for(ws, 6).at("success").as_bool());
    }
}

TEST_CASE("subscribe: snapshot first, then events with increasing seq", "[integration][ws]") {
    daemon_fixture d(manual_only);
    ws_client ws;
    REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
    ws.send(R"({"op":"subscribe","id":1,"channels":["positions","trades","safety"],"modes":["paper-trading"]})");
    REQUIRE(answer_for(ws, 1).at("success").as_bool());
    std::int64_t snapshot_seq = -1;
    int snapshots = 0;
    while (snapshots < 3) {
        auto m = ws.receive_json();
        REQUIRE(m);
        if (m->at("type").as_string() != "snapshot") continue;
        ++snapshots;
        snapshot_seq = m->at("seq").as_int64();
    }
    auto a = d.post("/api/v1/opportunities", R"({"symbol":"ETHUSDT","side":"LONG","mode":"paper-trading"})");
    REQUIRE(a.status == 200);
    std::int64_t last = snapshot_seq;
    bool opened = false;
    bool safety = false;
    for (int i = 0; i < 200 && !(opened && safety); ++i) {
        auto m = ws.receive_json();
        REQUIRE(m);
        auto& o = m->as_object();
        REQUIRE(o.at("type").as_string() == "event");
        const auto seq = o.at("seq").as_int64();
        CHECK(seq > last);
        last = seq;
        if (o.at("event").as_string() == "position_opened") {
            opened = true;
            CHECK(o.at("data").at("tp_price").is_number());
            CHECK(o.at("data").at("sl_price").is_number());
        }
        if (o.at("channel").as_string() == "safety") {
            safety = true;
            CHECK(o.at("data").at("open_positions").to_number<int>() == 1);
        }
    }
    CHECK(opened);
    CHECK(safety);
}

TEST_CASE("REST and WebSocket answer the same for every op", "[integration][ws]") {
    daemon_fixture d(manual_only);
    ws_client ws;
    REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
    std::int64_t id = 100;

    struct pair_case {
        std::string method, path, body, op, params;
    };
    const std::string m = "paper-trading";
    const std::vector<pair_case> cases{
        {"GET", "/api/v1/paper-trading/status", "", "status", "{}"},
        {"GET", "/api/v1/paper-trading/safety-status", "", "safety_status", "{}"},
        {"GET", "/api/v1/paper-trading/account-balance", "", "account_balance", "{}"},
        {"GET", "/api/v1/paper-trading/performance", "", "performance", "{}"},
        {"GET", "/api/v1/paper-trading/positions", "", "positions", "{}"},
        {"GET", "/api/v1/paper-trading/trades?limit=5", "", "trades", R"({"limit":5})"},
        {"GET", "/api/v1/opportunities", "", "opportunities", "{}"},
        {"POST", "/api/v1/paper-trading/close-position/paper_1_NOPE", "", "close_position",
         R"({"position_id":"paper_1_NOPE"})"},
        {"PUT", "/api/v1/paper-trading/safety-limits", R"({"max_positions":7})", "set_safety_limits",
         R"({"max_positions":7})"},
        {"PUT", "/api/v1/paper-trading/safety-limits", R"({"max_positions":-1})", "set_safety_limits",
         R"({"max_positions":-1})"},
        {"POST", "/api/v1/paper-trading/start", "", "start", "{}"},
        {"POST", "/api/v1/real-trading/start", "", "start", "{}"},
        {"POST", "/api/v1/opportunities", R"({"symbol":"NOPEUSDT","side":"LONG"})", "submit_opportunity",
         R"({"symbol":"NOPEUSDT","side":"LONG"})"},
        {"POST", "/api/v1/paper-trading/stop", "", "stop", "{}"},
        {"POST", "/api/v1/paper-trading/emergency-stop", "", "emergency_stop", "{}"},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << c.path << " vs op " << c.op);
        auto rest = http(c.method, d.port(), c.path, c.body, d.token()).json();
        REQUIRE(rest.is_object());
        const std::string mode = c.path.find("real-trading") != std::string::npos ? "real-trading" : m;
        ws.send(R"({"op":")" + c.op + R"(","id":)" + std::to_string(++id) + R"(,"mode":")" + mode +
                R"(","params":)" + c.params + "}");
        json::value wsa = answer_for(ws, id);
        auto& wo = wsa.as_object();
        wo.erase("id");
        // Ops that change state answer with the state after the change: compare the second
        // call of each transport with the first of the other only for pure queries.
        const bool query = c.method == "GET" || rest.at("success").as_bool() == false;
        CHECK(rest.at("success") == wo.at("success"));
        if (query) {
            json::value a = rest.as_object().contains("data") ? rest.at("data") : rest.at("error");
            json::value b = wo.contains("data") ? wo.at("data") : wo.at("error");
            strip_volatile(a);
            strip_volatile(b);
            CHECK(json::serialize(a) == json::serialize(b));
        } else {
            CHECK(json::serialize(rest.at("data").kind() == json::kind::object ? json::value(rest.at("data").as_object().size()) : json::value(0)) ==
                  json::serialize(wo.at("data").kind() == json::kind::object ? json::value(wo.at("data").as_object().size()) : json::value(0)));
        }
    }
}
