// The pure router: every REST route and method, error codes naming the field, exact decimals,
// WebSocket message parsing including malformed frames, and the answer envelopes.

#include "api/router.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace traded;
using namespace traded::api;
namespace json = boost::json;

namespace {

http_request req(std::string method, std::string target, std::string body = {}) {
    return http_request{std::move(method), std::move(target), std::move(body), "application/json"};
}

command as_command(route_result r) {
    if (auto* rep = std::get_if<reply>(&r)) FAIL("expected a command, got " << rep->status << " " << rep->code << ": " << rep->message);
    return std::get<command>(std::move(r));
}

reply as_reply(route_result r) {
    if (std::holds_alternative<command>(r)) FAIL("expected an error reply, got a command");
    return std::get<reply>(std::move(r));
}

/// The error reply of a route that must fail with `status` and `code`.
reply expect_error(const http_request& r, int status, const std::string& code) {
    auto rep = as_reply(parse_http(r));
    INFO(r.method << " " << r.target << " body=" << r.body << " -> " << rep.code << ": " << rep.message);
    CHECK(rep.status == status);
    CHECK(rep.code == code);
    CHECK_FALSE(rep.is_ok());
    return rep;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

template <typename T>
T ws_as(ws_message m) {
    if (auto* e = std::get_if<ws_error>(&m)) FAIL("expected a message, got error " << e->error.code << ": " << e->error.message);
    REQUIRE(std::holds_alternative<T>(m));
    return std::get<T>(std::move(m));
}

ws_error ws_err(std::string_view text) {
    auto m = parse_ws(text);
    INFO("message: " << text);
    REQUIRE(std::holds_alternative<ws_error>(m));
    return std::get<ws_error>(std::move(m));
}

}  // namespace

TEST_CASE("GET routes map to their op for both modes", "[router]") {
    struct row {
        const char* path;
        op expected;
    };
    const row rows[] = {{"status", op::status},         {"safety-status", op::safety_status},
                        {"account-balance", op::account_balance}, {"performance", op::performance},
                        {"positions", op::positions},   {"trades", op::trades}};
    for (auto m : {engine::mode::real, engine::mode::paper}) {
        for (const auto& r : rows) {
            auto target = std::string("/api/v1/") + std::string(engine::to_string(m)) + "/" + r.path;
            INFO(target);
            auto c = as_command(parse_http(req("GET", target)));
            CHECK(c.name == r.expected);
            REQUIRE(c.mode);
            CHECK(*c.mode == m);
            CHECK(c.from.transport == "http");
        }
    }
}

TEST_CASE("POST and PUT routes map to their op", "[router]") {
    auto close = as_command(parse_http(req("POST", "/api/v1/real-trading/close-position/live_1732400000000_BTCUSDT")));
    CHECK(close.name == op::close_position);
    CHECK(*close.mode == engine::mode::real);
    CHECK(std::get<close_params>(close.args).position_id == "live_1732400000000_BTCUSDT");

    auto start = as_command(parse_http(req("POST", "/api/v1/paper-trading/start")));
    CHECK(start.name == op::start);
    CHECK_FALSE(std::get<start_params>(start.args).clear_emergency);

    CHECK(as_command(parse_http(req("POST", "/api/v1/paper-trading/stop"))).name == op::stop);
    CHECK(as_command(parse_http(req("POST", "/api/v1/paper-trading/emergency-stop"))).name == op::emergency_stop);
    auto limits = as_command(parse_http(req("PUT", "/api/v1/paper-trading/safety-limits", R"({"max_positions":3})")));
    CHECK(limits.name == op::set_safety_limits);
    CHECK(*std::get<limits_params>(limits.args).update.max_positions == 3);
}

TEST_CASE("global opportunities routes", "[router]") {
    auto list = as_command(parse_http(req("GET", "/api/v1/opportunities")));
    CHECK(list.name == op::opportunities);
    CHECK_FALSE(list.mode);

    auto sub = as_command(parse_http(req("POST", "/api/v1/opportunities", R"({"symbol":"btcusdt","side":"LONG","reason":"manual"})")));
    CHECK(sub.name == op::submit_opportunity);
    const auto& p = std::get<opportunity_params>(sub.args);
    CHECK(p.symbol == "BTCUSDT");
    CHECK(p.opp_side == engine::side::long_side);
    CHECK(p.reason == "manual");
    CHECK_FALSE(p.target);

    auto targeted = as_command(parse_http(req("POST", "/api/v1/opportunities", R"({"symbol":"ETHUSDT","side":"SHORT","mode":"real-trading"})")));
    const auto& t = std::get<opportunity_params>(targeted.args);
    CHECK(t.opp_side == engine::side::short_side);
    REQUIRE(t.target);
    CHECK(*t.target == engine::mode::real);

    CHECK(starts_with(expect_error(req("POST", "/api/v1/opportunities", R"({"side":"LONG"})"), 400, "INVALID_PARAMETER").message, "symbol"));
    CHECK(starts_with(expect_error(req("POST", "/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"UP"})"), 400, "INVALID_PARAMETER").message, "side"));
    CHECK(starts_with(expect_error(req("POST", "/api/v1/opportunities", R"({"symbol":"BTC USDT","side":"LONG"})"), 400, "INVALID_PARAMETER").message, "symbol"));
    CHECK(starts_with(expect_error(req("POST", "/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"demo"})"), 400, "INVALID_PARAMETER").message, "mode"));
    CHECK(starts_with(expect_error(req("POST", "/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","score":5})"), 400, "INVALID_PARAMETER").message, "score"));
    expect_error(req("DELETE", "/api/v1/opportunities"), 405, "METHOD_NOT_ALLOWED");
}

TEST_CASE("wrong method on a known path is 405 with the allowed methods", "[router]") {
    expect_error(req("POST", "/api/v1/paper-trading/status"), 405, "METHOD_NOT_ALLOWED");
    expect_error(req("GET", "/api/v1/paper-trading/start"), 405, "METHOD_NOT_ALLOWED");
    expect_error(req("POST", "/api/v1/real-trading/safety-limits", "{}"), 405, "METHOD_NOT_ALLOWED");
    expect_error(req("GET", "/api/v1/real-trading/close-position/abc"), 405, "METHOD_NOT_ALLOWED");
    expect_error(req("DELETE", "/api/v1/real-trading/positions"), 405, "METHOD_NOT_ALLOWED");
    CHECK(allowed_methods("/api/v1/paper-trading/status") == "GET");
    CHECK(allowed_methods("/api/v1/paper-trading/safety-limits?x=1") == "PUT");
    CHECK(allowed_methods("/api/v1/paper-trading/close-position/x") == "POST");
    CHECK(allowed_methods("/api/v1/opportunities") == "GET, POST");
    CHECK(allowed_methods("/api/v1/nope") == "");
}

TEST_CASE("unknown paths are 404 NOT_FOUND, unknown modes 404 UNKNOWN_MODE", "[router]") {
    expect_error(req("GET", "/api/v1/paper-trading/nope"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v1/paper-trading"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v1/paper-trading/status/extra"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v1/paper-trading/status/"), 404, "NOT_FOUND");
    expect_error(req("POST", "/api/v1/paper-trading/close-position"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v2/paper-trading/status"), 404, "NOT_FOUND");
    expect_error(req("GET", "/"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v1/"), 404, "NOT_FOUND");
    auto m = expect_error(req("GET", "/api/v1/demo-trading/status"), 404, "UNKNOWN_MODE");
    CHECK(m.message.find("demo-trading") != std::string::npos);
    expect_error(req("POST", "/api/v1/live/start"), 404, "UNKNOWN_MODE");
    expect_error(req("GET", "/api/v1/opportunities/"), 404, "NOT_FOUND");
    expect_error(req("GET", "/api/v1/foo/bar"), 404, "NOT_FOUND");
}

TEST_CASE("trades: limit and since parsing", "[router]") {
    auto def = std::get<trades_params>(as_command(parse_http(req("GET", "/api/v1/paper-trading/trades"))).args);
    CHECK(def.limit == 100);
    CHECK(def.since == 0);

    auto p = std::get<trades_params>(
        as_command(parse_http(req("GET", "/api/v1/paper-trading/trades?limit=25&since=1732400000000&_=cachebust"))).args);
    CHECK(p.limit == 25);
    CHECK(p.since == 1732400000000);
    CHECK(std::get<trades_params>(as_command(parse_http(req("GET", "/api/v1/paper-trading/trades?limit=1"))).args).limit == 1);
    CHECK(std::get<trades_params>(as_command(parse_http(req("GET", "/api/v1/paper-trading/trades?limit=1000"))).args).limit == 1000);
    CHECK(std::get<trades_params>(as_command(parse_http(req("GET", "/api/v1/paper-trading/trades?limit=050"))).args).limit == 50);

    for (const char* bad : {"0", "1001", "-1", "abc", "", "1.5", "99999999999999999999", "10%20"}) {
        auto r = expect_error(req("GET", std::string("/api/v1/paper-trading/trades?limit=") + bad), 400, "INVALID_PARAMETER");
        CHECK(starts_with(r.message, "limit:"));
    }
    for (const char* bad : {"-5", "yesterday", "", "1e3"}) {
        auto r = expect_error(req("GET", std::string("/api/v1/paper-trading/trades?since=") + bad), 400, "INVALID_PARAMETER");
        CHECK(starts_with(r.message, "since:"));
    }
}

TEST_CASE("close-position: position id charset and length", "[router]") {
    auto ok = as_command(parse_http(req("POST", "/api/v1/paper-trading/close-position/paper_1700000000000_BTC-USDT.x:1")));
    CHECK(std::get<close_params>(ok.args).position_id == "paper_1700000000000_BTC-USDT.x:1");
    CHECK(as_command(parse_http(req("POST", "/api/v1/paper-trading/close-position/" + std::string(64, 'a')))).name == op::close_position);
    for (std::string bad : {std::string(65, 'a'), std::string("a$b"), std::string("a%20b"), std::string(""), std::string("\"x\"")}) {
        auto r = expect_error(req("POST", "/api/v1/paper-trading/close-position/" + bad), 400, "INVALID_PARAMETER");
        CHECK(starts_with(r.message, "position_id:"));
    }
}

TEST_CASE("start: optional clear_emergency body", "[router]") {
    auto s = [](std::string body) { return req("POST", "/api/v1/real-trading/start", std::move(body)); };
    CHECK(std::get<start_params>(as_command(parse_http(s(R"({"clear_emergency": true})"))).args).clear_emergency);
    CHECK_FALSE(std::get<start_params>(as_command(parse_http(s(R"({"clear_emergency": false})"))).args).clear_emergency);
    CHECK_FALSE(std::get<start_params>(as_command(parse_http(s("{}"))).args).clear_emergency);
    CHECK_FALSE(std::get<start_params>(as_command(parse_http(s("  \n"))).args).clear_emergency);
    CHECK(starts_with(expect_error(s(R"({"clear_emergency":"yes"})"), 400, "INVALID_PARAMETER").message, "clear_emergency"));
    CHECK(starts_with(expect_error(s(R"({"clear_emergency":1})"), 400, "INVALID_PARAMETER").message, "clear_emergency"));
    CHECK(starts_with(expect_error(s(R"({"force":true})"), 400, "INVALID_PARAMETER").message, "force"));
    CHECK(starts_with(expect_error(s(R"({"clear_emergency":true,"clear_emergency":false})"), 400, "INVALID_PARAMETER").message, "clear_emergency"));
    CHECK(starts_with(expect_error(req("POST", "/api/v1/real-trading/stop", R"({"now":1})"), 400, "INVALID_PARAMETER").message, "now"));
}

TEST_CASE("bodies that are not valid JSON are 400 INVALID_JSON", "[router]") {
    for (const char* bad : {"{", "not json", R"({"clear_emergency":tru})", R"({"clear_emergency":true} x)",
                            R"({"clear_emergency":true}})", R"({"a" 1})", R"({"a":1,})", "[true]", "42", "\"s\"",
                            R"({"stake_usd":1.2.3})", R"({"stake_usd":01})", R"({"stake_usd":-})", R"({"stake_usd":.5})",
                            "{\"a\":\"\xff\xfe\"}", R"({"a":"\q"})"}) {
        const char* path = std::string_view(bad).find("stake") != std::string_view::npos ? "/api/v1/paper-trading/safety-limits"
                                                                                           : "/api/v1/paper-trading/start";
        const char* method = std::string_view(path).find("safety") != std::string_view::npos ? "PUT" : "POST";
        expect_error(req(method, path, bad), 400, "INVALID_JSON");
    }
}

TEST_CASE("safety-limits: exact decimals, at least one field, typed errors", "[router]") {
    auto put = [](std::string body) { return req("PUT", "/api/v1/paper-trading/safety-limits", std::move(body)); };
    auto limits = [&](std::string body) {
        return std::get<limits_params>(as_command(parse_http(put(std::move(body)))).args).update;
    };
    auto u = limits(R"({"stake_usd": 250.12345678, "max_positions": 7, "max_daily_loss": 300.5})");
    CHECK(u.stake_usd->raw() == 25'012'345'678);
    CHECK(*u.max_positions == 7);
    CHECK(u.max_daily_loss->raw() == 30'050'000'000);
    // Values a double cannot hold exactly come through exactly.
    CHECK(limits(R"({"stake_usd":0.1})").stake_usd->raw() == 10'000'000);
    CHECK(limits(R"({"stake_usd":92233720368.54775807})").stake_usd->raw() == 9'223'372'036'854'775'807);
    CHECK(limits(R"({"stake_usd":1e2})").stake_usd->raw() == 10'000'000'000);
    CHECK(limits(R"({"stake_usd":2.50E-1})").stake_usd->raw() == 25'000'000);
    CHECK(limits(R"({"stake_usd":100.000000000000})").stake_usd->raw() == 10'000'000'000);
    CHECK(limits(R"({"max_daily_loss":0})").max_daily_loss->is_zero());
    CHECK(*limits(R"({"max_positions":1e1})").max_positions == 10);
    CHECK_FALSE(limits(R"({"max_positions":5})").stake_usd);

    auto field_error = [&](std::string body, const std::string& field) {
        auto r = expect_error(put(std::move(body)), 400, "INVALID_PARAMETER");
        CHECK(starts_with(r.message, field + ":"));
    };
    field_error(R"({"stake_usd":"100"})", "stake_usd");
    field_error(R"({"stake_usd":0.123456789})", "stake_usd");  // would need rounding: refused
    field_error(R"({"stake_usd":0})", "stake_usd");
    field_error(R"({"stake_usd":-5})", "stake_usd");
    field_error(R"({"stake_usd":1e20})", "stake_usd");
    field_error(R"({"stake_usd":true})", "stake_usd");
    field_error(R"({"stake_usd":{"v":1}})", "stake_usd");
    field_error(R"({"max_positions":2.5})", "max_positions");
    field_error(R"({"max_positions":-1})", "max_positions");
    field_error(R"({"max_positions":"3"})", "max_positions");
    field_error(R"({"max_daily_loss":-1})", "max_daily_loss");
    field_error(R"({"stake_usd":100,"leverage":10})", "leverage");
    expect_error(put("{}"), 400, "INVALID_PARAMETER");
    expect_error(put(""), 400, "INVALID_PARAMETER");
    // null counts as absent
    expect_error(put(R"({"stake_usd":null})"), 400, "INVALID_PARAMETER");
}

TEST_CASE("query parameters are percent-decoded", "[router]") {
    CHECK(query_param("/x?access_token=a%2Bb%3D&y=1", "access_token") == "a+b=");
    CHECK(query_param("/x?y=1", "access_token") == std::nullopt);
    CHECK(query_param("/x", "y") == std::nullopt);
    CHECK(query_param("/x?y", "y") == "");
    CHECK(target_path("/api/v1/ws?access_token=t") == "/api/v1/ws");
}

// ---------------------------------------------------------------------------------------------
// WebSocket messages
// ---------------------------------------------------------------------------------------------

TEST_CASE("ws: subscribe with channels, modes and since_seq", "[router][ws]") {
    auto s = ws_as<ws_subscribe>(parse_ws(
        R"({"op":"subscribe","id":1,"channels":["positions","trades"],"modes":["real-trading"],"since_seq":123})"));
    CHECK(s.id == json::value(1));
    CHECK(s.channels == std::vector<engine::channel>{engine::channel::positions, engine::channel::trades});
    CHECK(s.modes == std::vector<engine::mode>{engine::mode::real});
    REQUIRE(s.since_seq.count(engine::mode::real) == 1);
    CHECK(s.since_seq.at(engine::mode::real) == 123);

    auto all = ws_as<ws_subscribe>(parse_ws(R"({"op":"subscribe","id":"a"})"));
    CHECK(all.id == json::value("a"));
    CHECK(all.channels.size() == 6);
    CHECK(all.modes.size() == 2);
    CHECK(all.since_seq.empty());

    auto per_mode = ws_as<ws_subscribe>(parse_ws(
        R"({"since_seq":{"paper-trading":5,"real-trading":9},"op":"subscribe","id":2,"channels":["safety"]})"));
    CHECK(per_mode.since_seq.at(engine::mode::paper) == 5);
    CHECK(per_mode.since_seq.at(engine::mode::real) == 9);

    auto e = ws_err(R"({"op":"subscribe","id":3,"channels":["positions","gossip"]})");
    CHECK(e.id == json::value(3));
    CHECK(e.error.code == "INVALID_PARAMETER");
    CHECK(starts_with(e.error.message, "channels:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"modes":["demo"]})").error.message, "modes:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"channels":"positions"})").error.message, "channels:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"channels":[1]})").error.message, "channels:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"since_seq":-1})").error.message, "since_seq:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"since_seq":{"x":1}})").error.message, "since_seq:"));
    CHECK(starts_with(ws_err(R"({"op":"subscribe","id":3,"mode":"paper-trading"})").error.message, "mode:"));
}

TEST_CASE("ws: unsubscribe and auth", "[router][ws]") {
    auto u = ws_as<ws_unsubscribe>(parse_ws(R"({"op":"unsubscribe","id":2,"channels":["trades"]})"));
    CHECK(u.channels == std::vector<engine::channel>{engine::channel::trades});
    CHECK(u.modes.size() == 2);

    auto a = ws_as<ws_auth>(parse_ws(R"({"op":"auth","token":"s3cret"})"));
    CHECK(a.token == "s3cret");
    CHECK(a.id.is_null());
    CHECK(ws_as<ws_auth>(parse_ws(R"({"op":"auth","id":9,"token":"t"})")).id == json::value(9));
    CHECK(starts_with(ws_err(R"({"op":"auth"})").error.message, "token:"));
    CHECK(starts_with(ws_err(R"({"op":"auth","token":5})").error.message, "token:"));
}

TEST_CASE("ws: commands carry the same params as REST", "[router][ws]") {
    auto t = ws_as<ws_command>(parse_ws(R"({"op":"trades","id":3,"mode":"real-trading","params":{"limit":10,"since":5}})"));
    CHECK(t.id == json::value(3));
    CHECK(t.cmd.name == op::trades);
    CHECK(*t.cmd.mode == engine::mode::real);
    CHECK(t.cmd.from.transport == "ws");
    auto rest = as_command(parse_http(req("GET", "/api/v1/real-trading/trades?limit=10&since=5")));
    CHECK(std::get<trades_params>(t.cmd.args).limit == std::get<trades_params>(rest.args).limit);
    CHECK(std::get<trades_params>(t.cmd.args).since == std::get<trades_params>(rest.args).since);

    // The same validation message whichever transport.
    auto ws_bad = ws_err(R"({"op":"trades","id":4,"mode":"real-trading","params":{"limit":5000}})");
    auto rest_bad = as_reply(parse_http(req("GET", "/api/v1/real-trading/trades?limit=5000")));
    CHECK(ws_bad.error.code == rest_bad.code);
    CHECK(ws_bad.error.message == rest_bad.message);
    CHECK(ws_bad.id == json::value(4));

    auto c = ws_as<ws_command>(parse_ws(R"({"op":"close_position","id":5,"mode":"paper-trading","params":{"position_id":"paper_1_BTCUSDT"}})"));
    CHECK(std::get<close_params>(c.cmd.args).position_id == "paper_1_BTCUSDT");
    CHECK(starts_with(ws_err(R"({"op":"close_position","id":5,"mode":"paper-trading"})").error.message, "position_id:"));

    auto l = ws_as<ws_command>(parse_ws(R"({"op":"set_safety_limits","id":6,"mode":"paper-trading","params":{"stake_usd":0.3}})"));
    CHECK(std::get<limits_params>(l.cmd.args).update.stake_usd->raw() == 30'000'000);

    auto st = ws_as<ws_command>(parse_ws(R"({"op":"start","id":7,"mode":"paper-trading","params":{"clear_emergency":true}})"));
    CHECK(std::get<start_params>(st.cmd.args).clear_emergency);

    auto o = ws_as<ws_command>(parse_ws(R"({"op":"submit_opportunity","id":8,"mode":"real-trading","params":{"symbol":"SOLUSDT","side":"SHORT"}})"));
    CHECK(std::get<opportunity_params>(o.cmd.args).target == engine::mode::real);
    auto o2 = ws_as<ws_command>(parse_ws(R"({"op":"submit_opportunity","id":8,"params":{"symbol":"SOLUSDT","side":"LONG"}})"));
    CHECK_FALSE(std::get<opportunity_params>(o2.cmd.args).target);
    auto ops = ws_as<ws_command>(parse_ws(R"({"op":"opportunities","id":9})"));
    CHECK(ops.cmd.name == op::opportunities);

    for (const char* name : {"status", "safety_status", "account_balance", "performance", "positions", "stop", "emergency_stop"}) {
        auto text = std::string(R"({"op":")") + name + R"(","id":1,"mode":"paper-trading"})";
        auto cmd = ws_as<ws_command>(parse_ws(text));
        CHECK(to_string(cmd.cmd.name) == name);
    }
}

TEST_CASE("ws: malformed messages become error answers with the id when known", "[router][ws]") {
    auto missing_id = ws_err(R"({"op":"status","mode":"paper-trading"})");
    CHECK(missing_id.error.code == "MISSING_ID");
    CHECK(missing_id.id.is_null());

    auto unknown = ws_err(R"({"op":"self_destruct","id":11})");
    CHECK(unknown.error.code == "UNKNOWN_OP");
    CHECK(unknown.id == json::value(11));

    CHECK(ws_err(R"({"id":12})").error.code == "MISSING_OP");
    CHECK(ws_err(R"({"op":"status","id":13})").error.message.rfind("mode:", 0) == 0);
    auto bad_mode = ws_err(R"({"op":"status","id":14,"mode":"demo"})");
    CHECK(bad_mode.error.code == "UNKNOWN_MODE");
    CHECK(bad_mode.id == json::value(14));
    CHECK(starts_with(ws_err(R"({"op":"status","id":15,"mode":"paper-trading","params":[1]})").error.message, "params:"));
    CHECK(starts_with(ws_err(R"({"op":"status","id":16,"mode":"paper-trading","params":{"x":1}})").error.message, "x:"));
    CHECK(starts_with(ws_err(R"({"op":"status","id":17,"mode":"paper-trading","extra":true})").error.message, "extra:"));
    CHECK(starts_with(ws_err(R"({"op":"status","id":1.5,"mode":"paper-trading"})").error.message, "id:"));
    CHECK(starts_with(ws_err(R"({"op":"status","id":{},"mode":"paper-trading"})").error.message, "id:"));
    CHECK(starts_with(ws_err(R"({"op":"status","id":1e999999999999,"mode":"paper-trading"})").error.message, "id:"));
    CHECK(ws_err(R"({"op":"status","id":"x","id":"y","mode":"paper-trading"})").error.code == "INVALID_PARAMETER");

    for (std::string bad : {std::string("{"), std::string(""), std::string("null"), std::string("[]"), std::string("42"),
                            std::string(R"({"op":"status","id":1,"mode":"paper-trading")"),
                            std::string(R"({"op":"status","id":1}})"), std::string(R"({"op":"status" "id":1})"),
                            std::string("\x00\x01\x02", 3),
                            std::string("{\"op\":\"st\xff\"}"), std::string(20000, '['), std::string(20000, '{')}) {
        auto e = ws_err(bad);
        CHECK(e.error.code == "INVALID_JSON");
    }
    // The id is echoed when it came before the broken part.
    auto partial = ws_err(R"({"id":21,"op":"status","mode":"paper-trading","params":{"limit":})");
    CHECK(partial.error.code == "INVALID_JSON");
    CHECK(partial.id == json::value(21));
}

TEST_CASE("envelopes", "[router]") {
    json::object data;
    data["x"] = 1;
    CHECK(render_http_body(reply::ok(data)) == R"({"success":true,"data":{"x":1}})");
    CHECK(render_http_body(reply::error(404, "NOT_FOUND", "no such position")) ==
          R"({"success":false,"error":{"code":"NOT_FOUND","message":"no such position"}})");
    CHECK(render_ws_answer(json::value(3), reply::ok(json::array{1, 2})) == R"({"id":3,"success":true,"data":[1,2]})");
    CHECK(render_ws_answer(nullptr, reply::error(400, "MISSING_ID", "id is required")) ==
          R"({"id":null,"success":false,"error":{"code":"MISSING_ID","message":"id is required"}})");
    // Output is valid JSON even for hostile text.
    auto v = json::parse(render_http_body(reply::error(400, "X", "quote \" backslash \\ ctrl \x01")));
    CHECK(v.at("error").at("message").as_string() == "quote \" backslash \\ ctrl \x01");
}

TEST_CASE("router: mutated and truncated input never crashes and always gives an answer", "[router][fuzz]") {
    const std::vector<std::string> seeds = {
        R"({"op":"subscribe","id":1,"channels":["positions","trades"],"modes":["real-trading"],"since_seq":{"paper-trading":5}})",
        R"({"op":"set_safety_limits","id":"x","mode":"paper-trading","params":{"stake_usd":250.125,"max_positions":3}})",
        R"({"op":"submit_opportunity","id":7,"params":{"symbol":"BTCUSDT","side":"LONG","reason":"a\u00e9\n"}})",
        R"({"op":"auth","token":"abc"})",
    };
    std::mt19937 rng(12345);
    std::size_t answered = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string s = seeds[static_cast<std::size_t>(i) % seeds.size()];
        int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !s.empty(); ++e) {
            std::size_t at = rng() % s.size();
            switch (rng() % 4) {
                case 0: s[at] = static_cast<char>(rng() % 256); break;
                case 1: s.erase(at, 1); break;
                case 2: s.insert(at, 1, "{}[]\",:0e-.\\ntf"[rng() % 15]); break;
                case 3: s.resize(at); break;
            }
        }
        auto m = parse_ws(s);
        std::visit([&](const auto& x) { answered += x.id.is_null() || x.id.is_int64() || x.id.is_string(); }, m);
        if (auto* err = std::get_if<ws_error>(&m)) {
            auto text = render_ws_answer(err->id, err->error);
            CHECK_NOTHROW(json::parse(text));
        }
        auto r = parse_http(req("PUT", "/api/v1/paper-trading/safety-limits", s));
        if (auto* rep = std::get_if<reply>(&r)) CHECK(rep->status == 400);
    }
    CHECK(answered == 20000);
}

// Issue 10, finding 2 and 3: hostile messages cost bounded work and bounded answers.
TEST_CASE("router: member caps, duplicate keys by hash, truncated echoes", "[router][hardening]") {
    auto many = [](std::size_t n) {
        std::string s = "{";
        for (std::size_t i = 0; i < n; ++i) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
        return s + "}";
    };
    {  // a message of thousands of keys is refused at the 33rd, whatever follows
        auto e = ws_err(many(7700));
        CHECK(e.error.code == "INVALID_PARAMETER");
        CHECK(e.error.message == "message: too many fields (at most 32)");
    }
    {  // the same inside params, and in a REST body
        std::string msg = R"({"op":"trades","id":1,"mode":"paper-trading","params":)" + many(500) + "}";
        auto e = ws_err(msg);
        CHECK(e.error.message == "params: too many fields (at most 32)");
        CHECK(e.id.as_int64() == 1);
        auto r = expect_error(req("PUT", "/api/v1/paper-trading/safety-limits", many(40)), 400, "INVALID_PARAMETER");
        CHECK(r.message == "body: too many fields (at most 32)");
    }
    {  // 32 members are still read (and refused for what they are)
        auto r = expect_error(req("PUT", "/api/v1/paper-trading/safety-limits", many(32)), 400, "INVALID_PARAMETER");
        CHECK(r.message == "k0: unknown field");
    }
    {  // duplicates are still found, wherever they are
        auto r = expect_error(req("POST", "/api/v1/paper-trading/start",
                                  R"({"a":1,"b":2,"c":3,"clear_emergency":true,"clear_emergency":false})"),
                              400, "INVALID_PARAMETER");
        CHECK(r.message == "clear_emergency: duplicate field");
        CHECK(ws_err(R"({"op":"auth","token":"a","token":"b"})").error.message == "token: duplicate field");
    }
    {  // a long key comes back cut to 64 characters, not whole
        const std::string key(60000, 'q');
        auto e = ws_err(R"({"op":"status","id":1,")" + key + R"(":1})");
        CHECK(e.error.message == std::string(64, 'q') + "...: unknown field");
        auto r = expect_error(req("POST", "/api/v1/paper-trading/start", "{\"" + key + "\":true}"), 400,
                              "INVALID_PARAMETER");
        CHECK(r.message.size() < 100);
        auto bad = ws_err(R"({"op":"status","id":1,")" + key + R"(":tru})");
        CHECK(bad.error.message.size() < 120);
    }
    {  // channel lists are capped too
        std::string list = "[";
        for (int i = 0; i < 1000; ++i) list += (i ? ",\"x\"" : "\"x\"");
        list += "]";
        auto e = ws_err(R"({"op":"subscribe","id":1,"channels":)" + list + "}");
        CHECK(e.error.message == "channels: at most 32 items");
    }
}
