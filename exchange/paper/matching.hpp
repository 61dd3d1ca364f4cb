#pragma once
/// The simulated USD-M exchange account: the matching model shared by paper trading (in process)
/// and `traded-sim` (over the Binance protocol). Pure: no I/O, no clock; time is an argument.
///
/// Model: one-way position mode, one position per symbol. MARKET orders fill at once at the ask
/// (buy) or bid (sell) moved against the taker by `slippage_bps`, paying `taker_fee` of notional.
/// Conditional TAKE_PROFIT_MARKET / STOP_MARKET orders rest until the mark price crosses the
/// trigger, then execute as MARKET reduce-only orders. Reduce-only orders that would not reduce the
/// position are rejected with -2022, as Binance does.

#include "engine/types.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace traded::paper {

using traded::decimal;  // decimal lives in traded, not traded::engine
using engine::millis;

/// Binance error codes the simulated account answers with (messages follow Binance's texts).
namespace codes {
inline constexpr int no_market_price = -1;          // no quote yet: "No market price"
inline constexpr int bad_param = -1102;             // missing/malformed parameter (triggerPrice)
inline constexpr int param_not_required = -1106;    // closePosition with MARKET, reduceOnly with it
inline constexpr int bad_precision = -1111;         // qty off the step grid, trigger off the tick grid
inline constexpr int bad_symbol = -1121;
inline constexpr int unknown_order = -2011;         // cancel of an unknown or finished order
inline constexpr int margin_insufficient = -2019;
inline constexpr int would_trigger = -2021;
inline constexpr int reduce_only_rejected = -2022;
inline constexpr int qty_not_positive = -4003;
inline constexpr int qty_below_min = -4004;
inline constexpr int invalid_client_id = -4015;     // bad characters or longer than 36
inline constexpr int invalid_leverage = -4028;
inline constexpr int duplicate_client_id = -4116;   // same client id as an open order
inline constexpr int qty_with_close_position = -4137;
inline constexpr int min_notional = -4164;
}  // namespace codes

struct account_config {
    decimal starting_balance = decimal::from_int(10000);
    double taker_fee = 0.0004;
    double slippage_bps = 1.0;
    int leverage = 3;  // default leverage per symbol
};

/// An order request, already validated for syntax by the caller.
struct new_order {
    std::string client_id;
    std::string symbol;
    engine::order_side side = engine::order_side::buy;
    engine::order_type type = engine::order_type::market;
    decimal qty;  // may be zero when close_position is set
    decimal trigger_price;
    bool reduce_only = false;
    bool close_position = false;  // conditional: close whatever position exists when triggered
};

/// Order state as the exchange sees it.
struct sim_order {
    std::int64_t order_id = 0;  // exchange id (algoId for conditional orders)
    new_order req;
    engine::order_status status = engine::order_status::accepted;
    decimal filled_qty;
    decimal avg_price;
    std::int64_t triggered_order_id = 0;  // conditional: id of the market child order once triggered
    /// Market child of a triggered conditional: the conditional's id (0 for orders placed directly).
    /// Its client id is exchange-generated ("trig-<parent id>"), as Binance's may be.
    std::int64_t parent_order_id = 0;
    millis created_at = 0;
    millis updated_at = 0;
};

/// One execution.
struct sim_fill {
    std::string client_id;
    std::int64_t order_id = 0;
    std::int64_t trade_id = 0;
    std::string symbol;
    engine::order_side side = engine::order_side::buy;
    decimal qty;
    decimal price;
    decimal fee;
    decimal realized_pnl;  // PnL this fill realized (reducing fills), before fee
    bool order_done = true;
    bool reduce_only = false;
    /// Set when the fill came from a triggered conditional order: that order's client id and id.
    std::string parent_client_id;
    std::int64_t parent_order_id = 0;
};

/// What happened, in order, as a result of one call. `orders` are status changes of orders
/// (accepted, triggered, filled, canceled, expired) including conditional ones.
///
/// Sequences: a MARKET order gives [NEW (accepted), FILLED] and one fill. A triggering conditional
/// gives [conditional still accepted with triggered_order_id set (TRIGGERED), child accepted,
/// child filled, conditional filled (FINISHED)] and one fill whose parent_* fields name the
/// conditional; children carry parent_order_id, so a caller that only tracks its own orders can
/// skip them. A conditional with nothing left to close gives [conditional expired] and no fill.
struct sim_events {
    std::vector<sim_order> orders;
    std::vector<sim_fill> fills;
    bool positions_changed = false;  // balances or positions moved (ACCOUNT_UPDATE)

    bool empty() const { return orders.empty() && fills.empty() && !positions_changed; }
    void clear() {
        orders.clear();
        fills.clear();
        positions_changed = false;
    }
};

struct place_result {
    int code = 0;  // 0 ok, else Binance error code (-2022, -1111, -4164, -2021, -2019, -1121, ...)
    std::string message;
    std::optional<sim_order> order;
    sim_events events;
    bool ok() const { return code == 0; }
};

struct sim_position {
    std::string symbol;
    decimal amount;  // signed
    decimal entry_price;
    decimal unrealized_pnl;
    decimal mark_price;
    int leverage = 1;
};

