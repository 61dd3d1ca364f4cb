#pragma once
/// The real Binance port's state and the members that perform it, shared by its files (private to
/// exchange/binance/port*.cpp; everyone else uses port.hpp). One object, kept alive by the port's
/// coroutines; io_context thread only. A file per concept:
/// - port.cpp: the public class, start/stop, the start-up sequence, basics, preflight and status;
/// - port_account.cpp: exchangeInfo, account checks, balance, fee prices, the periodic loop;
/// - port_positions.cpp: exchange positions (untracked ones, closes outside traded, queries);
/// - port_user_stream.cpp: the user-data stream and its events;
/// - port_orders.cpp: placement, unknown outcomes, cancels, fills fetched over REST;
/// - port_reconcile.cpp: the reconciliation sweep.
/// The pure rules they apply are in port_logic.*; the I/O they use is in exchange/net/.

#include "exchange/binance/codec.hpp"
#include "exchange/binance/order_fsm.hpp"
#include "exchange/binance/port.hpp"
#include "exchange/binance/port_logic.hpp"
#include "exchange/binance/reconcile_plan.hpp"
#include "exchange/binance/request_retry.hpp"
#include "exchange/binance/urls.hpp"
#include "exchange/net/rest_client.hpp"
#include "exchange/net/retry_driver.hpp"
#include "exchange/net/stream_driver.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/net/ws_client.hpp"
#include "log/log.hpp"
#include "metrics/catalog.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <set>

namespace traded::binance {

namespace asio = boost::asio;
namespace xio = exchange_io;
namespace bn = binance;
using xio::use_tuple;
using std::chrono::milliseconds;

/// Constants and small helpers of the port's files.
namespace port_detail {

constexpr const char* component = "binance";

/// How one REST attempt ended, in request_retry's terms (`done` says the work is complete).
inline attempt_outcome outcome_of(const xio::rest_response& r, bool done = true) {
    if (r.ok()) return {done ? attempt_outcome::ok : attempt_outcome::pending};
    if (r.outcome == xio::rest_outcome::answered) return {attempt_outcome::answered, r.status, r.code()};
    if (r.outcome == xio::rest_outcome::unknown) return {attempt_outcome::timeout};
    return {attempt_outcome::transport};
}

// Periodic timers and delays that are not retries (every repeated attempt and poll is a rule
// in request_retry.hpp). The grep in docs/architecture.md ("Every wait") lists their sleeps.

/// Re-create the user-data connection before Binance's 24 h limit cuts it.
constexpr engine::millis rotate_after_ms = 23LL * 3600 * 1000;
/// The periodic round: fee prices, balance, positions, and (less often) account and exchangeInfo.
constexpr engine::millis periodic_ms = 30'000;
constexpr engine::millis account_check_ms = 5LL * 60 * 1000;
constexpr engine::millis exchange_info_refresh_ms = 60LL * 60 * 1000;
/// Fills arrived: the balance is read once this much later, so a burst of fills costs one request.
constexpr engine::millis balance_coalesce_ms = 500;
/// How long the stream gets to deliver fills before we fetch them over REST.
constexpr engine::millis fill_grace_ms = 1'500;
/// Fills of orders that are not ours wait this long for an ALGO_UPDATE naming them as a
/// triggered TP/SL child before they are recorded as a close outside traded.
constexpr engine::millis foreign_hold_ms = 400;
/// How long TP/SL/close placements wait for a rate-limit back-off or ban before the port looks
/// at them again (a protected position's order keeps waiting; a stop-less one escalates).
constexpr engine::millis protective_max_wait_ms = 10'000;
/// FAILED positions this recent are candidates for revival when the exchange holds a position
/// nothing of ours explains (their entry may have executed after we gave up on it).
constexpr engine::millis revive_max_age_ms = 24LL * 3600 * 1000;

inline bool is_entry(const std::string& client_id) {
    auto p = engine::split_client_order_id(client_id);
    return p && p->second == engine::order_kind::entry;
}

inline bool is_close(const std::string& client_id) {
    auto p = engine::split_client_order_id(client_id);
    return p && p->second == engine::order_kind::close;
}

inline bool is_terminal(engine::position_status s) {
    return s == engine::position_status::closed || s == engine::position_status::failed;
}

inline bool is_live(engine::order_status s) {
    return s == engine::order_status::pending || s == engine::order_status::accepted ||
           s == engine::order_status::partially_filled;
}

inline std::string param(const bn::rest_request& r, std::string_view key) {
    for (const auto& p : r.params)
        if (p.key == key) return p.value;
    return {};
}

}  // namespace port_detail

struct binance_port::impl : std::enable_shared_from_this<impl> {
    impl(asio::io_context& io_, binance_port_options o, std::vector<engine::symbol_info> fallback, engine_view v)
        : io(io_), opts(std::move(o)), view(std::move(v)), symbols(std::move(fallback)), rng(std::random_device{}()) {}

