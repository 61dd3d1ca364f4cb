#pragma once
/// The I/O-free decisions of the Binance port (exchange/binance/port.*): credentials loading, and
/// the order tracker that turns what the exchange says about our orders (REST answers, user-data
/// stream events, trade lists) into engine events, exactly once each.
///
/// Kept apart from the Asio code so the rules that protect real money can be tested by hand,
/// event by event, without sockets.

#include "config/config.hpp"
#include "exchange/port.hpp"
#include "engine/events.hpp"
#include "exchange/binance/responses.hpp"
#include "exchange/binance/stream_events.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace traded::binance::logic {

using port::balance_snapshot;
using port::foreign_position;
using port::preflight_result;

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

/// API key and secret, or why there are none. Never logged.
struct credentials {
    std::string api_key;
    std::string api_secret;
    std::string code;     // empty: ok; MISSING_CREDENTIALS / CREDENTIALS_FILE_INSECURE / CREDENTIALS_FILE_INVALID
    std::string message;  // names the variable or file, never a secret
    std::string source;   // "environment (BINANCE_API_KEY, BINANCE_API_SECRET)" / "file <path>"
    bool ok() const { return code.empty(); }
};

/// Reads an environment variable; nullopt when unset.
using env_reader = std::function<std::optional<std::string>(const std::string&)>;

/// The credentials for `cfg`: the credentials file when exchange.credentials_file is set (a YAML
/// file with `api_key:` and `api_secret:`, refused when group or others may read it), else the
/// systemd credential `binance` ($CREDENTIALS_DIRECTORY/binance, the same YAML) when there is one,
/// else the environment variables named by exchange.api_key_env / api_secret_env.
credentials load_credentials(const config::exchange_config& cfg, const env_reader& env);

/// Parses the credentials file text (a two-key YAML mapping; quotes and comments allowed).
credentials parse_credentials_text(const std::string& text, const std::string& path);

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

/// True for the client ids of conditional (algo) orders: `-TP`, `-SL`, `-FL`.
bool is_algo_client_id(const std::string& client_id);

/// Engine trade id of an exchange fill: "<SYMBOL>:<trade id>". Binance trade ids are unique per
/// symbol only, and the engine deduplicates fills by this string across all symbols.
std::string fill_trade_id(const std::string& symbol, std::int64_t trade_id);

/// What the port knows about one of its orders (the current incarnation of a client id: the
/// engine re-uses `<id>-SL` for a re-placed stop once the old one is dead).
/// A commission as the exchange charged it (asset, amount) and its value in USDT.
struct fee_paid {
    decimal usdt;
    std::string asset;  // empty or "USDT": amount == usdt
    decimal amount;
};

struct tracked_order {
    std::string client_id;
    std::string symbol;
    bool algo = false;
    decimal qty;                          // as sent
    std::int64_t exchange_id = 0;         // orderId / algoId; 0 until known
    std::int64_t child_id = 0;            // algo: matching-engine order id once triggered
    std::set<std::int64_t> retired_ids;   // exchange ids of earlier incarnations
    std::set<std::string> trade_ids;      // fills delivered to the engine
    decimal filled;                       // sum of delivered fills
    decimal exchange_filled;              // executed quantity the exchange reported
    std::string final_status;             // FILLED / CANCELED / EXPIRED / REJECTED / FINISHED once known
    bool accepted_sent = false;
    bool final_sent = false;              // order_canceled / order_rejected / done fill delivered
    bool in_flight = false;               // placement answer not (yet) known
    bool cancel_wanted = false;           // the engine asked to cancel while in flight
    bool resent = false;                  // sent a second time after "unknown" + not found
};

/// Turns exchange knowledge of our orders into engine events. Pure; the port feeds it and
/// delivers what it returns, in order. Guarantees: a fill is delivered once per trade id; the
/// end of an order (canceled / expired / rejected) is delivered once per incarnation and only
/// after every fill the exchange reported for it; events of an older incarnation of a client id
/// never end the current one.
class order_tracker {
public:
    /// Events to deliver, plus orders whose trades must be fetched (GET userTrades) because the
    /// exchange reported more executed quantity than the fills delivered so far.
    struct output {
        std::vector<engine::event> events;
        std::vector<std::string> need_trades;  // client ids
        void append(output o);
    };

