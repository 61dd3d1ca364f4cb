// Golden tests: REST payloads of binance-usdm.md (tests/fixtures/binance/) parsed field by field.
#include "exchange/binance/responses.hpp"

#include "tests/unit/exchange/binance_test_util.hpp"

#include <catch2/catch.hpp>

using namespace traded;
using namespace traded::binance;
using traded::binance::test::fixture;

namespace {
decimal d(std::string_view s) { return *decimal::parse(s); }
}  // namespace

TEST_CASE("exchangeInfo: filters become symbol_info, rate limits are read", "[binance][golden]") {
    json_parser p;
    auto r = parse_exchange_info(fixture("exchange_info.json"), p);
    REQUIRE(r.has_value());
    REQUIRE(r->symbols.size() == 1);
    CHECK(r->skipped.empty());
    const auto* s = find_symbol(*r, "BLZUSDT");
    REQUIRE(s != nullptr);
    CHECK(s->info.symbol == "BLZUSDT");
    CHECK(s->info.tick_size == d("0.0001"));
    CHECK(s->info.step_size == d("1"));
    CHECK(s->info.min_qty == d("1"));
    CHECK(s->info.min_notional == d("5.0"));
    CHECK(s->status == "TRADING");
    CHECK(s->contract_type == "PERPETUAL");
    CHECK(s->min_price == d("0.0001"));
    CHECK(s->max_price == d("300"));
    CHECK(s->max_qty == d("10000000"));
    CHECK(s->market_max_qty == d("590119"));
    CHECK(s->trigger_protect == d("0.15"));
    REQUIRE(r->rate_limits.size() == 2);
    CHECK(r->rate_limits[0].type == "REQUEST_WEIGHT");
    CHECK(r->rate_limits[0].limit == 2400);
    CHECK(r->rate_limits[1].type == "ORDERS");
    CHECK(r->rate_limits[1].limit == 1200);
    CHECK(find_symbol(*r, "BTCUSDT") == nullptr);
}

TEST_CASE("exchangeInfo BTCUSDT symbol entry", "[binance][golden]") {
    auto s = parse_symbol_rules(fixture("exchange_info_symbol_btcusdt.json"));
    REQUIRE(s.has_value());
    CHECK(s->info.tick_size == d("0.10"));
    CHECK(s->info.tick_size.fractional_digits() == 1);
    CHECK(s->info.step_size == d("0.001"));
    CHECK(s->info.min_qty == d("0.001"));
    CHECK(s->info.min_notional == d("100"));
}

TEST_CASE("exchangeInfo: coarser of LOT_SIZE and MARKET_LOT_SIZE, odd symbols skipped", "[binance][golden]") {
    std::string body = R"({"symbols":[
      {"filters":[{"stepSize":"0.01","filterType":"MARKET_LOT_SIZE","minQty":"0.05"},
                  {"filterType":"LOT_SIZE","stepSize":"0.001","minQty":"0.001","maxQty":"1e30"},
                  {"filterType":"PRICE_FILTER","tickSize":"0.5"}],"symbol":"AUSDT","status":"TRADING"},
      {"symbol":"BROKEN","filters":[{"filterType":"LOT_SIZE","stepSize":"1"}]},
      {"symbol":"CUSDT","filters":[{"filterType":"PRICE_FILTER","tickSize":"0.01"},{"filterType":"LOT_SIZE","stepSize":"1"}],"extra":{"x":[1,2]}}
    ]})";
    auto r = parse_exchange_info(body);
    REQUIRE(r.has_value());
    REQUIRE(r->symbols.size() == 2);
    CHECK(r->symbols[0].info.step_size == d("0.01"));
    CHECK(r->symbols[0].info.min_qty == d("0.05"));
    CHECK(r->symbols[0].info.tick_size == d("0.5"));
    CHECK(r->symbols[1].info.symbol == "CUSDT");
    CHECK(r->symbols[1].info.min_notional.is_zero());
    CHECK(r->symbols[0].max_qty.is_zero());  // "1e30" cannot be represented: left unknown (0)
    REQUIRE(r->skipped.size() == 1);
    CHECK(r->skipped[0].find("BROKEN") != std::string::npos);
    CHECK(r->skipped[0].find("PRICE_FILTER") != std::string::npos);
}

