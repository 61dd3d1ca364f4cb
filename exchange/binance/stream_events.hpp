#pragma once
/// Parsing of Binance USD-M WebSocket payloads: market streams (§6) and the user-data stream
/// (§7), raw or wrapped in the combined-stream envelope {"stream":"..","data":{..}}.
///
/// Each parse returns one variant alternative: a typed event, `ignored_event` for payloads we
/// do not use (unknown event types, subscription answers, arrays), or `stream_error` with a
/// message naming the field for malformed input. Never throws, never crashes. Field order does
/// not matter ("e" may come last), unknown fields are ignored, case-sensitive keys are kept
/// apart (`o.o` vs `o`, `T` vs `o.T`, `l` vs `L`, `n` vs `N`, ...).

#include "engine/types.hpp"
#include "exchange/binance/json_parser.hpp"
#include "exchange/binance/responses.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace traded::binance {

/// A payload we parsed and deliberately do not use. `event_type` is its "e" ("depthUpdate",
/// "STRATEGY_UPDATE", ...), or "response" / "error: <msg>" for WebSocket control answers, or
/// "array" for array payloads.
struct ignored_event {
    std::string event_type;
};

/// Malformed payload: the message names the field ("ORDER_TRADE_UPDATE: field o.l: ...").
struct stream_error {
    std::string message;
};

// ----- market streams ------------------------------------------------------------------------

/// `<symbol>@bookTicker`: best bid/ask.
struct book_ticker {
    std::string symbol;
    std::int64_t update_id = 0;  // u
    std::int64_t event_time = 0;  // E
    std::int64_t transaction_time = 0;  // T
    decimal bid_price;  // b
    decimal bid_qty;    // B
    decimal ask_price;  // a
    decimal ask_qty;    // A
};

/// `<symbol>@markPrice[@1s]`.
struct mark_price_update {
    std::string symbol;
    std::int64_t event_time = 0;
    decimal mark_price;                    // p
    std::optional<decimal> index_price;    // i
    std::optional<decimal> funding_rate;   // r
    std::int64_t next_funding_time = 0;    // T
};

/// `<symbol>@aggTrade`.
struct agg_trade {
    std::string symbol;
    std::int64_t event_time = 0;
    std::int64_t agg_trade_id = 0;  // a
    decimal price;                  // p
    decimal qty;                    // q
    std::int64_t first_trade_id = 0;  // f
    std::int64_t last_trade_id = 0;   // l
    std::int64_t trade_time = 0;      // T
    bool buyer_is_maker = false;      // m
};

/// One market-stream payload.
using market_event = std::variant<book_ticker, mark_price_update, agg_trade, ignored_event, stream_error>;

// ----- user-data stream ----------------------------------------------------------------------

/// ORDER_TRADE_UPDATE: an order changed (x = execution type, X = order status).
struct order_trade_update {
    std::int64_t event_time = 0;        // E
    std::int64_t transaction_time = 0;  // T
    std::string symbol;                 // o.s
    std::string client_order_id;        // o.c ("autoclose-..." liquidation, "adl_autoclose")
    std::string side;                   // o.S
    std::string order_type;             // o.o
    std::string orig_type;              // o.ot
    std::string time_in_force;          // o.f
    decimal orig_qty;                   // o.q
    decimal orig_price;                 // o.p
    decimal avg_price;                  // o.ap
    decimal stop_price;                 // o.sp
    std::string execution_type;         // o.x: NEW, TRADE, CANCELED, EXPIRED, CALCULATED, AMENDMENT
    std::string order_status;           // o.X
    engine::order_status state = engine::order_status::unknown;  // o.X mapped
    std::int64_t order_id = 0;          // o.i
    decimal last_filled_qty;            // o.l
    decimal cum_filled_qty;             // o.z
    decimal last_filled_price;          // o.L
    std::string commission_asset;       // o.N (absent when no commission)
    decimal commission;                 // o.n
    std::int64_t trade_time = 0;        // o.T
    std::int64_t trade_id = 0;          // o.t
    bool is_maker = false;              // o.m
    bool reduce_only = false;           // o.R
    std::string position_side;          // o.ps
    bool close_position = false;        // o.cp
    decimal realized_pnl;               // o.rp
    std::string expiry_reason;          // o.er

    /// True when this update carries a fill (x = TRADE, or CALCULATED for liquidations).
    bool is_fill() const { return execution_type == "TRADE" || execution_type == "CALCULATED"; }
};

