// The simulated exchange driven without sockets: signed REST requests in, HTTP answers and stream
// events out (exchange/sim/venue.*). Needs the sim core library (traded_sim_core) linked into
// exchange_tests and TRADED_SIM_CORE_TESTS defined; without them this file compiles to nothing.

#ifdef TRADED_SIM_CORE_TESTS

#include "exchange/binance/sign.hpp"
#include "exchange/sim/venue.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using namespace traded::sim;
namespace json = boost::json;
using traded::binance::query_param;

constexpr millis t0 = 1'800'000'000'000;
constexpr const char* api_key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
constexpr const char* api_secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

sim_config static_config() {
    auto c = default_sim_config();
    c.prices.source = "static";
    return c;
}

/// A venue and a client clock; requests are signed the way the daemon signs them.
struct exchange {
    venue v{static_config(), t0};
    millis now = t0;

    http_response send(const std::string& method, const std::string& path, const std::vector<query_param>& params,
                       const std::string& secret = api_secret, std::optional<std::string> key = std::string(api_key),
                       millis client_time = 0) {
        http_request r;
        r.method = method;
        r.api_key = std::move(key);
        const std::string q = traded::binance::signed_query(params, secret, 0, client_time ? client_time : now);
        r.target = path + "?" + q;
        return v.handle(r, now);
    }
    http_response plain(const std::string& method, const std::string& target, const std::string& body = "") {
        http_request r;
        r.method = method;
        r.target = target;
        r.body = body;
        r.api_key = api_key;
        return v.handle(r, now);
    }
    void price(const std::string& symbol, const std::string& bid, const std::string& ask, const std::string& mark) {
        auto r = plain("POST", "/admin/price",
                       json::serialize(json::object{{"symbol", symbol}, {"bid", bid}, {"ask", ask}, {"mark", mark}}));
        REQUIRE(r.status == 200);
    }
    std::string listen_key() {
        auto r = plain("POST", "/fapi/v1/listenKey");
        REQUIRE(r.status == 200);
        return std::string(json::parse(r.body).at("listenKey").as_string());
    }
    /// User events delivered since the last call, parsed.
    std::vector<json::object> events() {
        std::vector<json::object> out;
        for (auto& u : v.take_outbox().user) out.push_back(json::parse(u.json).as_object());
        return out;
    }
};

json::value body(const http_response& r) { return json::parse(r.body); }
std::int64_t code(const http_response& r) { return body(r).at("code").as_int64(); }
std::string str(const json::value& v) { return std::string(v.as_string()); }
std::string header(const http_response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}
std::vector<std::string> kinds(const std::vector<json::object>& evs) {
    std::vector<std::string> out;
    for (const auto& e : evs) {
        std::string k = str(e.at("e"));
        if (k == "ORDER_TRADE_UPDATE") k += "/" + str(e.at("o").at("x"));
        if (k == "ALGO_UPDATE") k += "/" + str(e.at("o").at("X"));
        out.push_back(k);
    }
    return out;
}

}  // namespace

TEST_CASE("venue: time, weight header and unknown paths", "[sim][venue]") {
    exchange ex;
    auto t = ex.plain("GET", "/fapi/v1/time");
    CHECK(t.status == 200);
    CHECK(body(t).at("serverTime").as_int64() == t0);
    CHECK(header(t, "X-MBX-USED-WEIGHT-1M") == "1");
    auto missing = ex.plain("GET", "/fapi/v1/positionRisk");
    CHECK(missing.status == 404);
    CHECK(code(missing) == -5000);
    CHECK_FALSE(header(missing, "X-MBX-USED-WEIGHT-1M").empty());
}

