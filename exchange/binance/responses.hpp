#pragma once
/// Parsing of Binance USD-M REST response bodies (binance-usdm.md §3-§4) into plain structs.
///
/// Every parser takes the body and a reusable json_parser, and returns result<T> whose error
/// names the field. Unknown fields are ignored, field order does not matter, optional fields
/// may be missing. Decimal values are read from strings (or JSON numbers) into traded::decimal,
/// never through double. A body that is a Binance error ({"code":<negative>,"msg":...}) fails
/// with "exchange error <code>: <msg>"; use parse_api_error() to get the code itself.

#include "engine/types.hpp"
#include "exchange/binance/json_parser.hpp"
#include "exchange/binance/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::binance {

/// A Binance error body: {"code": -2022, "msg": "ReduceOnly Order is rejected."}.
struct api_error {
    int code = 0;
    std::string msg;
};

/// The error in `body`, if it is an object with a negative integer `code` (a non-negative code
/// such as {"code":200,"msg":"success"} is an acknowledgement, not an error). nullopt otherwise,
/// including for malformed JSON (e.g. an HTML error page from a proxy).
std::optional<api_error> parse_api_error(std::string_view body, json_parser& p = default_parser());

// ----- exchangeInfo --------------------------------------------------------------------------

/// Trading rules of one symbol. `info` is what the engine uses: tick = PRICE_FILTER tickSize;
/// step = the coarser of LOT_SIZE and MARKET_LOT_SIZE stepSize and min_qty the larger minQty
/// (we place MARKET and conditional-market orders, so both filters must hold);
/// min_notional = MIN_NOTIONAL notional (0 when absent: rule disabled).
struct symbol_rules {
    engine::symbol_info info;
    std::string status;         // "TRADING" ...
    std::string contract_type;  // "PERPETUAL" ...
    std::string quote_asset;
    decimal min_price;
    decimal max_price;
    decimal max_qty;         // LOT_SIZE maxQty
    decimal market_max_qty;  // MARKET_LOT_SIZE maxQty (0 when absent)
    decimal trigger_protect;
};

/// One entry of exchangeInfo.rateLimits.
struct rate_limit_rule {
    std::string type;      // "REQUEST_WEIGHT" / "ORDERS"
    std::string interval;  // "SECOND" / "MINUTE" / ...
    int interval_num = 0;
    int limit = 0;
};

/// Parsed exchangeInfo. A symbol whose filters cannot be read is left out and listed in
/// `skipped` ("SYMBOL: reason") instead of failing the whole answer.
struct exchange_rules {
    std::vector<symbol_rules> symbols;
    std::vector<rate_limit_rule> rate_limits;
    std::vector<std::string> skipped;
};

/// GET /fapi/v1/exchangeInfo.
result<exchange_rules> parse_exchange_info(std::string_view body, json_parser& p = default_parser());
/// One symbol object of exchangeInfo.symbols (fixtures, tests).
result<symbol_rules> parse_symbol_rules(std::string_view body, json_parser& p = default_parser());
/// The rules of `symbol`, or nullptr.
const symbol_rules* find_symbol(const exchange_rules& rules, std::string_view symbol);

// ----- orders --------------------------------------------------------------------------------

/// Engine status of a Binance order status: NEW -> accepted, PARTIALLY_FILLED,
/// FILLED, CANCELED, REJECTED, EXPIRED and EXPIRED_IN_MATCH -> expired, else unknown.
engine::order_status to_order_status(std::string_view binance_status);

/// An order object (new order RESULT/ACK, cancel, query, openOrders elements).
struct order_info {
    std::string symbol;
    std::int64_t order_id = 0;
    std::string client_order_id;
    std::string status;  // Binance text, e.g. "FILLED"
    engine::order_status state = engine::order_status::unknown;
    std::string side;           // "BUY" / "SELL"
    std::string type;           // "MARKET" ...
    std::string orig_type;
    std::string position_side;  // "BOTH" ...
    std::string time_in_force;
    decimal orig_qty;
    decimal executed_qty;
    decimal price;
    decimal stop_price;
    std::optional<decimal> avg_price;  // dropped from the schema by SDK v14; parse both shapes
    std::optional<decimal> cum_quote;
    bool reduce_only = false;
    bool close_position = false;
    std::int64_t update_time = 0;
    std::int64_t time = 0;  // openOrders only
};

/// One order object. Requires symbol, orderId, clientOrderId, status.
result<order_info> parse_order(std::string_view body, json_parser& p = default_parser());
/// An array of order objects (GET /fapi/v1/openOrders).
result<std::vector<order_info>> parse_orders(std::string_view body, json_parser& p = default_parser());

/// Algo (conditional) order status (binance-usdm.md §4.4 / §7.4).
enum class algo_status { new_, canceled, triggering, triggered, finished, rejected, expired, unknown };
/// "NEW", "CANCELED", ... ("UNKNOWN" for unknown).
std::string_view to_string(algo_status s);
/// Case-sensitive; anything else is algo_status::unknown.
algo_status parse_algo_status(std::string_view s);
/// True for statuses after which the algo order can no longer trigger.
bool is_final(algo_status s);

