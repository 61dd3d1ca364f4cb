// Request encoding: method, path, parameters, security and weight of every call the daemon makes.
#include "exchange/binance/codec.hpp"

#include <catch2/catch.hpp>

using namespace traded;
using namespace traded::binance;

namespace {

engine::symbol_info btc() {
    return {"BTCUSDT", *decimal::parse("0.10"), *decimal::parse("0.001"), *decimal::parse("0.001"),
            *decimal::parse("100")};
}

engine::symbol_info blz() {
    return {"BLZUSDT", *decimal::parse("0.0001"), *decimal::parse("1"), *decimal::parse("1"), *decimal::parse("5")};
}

std::string param(const rest_request& r, std::string_view key) {
    for (const auto& p : r.params)
        if (p.key == key) return p.value;
    return "<absent>";
}

}  // namespace

TEST_CASE("MARKET entry order: RESULT response, quantity at step precision", "[binance][codec]") {
    auto r = new_market_order(btc(), "live_1700000000000_BTCUSDT-E", engine::order_side::buy, *decimal::parse("0.0127"),
                              false);
    REQUIRE(r.has_value());
    CHECK(r->method == http_method::post);
    CHECK(r->path == "/fapi/v1/order");
    CHECK(r->security == security_type::signed_request);
    CHECK(r->is_order);
    CHECK(r->weight == 0);
    CHECK(r->unsigned_query() ==
          "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.012&newClientOrderId=live_1700000000000_BTCUSDT-E"
          "&newOrderRespType=RESULT");
    CHECK(param(*r, "reduceOnly") == "<absent>");
}

TEST_CASE("MARKET close order is reduce-only", "[binance][codec]") {
    auto r = new_market_order(btc(), "live_1_BTCUSDT-X", engine::order_side::sell, *decimal::parse("0.5"), true);
    REQUIRE(r.has_value());
    CHECK(param(*r, "reduceOnly") == "true");
    CHECK(param(*r, "quantity") == "0.500");
    CHECK(param(*r, "side") == "SELL");
}

TEST_CASE("quantities never carry more decimals than the step", "[binance][codec]") {
    auto r = new_market_order(blz(), "c1", engine::order_side::buy, *decimal::parse("1234.99"), false);
    REQUIRE(r.has_value());
    CHECK(param(*r, "quantity") == "1234");
    auto tiny = new_market_order(btc(), "c1", engine::order_side::buy, *decimal::parse("0.0009"), false);
    REQUIRE_FALSE(tiny.has_value());
    CHECK(tiny.error().message.find("quantity") != std::string::npos);
}

TEST_CASE("client ids outside Binance's pattern are refused before sending", "[binance][codec]") {
    CHECK_FALSE(new_market_order(btc(), "has space", engine::order_side::buy, decimal::from_int(1), false).has_value());
    CHECK_FALSE(new_market_order(btc(), std::string(37, 'a'), engine::order_side::buy, decimal::from_int(1), false).has_value());
    CHECK_FALSE(new_market_order(btc(), "", engine::order_side::buy, decimal::from_int(1), false).has_value());
    CHECK(valid_client_id("x-yHjDKm8h7cd1bf4f-9ce3-4d55-b9f"));
    CHECK(valid_client_id("my:id/1._"));
    CHECK(valid_client_id(std::string(36, 'a')));
}

TEST_CASE("take profit goes to /fapi/v1/algoOrder with mark-price trigger, reduce-only quantity", "[binance][codec]") {
    auto r = new_conditional_order(btc(), "live_1_BTCUSDT-TP", engine::order_side::sell,
                                   engine::order_type::take_profit_market, *decimal::parse("43210.5"),
                                   *decimal::parse("0.012"));
    REQUIRE(r.has_value());
    CHECK(r->method == http_method::post);
    CHECK(r->path == "/fapi/v1/algoOrder");
    CHECK(r->security == security_type::signed_request);
    CHECK(r->is_order);
    CHECK(r->unsigned_query() ==
          "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice=43210.5"
          "&workingType=MARK_PRICE&quantity=0.012&reduceOnly=true&clientAlgoId=live_1_BTCUSDT-TP");
}

TEST_CASE("stop loss trigger is rounded to the tick and printed with tick decimals", "[binance][codec]") {
    auto r = new_conditional_order(btc(), "live_1_BTCUSDT-SL", engine::order_side::sell, engine::order_type::stop_market,
                                   *decimal::parse("42987.1234"), *decimal::parse("0.012"));
    REQUIRE(r.has_value());
    CHECK(param(*r, "type") == "STOP_MARKET");
    CHECK(param(*r, "triggerPrice") == "42987.1");
    auto b = new_conditional_order(blz(), "x", engine::order_side::buy, engine::order_type::stop_market,
                                   *decimal::parse("0.123456"), decimal::from_int(10));
    REQUIRE(b.has_value());
    CHECK(param(*b, "triggerPrice") == "0.1235");
}