TEST_CASE("new order responses: doc example, SDK shape without avgPrice, LIMIT ACK", "[binance][golden]") {
    auto a = parse_order(fixture("order_new_doc.json"));
    REQUIRE(a.has_value());
    CHECK(a->client_order_id == "testOrder");
    CHECK(a->order_id == 22542179);
    CHECK(a->status == "NEW");
    CHECK(a->state == engine::order_status::accepted);
    CHECK(a->orig_qty == d("10"));
    CHECK(a->executed_qty.is_zero());
    REQUIRE(a->avg_price);
    CHECK(a->avg_price->is_zero());
    CHECK(a->stop_price == d("9300"));
    CHECK(a->side == "BUY");
    CHECK(a->position_side == "SHORT");
    CHECK(a->update_time == 1566818724722);

    auto b = parse_order(fixture("order_new_sdk.json"));
    REQUIRE(b.has_value());
    CHECK_FALSE(b->avg_price.has_value());
    CHECK_FALSE(b->cum_quote.has_value());
    CHECK(b->type == "LIMIT");
    CHECK(b->side == "SELL");

    auto c = parse_order(fixture("order_limit_ack.json"));
    REQUIRE(c.has_value());
    CHECK(c->order_id == 325078477);
    CHECK(c->price == d("43187.00"));
    CHECK(c->orig_qty == d("0.100"));
    CHECK(c->client_order_id == "iCXL1BywlBaf2sesNUrVl3");
}

TEST_CASE("cancel response and open orders", "[binance][golden]") {
    auto c = parse_order(fixture("order_cancel.json"));
    REQUIRE(c.has_value());
    CHECK(c->status == "CANCELED");
    CHECK(c->state == engine::order_status::canceled);
    CHECK(c->client_order_id == "myOrder1");
    CHECK(c->orig_type == "TRAILING_STOP_MARKET");

    auto o = parse_orders(fixture("open_orders.json"));
    REQUIRE(o.has_value());
    REQUIRE(o->size() == 1);
    CHECK((*o)[0].client_order_id == "abc");
    CHECK((*o)[0].order_id == 1917641);
    CHECK((*o)[0].orig_qty == d("0.40"));
    CHECK((*o)[0].time == 1579276756075);
}

TEST_CASE("algo order: NEW doc example and a real FINISHED capture", "[binance][golden]") {
    auto a = parse_algo_order(fixture("algo_order_new.json"));
    REQUIRE(a.has_value());
    CHECK(a->algo_id == 2146760);
    CHECK(a->client_algo_id == "6B2I9XVcJpCjqPAJ4YoFX7");
    CHECK(a->algo_type == "CONDITIONAL");
    CHECK(a->order_type == "TAKE_PROFIT");
    CHECK(a->status == algo_status::new_);
    CHECK(a->trigger_price == d("750.000"));
    CHECK(a->quantity == d("0.01"));
    CHECK(a->actual_order_id.empty());
    CHECK_FALSE(is_final(a->status));

    auto f = parse_algo_order(fixture("algo_order_finished.json"));
    REQUIRE(f.has_value());
    CHECK(f->algo_id == 1000001270850379);
    CHECK(f->status == algo_status::finished);
    CHECK(is_final(f->status));
    CHECK(f->actual_order_id == "974828356187");
    CHECK(f->actual_price == d("69067.6"));
    CHECK(f->actual_qty == d("0.002"));
    CHECK(f->actual_type == "MARKET");
    CHECK(f->reduce_only);
    CHECK(f->trigger_time == 1775461936114);

    auto list = parse_algo_orders(
        std::string("[").append(fixture("algo_order_new.json")).append(",").append(fixture("algo_order_finished.json")).append("]"));
    REQUIRE(list.has_value());
    CHECK(list->size() == 2);
}