TEST_CASE("venue: authentication is as strict as Binance", "[sim][venue][auth]") {
    exchange ex;
    const std::vector<query_param> none;
    CHECK(ex.send("GET", "/fapi/v2/balance", none).status == 200);

    auto wrong_secret = ex.send("GET", "/fapi/v2/balance", none, "0000");
    CHECK(wrong_secret.status == 400);
    CHECK(code(wrong_secret) == -1022);

    auto no_key = ex.send("GET", "/fapi/v2/balance", none, api_secret, std::nullopt);
    CHECK(no_key.status == 401);
    CHECK(code(no_key) == -2014);

    auto unknown = ex.send("GET", "/fapi/v2/balance", none, api_secret, std::string(64, 'a'));
    CHECK(unknown.status == 401);
    CHECK(code(unknown) == -2015);

    auto stale = ex.send("GET", "/fapi/v2/balance", none, api_secret, std::string(api_key), t0 - 5001);
    CHECK(code(stale) == -1021);
    auto ahead = ex.send("GET", "/fapi/v2/balance", none, api_secret, std::string(api_key), t0 + 1000);
    CHECK(code(ahead) == -1021);
    CHECK(ex.send("GET", "/fapi/v2/balance", none, api_secret, std::string(api_key), t0 + 999).status == 200);

    auto unsigned_req = ex.plain("GET", "/fapi/v2/balance?timestamp=" + std::to_string(t0));
    CHECK(code(unsigned_req) == -1102);
}

TEST_CASE("venue: a MARKET order fills and streams NEW, ACCOUNT_UPDATE, TRADE", "[sim][venue][order]") {
    exchange ex;
    ex.price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    ex.listen_key();
    ex.events();

    auto r = ex.send("POST", "/fapi/v1/order",
                     {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"},
                      {"newClientOrderId", "paper_1_BTCUSDT-E"}, {"newOrderRespType", "RESULT"}});
    REQUIRE(r.status == 200);
    CHECK(header(r, "X-MBX-ORDER-COUNT-10S") == "1");
    auto o = body(r).as_object();
    CHECK(str(o.at("status")) == "FILLED");
    CHECK(str(o.at("executedQty")) == "0.010");
    CHECK(str(o.at("clientOrderId")) == "paper_1_BTCUSDT-E");

    auto evs = ex.events();
    CHECK(kinds(evs) == std::vector<std::string>{"ORDER_TRADE_UPDATE/NEW", "ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE/TRADE"});
    CHECK(str(evs[1].at("a").at("P").at(0).at("pa")) == "0.010");
    CHECK(str(evs[2].at("o").at("X")) == "FILLED");

    auto pos = body(ex.send("GET", "/fapi/v3/positionRisk", {{"symbol", "BTCUSDT"}}));
    REQUIRE(pos.as_array().size() == 1);
    CHECK(str(pos.at(0).at("positionAmt")) == "0.010");

    auto q = ex.send("GET", "/fapi/v1/order", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "paper_1_BTCUSDT-E"}});
    CHECK(str(body(q).at("status")) == "FILLED");
    CHECK(code(ex.send("GET", "/fapi/v1/order", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "nope"}})) == -2013);
}