TEST_CASE("closePosition mode sends neither quantity nor reduceOnly", "[binance][codec]") {
    auto r = new_conditional_order(btc(), "id", engine::order_side::buy, engine::order_type::stop_market,
                                   decimal::from_int(50000), decimal{}, close_mode::close_position);
    REQUIRE(r.has_value());
    CHECK(param(*r, "closePosition") == "true");
    CHECK(param(*r, "quantity") == "<absent>");
    CHECK(param(*r, "reduceOnly") == "<absent>");
}

TEST_CASE("conditional order refuses MARKET type and non-positive triggers", "[binance][codec]") {
    CHECK_FALSE(new_conditional_order(btc(), "id", engine::order_side::buy, engine::order_type::market,
                                      decimal::from_int(1), decimal::from_int(1))
                    .has_value());
    CHECK_FALSE(new_conditional_order(btc(), "id", engine::order_side::buy, engine::order_type::stop_market,
                                      *decimal::parse("0.01"), decimal::from_int(1))
                    .has_value());
}

TEST_CASE("cancel, query and list endpoints", "[binance][codec]") {
    auto c = cancel_order("BTCUSDT", "live_1_BTCUSDT-E");
    CHECK(c.method == http_method::del);
    CHECK(c.path == "/fapi/v1/order");
    CHECK(c.unsigned_query() == "symbol=BTCUSDT&origClientOrderId=live_1_BTCUSDT-E");
    CHECK_FALSE(c.is_order);

    auto ca = cancel_algo_order("live_1_BTCUSDT-SL");
    CHECK(ca.method == http_method::del);
    CHECK(ca.path == "/fapi/v1/algoOrder");
    CHECK(ca.unsigned_query() == "clientAlgoId=live_1_BTCUSDT-SL");

    auto q = query_order("BTCUSDT", "a:b");
    CHECK(q.method == http_method::get);
    CHECK(q.unsigned_query() == "symbol=BTCUSDT&origClientOrderId=a%3Ab");

    auto qa = query_algo_order("x");
    CHECK(qa.path == "/fapi/v1/algoOrder");
    CHECK(qa.method == http_method::get);

    CHECK(open_orders("BTCUSDT").weight == 1);
    CHECK(open_orders().weight == 40);
    CHECK(open_orders().params.empty());
    CHECK(open_algo_orders("BTCUSDT").path == "/fapi/v1/openAlgoOrders");
    CHECK(open_algo_orders().weight == 40);
    CHECK(cancel_all_open_orders("BTCUSDT").path == "/fapi/v1/allOpenOrders");
    CHECK(cancel_all_algo_orders("BTCUSDT").path == "/fapi/v1/algoOpenOrders");

    auto t = user_trades("BTCUSDT", 4000000001);
    CHECK(t.path == "/fapi/v1/userTrades");
    CHECK(t.unsigned_query() == "symbol=BTCUSDT&orderId=4000000001");
    CHECK(t.weight == 5);
}

TEST_CASE("account endpoints use v3 and the documented weights", "[binance][codec]") {
    CHECK(position_risk().path == "/fapi/v3/positionRisk");
    CHECK(position_risk().weight == 5);
    CHECK(position_risk("BTCUSDT").unsigned_query() == "symbol=BTCUSDT");
    CHECK(balance().path == "/fapi/v3/balance");
    CHECK(balance(2).path == "/fapi/v2/balance");
    CHECK(account().path == "/fapi/v3/account");
    auto l = set_leverage("BTCUSDT", 3);
    CHECK(l.method == http_method::post);
    CHECK(l.unsigned_query() == "symbol=BTCUSDT&leverage=3");
    CHECK(get_position_mode().weight == 30);
    CHECK(get_position_mode().method == http_method::get);
    auto m = set_position_mode(false);
    CHECK(m.method == http_method::post);
    CHECK(m.path == "/fapi/v1/positionSide/dual");
    CHECK(m.unsigned_query() == "dualSidePosition=false");
    for (const auto& r : {position_risk(), balance(), account(), l, get_position_mode(), m})
        CHECK(r.security == security_type::signed_request);
}

TEST_CASE("public and user-stream endpoints carry no signature", "[binance][codec]") {
    CHECK(exchange_info().security == security_type::none);
    CHECK(exchange_info().path == "/fapi/v1/exchangeInfo");
    CHECK(server_time().path == "/fapi/v1/time");
    CHECK(server_time().security == security_type::none);
    CHECK(create_listen_key().method == http_method::post);
    CHECK(keepalive_listen_key().method == http_method::put);
    CHECK(close_listen_key().method == http_method::del);
    for (const auto& r : {create_listen_key(), keepalive_listen_key(), close_listen_key()}) {
        CHECK(r.path == "/fapi/v1/listenKey");
        CHECK(r.security == security_type::user_stream);
        CHECK(r.params.empty());
    }
    CHECK(to_string(http_method::del) == "DELETE");
}
