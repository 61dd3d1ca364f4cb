// Views: the JSON field names and value shapes the dashboard and scripts rely on (SPEC §2).

#include "api/json_text.hpp"
#include "api/views.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace traded;
using namespace traded::api;
namespace json = boost::json;

namespace {
decimal d(const char* s) { return *decimal::parse(s); }

/// The view's text, as REST answers, pushes and snapshots carry it.
template <class T>
std::string text_of(const T& x) {
    std::string out;
    append_json(out, x);
    return out;
}
/// The view parsed back (checks it is valid JSON on the way).
template <class T>
json::value to_json(const T& x) {
    return json::parse(text_of(x));
}

std::set<std::string> keys(const json::value& v) {
    std::set<std::string> out;
    for (const auto& kv : v.as_object()) out.insert(std::string(kv.key()));
    return out;
}

bool has_all(const json::value& v, std::initializer_list<const char*> names) {
    auto k = keys(v);
    bool ok = true;
    for (const char* n : names) {
        if (!k.count(n)) {
            UNSCOPED_INFO("missing field " << n);
            ok = false;
        }
    }
    return ok;
}

engine::position open_position() {
    engine::position p;
    p.position_id = "paper_1732400000000_BTCUSDT";
    p.symbol = "BTCUSDT";
    p.pos_side = engine::side::short_side;
    p.status = engine::position_status::open;
    p.entry_price = d("50000.1");
    p.qty = d("0.004");
    p.stake_usd = d("200");
    p.leverage = 4;
    p.tp_order_id = "paper_1732400000000_BTCUSDT-TP";
    p.tp_price = d("47500");
    p.mark_price = d("49000");
    p.pnl = d("5");
    p.highest_profit_ever = d("6.5");
    p.opened_at = 1732400000000;
    return p;
}
}  // namespace

TEST_CASE("position view: SPEC fields, numbers, nulls for unset values", "[views]") {
    auto v = to_json(open_position());
    CHECK(has_all(v, {"position_id", "symbol", "side", "entry_price", "qty", "stake_usd", "leverage", "tp_order_id",
                      "sl_order_id", "tp_price", "sl_price", "highest_profit_ever", "profit_floor_activated", "status",
                      "pnl", "pnl_pct", "mark_price", "opened_at", "exit_reason", "closed_at"}));
    const auto& o = v.as_object();
    CHECK(o.at("side") == "SHORT");
    CHECK(o.at("status") == "OPEN");
    CHECK(o.at("entry_price").to_number<double>() == Approx(50000.1));
    CHECK(o.at("qty").to_number<double>() == Approx(0.004));
    CHECK(o.at("leverage").as_int64() == 4);
    CHECK(o.at("tp_order_id") == "paper_1732400000000_BTCUSDT-TP");
    CHECK(o.at("sl_order_id").is_null());  // not placed yet
    CHECK(o.at("sl_price").is_null());
    CHECK(o.at("tp_price").to_number<double>() == Approx(47500));
    CHECK(o.at("exit_reason").is_null());
    CHECK(o.at("closed_at").is_null());
    CHECK(o.at("opened_at").as_int64() == 1732400000000);
    CHECK(o.at("profit_floor_activated") == false);
    // pnl_pct = pnl / (stake / leverage) * 100 = 5 / 50 * 100
    CHECK(o.at("pnl_pct").to_number<double>() == Approx(10.0));

    auto closed = open_position();
    closed.status = engine::position_status::closed;
    closed.reason = engine::exit_reason::take_profit;
    closed.closed_at = 1732400100000;
    auto c = to_json(closed).as_object();
    CHECK(c.at("exit_reason") == "TAKE_PROFIT");
    CHECK(c.at("closed_at").as_int64() == 1732400100000);
}

TEST_CASE("trade view", "[views]") {
    engine::trade t;
    t.trade_id = "paper_1_BTCUSDT-T";
    t.position_id = "paper_1_BTCUSDT";
    t.symbol = "BTCUSDT";
    t.entry_price = d("100");
    t.exit_price = d("101.5");
    t.qty = d("2");
    t.pnl = d("2.9");
    t.fees = d("0.1");
    t.commissions = {{"USDT", d("0.04")}, {"BNB", d("0.0001")}};
    t.pnl_pct = 4.35;
    t.reason = engine::exit_reason::profit_floor;
    t.opened_at = 1;
    t.closed_at = 2;
    auto v = to_json(t);
    // SPEC §5's fields plus `commissions` (additive): what was charged, by asset, beside `fees`.
    CHECK(keys(v) == std::set<std::string>{"trade_id", "position_id", "symbol", "side", "entry_price", "exit_price", "qty",
                                           "pnl", "pnl_pct", "fees", "exit_reason", "opened_at", "closed_at",
                                           "commissions"});
    REQUIRE(v.at("commissions").as_array().size() == 2);
    CHECK(v.at("commissions").at(1).at("asset") == "BNB");
    CHECK(v.at("commissions").at(1).at("amount").to_number<double>() == Approx(0.0001));
    CHECK(v.at("side") == "LONG");
    CHECK(v.at("exit_reason") == "PROFIT_FLOOR");
    CHECK(v.at("exit_price").to_number<double>() == Approx(101.5));
    CHECK(v.at("pnl_pct").to_number<double>() == Approx(4.35));
    CHECK(to_json(std::vector<engine::trade>{t, t}).as_array().size() == 2);
    CHECK(text_of(std::vector<engine::trade>{}) == "[]");
}