TEST_CASE("acknowledgements with numeric and string code", "[binance][golden]") {
    auto a = parse_ack(fixture("algo_cancel.json"));
    REQUIRE(a.has_value());
    CHECK(a->code == "200");
    CHECK(a->algo_id == 2146760);
    CHECK(a->client_algo_id == "6B2I9XVcJpCjqPAJ4YoFX7");
    auto b = parse_ack(fixture("cancel_all_open_orders.json"));
    REQUIRE(b.has_value());
    CHECK(b->code == "200");
    CHECK(b->msg == "The operation of cancel all open order is done.");
    CHECK(parse_ack(fixture("code_200_success.json")).has_value());
    CHECK(parse_ack(fixture("listen_key_delete.json")).has_value());
    CHECK(parse_ack(fixture("algo_cancel_all.json")).has_value());
    CHECK_FALSE(parse_api_error(fixture("algo_cancel.json")).has_value());
    CHECK_FALSE(parse_api_error(fixture("code_200_success.json")).has_value());
}

TEST_CASE("error bodies: code and message; REST parsers refuse them", "[binance][golden]") {
    auto e = parse_api_error(fixture("error_invalid_symbol.json"));
    REQUIRE(e);
    CHECK(e->code == -1121);
    CHECK(e->msg == "Invalid symbol.");
    auto r = parse_api_error(fixture("error_reduce_only.json"));
    REQUIRE(r);
    CHECK(r->code == -2022);
    CHECK(parse_api_error(fixture("error_stop_order_switch_algo.json"))->code == -4120);
    CHECK(parse_api_error(fixture("error_unknown_order.json"))->code == -2011);
    CHECK(parse_api_error(fixture("error_order_does_not_exist.json"))->code == -2013);
    CHECK(parse_api_error(fixture("error_would_trigger.json"))->code == -2021);
    CHECK_FALSE(parse_api_error("<html>502 Bad Gateway</html>"));
    CHECK_FALSE(parse_api_error(""));

    auto o = parse_order(fixture("error_reduce_only.json"));
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error().message.find("-2022") != std::string::npos);
    CHECK(o.error().message.find("ReduceOnly Order is rejected.") != std::string::npos);
}

TEST_CASE("every ready-made error fixture parses", "[binance][golden]") {
    // errors.json is an array of error objects (a batch answer shape).
    json_parser p;
    std::string all = fixture("errors.json");
    std::vector<int> expected{-1003, -1021, -1022, -1111, -2019, -2021, -2022, -4120, -4164, -1125};
    std::size_t pos = 0;
    std::vector<int> codes;
    // Split the array by objects (no nested braces in these payloads).
    while ((pos = all.find('{', pos)) != std::string::npos) {
        auto end = all.find('}', pos);
        auto e = parse_api_error(std::string_view(all).substr(pos, end - pos + 1), p);
        REQUIRE(e);
        codes.push_back(e->code);
        pos = end;
    }
    CHECK(codes == expected);
}

