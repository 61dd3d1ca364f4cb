// The soak's checks must be able to fail: each invariant is shown a state that breaks it.

#include "tests/soak/invariants.hpp"

#include <catch2/catch.hpp>

using namespace traded::soak;

namespace {

json::object algo(const std::string& symbol, const std::string& type, const std::string& status = "NEW") {
    return json::object{{"symbol", symbol}, {"orderType", type}, {"algoStatus", status}, {"clientAlgoId", "x"}};
}

json::object log_row(const std::string& cid, const std::string& qty) {
    return json::object{{"method", "POST"}, {"path", "/fapi/v1/order"}, {"clientId", cid}, {"symbol", "BTCUSDT"},
                        {"side", "BUY"},    {"type", "MARKET"},         {"quantity", qty}, {"triggerPrice", ""},
                        {"reduceOnly", false}, {"closePosition", false}};
}

/// One long BTCUSDT position, protected, known to the daemon, with one trade for an older one.
snapshot healthy() {
    snapshot s;
    s.ok = true;
    json::object account{{"positions", json::array{json::object{{"symbol", "BTCUSDT"}, {"positionAmt", "0.004"}}}},
                         {"algoOrders", json::array{algo("BTCUSDT", "STOP_MARKET"), algo("BTCUSDT", "TAKE_PROFIT_MARKET"),
                                                    algo("ETHUSDT", "STOP_MARKET", "CANCELED")}}};
    s.exchange = json::object{{"accounts", json::array{account}},
                              {"orderLog", json::array{log_row("p1-E", "0.004"), log_row("p1-E", "0.004")}}};
    s.daemon_positions = json::array{json::object{
        {"position_id", "p1"}, {"symbol", "BTCUSDT"}, {"side", "LONG"}, {"qty", 0.004}, {"status", "OPEN"}}};
    s.daemon_trades = json::array{json::object{{"position_id", "p0"}}};
    return s;
}

json::array& algos(snapshot& s) { return s.exchange.at("accounts").at(0).at("algoOrders").as_array(); }

}  // namespace

TEST_CASE("soak invariants: a healthy state passes", "[invariants]") {
    auto s = healthy();
    CHECK(transient_violations(s).empty());
    CHECK(hard_violations(s).empty());
    CHECK(quiesced_differences(s).empty());
    CHECK(flat_differences(s).size() == 2);  // a position on both sides
}

TEST_CASE("soak invariants: unprotected, doubly protected and orphaned orders", "[invariants]") {
    auto s = healthy();
    algos(s).erase(algos(s).begin());  // the stop
    CHECK(transient_violations(s).count("protect:BTCUSDT") == 1);
    s = healthy();
    algos(s).push_back(algo("BTCUSDT", "TAKE_PROFIT_MARKET"));
    CHECK(transient_violations(s).count("protect:BTCUSDT") == 1);
    s = healthy();
    algos(s).push_back(algo("SOLUSDT", "STOP_MARKET"));
    CHECK(transient_violations(s).count("orphan:SOLUSDT") == 1);
}

TEST_CASE("soak invariants: the daemon and the exchange disagree", "[invariants]") {
    auto s = healthy();
    s.daemon_positions.at(0).as_object()["side"] = "SHORT";
    CHECK(transient_violations(s).count("mismatch:BTCUSDT") == 1);
    s = healthy();
    s.daemon_positions.at(0).as_object()["status"] = "CLOSED";
    CHECK(transient_violations(s).count("mismatch:BTCUSDT") == 1);
    s = healthy();
    s.daemon_positions.at(0).as_object()["status"] = "CLOSING";
    CHECK_FALSE(quiesced_differences(s).empty());
}

TEST_CASE("soak invariants: a transient violation is reported once it outlasts the grace", "[invariants]") {
    auto s = healthy();
    algos(s).erase(algos(s).begin());
    invariant_tracker t(1000);
    CHECK(t.observe(s, 0).empty());
    CHECK(t.observe(s, 900).empty());
    CHECK(t.observe(s, 1500).size() == 1);
    CHECK(t.observe(s, 2500).empty());  // reported once
    invariant_tracker u(1000);
    CHECK(u.observe(s, 0).empty());
    CHECK(u.observe(healthy(), 600).empty());  // it went away: the clock restarts
    CHECK(u.observe(s, 1200).empty());
}

TEST_CASE("soak invariants: one client id, two intents; a trade recorded twice", "[invariants]") {
    auto s = healthy();
    s.exchange.at("orderLog").as_array().push_back(log_row("p1-E", "0.005"));
    REQUIRE(hard_violations(s).size() == 1);
    CHECK(hard_violations(s)[0].find("p1-E") != std::string::npos);
    s = healthy();
    s.daemon_trades.push_back(json::object{{"position_id", "p0"}});
    CHECK(hard_violations(s).size() == 1);
    s = healthy();
    s.daemon_trades.push_back(json::object{{"position_id", "p1"}});  // still OPEN
    CHECK(hard_violations(s).size() == 1);
}

TEST_CASE("soak invariants: WebSocket seq and trade pushes", "[invariants]") {
    auto ev = [](std::int64_t seq, const std::string& event, const std::string& id = "p1") {
        return json::object{{"type", "event"},  {"mode", "real-trading"}, {"seq", seq}, {"event", event},
                            {"data", json::object{{"position_id", id}, {"status", "CLOSED"}}}};
    };
    stream_checker c;
    c.on_message(json::object{{"type", "snapshot"}, {"mode", "real-trading"}, {"seq", 10}, {"channel", "positions"}});
    c.on_message(json::object{{"type", "snapshot"}, {"mode", "real-trading"}, {"seq", 10}, {"channel", "trades"}});
    c.on_message(ev(11, "position_updated"));
    c.on_message(ev(13, "position_closed"));
    c.on_message(ev(14, "trade_recorded"));
    c.on_message(json::object{{"type", "event"}, {"channel", "market"}, {"event", "quote"}});  // no seq
    CHECK(c.violations().empty());
    CHECK(c.closed_positions().count("p1") == 1);
    c.on_message(ev(14, "position_updated"));
    CHECK(c.violations().size() == 1);
    auto corrected = ev(15, "trade_recorded");
    corrected["data"].as_object()["detail"] = "corrected";
    c.on_message(corrected);  // one correction is fine
    CHECK(c.violations().size() == 1);
    corrected["seq"] = 16;
    c.on_message(corrected);
    CHECK(c.violations().size() == 2);
    c.on_message(ev(17, "trade_recorded"));
    CHECK(c.violations().size() == 3);
}
