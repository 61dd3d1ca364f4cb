// What notifications say and the requests they become: REAL MONEY marks, the fields SPEC §10
// requires, Telegram's and a webhook's request shape, answer classification.

#include "notify/note.hpp"
#include "notify/request.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

using namespace traded;
using namespace traded::notify;
namespace json = boost::json;

namespace {

engine::position closed_position() {
    engine::position p;
    p.position_id = "live_1700000000000_BTCUSDT";
    p.symbol = "BTCUSDT";
    p.pos_side = engine::side::long_side;
    p.status = engine::position_status::closed;
    p.qty = *decimal::parse("0.003");
    p.entry_price = *decimal::parse("50000.1");
    p.exit_price = *decimal::parse("53333.5");
    p.pnl = *decimal::parse("9.87");
    p.reason = engine::exit_reason::take_profit;
    return p;
}

/// Names `p` (not a copy, as the engine's notifications do): use it within the expression.
engine::notification position_event(const char* name, const engine::position& p) {
    engine::notification n;
    n.ch = engine::channel::positions;
    n.event_name = name;
    n.payload = engine::position_ref{&p};
    return n;
}

}  // namespace

TEST_CASE("notify: a real-trading close carries the REAL MONEY mark, prices, PnL and exit reason") {
    auto n = from_engine(engine::mode::real, position_event("position_closed", closed_position()), 1700000001000);
    REQUIRE(n);
    CHECK(n->event == "position_closed");
    const auto t = text(*n);
    CHECK(t.rfind("[REAL MONEY] real-trading: ", 0) == 0);
    CHECK(t.find("BTCUSDT LONG") != std::string::npos);
    CHECK(t.find("entry 50000.1") != std::string::npos);
    CHECK(t.find("exit 53333.5") != std::string::npos);
    CHECK(t.find("PnL +9.87 USDT") != std::string::npos);
    CHECK(t.find("(TAKE_PROFIT)") != std::string::npos);
    CHECK(t.find("live_1700000000000_BTCUSDT") != std::string::npos);

    const auto j = to_json(*n);
    CHECK(j.at("real_money").as_bool());
    CHECK(j.at("mode") == "real-trading");
    CHECK(j.at("pnl") == "9.87");  // exact decimal strings
    CHECK(j.at("exit_price") == "53333.5");
    CHECK(j.at("exit_reason") == "TAKE_PROFIT");
    CHECK(j.at("side") == "LONG");
}

TEST_CASE("notify: paper notes are marked paper, never REAL MONEY") {
    auto p = closed_position();
    p.pnl = *decimal::parse("-3.5");
    auto n = from_engine(engine::mode::paper, position_event("position_closed", p), 1);
    REQUIRE(n);
    CHECK(text(*n).rfind("[paper] paper-trading: ", 0) == 0);
    CHECK(text(*n).find("REAL MONEY") == std::string::npos);
    CHECK(text(*n).find("PnL -3.50 USDT") != std::string::npos);
    CHECK_FALSE(to_json(*n).at("real_money").as_bool());
}

TEST_CASE("notify: which engine notifications are events") {
    auto open = closed_position();
    open.status = engine::position_status::open;
    open.tp_price = *decimal::parse("53333.5");
    open.sl_price = *decimal::parse("49750");
    auto o = from_engine(engine::mode::real, position_event("position_opened", open), 1);
    REQUIRE(o);
    CHECK(text(*o).find("TP 53333.5, SL 49750") != std::string::npos);

    auto moved = from_engine(engine::mode::real, position_event("stop_moved", open), 1);
    REQUIRE(moved);
    CHECK(moved->event == "profit_floor");

    CHECK_FALSE(from_engine(engine::mode::real, position_event("position_updated", open), 1));
    CHECK_FALSE(from_engine(engine::mode::real, position_event("tp_sl_placed", open), 1));
    auto failed = closed_position();
    failed.status = engine::position_status::failed;
    CHECK_FALSE(from_engine(engine::mode::real, position_event("position_closed", failed), 1));

    engine::notification es;
    es.ch = engine::channel::safety;
    es.event_name = "emergency_stop";
    es.detail = "emergency stop: closing every position at market";
    auto e = from_engine(engine::mode::real, es, 1);
    REQUIRE(e);
    CHECK(text(*e).rfind("[REAL MONEY] real-trading: EMERGENCY STOP", 0) == 0);
}

TEST_CASE("notify: webhook request is JSON with every event and the configured headers") {
    config::notification_target_config t;
    t.type = "webhook";
    t.url = "https://hooks.example/T0KEN";
    t.headers["Authorization"] = "Bearer s3cret";
    auto a = *from_engine(engine::mode::real, position_event("position_closed", closed_position()), 1);
    auto b = daemon_note("storage_unavailable", engine::mode::paper, 2, "disk full");
    auto r = webhook_request(t, {a, b});
    CHECK(r.url == t.url);
    bool auth = false;
    for (const auto& [k, v] : r.headers) auth = auth || (k == "Authorization" && v == "Bearer s3cret");
    CHECK(auth);
    auto j = json::parse(r.body);
    CHECK(j.at("source") == "traded");
    REQUIRE(j.at("events").as_array().size() == 2);
    CHECK(j.at("events").at(0).at("event") == "position_closed");
    CHECK(j.at("events").at(1).at("event") == "storage_unavailable");
    const auto text_field = std::string(j.at("text").as_string());
    CHECK(text_field.find("[REAL MONEY]") < text_field.find("[paper]"));  // one line each, in order
}

TEST_CASE("notify: telegram sendMessage, long batches cut at 4096 characters") {
    config::notification_target_config t;
    t.type = "telegram";
    t.chat_id = "123456";
    t.api_url = "http://127.0.0.1:9/";
    std::vector<note> many;
    for (int i = 0; i < 200; ++i) many.push_back(daemon_note("reconciliation_fixed", engine::mode::real, i, "fixed x"));
    auto r = telegram_request(t, "111:AAA", many);
    CHECK(r.url == "http://127.0.0.1:9/bot111:AAA/sendMessage");
    auto j = json::parse(r.body);
    CHECK(j.at("chat_id") == "123456");
    CHECK(j.at("text").as_string().size() <= telegram_max_text);
    CHECK(std::string(j.at("text").as_string()).find("(truncated)") != std::string::npos);
}

TEST_CASE("notify: answers are classified with the server's wait") {
    auto tg429 = classify_answer(429, "", R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}})");
    CHECK(tg429.result == attempt_result::retry);
    CHECK(tg429.retry_after == 7000);
    CHECK(tg429.reason.find("Too Many Requests") != std::string::npos);
    auto hdr = classify_answer(503, "12", "");
    CHECK(hdr.result == attempt_result::retry);
    CHECK(hdr.retry_after == 12000);
    auto chat = classify_answer(400, "", R"({"ok":false,"description":"Bad Request: chat not found"})");
    CHECK(chat.result == attempt_result::give_up);
    CHECK(chat.reason == "HTTP 400: Bad Request: chat not found");
    CHECK(classify_answer(200, "", R"({"ok":true})").result == attempt_result::delivered);
}
