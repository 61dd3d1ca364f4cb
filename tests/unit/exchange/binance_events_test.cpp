// Golden tests: WebSocket payloads of binance-usdm.md §6-§7 parsed field by field.
#include "exchange/binance/stream_events.hpp"

#include "tests/unit/exchange/binance_test_util.hpp"

#include <catch2/catch.hpp>

using namespace traded;
using namespace traded::binance;
using traded::binance::test::as;
using traded::binance::test::fixture;

namespace {
decimal d(std::string_view s) { return *decimal::parse(s); }

}  // namespace

TEST_CASE("bookTicker raw and combined-stream wrapped", "[binance][golden]") {
    json_parser p;
    for (auto name : {"book_ticker.json", "book_ticker_combined.json"}) test::check_doc_book_ticker(parse_market_event(fixture(name), p));
}

TEST_CASE("markPriceUpdate", "[binance][golden]") {
    auto ev = parse_market_event(fixture("mark_price_update.json"));
    const auto& m = as<mark_price_update>(ev);
    CHECK(m.symbol == "BTCUSDT");
    CHECK(m.mark_price == d("11794.15"));
    CHECK(*m.index_price == d("11784.62659091"));
    CHECK(*m.funding_rate == d("0.00038167"));
    CHECK(m.next_funding_time == 1562306400000);
    CHECK(m.event_time == 1562305380000);
}

TEST_CASE("aggTrade", "[binance][golden]") {
    auto ev = parse_market_event(fixture("agg_trade.json"));
    const auto& t = as<agg_trade>(ev);
    CHECK(t.symbol == "BTCUSDT");
    CHECK(t.agg_trade_id == 5933014);
    CHECK(t.price == d("0.001"));
    CHECK(t.qty == d("100"));
    CHECK(t.first_trade_id == 100);
    CHECK(t.last_trade_id == 105);
    CHECK(t.trade_time == 123456785);
    CHECK(t.buyer_is_maker);
}

TEST_CASE("market: other streams and control answers are ignored, not errors", "[binance][golden]") {
    auto depth = parse_market_event(fixture("depth_update.json"));
    REQUIRE(std::holds_alternative<ignored_event>(depth));
    CHECK(std::get<ignored_event>(depth).event_type == "depthUpdate");
    CHECK(std::holds_alternative<ignored_event>(parse_market_event(fixture("ws_subscribe_response.json"))));
    CHECK(std::holds_alternative<ignored_event>(parse_market_event(fixture("ws_list_subscriptions.json"))));
    auto err = parse_market_event(fixture("ws_error_unknown_property.json"));
    REQUIRE(std::holds_alternative<ignored_event>(err));
    CHECK(std::get<ignored_event>(err).event_type == "error: Unknown property");
    CHECK(std::holds_alternative<ignored_event>(parse_market_event(fixture("ws_error_invalid_json.json"))));
    CHECK(std::holds_alternative<ignored_event>(parse_market_event(std::string("[").append(fixture("mark_price_update.json")).append("]"))));
    CHECK(std::holds_alternative<ignored_event>(
        parse_market_event(R"({"stream":"!markPrice@arr@1s","data":[{"e":"markPriceUpdate"}]})")));
}

TEST_CASE("ORDER_TRADE_UPDATE doc example: NEW trailing stop", "[binance][golden]") {
    auto ev = parse_user_event(fixture("order_trade_update_doc.json"));
    const auto& u = as<order_trade_update>(ev);
    CHECK(u.event_time == 1568879465651);
    CHECK(u.transaction_time == 1568879465650);
    CHECK(u.symbol == "BTCUSDT");
    CHECK(u.client_order_id == "TEST");
    CHECK(u.side == "SELL");
    CHECK(u.order_type == "TRAILING_STOP_MARKET");
    CHECK(u.execution_type == "NEW");
    CHECK(u.order_status == "NEW");
    CHECK(u.state == engine::order_status::accepted);
    CHECK(u.order_id == 8886774);
    CHECK(u.orig_qty == d("0.001"));
    CHECK(u.stop_price == d("7103.04"));
    CHECK(u.commission_asset == "USDT");
    CHECK(u.commission.is_zero());
    CHECK(u.trade_id == 0);
    CHECK(u.position_side == "LONG");
    CHECK_FALSE(u.reduce_only);
    CHECK_FALSE(u.is_fill());
    CHECK(u.expiry_reason == "0");
}

