#pragma once
/// The Binance USD-M JSON shapes the simulator sends, built from its records (binance-usdm.md
/// §4, §6, §7): REST answers, market stream events and user-data events. Numbers that Binance
/// sends as strings are strings here too; ids and times are integers. Pure: no I/O, no clock.

#include "exchange/sim/sim_config.hpp"
#include "exchange/sim/state.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace traded::sim {

/// Price with the symbol's tick digits ("43000.1").
std::string fmt_price(decimal v, const symbol_config& s);
/// Quantity with the symbol's step digits ("0.010").
std::string fmt_qty(decimal v, const symbol_config& s);
/// Money and rates with 8 digits ("10000.00000000").
std::string fmt8(decimal v);
/// Notional filter value as Binance prints it ("5.0", "100.0").
std::string fmt_notional(decimal v);

/// One row of positionRisk / account positions / ACCOUNT_UPDATE.
struct position_view {
    const symbol_config* symbol = nullptr;
    decimal amount;  // signed
    decimal entry_price;
    decimal break_even_price;
    decimal mark_price;
    decimal unrealized_pnl;
    decimal accumulated_realized;
    int leverage = 20;
    bool isolated = false;
    millis update_time = 0;
};

/// The account's USDT balance.
struct balance_view {
    std::string alias;
    decimal wallet;
    decimal unrealized_pnl;
    decimal margin_balance;
    decimal available;
    decimal initial_margin;
    millis update_time = 0;
};

/// GET /fapi/v1/exchangeInfo.
boost::json::object exchange_info(const sim_config& cfg, millis server_time);

/// POST /fapi/v1/order answer. With `result` (newOrderRespType=RESULT) it shows the final fill;
/// with ACK it shows the order as accepted (NEW), as Binance does even when it filled at once.
boost::json::object new_order_response(const order_record& o, const symbol_config& s, bool result);
/// GET /fapi/v1/order and /fapi/v1/openOrders element.
boost::json::object query_order(const order_record& o, const symbol_config& s);
/// Algo order object (POST/GET /fapi/v1/algoOrder, openAlgoOrders). `detailed` adds the
/// actualOrderId/actualPrice/actualQty/actualType fields GET shows once triggered.
boost::json::object algo_order(const algo_record& a, const symbol_config& s, bool detailed);

/// ORDER_TRADE_UPDATE for execution type `x` ("NEW", "TRADE", "CANCELED", "EXPIRED").
boost::json::object order_trade_update(const order_record& o, const symbol_config& s, const std::string& x,
                                       const trade_record* trade, millis event_time);
/// ALGO_UPDATE with the algo's current status.
boost::json::object algo_update(const algo_record& a, const symbol_config& s, millis event_time);
/// ACCOUNT_UPDATE (reason `m`, USDT balance, the given positions).
boost::json::object account_update(const balance_view& b, const std::vector<position_view>& positions,
                                   const std::string& reason, decimal balance_change, millis event_time);
/// ACCOUNT_CONFIG_UPDATE for a leverage change.
boost::json::object leverage_update(const std::string& symbol, int leverage, millis event_time);
/// listenKeyExpired; `E` is a string as in the official docs (clients must accept both).
boost::json::object listen_key_expired(const std::string& listen_key, millis event_time);

/// GET /fapi/v2|v3/balance array: USDT plus zero balances of other margin assets, in an order
/// where USDT is not first (clients must find it by `asset`).
boost::json::array balances(const balance_view& b);
/// GET /fapi/v2/positionRisk row.
boost::json::object position_risk_v2(const position_view& p);
/// GET /fapi/v3/positionRisk row.
boost::json::object position_risk_v3(const position_view& p);
/// GET /fapi/v2|v3/account. v2 lists every symbol and account flags; v3 only open positions.
boost::json::object account_info(const balance_view& b, const std::vector<position_view>& positions, bool v3);
/// GET /fapi/v1/userTrades element.
boost::json::object user_trade(const trade_record& t, const symbol_config& s);

/// Highest position notional allowed at a leverage (a generic bracket table).
std::string max_notional_for(int leverage);

/// <symbol>@bookTicker event.
boost::json::object book_ticker_event(const symbol_config& s, const engine::quote& q, std::int64_t update_id,
                                      millis now);
/// <symbol>@markPrice[@1s] event.
boost::json::object mark_price_event(const symbol_config& s, const engine::quote& q, millis now);
/// <symbol>@aggTrade event.
boost::json::object agg_trade_event(const symbol_config& s, decimal price, decimal qty, std::int64_t agg_id,
                                    std::int64_t trade_id, bool buyer_is_maker, millis now);
/// GET /fapi/v1/premiumIndex element.
boost::json::object premium_index(const symbol_config& s, const engine::quote& q, millis now);
/// GET /fapi/v1/ticker/bookTicker element.
boost::json::object rest_book_ticker(const symbol_config& s, const engine::quote& q, millis now);

/// Next funding time (every 8 h from 00:00 UTC) after `now`.
millis next_funding_time(millis now);

}  // namespace traded::sim