/// ALGO_UPDATE: a conditional (algo) order changed.
struct algo_update {
    std::int64_t event_time = 0;
    std::int64_t transaction_time = 0;
    std::string client_algo_id;   // o.caid
    std::int64_t algo_id = 0;     // o.aid
    std::string algo_type;        // o.at
    std::string order_type;       // o.o
    std::string symbol;           // o.s
    std::string side;             // o.S
    std::string position_side;    // o.ps
    decimal qty;                  // o.q
    std::string status_text;      // o.X as sent
    algo_status status = algo_status::unknown;  // o.X mapped
    std::string actual_order_id;  // o.ai: matching-engine order id once triggered ("" before)
    decimal avg_price;            // o.ap
    decimal executed_qty;         // o.aq
    std::string actual_type;      // o.act
    decimal trigger_price;        // o.tp
    decimal price;                // o.p
    std::string working_type;     // o.wt
    bool close_position = false;  // o.cp
    bool reduce_only = false;     // o.R
    std::int64_t trigger_time = 0;  // o.tt
    std::string reason;           // o.rm (why it failed)
};

/// One balance of ACCOUNT_UPDATE.a.B.
struct account_balance {
    std::string asset;              // a
    decimal wallet_balance;         // wb
    decimal cross_wallet_balance;   // cw
    decimal balance_change;         // bc
};

/// One position of ACCOUNT_UPDATE.a.P.
struct account_position {
    std::string symbol;             // s
    decimal amount;                 // pa (signed)
    decimal entry_price;            // ep
    decimal break_even_price;       // bep
    decimal accumulated_realized;   // cr
    decimal unrealized_pnl;         // up
    std::string margin_type;        // mt
    decimal isolated_wallet;        // iw
    std::string position_side = "BOTH";  // ps
};

/// ACCOUNT_UPDATE: balances and/or positions changed (only the changed ones are listed).
struct account_update {
    std::int64_t event_time = 0;
    std::int64_t transaction_time = 0;
    std::string reason;  // a.m: ORDER, FUNDING_FEE, ...
    std::vector<account_balance> balances;
    std::vector<account_position> positions;
};

/// listenKeyExpired: the stream delivers nothing more until a new key is used.
struct listen_key_expired {
    std::int64_t event_time = 0;  // E, a string in the doc, a number in the SDK: both accepted
    std::string listen_key;       // optional in practice ("" when absent)
};

/// One position of MARGIN_CALL.p.
struct margin_call_position {
    std::string symbol;
    std::string position_side;
    decimal amount;
    std::string margin_type;
    decimal isolated_wallet;
    decimal mark_price;
    decimal unrealized_pnl;
    decimal maint_margin;
};

/// MARGIN_CALL (informational; the position may already be liquidating).
struct margin_call {
    std::int64_t event_time = 0;
    std::optional<decimal> cross_wallet_balance;  // cw
    std::vector<margin_call_position> positions;
};

/// TRADE_LITE: low-latency fill notice (the full ORDER_TRADE_UPDATE follows).
struct trade_lite {
    std::int64_t event_time = 0;
    std::int64_t transaction_time = 0;
    std::string symbol;           // s
    decimal orig_qty;             // q
    decimal orig_price;           // p
    bool is_maker = false;        // m
    std::string client_order_id;  // c
    std::string side;             // S
    decimal last_filled_price;    // L
    decimal last_filled_qty;      // l
    std::int64_t trade_id = 0;    // t
    std::int64_t order_id = 0;    // i
};

/// ACCOUNT_CONFIG_UPDATE: leverage (ac) or multi-assets mode (ai) changed.
struct account_config_update {
    std::int64_t event_time = 0;
    std::int64_t transaction_time = 0;
    std::string symbol;               // ac.s
    std::optional<int> leverage;      // ac.l
    std::optional<bool> multi_assets; // ai.j
};

/// One user-data-stream payload.
using user_event = std::variant<order_trade_update, algo_update, account_update, listen_key_expired, margin_call,
                                trade_lite, account_config_update, ignored_event, stream_error>;

/// Parses one market-stream frame (raw or combined-stream wrapped).
market_event parse_market_event(std::string_view frame, json_parser& p = default_parser());
/// Parses one user-data-stream frame (raw or combined-stream wrapped).
user_event parse_user_event(std::string_view frame, json_parser& p = default_parser());

}  // namespace traded::binance