struct sim_balance {
    decimal wallet_balance;
    decimal available_balance;
    decimal unrealized_pnl;
    decimal margin_balance;
};

/// A simulated account on a set of symbols.
class account {
public:
    account(account_config cfg, std::vector<engine::symbol_info> symbols);
    // open_ids_ points into orders_: a copy would point into the original.
    account(const account&) = delete;
    account& operator=(const account&) = delete;
    account(account&&) = default;
    account& operator=(account&&) = default;

    /// New prices; triggers conditional orders whose trigger the mark crossed.
    sim_events on_quote(const std::string& symbol, const engine::quote& q, millis now);
    /// The same into `out` (cleared first, its capacity kept): a caller quoting every market
    /// event (the backtest) builds no result per quote.
    void on_quote(const std::string& symbol, const engine::quote& q, millis now, sim_events& out);

    /// Place an order (MARKET fills at once; conditional ones rest).
    place_result place(const new_order& o, millis now);
    /// Cancel by client id (or by exchange id when client id is empty).
    place_result cancel(const std::string& symbol, const std::string& client_id, std::int64_t order_id,
                        millis now);
    /// Rebuild after a restart: set the wallet balance and a position directly (no fill, no fee).
    /// Paper trading restores its account from the engine's persisted positions and trades.
    void restore_wallet(decimal wallet) { wallet_ = wallet; }
    void restore_position(const std::string& symbol, decimal amount, decimal entry_price) {
        positions_[symbol] = book_position{amount, entry_price};
    }
    /// Cancel every open order of a symbol.
    sim_events cancel_all(const std::string& symbol, millis now);
    /// Set leverage of a symbol (1..125); -4028 style error code when out of range.
    int set_leverage(const std::string& symbol, int leverage);

    std::optional<sim_order> find_order(const std::string& symbol, const std::string& client_id) const;
    std::optional<sim_order> find_order_by_id(std::int64_t order_id) const;
    std::vector<sim_order> open_orders(const std::string& symbol) const;  // "" for all symbols
    sim_position position(const std::string& symbol) const;
    std::vector<sim_position> positions() const;
    sim_balance balance() const;
    const std::vector<sim_fill>& fills() const { return fills_; }
    const engine::symbol_info* find_symbol(const std::string& symbol) const;
    std::optional<engine::quote> last_quote(const std::string& symbol) const;

    /// Leverage of a symbol (the configured default until set_leverage changes it).
    int leverage(const std::string& symbol) const;

private:
    struct book_position {
        decimal amount;
        decimal entry_price;
    };
    /// Fills `qty` of order `o` at market against quote `q`, moving the position and wallet.
    sim_fill execute(sim_order& o, decimal qty, const engine::quote& q, millis now);
    /// Runs a conditional whose trigger the mark crossed: child market order, or expiry when flat.
    void trigger(sim_order& cond, const engine::quote& q, millis now, sim_events& ev);
    decimal fee_rate_;   // taker_fee as a decimal
    decimal slip_rate_;  // slippage_bps / 1e4 as a decimal
    account_config cfg_;
    std::map<std::string, engine::symbol_info> symbols_;
    std::map<std::string, engine::quote> quotes_;
    std::map<std::string, book_position> positions_;
    std::map<std::string, int> leverage_;
    std::map<std::int64_t, sim_order> orders_;  // every order ever, by id
    /// Resting orders: what every quote has to check (nodes of orders_, which never moves them).
    std::map<std::int64_t, sim_order*> open_ids_;
    /// The resting orders of one symbol, in id order, and the mark prices at which the first of
    /// them fires: a quote that crosses neither bound (almost every quote) looks at no order.
    struct resting_book {
        std::vector<sim_order*> orders;
        decimal fire_at_or_above = decimal::from_raw(decimal::max_raw);  // lowest rising trigger
        decimal fire_at_or_below = decimal::from_raw(-decimal::max_raw);  // highest falling trigger
    };
    std::map<std::string, resting_book> resting_;  // by symbol; entries are never erased
    /// Starts / ends resting: open_ids_ and the symbol's resting_book with its bounds.
    void rest(sim_order* o);
    void unrest(const sim_order& o);
    std::map<std::pair<std::string, std::string>, std::int64_t> latest_by_client_;  // (symbol, client id)
    std::vector<sim_fill> fills_;
    std::vector<sim_order*> resting_scratch_;  // on_quote's crossed orders, capacity reused
    /// The last quoted symbol and its entry in quotes_ (never erased): a run of quotes of one
    /// symbol costs a string compare, not a map lookup.
    std::string last_quoted_;
    engine::quote* last_quote_ = nullptr;
    resting_book* last_resting_ = nullptr;  // resting_ entry of last_quoted_
    decimal wallet_;
    std::int64_t next_order_id_ = 1000;
    std::int64_t next_trade_id_ = 5000;
};

/// Realistic default filters for the built-in symbols (BTCUSDT tick 0.10 step 0.001, ...).
std::vector<engine::symbol_info> default_symbols(const std::vector<std::string>& names);
/// A sensible starting price for a built-in symbol (synthetic feed).
decimal default_start_price(const std::string& symbol);

}  // namespace traded::paper