TEST_CASE("positionRisk v2 (one-way, hedge) and v3 rows", "[binance][golden]") {
    auto v2 = parse_position_risk(fixture("position_risk_v2_oneway.json"));
    REQUIRE(v2.has_value());
    REQUIRE(v2->size() == 1);
    CHECK((*v2)[0].symbol == "BTCUSDT");
    CHECK((*v2)[0].amount.is_zero());
    CHECK((*v2)[0].mark_price == d("6679.50671178"));
    REQUIRE((*v2)[0].leverage);
    CHECK(*(*v2)[0].leverage == 10);  // a string in v2
    CHECK((*v2)[0].margin_type == "isolated");

    auto hedge = parse_position_risk(fixture("position_risk_v2_hedge.json"));
    REQUIRE(hedge.has_value());
    REQUIRE(hedge->size() == 2);
    CHECK((*hedge)[0].position_side == "LONG");
    CHECK((*hedge)[0].amount == d("0.001"));
    CHECK((*hedge)[0].entry_price == d("22185.2"));
    CHECK((*hedge)[0].unrealized_pnl == d("-1.06214947"));
    CHECK((*hedge)[1].position_side == "SHORT");

    auto v3 = parse_position_risk(fixture("position_risk_v3_oneway.json"));
    REQUIRE(v3.has_value());
    REQUIRE(v3->size() == 1);
    CHECK((*v3)[0].symbol == "ADAUSDT");
    CHECK((*v3)[0].amount == d("30"));
    CHECK((*v3)[0].entry_price == d("0.385"));
    CHECK((*v3)[0].unrealized_pnl == d("0.764277"));
    CHECK_FALSE((*v3)[0].leverage.has_value());

    auto shortrow = parse_position_risk(fixture("position_risk_v3_hedge_short_row.json"));
    REQUIRE(shortrow.has_value());
    REQUIRE(shortrow->size() == 1);
    CHECK((*shortrow)[0].amount == d("-1"));
    CHECK((*shortrow)[0].amount.is_negative());
    CHECK((*shortrow)[0].notional == d("-49.72023376"));
    // 9 fractional digits in the payload: truncated to our 8, not rejected.
    CHECK((*shortrow)[0].break_even_price == d("70.90003863"));
}

TEST_CASE("leverage is accepted as a number too", "[binance][golden]") {
    auto r = parse_position_risk(R"([{"symbol":"X","positionAmt":"1","leverage":7}])");
    REQUIRE(r.has_value());
    CHECK(*(*r)[0].leverage == 7);
    auto l = parse_leverage(fixture("leverage.json"));
    REQUIRE(l.has_value());
    CHECK(l->leverage == 21);
    CHECK(l->symbol == "BTCUSDT");
    CHECK(l->max_notional == d("1000000"));
    CHECK(parse_leverage(R"({"leverage":"21","symbol":"BTCUSDT"})")->leverage == 21);
    // An informational field beyond our range does not sink the answer.
    auto big = parse_leverage(R"({"leverage":125,"maxNotionalValue":"9223372036854775807","symbol":"X"})");
    REQUIRE(big.has_value());
    CHECK(big->max_notional.is_zero());
}

TEST_CASE("balance: USDT found by asset name, not by position", "[binance][golden]") {
    auto b = parse_balances(fixture("balance.json"));
    REQUIRE(b.has_value());
    const auto* usdt = find_asset(*b, "USDT");
    REQUIRE(usdt);
    CHECK(usdt->wallet_balance == d("122607.35137903"));
    CHECK(usdt->cross_wallet_balance == d("23.72469206"));
    CHECK(usdt->available_balance == d("23.72469206"));
    CHECK(usdt->cross_unrealized_pnl.is_zero());
    CHECK(usdt->update_time == 1617939110373);

    auto two = parse_balances(
        R"([{"asset":"BNB","balance":"1"},{"availableBalance":"5","asset":"USDT","balance":"9.5","crossUnPnl":"-0.5"}])");
    REQUIRE(two.has_value());
    const auto* u = find_asset(*two, "USDT");
    REQUIRE(u);
    CHECK(u->wallet_balance == d("9.5"));
    CHECK(u->cross_unrealized_pnl == d("-0.5"));
    CHECK(find_asset(*two, "BUSD") == nullptr);
}

