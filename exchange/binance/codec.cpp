#include "exchange/binance/codec.hpp"

namespace traded::binance {

namespace {

rest_request make(http_method m, std::string path, security_type sec, int weight, std::vector<query_param> params = {}) {
    rest_request r;
    r.method = m;
    r.path = std::move(path);
    r.security = sec;
    r.weight = weight;
    r.params = std::move(params);
    return r;
}

query_param qp(std::string_view k, std::string_view v) { return {std::string(k), std::string(v)}; }

}  // namespace

std::string_view to_string(http_method m) {
    switch (m) {
        case http_method::get: return "GET";
        case http_method::post: return "POST";
        case http_method::put: return "PUT";
        case http_method::del: return "DELETE";
    }
    return "GET";
}

bool valid_client_id(std::string_view id) {
    if (id.empty() || id.size() > 36) return false;
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == ':' || c == '/' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

result<rest_request> new_market_order(const engine::symbol_info& info, std::string_view client_order_id,
                                      engine::order_side side, decimal qty, bool reduce_only) {
    using out_t = result<rest_request>;
    if (!valid_client_id(client_order_id))
        return binance::failure<out_t>("newClientOrderId: '" + std::string(client_order_id) +
                              "' does not match ^[.A-Z:/a-z0-9_-]{1,36}$");
    if (!info.step_size.is_positive()) return binance::failure<out_t>("stepSize of " + info.symbol + ": not positive");
    // Never send more precision than LOT_SIZE allows (-1111): floor to the step, print its digits.
    decimal q = qty.floor_to(info.step_size);
    if (!q.is_positive())
        return binance::failure<out_t>("quantity: " + qty.to_string() + " is below one step (" + info.step_size.to_string() +
                              ") of " + info.symbol);
    std::vector<query_param> p;
    p.push_back(qp("symbol", info.symbol));
    p.push_back(qp("side", engine::to_string(side)));
    p.push_back(qp("type", "MARKET"));
    p.push_back(qp("quantity", q.to_string_fixed(info.step_size.fractional_digits())));
    // reduceOnly is only valid in one-way mode; the daemon keeps the account there.
    if (reduce_only) p.push_back(qp("reduceOnly", "true"));
    p.push_back(qp("newClientOrderId", client_order_id));
    // RESULT: the MARKET answer carries the final FILLED state instead of an ACK saying NEW.
    p.push_back(qp("newOrderRespType", "RESULT"));
    // New orders weigh 0 on the IP limit and 1 on the order counters (binance-usdm.md §4.3).
    auto r = make(http_method::post, "/fapi/v1/order", security_type::signed_request, 0, std::move(p));
    r.is_order = true;
    return out_t(std::move(r));
}

result<rest_request> new_conditional_order(const engine::symbol_info& info, std::string_view client_algo_id,
                                           engine::order_side side, engine::order_type type,
                                           decimal trigger_price, decimal qty, close_mode mode) {
    using out_t = result<rest_request>;
    if (type != engine::order_type::take_profit_market && type != engine::order_type::stop_market)
        return binance::failure<out_t>("type: " + std::string(engine::to_string(type)) + " is not a conditional order type");
    if (!valid_client_id(client_algo_id))
        return binance::failure<out_t>("clientAlgoId: '" + std::string(client_algo_id) +
                              "' does not match ^[.A-Z:/a-z0-9_-]{1,36}$");
    if (!info.tick_size.is_positive()) return binance::failure<out_t>("tickSize of " + info.symbol + ": not positive");
    // PRICE_FILTER applies to the trigger too; the engine should already be on the tick, so
    // rounding to the nearest tick only removes noise and never moves the trigger by > tick/2.
    decimal trigger = trigger_price.round_to(info.tick_size);
    if (!trigger.is_positive()) return binance::failure<out_t>("triggerPrice: " + trigger_price.to_string() + " is not positive");
    std::vector<query_param> p;
    p.push_back(qp("algoType", "CONDITIONAL"));
    p.push_back(qp("symbol", info.symbol));
    p.push_back(qp("side", engine::to_string(side)));
    p.push_back(qp("type", engine::to_string(type)));
    p.push_back(qp("triggerPrice", trigger.to_string_fixed(info.tick_size.fractional_digits())));
    // Mark price: the engine's TP/SL levels are computed from the mark price, and the mark is
    // not moved by one thin trade the way the contract (last) price is.
    p.push_back(qp("workingType", "MARK_PRICE"));
    if (mode == close_mode::close_position) {
        p.push_back(qp("closePosition", "true"));
    } else {
        if (!info.step_size.is_positive()) return binance::failure<out_t>("stepSize of " + info.symbol + ": not positive");
        decimal q = qty.floor_to(info.step_size);
        if (!q.is_positive())
            return binance::failure<out_t>("quantity: " + qty.to_string() + " is below one step (" +
                                  info.step_size.to_string() + ") of " + info.symbol);
        p.push_back(qp("quantity", q.to_string_fixed(info.step_size.fractional_digits())));
        p.push_back(qp("reduceOnly", "true"));
    }
    p.push_back(qp("clientAlgoId", client_algo_id));
    auto r = make(http_method::post, "/fapi/v1/algoOrder", security_type::signed_request, 0, std::move(p));
    r.is_order = true;
    return out_t(std::move(r));
}

rest_request cancel_order(std::string_view symbol, std::string_view orig_client_order_id) {
    return make(http_method::del, "/fapi/v1/order", security_type::signed_request, 1,
                {qp("symbol", symbol), qp("origClientOrderId", orig_client_order_id)});
}

rest_request cancel_algo_order(std::string_view client_algo_id) {
    return make(http_method::del, "/fapi/v1/algoOrder", security_type::signed_request, 1,
                {qp("clientAlgoId", client_algo_id)});
}

rest_request cancel_all_open_orders(std::string_view symbol) {
    return make(http_method::del, "/fapi/v1/allOpenOrders", security_type::signed_request, 1, {qp("symbol", symbol)});
}

rest_request cancel_all_algo_orders(std::string_view symbol) {
    return make(http_method::del, "/fapi/v1/algoOpenOrders", security_type::signed_request, 1, {qp("symbol", symbol)});
}

rest_request query_order(std::string_view symbol, std::string_view orig_client_order_id) {
    return make(http_method::get, "/fapi/v1/order", security_type::signed_request, 1,
                {qp("symbol", symbol), qp("origClientOrderId", orig_client_order_id)});
}

rest_request query_algo_order(std::string_view client_algo_id) {
    return make(http_method::get, "/fapi/v1/algoOrder", security_type::signed_request, 1,
                {qp("clientAlgoId", client_algo_id)});
}

rest_request open_orders(std::string_view symbol) {
    if (symbol.empty()) return make(http_method::get, "/fapi/v1/openOrders", security_type::signed_request, 40);
    return make(http_method::get, "/fapi/v1/openOrders", security_type::signed_request, 1, {qp("symbol", symbol)});
}

rest_request open_algo_orders(std::string_view symbol) {
    if (symbol.empty()) return make(http_method::get, "/fapi/v1/openAlgoOrders", security_type::signed_request, 40);
    return make(http_method::get, "/fapi/v1/openAlgoOrders", security_type::signed_request, 1, {qp("symbol", symbol)});
}

rest_request user_trades(std::string_view symbol, std::int64_t order_id) {
    return make(http_method::get, "/fapi/v1/userTrades", security_type::signed_request, 5,
                {qp("symbol", symbol), qp("orderId", std::to_string(order_id))});
}

rest_request premium_index(std::string_view symbol) {
    return make(http_method::get, "/fapi/v1/premiumIndex", security_type::none, 1, {qp("symbol", symbol)});
}

rest_request user_trades_since(std::string_view symbol, std::int64_t start_time_ms) {
    return make(http_method::get, "/fapi/v1/userTrades", security_type::signed_request, 5,
                {qp("symbol", symbol), qp("startTime", std::to_string(start_time_ms)), qp("limit", "1000")});
}

rest_request position_risk(std::string_view symbol) {
    if (symbol.empty()) return make(http_method::get, "/fapi/v3/positionRisk", security_type::signed_request, 5);
    return make(http_method::get, "/fapi/v3/positionRisk", security_type::signed_request, 5, {qp("symbol", symbol)});
}

rest_request balance(int version) {
    return make(http_method::get, version == 2 ? "/fapi/v2/balance" : "/fapi/v3/balance",
                security_type::signed_request, 5);
}

rest_request account(int version) {
    return make(http_method::get, version == 2 ? "/fapi/v2/account" : "/fapi/v3/account",
                security_type::signed_request, 5);
}

rest_request set_leverage(std::string_view symbol, int leverage) {
    return make(http_method::post, "/fapi/v1/leverage", security_type::signed_request, 1,
                {qp("symbol", symbol), qp("leverage", std::to_string(leverage))});
}

rest_request get_position_mode() {
    return make(http_method::get, "/fapi/v1/positionSide/dual", security_type::signed_request, 30);
}

rest_request set_position_mode(bool dual) {
    return make(http_method::post, "/fapi/v1/positionSide/dual", security_type::signed_request, 1,
                {qp("dualSidePosition", dual ? "true" : "false")});
}

rest_request exchange_info() {
    return make(http_method::get, "/fapi/v1/exchangeInfo", security_type::none, 1);
}

rest_request server_time() { return make(http_method::get, "/fapi/v1/time", security_type::none, 1); }

rest_request create_listen_key() {
    return make(http_method::post, "/fapi/v1/listenKey", security_type::user_stream, 1);
}

rest_request keepalive_listen_key() {
    return make(http_method::put, "/fapi/v1/listenKey", security_type::user_stream, 1);
}

rest_request close_listen_key() {
    return make(http_method::del, "/fapi/v1/listenKey", security_type::user_stream, 1);
}

}  // namespace traded::binance