TEST_CASE("safety, performance, opportunity views", "[views]") {
    engine::safety_status s;
    s.max_positions = 20;
    s.open_positions = 3;
    s.positions_remaining = 17;
    s.max_daily_loss = d("500");
    s.daily_realized_pnl = d("-12.5");
    s.daily_loss_remaining = d("487.5");
    s.blocked_reasons = {"NOT_RUNNING"};
    s.stake_usd = d("200");
    s.trading_day = "2024-11-24";
    auto sv = to_json(s);
    CHECK(keys(sv) == std::set<std::string>{"max_positions", "open_positions", "positions_remaining", "max_daily_loss",
                                            "daily_realized_pnl", "daily_loss_remaining", "daily_loss_limit_hit",
                                            "emergency_stopped", "can_open_new", "blocked_reasons",
                                            "blocked_symbols", "stale_symbols", "stake_usd", "trading_day"});
    CHECK(sv.at("daily_realized_pnl").to_number<double>() == Approx(-12.5));
    CHECK(sv.at("blocked_reasons").as_array().at(0) == "NOT_RUNNING");
    CHECK(sv.at("blocked_symbols").as_object().empty());
    s.blocked_symbols["ETHUSDT"] = "UNTRACKED_POSITION";
    CHECK(to_json(s).at("blocked_symbols").at("ETHUSDT") == "UNTRACKED_POSITION");

    engine::performance_stats p;
    p.total_trades = 4;
    p.win_rate = 75;
    p.total_pnl = d("30");
    auto pv = to_json(p);
    CHECK(keys(pv) == std::set<std::string>{"total_trades", "winning_trades", "losing_trades", "win_rate", "total_pnl",
                                            "avg_pnl", "best_trade", "worst_trade", "profit_factor", "daily_pnl",
                                            "max_drawdown"});
    CHECK(pv.at("total_pnl").to_number<double>() == Approx(30));

    engine::opportunity o{"ETHUSDT", engine::side::short_side, 0.8, "momentum", 1732400000000, "synthetic"};
    auto ov = to_json(o);
    CHECK(keys(ov) == std::set<std::string>{"symbol", "side", "score", "reason", "ts", "source"});
    CHECK(ov.at("source") == "synthetic");
    CHECK(ov.at("side") == "SHORT");
}

TEST_CASE("status and balance views", "[views]") {
    status_info s;
    s.mode = engine::mode::real;
    s.enabled = true;
    s.running = true;
    s.started_at = 1732400000000;
    s.uptime_s = 42;
    s.open_positions = 2;
    s.exchange.connected = true;
    s.exchange.market_stream = "connected";
    s.exchange.user_stream = "connecting";
    s.exchange.last_event_age_ms = 150;
    s.untracked.push_back({"XRPUSDT", d("-10"), d("0.5")});
    auto status = [](const status_info& x) {
        std::string text = "{";
        append_members(text, x);
        text.push_back('}');
        return json::parse(text);
    };
    auto v = status(s);
    CHECK(has_all(v, {"mode", "enabled", "running", "emergency_stopped", "started_at", "uptime_s", "open_positions",
                      "config", "exchange"}));
    CHECK(v.at("mode") == "real-trading");
    CHECK(has_all(v.at("config"), {"stake_usd", "max_positions", "leverage", "pure_3_rule_mode", "primary_target_dollars",
                                   "absolute_floor_dollars", "stop_loss_percent", "max_daily_loss"}));
    CHECK(v.at("config").at("stop_loss_percent").to_number<double>() == Approx(0.5));
    CHECK(keys(v.at("exchange")) ==
          std::set<std::string>{"connected", "market_stream", "user_stream", "last_event_age_ms"});
    CHECK(v.at("exchange").at("last_event_age_ms").as_int64() == 150);
    CHECK(v.at("untracked").as_array().at(0).at("amount").to_number<double>() == Approx(-10));

    status_info stopped;
    auto sv = status(stopped);
    CHECK(sv.at("started_at").is_null());
    CHECK(sv.at("exchange").at("last_event_age_ms").is_null());

    balance_info b;
    b.wallet_balance = d("10000");
    b.available_balance = d("9800.5");
    b.updated_at = 5;
    auto bv = to_json(b);
    CHECK(keys(bv) == std::set<std::string>{"asset", "wallet_balance", "available_balance", "unrealized_pnl",
                                            "margin_balance", "updated_at"});
    CHECK(bv.at("asset") == "USDT");
    CHECK(bv.at("available_balance").to_number<double>() == Approx(9800.5));
}

