#pragma once
/// Value types shared by the engine, the adapters and the views. Pure data, no behaviour beyond
/// naming. Times are epoch milliseconds (`millis`), handed in by the caller.

#include "engine/decimal.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::engine {

using millis = std::int64_t;

/// Whether two symbol names are equal, for the per-event "same symbol as last time?" checks of
/// the tick caches (a backtest makes five per market event). Symbols are 4 to 16 characters:
/// two overlapping word loads compare the whole name without a loop or the memcmp call
/// std::string's == makes; the same string object is recognised by its address.
inline bool same_symbol(const std::string& a, const std::string& b) {
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const char* x = a.data();
    const char* y = b.data();
    if (x == y) return true;
    auto same_words = [&]<typename word>(word) {
        word x0, y0, x1, y1;
        std::memcpy(&x0, x, sizeof(word));
        std::memcpy(&y0, y, sizeof(word));
        std::memcpy(&x1, x + n - sizeof(word), sizeof(word));
        std::memcpy(&y1, y + n - sizeof(word), sizeof(word));
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    };
    if (n >= 8 && n <= 16) return same_words(std::uint64_t{});
    if (n >= 4 && n < 8) return same_words(std::uint32_t{});
    return std::memcmp(x, y, n) == 0;
}

/// Which engine: the same engine type runs both, with a different exchange port.
enum class mode { paper, real };
/// "paper-trading" / "real-trading".
std::string_view to_string(mode m);
std::optional<mode> parse_mode(std::string_view s);
/// Prefix of position ids: "paper" / "live".
std::string_view id_prefix(mode m);

enum class side { long_side, short_side };
std::string_view to_string(side s);  // "LONG" / "SHORT"
std::optional<side> parse_side(std::string_view s);

enum class order_side { buy, sell };
std::string_view to_string(order_side s);  // "BUY" / "SELL"
/// The order side that opens (entry) or closes (exit) a position of side s.
inline order_side entry_side(side s) { return s == side::long_side ? order_side::buy : order_side::sell; }
inline order_side exit_side(side s) { return s == side::long_side ? order_side::sell : order_side::buy; }

enum class position_status { opening, open, closing, closed, failed };
std::string_view to_string(position_status s);  // "OPENING" ...
std::optional<position_status> parse_position_status(std::string_view s);

enum class exit_reason { none, take_profit, stop_loss, profit_floor, manual, stop, emergency, external };
std::string_view to_string(exit_reason r);  // "TAKE_PROFIT" ... ("" for none)
std::optional<exit_reason> parse_exit_reason(std::string_view s);

/// What an order is for; also the client-id suffix: -E, -TP, -SL, -FL (floor stop), -X.
enum class order_kind { entry, take_profit, stop_loss, floor_stop, close };
std::string_view suffix(order_kind k);
std::string_view to_string(order_kind k);  // "ENTRY", "TAKE_PROFIT", ...
std::optional<order_kind> parse_order_kind(std::string_view s);

/// MARKET, or a conditional order triggered by the mark price that then executes at market.
enum class order_type { market, take_profit_market, stop_market };
std::string_view to_string(order_type t);  // "MARKET", "TAKE_PROFIT_MARKET", "STOP_MARKET"

/// Client order id: `<position_id>-<suffix>`. Deterministic so a retry can be looked up.
std::string client_order_id(std::string_view position_id, order_kind k);
/// Splits a client order id back into (position_id, kind); nullopt when it is not ours.
std::optional<std::pair<std::string, order_kind>> split_client_order_id(std::string_view id);
/// `<prefix>_<now>_<SYMBOL>`.
std::string make_position_id(mode m, millis now, std::string_view symbol);

/// Exchange filters of one symbol (PRICE_FILTER tickSize, LOT_SIZE/MARKET_LOT_SIZE stepSize,
/// minQty, MIN_NOTIONAL notional).
struct symbol_info {
    std::string symbol;
    decimal tick_size;
    decimal step_size;
    decimal min_qty;
    decimal min_notional;
};

/// Per-engine rule and safety parameters (config, then run-time overrides).
struct engine_config {
    mode engine_mode = mode::paper;
    bool enabled = true;
    decimal stake_usd = decimal::from_int(200);
    int max_positions = 20;
    int leverage = 3;
    bool pure_3_rule_mode = true;
    decimal primary_target_dollars = decimal::from_int(10);
    decimal absolute_floor_dollars = decimal::from_int(7);
    decimal stop_loss_percent = *decimal::parse("0.5");
    decimal max_daily_loss = decimal::from_int(500);
    /// A symbol whose last quote reached the engine longer ago than this blocks new entries on it
    /// (MARKET_DATA_STALE); 0 disables the check.
    millis max_staleness_ms = 0;
    /// Closed trades kept in memory (the most recent ones); older ones are folded into running
    /// totals so performance stays exact, and are read from the store when asked for. 0 keeps
    /// every trade (an engine without a store, such as a backtest).
    std::size_t trades_kept = 0;
    /// A `position_updated` notification (a copy of the position) for every open position on
    /// every market tick: what the dashboard's live PnL needs. A backtest has no listeners and
    /// turns it off; decisions do not depend on it (floor activation is still notified).
    bool notify_ticks = true;