TEST_CASE("ORDER_TRADE_UPDATE MARKET fill: l, L, t, n, N, ap, rp", "[binance][golden]") {
    auto ev = parse_user_event(fixture("order_trade_update_market_fill.json"));
    const auto& u = as<order_trade_update>(ev);
    CHECK(u.client_order_id == "d-entry-0001");
    CHECK(u.is_fill());
    CHECK(u.execution_type == "TRADE");
    CHECK(u.state == engine::order_status::filled);
    CHECK(u.last_filled_qty == d("0.010"));
    CHECK(u.cum_filled_qty == d("0.010"));
    CHECK(u.last_filled_price == d("43000.10"));
    CHECK(u.avg_price == d("43000.10"));
    CHECK(u.commission == d("0.1720004"));
    CHECK(u.commission_asset == "USDT");
    CHECK(u.trade_id == 5000000001);
    CHECK(u.order_id == 4000000001);
    CHECK(u.realized_pnl.is_zero());
    CHECK(u.trade_time == 1700000000120);
}

TEST_CASE("ALGO_UPDATE: caid, aid, status, ai, rm", "[binance][golden]") {
    auto ev = parse_user_event(fixture("algo_update.json"));
    const auto& a = as<algo_update>(ev);
    CHECK(a.event_time == 1750515742303);
    CHECK(a.transaction_time == 1750515742297);
    CHECK(a.client_algo_id == "Q5xaq5EGKgXXa0fD7fs0Ip");
    CHECK(a.algo_id == 2148719);
    CHECK(a.algo_type == "CONDITIONAL");
    CHECK(a.order_type == "TAKE_PROFIT");
    CHECK(a.symbol == "BNBUSDT");
    CHECK(a.side == "SELL");
    CHECK(a.status == algo_status::canceled);
    CHECK(a.status_text == "CANCELED");
    CHECK(a.actual_order_id.empty());
    CHECK(a.trigger_price == d("750"));
    CHECK(a.qty == d("0.01"));
    CHECK(a.reason == "Reduce Only reject");
    CHECK(a.actual_type == "0");
}

TEST_CASE("ALGO_UPDATE: every documented status, and ai as string or number", "[binance][golden]") {
    for (auto [text, st] : {std::pair{"NEW", algo_status::new_}, {"CANCELED", algo_status::canceled},
                            {"TRIGGERING", algo_status::triggering}, {"TRIGGERED", algo_status::triggered},
                            {"FINISHED", algo_status::finished}, {"REJECTED", algo_status::rejected},
                            {"EXPIRED", algo_status::expired}}) {
        std::string body = std::string(R"({"e":"ALGO_UPDATE","E":1,"o":{"caid":"x-TP","aid":5,"s":"BTCUSDT","X":")") +
                           text + R"(","ai":974828356187}})";
        auto ev = parse_user_event(body);
        const auto& a = as<algo_update>(ev);
        CHECK(a.status == st);
        CHECK(a.actual_order_id == "974828356187");
    }
}

TEST_CASE("ACCOUNT_UPDATE: balances and positions", "[binance][golden]") {
    auto ev = parse_user_event(fixture("account_update.json"));
    const auto& a = as<account_update>(ev);
    CHECK(a.event_time == 1564745798939);
    CHECK(a.reason == "ORDER");
    REQUIRE(a.balances.size() == 2);
    CHECK(a.balances[0].asset == "USDT");
    CHECK(a.balances[0].wallet_balance == d("122624.12345678"));
    CHECK(a.balances[0].cross_wallet_balance == d("100.12345678"));
    CHECK(a.balances[1].balance_change == d("-49.12345678"));
    REQUIRE(a.positions.size() == 3);
    CHECK(a.positions[0].position_side == "BOTH");
    CHECK(a.positions[0].accumulated_realized == d("200"));
    CHECK(a.positions[1].amount == d("20"));
    CHECK(a.positions[1].entry_price == d("6563.665"));
    CHECK(a.positions[2].amount == d("-10"));
    CHECK(a.positions[2].break_even_price == d("6563.6"));
    CHECK(a.positions[2].unrealized_pnl == d("-1423.156"));
    CHECK(a.positions[2].margin_type == "isolated");
}