    asio::io_context& io;
    binance_port_options opts;
    engine_view view;
    event_sink sink;
    std::vector<engine::symbol_info> symbols;
    std::map<std::string, bn::symbol_rules> rules;
    logic::credentials creds;
    std::string config_error;
    std::shared_ptr<xio::rest_client> rest;
    std::shared_ptr<asio::ssl::context> ws_tls;
    logic::order_tracker tracker;
    bn::json_parser user_parser;
    bn::json_parser rest_parser;
    std::mt19937 rng;
    bool started = false;
    bool stopped = false;

    // What the account checks found.
    bool info_loaded = false;
    std::optional<bool> hedge_mode;
    std::string auth_error;
    std::map<std::string, std::string> leverage_errors;
    std::set<std::string> leverage_ok;
    std::vector<std::string> missing_symbols;
    std::optional<balance_snapshot> bal;
    std::string last_error;

    // The user-data stream.
    std::string user_state = "disabled";
    /// The user-data stream: binance::stream_fsm decides (listenKey create / keep-alive / re-create
    /// on -1125 or listenKeyExpired, reconnect with backoff, 24 h rotation, reconcile before
    /// trust); exchange_io::stream_driver performs it.
    std::shared_ptr<xio::stream_driver> user_driver;
    /// The driver asked for a sweep after a (re)connect: the next sweep that completes answers it.
    bool stream_sweep_wanted = false;
    bool user_ever_connected = false;
    bool user_trusted = false;
    engine::millis last_event_at = 0;
    bool connected_reported = false;

    // Reconciliation.
    bool reconciled_once = false;
    bool sweeping = false;
    std::string sweep_again;
    reconciliation_summary summary;
    std::vector<foreign_position> untracked_list;
    std::map<std::string, int> flat_confirmations;
    bool position_check_pending = false;
    std::set<std::string> fetching_trades;
    /// Client ids with a placement or cancel coroutine under way (set before it is spawned).
    /// Reconciliation leaves them to that flow: its answer is fresher than any sweep reading.
    std::map<std::string, int> busy;
    std::function<void(const reconciliation_summary&)> on_reconciled;
    std::function<void(const std::vector<foreign_position>&)> on_untracked;
    /// Entries of FAILED positions looked up for revival and found not executed: final, never
    /// asked again (an order not found after its recvWindow cannot appear later).
    std::set<std::string> revive_checked;
    std::function<void(const std::vector<engine::symbol_info>&)> on_symbols;

    bool balance_refresh_pending = false;
    bool foreign_release_pending = false;
    std::set<std::string> fee_assets_warned;
    std::function<void()> on_balance;

    std::set<asio::steady_timer*> timers;

    static engine::millis now() { return xio::system_clock_ms(); }