    bool operator==(const engine_config&) const = default;
};

/// Partial update of the run-time safety limits (PUT safety-limits).
struct safety_limits_update {
    std::optional<decimal> stake_usd;
    std::optional<int> max_positions;
    std::optional<decimal> max_daily_loss;
};

/// State of one exchange order the engine placed.
enum class order_status { pending, accepted, partially_filled, filled, canceled, rejected, expired, unknown };
std::string_view to_string(order_status s);
std::optional<order_status> parse_order_status(std::string_view s);

struct order_record {
    std::string client_id;
    std::string exchange_id;  // empty until the exchange acknowledges
    std::string position_id;
    std::string symbol;
    order_kind kind = order_kind::entry;
    order_type type = order_type::market;
    order_side side = order_side::buy;
    decimal qty;
    decimal trigger_price;  // conditional orders
    order_status status = order_status::pending;
    decimal filled_qty;
    decimal avg_price;
    millis updated_at = 0;
};

/// A commission as the exchange charged it, before conversion to USDT: USDT normally, BNB
/// when the account pays fees in BNB (Binance's fee discount). Kept beside the USDT total so a
/// trade shows what was really paid.
struct commission {
    std::string asset;  // "USDT", "BNB", ...
    decimal amount;     // in `asset`
    bool operator==(const commission&) const = default;
};
/// Adds `amount` of `asset` (empty: USDT) to the per-asset totals, keeping first-seen order.
void add_commission(std::vector<commission>& to, std::string_view asset, decimal amount);
/// "BNB:0.00012345,USDT:0.08" (the stored form); "" when empty.
std::string commissions_text(const std::vector<commission>& c);
/// Parses commissions_text's output; nullopt when malformed.
std::optional<std::vector<commission>> parse_commissions(std::string_view s);

/// One position of one engine. `pnl` is unrealized while open, realized once closed.
struct position {
    std::string position_id;
    std::string symbol;
    side pos_side = side::long_side;
    position_status status = position_status::opening;
    decimal entry_price;
    decimal qty;          // filled entry quantity (requested quantity while OPENING)
    decimal stake_usd;
    int leverage = 1;
    std::string tp_order_id;  // client ids of the live protective orders
    std::string sl_order_id;
    decimal tp_price;
    decimal sl_price;
    decimal highest_profit_ever;
    bool profit_floor_activated = false;
    decimal mark_price;
    decimal pnl;
    decimal fees;                         // every leg's commission, in USDT
    std::vector<commission> commissions;  // the same as charged, by asset (raw)
    decimal exit_price;
    decimal exit_filled_qty;  // reducing fills seen so far
    exit_reason reason = exit_reason::none;
    millis opened_at = 0;
    millis closed_at = 0;
    millis updated_at = 0;
};

/// A closed position, as recorded.
struct trade {
    std::string trade_id;  // "<position_id>-T"
    std::string position_id;
    std::string symbol;
    side pos_side = side::long_side;
    decimal entry_price;
    decimal exit_price;
    decimal qty;
    decimal pnl;  // net of fees
    decimal fees;  // in USDT (commissions in another asset converted at its price)
    std::vector<commission> commissions;  // as charged, by asset (raw)
    double pnl_pct = 0;  // pnl / margin * 100 (display value)
    exit_reason reason = exit_reason::none;
    millis opened_at = 0;
    millis closed_at = 0;
};

/// The trade a closed position records ("<position_id>-T"), from the position's own fields.
trade trade_of(const position& p);

/// An entry idea from the opportunity manager or a user.
struct opportunity {
    std::string symbol;
    side opp_side = side::long_side;
    double score = 0;  // display value
    std::string reason;
    millis ts = 0;
    /// Whose prices produced it: "exchange", "synthetic", "replay" (a strategy on that market
    /// source) or "manual" (an operator's decision). Real trading acts only on "exchange" and
    /// "manual" (SPEC §1): anything else, an unlabeled idea included, is refused there.
    std::string source = {};
};

/// Latest prices of a symbol.
struct quote {
    decimal bid;
    decimal ask;
    decimal mark;
    millis ts = 0;
};

}  // namespace traded::engine