TEST_CASE("venue: an account with commission_asset BNB is charged in BNB at BNBUSDT's mark", "[sim][venue][order]") {
    std::string yaml = std::string("accounts:\n  - api_key: ") + api_key + "\n    api_secret: " + api_secret +
                       "\n    commission_asset: BNB\nsymbols: [BTCUSDT, BNBUSDT]\nprices:\n  source: static\n";
    auto loaded = load_sim_config_string(yaml);
    INFO((loaded ? std::string() : loaded.error().message));
    REQUIRE(loaded.has_value());
    exchange ex{venue{*loaded, t0}};
    ex.price("BTCUSDT", "50000.0", "50000.0", "50000.0");
    ex.price("BNBUSDT", "625.00", "625.00", "625.00");
    ex.listen_key();
    ex.events();
    auto r = ex.send("POST", "/fapi/v1/order",
                     {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"},
                      {"newClientOrderId", "paper_1_BTCUSDT-E"}});
    REQUIRE(r.status == 200);
    auto evs = ex.events();
    REQUIRE(evs.size() == 3);
    const auto& fill = evs[2].at("o");
    CHECK(str(fill.at("N")) == "BNB");
    // 0.0004 x 0.010 x 50005 (the ask plus 1 bp of slippage) = 0.20002 USDT = 0.00032003 BNB at 625
    const double px = std::stod(str(fill.at("L")));
    CHECK(std::stod(str(fill.at("n"))) == Approx(0.0004 * 0.010 * px / 625).margin(1e-8));
    auto trades = body(ex.send("GET", "/fapi/v1/userTrades", {{"symbol", "BTCUSDT"}}));
    REQUIRE(trades.as_array().size() == 1);
    CHECK(str(trades.at(0).at("commissionAsset")) == "BNB");
    CHECK(str(trades.at(0).at("commission")) == str(fill.at("n")));

    // BNB without BNBUSDT listed cannot convert the fee: refused at load, naming the key.
    auto bad = load_sim_config_string(std::string("accounts:\n  - api_key: ") + api_key + "\n    api_secret: " +
                                      api_secret + "\n    commission_asset: BNB\nsymbols: [BTCUSDT]\n");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("accounts[0].commission_asset") != std::string::npos);
    CHECK_FALSE(load_sim_config_string(std::string("accounts:\n  - api_key: ") + api_key + "\n    api_secret: " +
                                       api_secret + "\n    commission_asset: ETH\n")
                    .has_value());
}

TEST_CASE("venue: order refusals carry Binance's codes", "[sim][venue][order]") {
    exchange ex;
    ex.price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    auto order = [&](std::vector<query_param> extra) {
        std::vector<query_param> p{{"symbol", "BTCUSDT"}, {"side", "SELL"}, {"type", "MARKET"}};
        p.insert(p.end(), extra.begin(), extra.end());
        return code(ex.send("POST", "/fapi/v1/order", p));
    };
    CHECK(order({{"quantity", "0.010"}, {"reduceOnly", "true"}}) == -2022);        // flat position
    CHECK(order({{"quantity", "0.001"}}) == -4164);                                // 50 USDT < 100
    CHECK(order({{"quantity", "0.0015"}}) == -1111);                               // below the step
    CHECK(order({}) == -1102);                                                     // no quantity
    CHECK(code(ex.send("POST", "/fapi/v1/order", {{"symbol", "NOPEUSDT"}, {"side", "SELL"}, {"type", "MARKET"}, {"quantity", "1"}})) == -1121);
    CHECK(code(ex.send("POST", "/fapi/v1/order",
                       {{"symbol", "BTCUSDT"}, {"side", "SELL"}, {"type", "STOP_MARKET"}, {"stopPrice", "40000"}, {"closePosition", "true"}})) ==
          -4120);
}