TEST_CASE("notification data carries the payload and the detail", "[views]") {
    engine::notification n;
    n.ch = engine::channel::positions;
    n.event_name = "position_opened";
    const engine::position p = open_position();
    n.payload = engine::position_ref{&p};
    std::string text;
    append_notification_data(text, n);
    auto v = json::parse(text);
    CHECK(v.at("position_id") == "paper_1732400000000_BTCUSDT");
    CHECK_FALSE(v.as_object().contains("detail"));
    n.detail = "opened by \"momentum\"";
    text.clear();
    append_notification_data(text, n);
    CHECK(text == text_of(p).substr(0, text_of(p).size() - 1) + R"(,"detail":"opened by \"momentum\""})");

    engine::notification s;
    s.ch = engine::channel::safety;
    s.event_name = "daily_loss_limit_hit";
    s.detail = "daily loss 500 reached";
    text.clear();
    append_notification_data(text, s);
    CHECK(text == R"({"detail":"daily loss 500 reached"})");
    text.clear();
    s.detail.clear();
    append_notification_data(text, s);
    CHECK(text == "{}");
    CHECK(pnl_percent(d("1"), d("0"), 3) == 0);
}

TEST_CASE("money goes out as the decimal's exact text; display values rounded", "[views]") {
    auto p = open_position();
    p.entry_price = d("94725.1");
    p.qty = d("9999999.99999999");  // 15 significant digits: the largest kind still exact
    p.fees = d("0.00000001");       // plain form, never 1e-08
    p.pnl = d("-0.16411352");
    p.stake_usd = d("200");
    p.leverage = 3;
    p.mark_price = d("0.0004");
    const std::string text = text_of(p);
    INFO(text);
    CHECK(text.find(R"("entry_price":94725.1,)") != std::string::npos);
    CHECK(text.find(R"("qty":9999999.99999999,)") != std::string::npos);
    CHECK(text.find(R"("fees":0.00000001,)") != std::string::npos);
    CHECK(text.find(R"("pnl":-0.16411352,)") != std::string::npos);
    CHECK(text.find(R"("mark_price":0.0004,)") != std::string::npos);
    CHECK(text.find(R"("stake_usd":200,)") != std::string::npos);
    // -0.16411352 / (200 / 3) * 100 = -0.24617028 -> -0.25
    CHECK(text.find(R"("pnl_pct":-0.25,)") != std::string::npos);

    // 2.0292 / (200 / 3) * 100 = 3.0438; as doubles that was 3.0437999999999996.
    CHECK(pnl_percent(d("2.0292"), d("200"), 3) == 3.04);
    CHECK(to_text(json::value(pnl_percent(d("2.0292"), d("200"), 3))) == "3.04");

    engine::trade t;
    t.pnl_pct = 3.0437999999999996;
    CHECK(text_of(t).find(R"("pnl_pct":3.04,)") != std::string::npos);
    engine::performance_stats s;
    s.win_rate = 100.0 / 3.0;
    s.profit_factor = 1.0 / 3.0;
    const auto st = text_of(s);
    CHECK(st.find(R"("win_rate":33.33,)") != std::string::npos);
    CHECK(st.find(R"("profit_factor":0.33,)") != std::string::npos);
    engine::opportunity o{"ETHUSDT", engine::side::long_side, 0.87654321, "momentum", 1, "synthetic"};
    CHECK(text_of(o).find(R"("score":0.88,)") != std::string::npos);
}

TEST_CASE("to_text escapes strings and keys as JSON and parses back to the same value", "[views]") {
    json::object o;
    o["plain"] = "BTCUSDT";
    o["quote\"back\\slash"] = "tab\there\nnewline\r\x01\x1f end";
    o["utf8"] = "caf\xc3\xa9 \xe2\x82\xac";
    o["n"] = json::array{1, -2, 0.5, nullptr, true};
    const json::value v = o;
    const std::string text = to_text(v);
    INFO(text);
    CHECK(json::parse(text) == v);
    CHECK(text.find(R"("tab\there\nnewline\r\u0001\u001f end")") != std::string::npos);
}