    template <class F>
    void spawn(F&& f) {
        if (stopped) return;
        asio::co_spawn(io, std::forward<F>(f), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                log::error(port_detail::component, "background task failed: {}", x.what());
            }
        });
    }

    const engine::engine* eng() const { return view ? view() : nullptr; }

    bool is_busy(const std::string& cid) const { return busy.count(cid) != 0; }

    /// Marks `cid` busy for the lifetime of the guard (kept in the coroutine frame).
    struct busy_guard {
        std::shared_ptr<impl> self;
        std::string cid;
        busy_guard(std::shared_ptr<impl> s, std::string c) : self(std::move(s)), cid(std::move(c)) {}
        busy_guard(const busy_guard&) = delete;
        busy_guard& operator=(const busy_guard&) = delete;
        ~busy_guard() {
            auto it = self->busy.find(cid);
            if (it != self->busy.end() && --it->second <= 0) self->busy.erase(it);
        }
    };

    const engine::symbol_info* find_symbol(const std::string& s) const {
        for (const auto& i : symbols)
            if (i.symbol == s) return &i;
        return nullptr;
    }

    bool configured(const std::string& s) const {
        return std::find(opts.symbols.begin(), opts.symbols.end(), s) != opts.symbols.end();
    }

    int leverage() const {
        const auto* e = eng();
        return e ? e->config().leverage : opts.leverage;
    }

    decimal stake() const {
        const auto* e = eng();
        return e ? e->effective_config().stake_usd : opts.stake_usd;
    }

    xio::call_options urgent(engine::millis max_wait_ms = 30'000) const {
        xio::call_options o;
        o.urgent = true;
        o.max_wait = milliseconds(max_wait_ms);
        return o;
    }

    bool connected() const {
        return rest && rest->last_answer_at() > 0 && rest->consecutive_failures() < 3 && user_status() == "connected" &&
               user_trusted;
    }

    std::string user_status() const { return user_driver ? user_driver->status() : user_state; }

    // ----- port.cpp: start, stop, the run sequence, basics, views (preflight, status)

    /// Sleeps `ms`; false when the port stopped meanwhile.
    asio::awaitable<bool> sleep(engine::millis ms);

    /// Performs `rule` (request_retry) with `attempt` through exchange_io::perform_retry,
    /// sleeping on the port's cancellable timers.
    asio::awaitable<retry_decision> retry(retry_settings rule, xio::attempt_fn attempt);

    /// A per-stream counter (inert without a registry).
    metrics::counter count_of(std::string_view family, const std::string& stream);

    /// Every REST answer: round trip by endpoint, outcome, weight sent, the exchange's weight figure.
    void observe_rest(const bn::rest_request& req, const xio::rest_response& r, std::chrono::steady_clock::duration took);

    void emit(engine::event ev);

    void deliver(logic::order_tracker::output out);

    void update_connected();

    void note_auth(const xio::rest_response& r);

    void start();

    void stop();

    asio::awaitable<void> run();

    preflight_result preflight() const;

    port_status status() const;

    // ----- port_account.cpp: exchangeInfo, account checks (position mode, leverage), balance, fee prices, the periodic loop

    asio::awaitable<bool> load_exchange_info();

    asio::awaitable<void> check_account();

    asio::awaitable<void> refresh_balance();

    void schedule_balance_refresh();

    /// Commissions paid in BNB count at the BNB mark price (BNBUSDT), read at start and then
    /// every periodic round. Until one is known they count as 0 (and are logged).
    asio::awaitable<void> refresh_fee_prices();

    asio::awaitable<void> periodic_loop();

    // ----- port_positions.cpp: exchange positions: untracked ones, positions closed outside traded, position queries

    /// Fills of orders that are not ours (closed by hand on the exchange, ...) are recorded once
    /// no ALGO_UPDATE claimed them as one of our triggered TP/SL within foreign_hold_ms.
    void schedule_foreign_release();

    /// A position of ours went flat without a fill we saw: the fills of orders not ours since it
    /// opened (GET userTrades) say how it was closed; the engine records them (deduplicated by
    /// trade id) before it is told the exchange is flat.
    asio::awaitable<void> deliver_foreign_trades(std::string symbol, engine::millis since);

    void schedule_position_check();

    /// Reads every exchange position: the untracked list, and OPEN engine positions that the
    /// exchange shows flat in two readings in a row (closed by someone else or liquidated).
    asio::awaitable<void> refresh_positions();

    /// True when the engine has a live (not CLOSED/FAILED) position on `symbol`.
    bool owns_symbol(const std::string& symbol) const;

    /// True while an order of ours on `symbol` is being placed or its fills are being fetched.
    bool symbol_busy(const std::string& symbol) const;

    std::vector<logic::exchange_amount> amounts_of(const std::vector<bn::position_row>& rows) const;

    /// Exchange positions no position of ours owns, from a reading requested at `read_at`. A
    /// symbol where one of ours changed since (an entry filled, a close) cannot be judged from it.
    std::vector<foreign_position> compute_untracked(const std::vector<bn::position_row>& rows, engine::millis read_at) const;

    /// New untracked list: the daemon blocks entries on those symbols (one-way mode would merge
    /// a new position of ours into the foreign one).
    void set_untracked(std::vector<foreign_position> list);

    asio::awaitable<void> query_position(engine::query_position q);

    /// A positionRisk answer for `q`: fills owed first, then the engine's position_report.
    asio::awaitable<void> report_position(const engine::query_position& q, const std::vector<bn::position_row>& rows);

    // ----- port_user_stream.cpp: the user-data stream (stream_fsm through stream_driver) and its events

    void start_user_stream();

    void on_user_frame(std::string_view frame);

    // ----- port_orders.cpp: placement, unknown outcomes, cancels, fills fetched over REST

    asio::awaitable<void> place(engine::place_order p);

    /// Every retry number of a placement (order_fsm's settings) for this exchange connection.
    order_settings placement_settings() const;

    /// Drives one placement's order_fsm: performs its actions, feeds back what happened.
    asio::awaitable<void> send_placement(std::string cid, bn::rest_request req, bool algo, bool entry);

    /// What a placement request's outcome means for the machine; a readable 2xx reaches the tracker.
    order_input::sent placement_answer_of(const std::string& cid, bool algo, bool entry, const xio::rest_response& r);

    /// The placement is over: tell the engine (through the tracker) how.
    asio::awaitable<void> finish_placement(const std::string& cid, const order_action::finish& f);

    /// The order exists on the exchange now: honour a cancel that arrived meanwhile, and watch a
    /// market order that is not final yet.
    asio::awaitable<void> after_resolved(const std::string& cid);

    /// Polls a regular order until it is final (a MARKET order answered NEW, a stream gap).
    asio::awaitable<void> watch(std::string cid);

    enum class lookup_result { found, not_found, error };

    /// GET order / algoOrder by client id and apply what it says.
    asio::awaitable<lookup_result> lookup(const std::string& cid, bool algo);

    /// An entry from before a restart that the exchange does not show (yet): it may still execute
    /// until `final_at`. It stays OPENING (blocking a second entry on its symbol) and is looked up
    /// again until it appears or that time has passed.
    void await_entry(const std::string& cid, const std::string& symbol, engine::millis final_at);

    asio::awaitable<void> await_entry_loop(std::string cid, engine::millis final_at);

    asio::awaitable<void> cancel(engine::cancel_order c, bool counted = false);

    /// Fetches the trades of an order whose executed quantity exceeds the fills delivered.
    asio::awaitable<void> fetch_trades(std::string cid);

    // ----- port_reconcile.cpp: the reconciliation sweep

    void request_reconcile(std::string why);

    asio::awaitable<void> sweep(std::string why);

    /// One sweep and what follows it (summary, trust of the stream, logs); false when it could
    /// not read everything.
    asio::awaitable<bool> sweep_pass(const std::string& why);

    /// One sweep: reads the exchange, asks reconcile_plan.hpp's phases what to do, does it; false
    /// when something could not be read (then it runs again).
    asio::awaitable<bool> sweep_once(reconciliation_summary& s);

    /// Step 3b of the sweep; false when a lookup failed (the sweep runs again).
    asio::awaitable<bool> revive_executed_entries(const std::vector<bn::position_row>& rows, reconciliation_summary& s);

    /// Client ids with a placement or cancel flow under way (what the planner leaves alone).
    std::set<std::string> busy_ids() const;
};

}  // namespace traded::binance