TEST_CASE("listenKeyExpired: E as number or string, listenKey optional", "[binance][golden]") {
    for (auto name : {"listen_key_expired.json", "listen_key_expired_string_e.json"}) {
        auto ev = parse_user_event(fixture(name));
        const auto& x = as<listen_key_expired>(ev);
        CHECK(x.event_time == 1736996475556);
        CHECK(x.listen_key == "WsCMN0a4KHUPTQuX6IUnqEZfB1inxmv1qR4kbf1LuEjur5VdbzqvyxqG9TSjVVxv");
    }
    auto ev = parse_user_event(R"({"e":"listenKeyExpired","E":1736996475556})");
    const auto& x = as<listen_key_expired>(ev);
    CHECK(x.listen_key.empty());
}

TEST_CASE("MARGIN_CALL, TRADE_LITE, ACCOUNT_CONFIG_UPDATE", "[binance][golden]") {
    auto mc = parse_user_event(fixture("margin_call.json"));
    const auto& m = as<margin_call>(mc);
    CHECK(*m.cross_wallet_balance == d("3.16812045"));
    REQUIRE(m.positions.size() == 1);
    CHECK(m.positions[0].symbol == "ETHUSDT");
    CHECK(m.positions[0].margin_type == "CROSSED");
    CHECK(m.positions[0].maint_margin == d("1.614445"));

    auto tl = parse_user_event(fixture("trade_lite.json"));
    const auto& t = as<trade_lite>(tl);
    CHECK(t.client_order_id == "z8hcUoOsqEdKMeKPSABslD");
    CHECK(t.last_filled_price == d("64089.20"));
    CHECK(t.last_filled_qty == d("0.040"));
    CHECK(t.trade_id == 109100866);
    CHECK(t.order_id == 8886774);
    CHECK_FALSE(t.is_maker);

    auto lev = parse_user_event(fixture("account_config_update_leverage.json"));
    const auto& l = as<account_config_update>(lev);
    CHECK(l.symbol == "BTCUSDT");
    CHECK(*l.leverage == 25);
    auto ma = parse_user_event(fixture("account_config_update_multi_assets.json"));
    CHECK(*as<account_config_update>(ma).multi_assets);
}

TEST_CASE("user: deprecated and unknown events are ignored", "[binance][golden]") {
    auto c = parse_user_event(fixture("conditional_order_trigger_reject.json"));
    REQUIRE(std::holds_alternative<ignored_event>(c));
    CHECK(std::get<ignored_event>(c).event_type == "CONDITIONAL_ORDER_TRIGGER_REJECT");
    CHECK(std::holds_alternative<ignored_event>(parse_user_event(R"({"e":"STRATEGY_UPDATE","E":1})")));
    CHECK(std::holds_alternative<ignored_event>(parse_user_event(R"({"e":"GRID_UPDATE","E":1})")));
    // A market payload on the user stream is not an error either.
    CHECK(std::holds_alternative<ignored_event>(parse_user_event(fixture("book_ticker.json"))));
}

TEST_CASE("field order does not matter: e last, wrapper data before stream", "[binance][golden]") {
    std::string reordered =
        R"({"o":{"t":77,"L":"100.5","l":"2","i":9,"X":"PARTIALLY_FILLED","x":"TRADE","S":"BUY","c":"cid","s":"ETHUSDT",)"
        R"("n":"0.01","N":"USDT","unknownNew":{"nested":[1,2,{"a":null}]}},"T":5,"E":6,"e":"ORDER_TRADE_UPDATE"})";
    auto ev = parse_user_event(reordered);
    const auto& u = as<order_trade_update>(ev);
    CHECK(u.trade_id == 77);
    CHECK(u.last_filled_price == d("100.5"));
    CHECK(u.state == engine::order_status::partially_filled);
    CHECK(u.event_time == 6);

    auto wrapped = parse_user_event(R"({"data":)" + reordered + R"(,"stream":"somekey"})");
    CHECK(as<order_trade_update>(wrapped).trade_id == 77);

    auto bt = parse_market_event(R"({"A":"1","a":"2","B":"3","b":"1.5","s":"XUSDT","e":"bookTicker","st":1,"ps":"XUSDT"})");
    CHECK(as<book_ticker>(bt).ask_price == d("2"));
}

TEST_CASE("numbers are accepted where strings are documented", "[binance][golden]") {
    auto ev = parse_market_event(R"({"e":"markPriceUpdate","s":"BTCUSDT","p":11794.15,"E":"1562305380000"})");
    const auto& m = as<mark_price_update>(ev);
    CHECK(m.mark_price == d("11794.15"));
    CHECK(m.event_time == 1562305380000);
}