TEST_CASE("text writers put money out in the decimal's exact text, beyond a double's digits", "[views]") {
    // 17-18 significant digits: through a double (the tree views had) 123456789.12345679 came
    // out as 123456789.1234568 and 1234567890.12345678 as 1234567890.1234567.
    auto p = open_position();
    p.qty = d("123456789.12345679");
    p.entry_price = d("1234567890.12345678");
    p.mark_price = d("12345678.12345678");
    p.pnl = d("-92233720368.54775807");  // the largest magnitude a decimal holds
    p.fees = d("0.00000001");
    p.commissions = {{"BNB", d("987654321.98765432")}};
    std::string text;
    append_json(text, p);
    INFO(text);
    CHECK(text.find(R"("qty":123456789.12345679,)") != std::string::npos);
    CHECK(text.find(R"("entry_price":1234567890.12345678,)") != std::string::npos);
    CHECK(text.find(R"("mark_price":12345678.12345678,)") != std::string::npos);
    CHECK(text.find(R"("pnl":-92233720368.54775807,)") != std::string::npos);
    CHECK(text.find(R"("fees":0.00000001,)") != std::string::npos);
    CHECK(text.find(R"("amount":987654321.98765432})") != std::string::npos);
    CHECK_NOTHROW(json::parse(text));

    engine::trade t;
    t.trade_id = "T";
    t.qty = d("123456789.12345679");
    t.entry_price = d("1234567890.12345678");
    t.exit_price = d("1234567890.12345679");
    t.pnl = d("0.00000001");
    t.pnl_pct = 3.0437999999999996;
    const auto tt = text_of(t);
    INFO(tt);
    CHECK(tt.find(R"("entry_price":1234567890.12345678,"exit_price":1234567890.12345679,)"
                  R"("qty":123456789.12345679,"pnl":0.00000001,"pnl_pct":3.04,)") != std::string::npos);

    engine::safety_status s;
    s.daily_realized_pnl = d("-123456789.12345679");
    CHECK(text_of(s).find(R"("daily_realized_pnl":-123456789.12345679,)") != std::string::npos);
    balance_info b;
    b.wallet_balance = d("123456789.12345679");
    CHECK(text_of(b).find(R"("wallet_balance":123456789.12345679,)") != std::string::npos);

    std::string small;
    for (const char* v : {"0", "100", "-0.5", "94725.1", "0.0004"}) {
        small.clear();
        append_decimal(small, d(v));
        CHECK(small == d(v).to_string());
    }
}

TEST_CASE("position view: valid JSON for any state, strings escaped", "[views]") {
    auto closed = open_position();
    closed.status = engine::position_status::closed;
    closed.sl_order_id = "paper_1732400000000_BTCUSDT-SL";
    closed.sl_price = d("50250.25");
    closed.exit_price = d("47499.9");
    closed.reason = engine::exit_reason::take_profit;
    closed.closed_at = 1732400060000;
    closed.updated_at = 1732400060001;
    closed.commissions = {{"USDT", d("0.00000001")}, {"BNB", d("0.00012345")}};
    closed.profit_floor_activated = true;
    closed.symbol = "WEIRD\"\\\nUSDT";
    engine::position empty;  // OPENING: no prices, no ids, no times yet
    const auto c = to_json(closed);
    CHECK(c.at("symbol") == "WEIRD\"\\\nUSDT");
    CHECK(c.at("commissions").as_array().size() == 2);
    CHECK(c.at("profit_floor_activated") == true);
    CHECK(c.at("updated_at").as_int64() == 1732400060001);
    const auto e = to_json(empty);
    CHECK(e.at("entry_price").is_null());
    CHECK(e.at("tp_order_id").is_null());
    CHECK(e.at("commissions").as_array().empty());
    CHECK(e.at("updated_at").is_null());
}

TEST_CASE("status members: money as exact text, untracked positions listed", "[views]") {
    status_info s;
    s.config.stake_usd = d("200");
    s.config.max_daily_loss = d("123456789.12345679");
    s.untracked.push_back({"ETH\"USDT", d("-0.5"), d("3000.25")});
    std::string text = "{";
    append_members(text, s);
    text.push_back('}');
    INFO(text);
    CHECK(text.find(R"("max_daily_loss":123456789.12345679})") != std::string::npos);
    CHECK(text.find(R"("untracked":[{"symbol":"ETH\"USDT","amount":-0.5,"entry_price":3000.25,"entries_blocked":true}])") !=
          std::string::npos);
    CHECK_NOTHROW(json::parse(text));
}
