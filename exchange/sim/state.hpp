#pragma once
/// What the simulator remembers about orders beyond the matching model: the Binance-visible fields
/// (client ids, time in force, working type, algo status, ...) of every regular and algo order and
/// every trade. The matching model (`traded::paper::account`) owns positions, balances and fills;
/// these records only describe them in Binance's terms.

#include "engine/types.hpp"

#include <cstdint>
#include <string>

namespace traded::sim {

using traded::decimal;
using engine::millis;

/// A matching-engine order (MARKET, placed directly or as the child of a triggered algo order).
struct order_record {
    std::int64_t order_id = 0;
    std::string client_order_id;
    std::string symbol;
    std::string side;                  // BUY | SELL
    std::string position_side = "BOTH";
    std::string time_in_force = "GTC";
    std::string stp_mode = "EXPIRE_MAKER";
    std::string price_match = "NONE";
    std::string orig_type = "MARKET";
    decimal orig_qty;
    decimal executed_qty;
    decimal avg_price;
    decimal cum_quote;
    bool reduce_only = false;
    std::string status = "NEW";        // NEW | PARTIALLY_FILLED | FILLED | CANCELED | EXPIRED
    std::int64_t parent_algo_id = 0;   // child of this algo order, 0 when placed directly
    millis time = 0;
    millis update_time = 0;
};

/// A conditional order living in the Algo Service (`/fapi/v1/algoOrder`).
struct algo_record {
    std::int64_t algo_id = 0;
    std::string client_algo_id;
    std::string symbol;
    std::string side;
    std::string order_type;            // STOP_MARKET | TAKE_PROFIT_MARKET
    std::string position_side = "BOTH";
    std::string time_in_force = "GTC";
    std::string working_type = "CONTRACT_PRICE";
    std::string stp_mode = "EXPIRE_MAKER";
    std::string price_match = "NONE";
    decimal quantity;                  // zero with closePosition
    decimal trigger_price;
    bool close_position = false;
    bool price_protect = false;
    bool reduce_only = false;
    std::string status = "NEW";        // NEW | CANCELED | TRIGGERING | TRIGGERED | FINISHED | REJECTED | EXPIRED
    std::string reject_reason;         // ALGO_UPDATE.rm
    std::int64_t actual_order_id = 0;  // child order in the matching engine once triggered
    decimal actual_price;
    decimal actual_qty;
    millis create_time = 0;
    millis update_time = 0;
    millis trigger_time = 0;
};

/// One execution of an account (userTrades, ORDER_TRADE_UPDATE TRADE).
struct trade_record {
    std::int64_t trade_id = 0;
    std::int64_t order_id = 0;
    std::string symbol;
    std::string side;
    decimal price;
    decimal qty;
    decimal commission;
    std::string commission_asset = "USDT";
    decimal realized_pnl;
    millis time = 0;
};

}  // namespace traded::sim