TEST_CASE("account v3: totals, assets by name, positions", "[binance][golden]") {
    auto a = parse_account(fixture("account_v3.json"));
    REQUIRE(a.has_value());
    CHECK(a->total_wallet_balance == d("103.12345678"));
    CHECK(a->available_balance == d("103.12345678"));
    REQUIRE(a->assets.size() == 2);
    const auto* usdt = find_asset(a->assets, "USDT");
    REQUIRE(usdt);
    CHECK(usdt->wallet_balance == d("23.72469206"));
    REQUIRE(usdt->margin_balance);
    CHECK(*usdt->margin_balance == d("23.72469206"));
    CHECK(find_asset(a->assets, "USDC")->available_balance == d("126.72469206"));
    REQUIRE(a->positions.size() == 1);
    CHECK(a->positions[0].amount == d("1"));

    auto pos = parse_position_risk(fixture("account_v2_position.json"));
    REQUIRE(pos.has_value());
    CHECK(*(*pos)[0].leverage == 100);
}

TEST_CASE("small answers: time, listenKey, position mode, user trades", "[binance][golden]") {
    auto t = parse_server_time(fixture("server_time.json"));
    REQUIRE(t.has_value());
    CHECK(*t == 1499827319559);
    auto k = parse_listen_key(fixture("listen_key_create.json"));
    REQUIRE(k.has_value());
    CHECK(*k == "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1");
    CHECK(*parse_listen_key(fixture("listen_key_keepalive.json")) ==
          "3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg");
    auto m = parse_position_mode(fixture("position_mode.json"));
    REQUIRE(m.has_value());
    CHECK(*m);
    CHECK_FALSE(parse_listen_key(fixture("ping.json")).has_value());
    CHECK_FALSE(parse_listen_key(R"({"listenKey":""})").has_value());

    auto u = parse_user_trades(
        R"([{"buyer":false,"commission":"-0.07819010","commissionAsset":"USDT","id":698759,"maker":false,
             "orderId":25851813,"price":"7819.01","qty":"0.002","quoteQty":"15.63802","realizedPnl":"-0.91539999",
             "side":"SELL","positionSide":"SHORT","symbol":"BTCUSDT","time":1569514978020}])");
    REQUIRE(u.has_value());
    REQUIRE(u->size() == 1);
    CHECK((*u)[0].id == 698759);
    CHECK((*u)[0].order_id == 25851813);
    CHECK((*u)[0].commission == d("-0.0781901"));
    CHECK((*u)[0].realized_pnl == d("-0.91539999"));
}

TEST_CASE("order status mapping", "[binance][golden]") {
    using engine::order_status;
    CHECK(to_order_status("NEW") == order_status::accepted);
    CHECK(to_order_status("PARTIALLY_FILLED") == order_status::partially_filled);
    CHECK(to_order_status("FILLED") == order_status::filled);
    CHECK(to_order_status("CANCELED") == order_status::canceled);
    CHECK(to_order_status("REJECTED") == order_status::rejected);
    CHECK(to_order_status("EXPIRED") == order_status::expired);
    CHECK(to_order_status("EXPIRED_IN_MATCH") == order_status::expired);
    CHECK(to_order_status("WHATEVER") == order_status::unknown);
    for (auto s : {algo_status::new_, algo_status::canceled, algo_status::triggering, algo_status::triggered,
                   algo_status::finished, algo_status::rejected, algo_status::expired})
        CHECK(parse_algo_status(to_string(s)) == s);
    CHECK(parse_algo_status("nope") == algo_status::unknown);
}

TEST_CASE("premiumIndex: the mark price BNB commissions are converted at", "[binance]") {
    auto m = parse_premium_index_mark(
        R"({"symbol":"BNBUSDT","markPrice":"612.34000000","indexPrice":"612.30","estimatedSettlePrice":"612.1","lastFundingRate":"0.0001","interestRate":"0.0001","nextFundingTime":1700000000000,"time":1699999999000})");
    REQUIRE(m.has_value());
    CHECK(*m == d("612.34"));
    CHECK_FALSE(parse_premium_index_mark(R"({"symbol":"BNBUSDT"})").has_value());
    CHECK_FALSE(parse_premium_index_mark(R"({"symbol":"BNBUSDT","markPrice":"0"})").has_value());
    CHECK_FALSE(parse_premium_index_mark("<html>502 Bad Gateway</html>").has_value());
}