    /// A new placement of `client_id` (retires the previous incarnation's exchange id).
    tracked_order& begin(const std::string& client_id, const std::string& symbol, bool algo, decimal qty);
    /// A record for an order placed before this process knew it (reconciliation, stream).
    tracked_order& adopt(const std::string& client_id, const std::string& symbol, bool algo);
    tracked_order* find(const std::string& client_id);
    const tracked_order* find(const std::string& client_id) const;
    /// The algo order whose triggered child has this matching-engine order id.
    tracked_order* find_by_child(std::int64_t order_id);
    const std::map<std::string, tracked_order>& orders() const { return orders_; }

    /// A regular order object (POST /fapi/v1/order answer, GET order, DELETE order, openOrders).
    output on_order_info(const binance::order_info& o);
    /// An algo order object (POST/GET/DELETE algoOrder answers, openAlgoOrders).
    output on_algo_info(const binance::algo_order_info& a);
    /// The exchange answered the cancel of `client_id` with success but no order object (algo
    /// cancel ack), or the order is gone (-2011 / -2013 after a lookup): it ended without more fills
    /// than reported.
    output on_gone(const std::string& client_id);
    /// The placement was refused: order_rejected.
    output on_rejected(const std::string& client_id, int code, const std::string& message);
    /// Trades of the order (GET userTrades for its orderId, or the child's for an algo order).
    output on_trades(const std::string& client_id, const std::vector<binance::user_trade>& trades);

    /// ORDER_TRADE_UPDATE. Updates of orders that are neither ours nor a known algo child are
    /// held (by order id) until an ALGO_UPDATE names them as a child, and dropped after a while.
    output on_order_update(const binance::order_trade_update& u, std::int64_t now);
    /// ALGO_UPDATE.
    output on_algo_update(const binance::algo_update& u);

    /// Forgets held child updates older than `max_age_ms`; returns how many were dropped.
    std::size_t expire_orphans(std::int64_t now, std::int64_t max_age_ms);

    /// Fills of orders traded did not place (closed by hand on the exchange, liquidation, ADL):
    /// held fills older than `hold_ms` that no ALGO_UPDATE claimed as a triggered child, as
    /// external_fill events (the exchange's own price, qty and commission). Liquidation and ADL
    /// fills (`autoclose-`, `adl_autoclose`, `settlement_autoclose-`) are never held.
    output release_foreign(std::int64_t now, std::int64_t hold_ms);
    /// Symbols with held fills (of orders not ours) that could still be an algo child.
    std::set<std::string> held_fill_symbols() const;
    /// Our algo orders on `symbol` that may have triggered without us knowing the child yet.
    std::vector<std::string> unresolved_algos(const std::string& symbol) const;
    /// Every exchange order id of ours (orders, algo children, earlier incarnations).
    std::set<std::int64_t> own_order_ids() const;

    /// USDT price of a commission asset other than USDT (BNB): commissions in it are converted
    /// at this price. Until one is known such commissions count as 0 and the asset is listed
    /// by missing_fee_assets().
    void set_fee_price(const std::string& asset, decimal usdt_price);
    const std::set<std::string>& missing_fee_assets() const { return missing_fee_assets_; }
    /// The commission in USDT (see set_fee_price).
    decimal usdt_fee(const std::string& asset, decimal amount);
    /// The commission as charged and in USDT (what fills carry to the engine).
    fee_paid fee_of(const std::string& asset, decimal amount);
    /// Forgets finished orders (final delivered) last touched before `before`.
    void prune(std::int64_t before);

    /// Prefix of the client ids this process owns ("live_"): other ids are left alone.
    void set_own_prefix(std::string prefix) { own_prefix_ = std::move(prefix); }
    bool is_own(const std::string& client_id) const;

private:
    /// An exchange answer about `client_id` (order `exchange_id`): the tracked order it belongs to
    /// (adopted when the id is ours), marked known and no longer in flight; null for another
    /// process's id, a retired incarnation or another order under the same client id.
    tracked_order* claim(const std::string& client_id, const std::string& symbol, bool algo, std::int64_t exchange_id);
    output fill(tracked_order& t, const std::string& trade_id, decimal qty, decimal price, const fee_paid& fee,
                std::int64_t exchange_id, bool exchange_says_done);
    output maybe_finish(tracked_order& t);
    output accept(tracked_order& t);
    output apply_child_update(tracked_order& t, const binance::order_trade_update& u);