TEST_CASE("venue: an algo stop triggers on the mark price; the child order's i is the algo's ai", "[sim][venue][algo]") {
    exchange ex;
    ex.price("ETHUSDT", "3000.00", "3000.01", "3000.00");
    ex.listen_key();
    REQUIRE(ex.send("POST", "/fapi/v1/order", {{"symbol", "ETHUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.100"}}).status == 200);

    CHECK(code(ex.send("POST", "/fapi/v1/algoOrder",
                       {{"algoType", "CONDITIONAL"}, {"symbol", "ETHUSDT"}, {"side", "SELL"}, {"type", "STOP_MARKET"},
                        {"triggerPrice", "3100.00"}, {"closePosition", "true"}})) == -2021);  // would fire at once

    auto placed = ex.send("POST", "/fapi/v1/algoOrder",
                          {{"algoType", "CONDITIONAL"}, {"symbol", "ETHUSDT"}, {"side", "SELL"}, {"type", "STOP_MARKET"},
                           {"triggerPrice", "2900.00"}, {"closePosition", "true"}, {"workingType", "MARK_PRICE"},
                           {"clientAlgoId", "paper_1_ETHUSDT-SL"}});
    REQUIRE(placed.status == 200);
    const auto algo_id = body(placed).at("algoId").as_int64();
    CHECK(str(body(placed).at("algoStatus")) == "NEW");
    CHECK(body(ex.send("GET", "/fapi/v1/openAlgoOrders", {})).as_array().size() == 1);
    CHECK(body(ex.send("GET", "/fapi/v1/openOrders", {})).as_array().empty());  // algo orders are not listed there
    ex.events();

    ex.price("ETHUSDT", "2899.00", "2899.01", "2899.00");
    auto evs = ex.events();
    CHECK(kinds(evs) == std::vector<std::string>{"ALGO_UPDATE/TRIGGERING", "ALGO_UPDATE/TRIGGERED", "ORDER_TRADE_UPDATE/NEW",
                                                 "ACCOUNT_UPDATE", "ORDER_TRADE_UPDATE/TRADE", "ALGO_UPDATE/FINISHED"});
    REQUIRE(evs.size() == 6);
    const std::string ai = str(evs[1].at("o").at("ai"));
    CHECK(std::to_string(evs[4].at("o").at("i").as_int64()) == ai);
    CHECK(evs[5].at("o").at("aid").as_int64() == algo_id);
    CHECK(str(evs[3].at("a").at("P").at(0).at("pa")) == "0.000");

    auto got = body(ex.send("GET", "/fapi/v1/algoOrder", {{"algoId", std::to_string(algo_id)}}));
    CHECK(str(got.at("algoStatus")) == "FINISHED");
    CHECK(str(got.at("actualOrderId")) == ai);
    CHECK(body(ex.send("GET", "/fapi/v1/openAlgoOrders", {})).as_array().empty());
    CHECK(code(ex.send("DELETE", "/fapi/v1/algoOrder", {{"algoId", std::to_string(algo_id)}})) == -2011);
}

TEST_CASE("venue: unknown_503 executes the order but loses the answer", "[sim][venue][fault]") {
    exchange ex;
    ex.price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"unknown_503"})").status == 200);
    auto r = ex.send("POST", "/fapi/v1/order",
                     {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"}, {"newClientOrderId", "x-503"}});
    CHECK(r.status == 503);
    CHECK(code(r) == -1000);
    auto q = ex.send("GET", "/fapi/v1/order", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "x-503"}});
    CHECK(str(body(q).at("status")) == "FILLED");

    auto state = body(ex.plain("GET", "/admin/state"));
    const auto& log = state.at("orderLog").as_array();
    REQUIRE(log.size() == 1);
    CHECK(str(log[0].at("clientId")) == "x-503");
    CHECK(str(log[0].at("fault")) == "unknown_503");
}