/// An algo order object (POST/GET /fapi/v1/algoOrder, openAlgoOrders elements).
struct algo_order_info {
    std::int64_t algo_id = 0;
    std::string client_algo_id;
    std::string algo_type;   // "CONDITIONAL"
    std::string order_type;  // "STOP_MARKET", "TAKE_PROFIT_MARKET", ...
    std::string symbol;
    std::string side;
    std::string position_side;
    std::string status_text;  // algoStatus as sent
    algo_status status = algo_status::unknown;
    decimal quantity;
    decimal trigger_price;
    decimal price;
    std::string working_type;
    bool close_position = false;
    bool reduce_only = false;
    std::string actual_order_id;  // matching-engine order id once triggered ("" before)
    decimal actual_price;
    decimal actual_qty;
    std::string actual_type;
    std::int64_t create_time = 0;
    std::int64_t update_time = 0;
    std::int64_t trigger_time = 0;
};

/// One algo order object. Requires algoId, clientAlgoId, algoStatus, symbol.
result<algo_order_info> parse_algo_order(std::string_view body, json_parser& p = default_parser());
/// An array of algo order objects (GET /fapi/v1/openAlgoOrders).
result<std::vector<algo_order_info>> parse_algo_orders(std::string_view body, json_parser& p = default_parser());

/// Acknowledgement bodies: {"code":200,"msg":"success"}, {"code":"200",...} (algo cancel, with
/// algoId/clientAlgoId), {} (listenKey DELETE). `code` is kept as text because Binance sends it
/// both as a number and as a string.
struct ack {
    std::string code;
    std::string msg;
    std::int64_t algo_id = 0;
    std::string client_algo_id;
};
result<ack> parse_ack(std::string_view body, json_parser& p = default_parser());

// ----- account -------------------------------------------------------------------------------

/// A positionRisk row (v2 or v3) or an account.positions element.
struct position_row {
    std::string symbol;
    std::string position_side = "BOTH";
    decimal amount;  // positionAmt, signed: > 0 long, < 0 short
    decimal entry_price;
    decimal break_even_price;
    decimal mark_price;
    decimal unrealized_pnl;  // unRealizedProfit (positionRisk) / unrealizedProfit (account)
    decimal liquidation_price;
    decimal notional;
    std::optional<int> leverage;  // string in positionRisk v2, absent in v3
    std::string margin_type;      // "isolated"/"cross" (v2 only)
    std::int64_t update_time = 0;
};

/// GET /fapi/v3/positionRisk (also v2): an array of rows, or a single row object.
/// Requires symbol and positionAmt per row.
result<std::vector<position_row>> parse_position_risk(std::string_view body, json_parser& p = default_parser());

/// A balance row (GET /fapi/v2|v3/balance) or an account.assets element.
struct balance_row {
    std::string asset;
    decimal wallet_balance;  // "balance" (balance endpoint) or "walletBalance" (account)
    decimal cross_wallet_balance;
    decimal cross_unrealized_pnl;  // crossUnPnl
    decimal available_balance;
    decimal max_withdraw_amount;
    std::optional<decimal> unrealized_pnl;  // account assets only
    std::optional<decimal> margin_balance;  // account assets only
    std::int64_t update_time = 0;
};

/// GET /fapi/v3/balance: array of rows. Requires asset and a wallet balance per row.
result<std::vector<balance_row>> parse_balances(std::string_view body, json_parser& p = default_parser());
/// The row of `asset` (by name: the list is not ordered), or nullptr.
const balance_row* find_asset(const std::vector<balance_row>& rows, std::string_view asset);

/// GET /fapi/v3/account (also v2).
struct account_info {
    decimal total_wallet_balance;
    decimal total_unrealized_profit;
    decimal total_margin_balance;
    decimal total_initial_margin;
    decimal total_maint_margin;
    decimal available_balance;
    decimal max_withdraw_amount;
    std::vector<balance_row> assets;
    std::vector<position_row> positions;
};
result<account_info> parse_account(std::string_view body, json_parser& p = default_parser());

/// POST /fapi/v1/leverage answer.
struct leverage_info {
    std::string symbol;
    int leverage = 0;  // a number here (a string in positionRisk v2): both accepted
    decimal max_notional;
};
result<leverage_info> parse_leverage(std::string_view body, json_parser& p = default_parser());

/// GET /fapi/v1/positionSide/dual: true when the account is in hedge mode.
result<bool> parse_position_mode(std::string_view body, json_parser& p = default_parser());

/// GET /fapi/v1/time: serverTime in ms.
result<std::int64_t> parse_server_time(std::string_view body, json_parser& p = default_parser());

/// POST/PUT /fapi/v1/listenKey: the key.
result<std::string> parse_listen_key(std::string_view body, json_parser& p = default_parser());

/// GET /fapi/v1/premiumIndex?symbol=...: the symbol's mark price.
result<decimal> parse_premium_index_mark(std::string_view body, json_parser& p = default_parser());

/// One fill of GET /fapi/v1/userTrades. (The shape is not in binance-usdm.md; these are the
/// long-standing fields of the endpoint. Required: id, orderId, price, qty.)
struct user_trade {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::string symbol;
    std::string side;
    std::string position_side;
    decimal price;
    decimal qty;
    decimal quote_qty;
    decimal realized_pnl;
    decimal commission;
    std::string commission_asset;
    bool maker = false;
    bool buyer = false;
    std::int64_t time = 0;
};
result<std::vector<user_trade>> parse_user_trades(std::string_view body, json_parser& p = default_parser());

}  // namespace traded::binance