    struct orphan {
        binance::order_trade_update update;
        std::int64_t at = 0;
    };
    std::map<std::string, tracked_order> orders_;
    std::map<std::string, std::int64_t> touched_;  // client id -> last change (for prune)
    std::map<std::int64_t, std::string> by_child_;
    std::multimap<std::int64_t, orphan> orphans_;  // by order id
    std::string own_prefix_ = "live_";
    std::int64_t now_ = 0;
    std::map<std::string, decimal> fee_prices_;
    std::set<std::string> missing_fee_assets_;
};

/// True for the client ids the exchange gives its own closing orders: liquidation
/// (`autoclose-...`), ADL (`adl_autoclose`), delisting/delivery settlement.
bool is_forced_close_id(const std::string& client_id);

/// An exchange fill of an order that is not ours, as the engine takes it.
engine::external_fill external_fill_of(const binance::order_trade_update& u, const fee_paid& fee);

/// Fills in a userTrades answer (for one symbol) that belong to no order of ours and were made at
/// or after `since_ms` (exchange time): what closed a position outside traded while the user
/// stream missed it. `fee_of` converts a commission to USDT.
std::vector<engine::external_fill> foreign_trades(const std::vector<binance::user_trade>& trades,
                                                  const std::set<std::int64_t>& own_order_ids, std::int64_t since_ms,
                                                  const std::function<fee_paid(const std::string&, decimal)>& fee_of);

/// What to do with an order the exchange's 418 ban or 429 back-off kept from being sent
/// (issue 11: a ban never closes a healthy position).
enum class ban_verdict {
    wait,      // send it when the ban ends: the position is protected meanwhile (or it is a close)
    escalate,  // a TP/SL/floor stop of an OPEN position with no stop resting on the exchange:
               // report it rejected, so the engine's emergency path closes the position
    reject,    // an entry: a late entry trades on old prices
};

/// The verdict for `client_id`, from the engine's orders and positions.
ban_verdict on_ban(const std::string& client_id, const std::map<std::string, engine::position>& positions,
                   const std::map<std::string, engine::order_record>& orders);

/// True for "order does not exist" answers (-2013, -2011, and the algo service's variants).
bool is_not_found(int code);

// ---------------------------------------------------------------------------------------------
// Orders whose outcome is unknown (a lost answer, a crash between send and answer)
// ---------------------------------------------------------------------------------------------

/// An entry request is written within this long of the engine deciding it (the rest client
/// fails an order not written by its max_wait as unsent), plus slack for the io turn.
inline constexpr std::int64_t entry_write_bound_ms = 3'000 + 500;
/// Time the exchange may still take to execute a request it accepted within recvWindow.
inline constexpr std::int64_t not_found_margin_ms = 1'000;

/// When a lookup that says "not found" becomes final for an order request written no later than
/// `latest_write_ms` (local clock): the exchange executes a request whose timestamp is within
/// recvWindow of its own clock, so until recvWindow, plus our uncertainty about the clock offset,
/// plus a margin for the exchange's own processing, have passed, the order may still appear.
std::int64_t not_found_final_at(std::int64_t latest_write_ms, std::int64_t recv_window_ms,
                                std::int64_t clock_offset_ms, std::int64_t margin_ms = not_found_margin_ms);

/// The same for an entry known only from the store (after a restart): it was decided at
/// `decided_at_ms` and written at most entry_write_bound_ms later.
std::int64_t entry_not_found_final_at(std::int64_t decided_at_ms, std::int64_t recv_window_ms,
                                      std::int64_t clock_offset_ms);

/// Exchange positions no position of ours owns, on every symbol the account holds (configured
/// for trading or not), from a reading requested at `read_at`. A symbol where one of ours is live,
/// or changed since the reading (an entry filled, a close), is owned.
std::vector<foreign_position> untracked_positions(const std::vector<binance::position_row>& rows,
                                                  const std::map<std::string, engine::position>& positions,
                                                  std::int64_t read_at);

/// An exchange position as reconciliation reads it.
struct exchange_amount {
    std::string symbol;
    decimal amount;  // signed: > 0 long, < 0 short
};

/// Entries of ours that may explain exchange positions which no live position of ours owns: the
/// entries of recent FAILED positions on that symbol, on the position's side, that never saw a
/// fill. Most recent first. Reconciliation looks them up by client id; an executed one revives
/// its position (an entry that executed after we gave up on it, or while we were down).
std::vector<std::string> revive_candidates(const std::vector<exchange_amount>& exchange,
                                           const std::map<std::string, engine::position>& positions,
                                           const std::map<std::string, engine::order_record>& orders,
                                           std::int64_t now_ms, std::int64_t max_age_ms);

}  // namespace traded::binance::logic