TEST_CASE("venue: hold executes an order request later, past its recvWindow, and only then", "[sim][venue][fault]") {
    exchange ex;
    ex.price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"hold","path":"/fapi/v1/order","ms":3000})").status == 200);
    CHECK(ex.plain("POST", "/admin/fault", R"({"kind":"hold","ms":0})").status == 400);
    CHECK(ex.plain("POST", "/admin/fault", R"({"kind":"hold","ms":10,"drop_answer":"yes"})").status == 400);
    http_request req;
    req.method = "POST";
    req.api_key = std::string(api_key);
    req.target = "/fapi/v1/order?" + traded::binance::signed_query({{"symbol", "BTCUSDT"},
                                                                    {"side", "SELL"},
                                                                    {"type", "MARKET"},
                                                                    {"quantity", "0.010"},
                                                                    {"newClientOrderId", "x-held"}},
                                                                   api_secret, 5000, ex.now);
    auto held = ex.v.handle(req, ex.now);
    CHECK(held.hold_ms == 3000);
    CHECK_FALSE(held.drop_answer);
    // Not executed yet: a lookup does not find it, and nothing is in the order log.
    auto q = ex.send("GET", "/fapi/v1/order", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "x-held"}});
    CHECK(code(q) == -2013);
    CHECK(body(ex.plain("GET", "/admin/state")).at("orderLog").as_array().empty());
    // Executed 6 s later: beyond its 5 s recvWindow, which it passed on arrival.
    ex.now += 6000;
    auto late = ex.v.handle_held(req, ex.now);
    CHECK(late.status == 200);
    auto found = ex.send("GET", "/fapi/v1/order", {{"symbol", "BTCUSDT"}, {"origClientOrderId", "x-held"}});
    CHECK(str(body(found).at("status")) == "FILLED");
    auto log = body(ex.plain("GET", "/admin/state")).at("orderLog").as_array();
    REQUIRE(log.size() == 1);
    CHECK(str(log[0].at("fault")) == "hold");
    // count 1: the next order request is executed at once.
    auto next = ex.send("POST", "/fapi/v1/order",
                        {{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"}, {"newClientOrderId", "x-next"}});
    CHECK(next.status == 200);
    CHECK(next.hold_ms == 0);
}

TEST_CASE("venue: listenKey lifecycle", "[sim][venue][listenkey]") {
    exchange ex;
    const std::string k1 = ex.listen_key();
    CHECK(k1.size() == 64);
    CHECK(ex.listen_key() == k1);  // POST returns the live key
    CHECK(ex.v.listen_key_active(k1));
    ex.now += 3600 * 1000;  // validity ends
    ex.v.tick(ex.now);
    auto out = ex.v.take_outbox();
    REQUIRE(out.user.size() == 1);
    CHECK(out.user[0].listen_key == k1);
    CHECK(out.user[0].event_type == "listenKeyExpired");
    CHECK_FALSE(ex.v.listen_key_active(k1));
    CHECK(code(ex.plain("PUT", "/fapi/v1/listenKey")) == -1125);
    CHECK(ex.listen_key() != k1);
}

TEST_CASE("venue: drop_request drops the next request unprocessed", "[sim][venue][fault]") {
    exchange ex;
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"drop_request","count":2,"path":"/fapi/v1/algoOrder"})").status ==
            200);
    http_request r;
    r.method = "POST";
    r.target = "/fapi/v1/algoOrder?symbol=BTCUSDT";
    http_request other;
    other.method = "POST";
    other.target = "/fapi/v1/order";
    CHECK_FALSE(ex.v.take_request_drop(other, ex.now));
    CHECK(ex.v.take_request_drop(r, ex.now));
    CHECK(ex.v.take_request_drop(r, ex.now));
    CHECK_FALSE(ex.v.take_request_drop(r, ex.now));
}

TEST_CASE("venue: rotate_streams shortens stream connections; clear restores the configured 24 h", "[sim][venue][fault]") {
    exchange ex;
    CHECK(ex.v.stream_max_connection_ms() == 86'400'000);
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"rotate_streams","ms":1500})").status == 200);
    CHECK(ex.v.stream_max_connection_ms() == 1500);
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"clear"})").status == 200);
    CHECK(ex.v.stream_max_connection_ms() == 86'400'000);
}

TEST_CASE("venue: err_1125 makes the next keep-alive find the key gone, silently", "[sim][venue][fault][listenkey]") {
    exchange ex;
    const std::string k1 = ex.listen_key();
    REQUIRE(ex.plain("POST", "/admin/fault", R"({"kind":"err_1125"})").status == 200);
    auto r = ex.plain("PUT", "/fapi/v1/listenKey");
    CHECK(r.status == 400);
    CHECK(code(r) == -1125);
    CHECK_FALSE(ex.v.listen_key_active(k1));
    CHECK(ex.v.take_outbox().user.empty());  // no listenKeyExpired event: only the answer tells
    const std::string k2 = ex.listen_key();
    CHECK(k2 != k1);
    CHECK(ex.plain("PUT", "/fapi/v1/listenKey").status == 200);  // one keep-alive only
}

#endif  // TRADED_SIM_CORE_TESTS
