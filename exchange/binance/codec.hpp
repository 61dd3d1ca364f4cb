#pragma once
/// Binance USD-M codec: request encoding for every REST call the daemon makes (this header),
/// REST response parsing (responses.hpp) and stream event parsing (stream_events.hpp).
///
/// Pure: no sockets, no clocks. A request is described by method, path, unencoded parameters,
/// security type and weight; the REST client encodes it with sign.hpp (signed_query() for
/// SIGNED, encode_query() otherwise), adds `X-MBX-APIKEY` unless the security is NONE, and sends
/// every parameter in the query string (also for POST/PUT/DELETE, as the official SDK does).

#include "engine/types.hpp"
#include "exchange/binance/responses.hpp"
#include "exchange/binance/result.hpp"
#include "exchange/binance/sign.hpp"
#include "exchange/binance/stream_events.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::binance {

/// HTTP method of a REST call.
enum class http_method { get, post, put, del };
/// "GET", "POST", "PUT", "DELETE".
std::string_view to_string(http_method m);

/// Endpoint security type (binance-usdm.md §2.1). NONE: no key; USER_STREAM: API-key header
/// only; SIGNED (TRADE / USER_DATA): API-key header plus timestamp, recvWindow and signature.
enum class security_type { none, user_stream, signed_request };

/// One REST call, ready to be encoded and sent.
struct rest_request {
    http_method method = http_method::get;
    std::string path;                  // "/fapi/v1/order"
    std::vector<query_param> params;   // unencoded, unsigned, in sending order
    security_type security = security_type::none;
    int weight = 1;                    // IP weight (X-MBX-USED-WEIGHT-1M)
    bool is_order = false;             // counts on the order rate limits (10s / 1m)

    /// Query string for NONE / USER_STREAM requests (no timestamp, no signature).
    std::string unsigned_query() const { return encode_query(params); }
};

/// How a conditional (TP/SL) algo order closes the position.
/// reduce_only_quantity (default): `reduceOnly=true&quantity=<q>`. closes exactly the engine's
/// quantity and never touches position size we do not own; two stops can coexist while the
/// floor stop is replaced (place new, then cancel old); and it is the shape seen in the real
/// FINISHED capture in binance-usdm.md §4.4. close_position: `closePosition=true` (Close-All,
/// no quantity, no reduceOnly), for callers that want whatever position exists closed.
enum class close_mode { reduce_only_quantity, close_position };

// ----- orders --------------------------------------------------------------------------------

/// POST /fapi/v1/order, type MARKET, newOrderRespType=RESULT (so the answer carries the fill,
/// not an ACK that shows NEW). Quantity is floored to the step size and printed with exactly
/// the step's decimals. `reduceOnly=true` is sent only when reduce_only (one-way mode).
/// Fails when the floored quantity is not positive or the client id is not valid for Binance.
result<rest_request> new_market_order(const engine::symbol_info& info, std::string_view client_order_id,
                                      engine::order_side side, decimal qty, bool reduce_only);

/// POST /fapi/v1/algoOrder: algoType=CONDITIONAL, type TAKE_PROFIT_MARKET or STOP_MARKET,
/// triggerPrice rounded to the tick (nearest) and printed with the tick's decimals,
/// workingType=MARK_PRICE, clientAlgoId, and the close mode (see close_mode). `type` must be a
/// conditional engine::order_type; `qty` is ignored with close_position.
result<rest_request> new_conditional_order(const engine::symbol_info& info, std::string_view client_algo_id,
                                           engine::order_side side, engine::order_type type,
                                           decimal trigger_price, decimal qty,
                                           close_mode mode = close_mode::reduce_only_quantity);

/// DELETE /fapi/v1/order by origClientOrderId.
rest_request cancel_order(std::string_view symbol, std::string_view orig_client_order_id);
/// DELETE /fapi/v1/algoOrder by clientAlgoId (algo orders cannot be cancelled via /order).
rest_request cancel_algo_order(std::string_view client_algo_id);
/// DELETE /fapi/v1/allOpenOrders (does not reach algo orders; see cancel_all_algo_orders).
rest_request cancel_all_open_orders(std::string_view symbol);
/// DELETE /fapi/v1/algoOpenOrders.
rest_request cancel_all_algo_orders(std::string_view symbol);
/// GET /fapi/v1/order by origClientOrderId (resolves an "unknown" 503 outcome).
rest_request query_order(std::string_view symbol, std::string_view orig_client_order_id);
/// GET /fapi/v1/algoOrder by clientAlgoId.
rest_request query_algo_order(std::string_view client_algo_id);
/// GET /fapi/v1/openOrders, one symbol (weight 1) or all (weight 40) when symbol is empty.
rest_request open_orders(std::string_view symbol = {});
/// GET /fapi/v1/openAlgoOrders, one symbol (weight 1) or all (weight 40) when symbol is empty.
rest_request open_algo_orders(std::string_view symbol = {});
/// GET /fapi/v1/userTrades for one order (fills with trade ids, prices and commissions).
rest_request user_trades(std::string_view symbol, std::int64_t order_id);
/// GET /fapi/v1/premiumIndex of one symbol (weight 1): its mark price.
rest_request premium_index(std::string_view symbol);
/// GET /fapi/v1/userTrades of a symbol from `start_time_ms` on (at most 1000, the most recent).
rest_request user_trades_since(std::string_view symbol, std::int64_t start_time_ms);

// ----- account -------------------------------------------------------------------------------

/// GET /fapi/v3/positionRisk (only symbols with a position or open orders), optionally one symbol.
rest_request position_risk(std::string_view symbol = {});
/// GET /fapi/v3/balance (same shape as v2); version 2 selects /fapi/v2/balance.
rest_request balance(int version = 3);
/// GET /fapi/v3/account; version 2 selects /fapi/v2/account.
rest_request account(int version = 3);
/// POST /fapi/v1/leverage.
rest_request set_leverage(std::string_view symbol, int leverage);
/// GET /fapi/v1/positionSide/dual (weight 30): is the account in hedge mode?
rest_request get_position_mode();
/// POST /fapi/v1/positionSide/dual; dual=false is one-way mode (what the daemon needs).
rest_request set_position_mode(bool dual);

// ----- public / user stream ------------------------------------------------------------------

/// GET /fapi/v1/exchangeInfo.
rest_request exchange_info();
/// GET /fapi/v1/time.
rest_request server_time();
/// POST /fapi/v1/listenKey (returns the active key if one exists, and extends it).
rest_request create_listen_key();
/// PUT /fapi/v1/listenKey (extends by 60 min; -1125 means re-create).
rest_request keepalive_listen_key();
/// DELETE /fapi/v1/listenKey.
rest_request close_listen_key();

/// True when `id` matches Binance's client id rule `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
bool valid_client_id(std::string_view id);

}  // namespace traded::binance
