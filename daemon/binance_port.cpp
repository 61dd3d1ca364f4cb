#include "daemon/binance_port.hpp"

#include "daemon/binance_port_logic.hpp"
#include "log/log.hpp"
#include "metrics/catalog.hpp"
#include "exchange/binance/codec.hpp"
#include "exchange/binance/urls.hpp"
#include "exchange/net/rest_client.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/net/ws_client.hpp"

#include "exchange/net/stream_driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

namespace traded::daemon {

namespace asio = boost::asio;
namespace xio = exchange_io;
namespace bn = binance;
namespace logic = binance_logic;
using xio::use_tuple;
using std::chrono::milliseconds;

namespace {

constexpr const char* component = "binance";

/// Re-create the user-data connection before Binance's 24 h limit cuts it.
constexpr engine::millis rotate_after_ms = 23LL * 3600 * 1000;
constexpr engine::millis listen_key_keepalive_ms = 30LL * 60 * 1000;
constexpr engine::millis periodic_ms = 30'000;
constexpr engine::millis account_check_ms = 5LL * 60 * 1000;
constexpr engine::millis exchange_info_refresh_ms = 60LL * 60 * 1000;
/// A market connection silent this long is considered dead (mark price comes every second).
constexpr engine::millis market_silence_ms = 30'000;
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

bool is_entry(const std::string& client_id) {
    auto p = engine::split_client_order_id(client_id);
    return p && p->second == engine::order_kind::entry;
}

bool is_close(const std::string& client_id) {
    auto p = engine::split_client_order_id(client_id);
    return p && p->second == engine::order_kind::close;
}

bool is_terminal(engine::position_status s) {
    return s == engine::position_status::closed || s == engine::position_status::failed;
}

bool is_live(engine::order_status s) {
    return s == engine::order_status::pending || s == engine::order_status::accepted ||
           s == engine::order_status::partially_filled;
}

std::string param(const bn::rest_request& r, std::string_view key) {
    for (const auto& p : r.params)
        if (p.key == key) return p.value;
    return {};
}

}  // namespace

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
    bn::json_parser market_parser;
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

    // Streams.
    std::map<std::string, std::string> market_states;
    std::map<std::string, engine::millis> market_last_msg;
    std::map<std::string, std::shared_ptr<xio::ws_client>> market_ws;
    /// Connections carrying mark price (pushed every second): silence there means a dead feed.
    /// Book tickers only move with the book, so their liveness is left to WebSocket pings.
    std::set<std::string> silence_watched;
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

    // Market data coalescing: the latest quote per symbol, flushed once per io turn.
    std::map<std::string, engine::quote> quotes;
    std::set<std::string> dirty;
    bool flush_posted = false;
    bool balance_refresh_pending = false;
    bool foreign_release_pending = false;
    std::set<std::string> fee_assets_warned;
    std::function<void()> on_balance;

    std::set<asio::steady_timer*> timers;

    // ----- basics ------------------------------------------------------------------------------

    static engine::millis now() { return xio::system_clock_ms(); }

    template <class F>
    void spawn(F&& f) {
        if (stopped) return;
        asio::co_spawn(io, std::forward<F>(f), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                log::error(component, "background task failed: {}", x.what());
            }
        });
    }

    /// Sleeps `ms`; false when the port stopped meanwhile.
    asio::awaitable<bool> sleep(engine::millis ms) {
        auto self = shared_from_this();
        asio::steady_timer t(io);
        t.expires_after(milliseconds(std::max<engine::millis>(0, ms)));
        timers.insert(&t);
        co_await t.async_wait(use_tuple);
        timers.erase(&t);
        co_return !stopped;
    }

    /// Backoff before reconnect attempt `failures` (1, 2, ...): 0.5 s doubling to 30 s, jittered
    /// so many clients (or both streams) do not reconnect in lockstep.
    engine::millis backoff(int failures) {
        const engine::millis base = std::min<engine::millis>(30'000, 500LL << std::min(failures, 6));
        std::uniform_int_distribution<engine::millis> d(base / 2, base);
        return d(rng);
    }

    /// A per-stream counter (inert without a registry).
    metrics::counter count_of(std::string_view family, const std::string& stream) {
        if (opts.metrics == nullptr) return {};
        return opts.metrics->get_counter(family, {{"stream", stream}});
    }

    /// Every REST answer: round trip by endpoint, outcome, weight sent, the exchange's weight figure.
    void observe_rest(const bn::rest_request& req, const xio::rest_response& r, std::chrono::steady_clock::duration took) {
        auto* m = opts.metrics;
        if (m == nullptr) return;
        namespace n = metrics::names;
        const std::string endpoint = std::string(bn::to_string(req.method)) + " " + req.path;
        const char* outcome = r.outcome == xio::rest_outcome::failed    ? "failed"
                              : r.outcome == xio::rest_outcome::unknown ? "unknown"
                              : r.ok()                                  ? "ok"
                                                                        : "error";
        m->inc(n::exchange_requests, {{"endpoint", endpoint}, {"outcome", outcome}});
        if (r.outcome == xio::rest_outcome::failed && r.sent_at == 0) return;  // never written
        m->observe(n::order_round_trip, {{"endpoint", endpoint}}, std::chrono::duration<double>(took).count());
        m->inc(n::rate_limit_weight, {}, req.weight);
        if (r.meta.used_weight_1m) m->set(n::rate_limit_used_weight, {}, *r.meta.used_weight_1m);
    }

    void emit(engine::event ev) {
        if (stopped || !sink) return;
        last_event_at = now();
        sink(std::move(ev));
    }

    void deliver(logic::order_tracker::output out) {
        bool fills = false;
        for (auto& ev : out.events) {
            fills = fills || std::holds_alternative<engine::order_fill>(ev);
            emit(std::move(ev));
        }
        for (auto& cid : out.need_trades) {
            spawn([self = shared_from_this(), cid]() { return self->fetch_trades(cid); });
        }
        if (fills) schedule_balance_refresh();
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

    void update_connected() {
        const bool c = connected();
        if (c == connected_reported) return;
        connected_reported = c;
        log::info(component, "exchange {}", c ? "connected (user stream reconciled)" : "disconnected");
        emit(engine::exchange_status{c});
    }

    void note_auth(const xio::rest_response& r) {
        if (r.outcome != xio::rest_outcome::answered) return;
        const int code = r.code();
        if (r.status == 401 || code == -2014 || code == -2015 || code == -1022 || code == -2008)
            auth_error = "the exchange refused the API credentials from " + creds.source + ": " + r.describe();
        else if (r.ok())
            auth_error.clear();
    }

    // ----- start / stop ----------------------------------------------------------------------

    void start() {
        if (started || stopped) return;
        started = true;
        creds = logic::load_credentials(opts.exchange, [](const std::string& name) -> std::optional<std::string> {
            if (name.empty()) return std::nullopt;
            const char* v = std::getenv(name.c_str());
            if (v == nullptr) return std::nullopt;
            return std::string(v);
        });
        if (!creds.ok()) log::warn(component, "{}", creds.message);
        xio::rest_options ro;
        ro.base_url = opts.exchange.rest_url;
        ro.api_key = creds.api_key;
        ro.api_secret = creds.api_secret;
        ro.recv_window_ms = opts.exchange.recv_window_ms;
        ro.ca_file = opts.exchange.ca_file;
        ro.max_connections = opts.exchange.rest_connections;
        ro.observer = [w = weak_from_this()](const bn::rest_request& req, const xio::rest_response& resp,
                                             std::chrono::steady_clock::duration took) {
            if (auto self = w.lock()) self->observe_rest(req, resp, took);
        };
        auto r = xio::rest_client::create(io, ro);
        if (!r) {
            config_error = r.error;
            log::error(component, "{}", config_error);
            return;
        }
        rest = *r;
        auto tls = xio::make_client_tls_context(opts.exchange.ca_file);
        if (!tls) {
            config_error = tls.error;
            log::error(component, "{}", config_error);
            return;
        }
        ws_tls = *tls;
        log::info(component, "real trading exchange: {} ({} symbols), credentials from {}", opts.exchange.rest_url,
                  opts.symbols.size(), creds.ok() ? creds.source : "nowhere");
        spawn([self = shared_from_this()]() { return self->run(); });
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        if (rest) rest->stop();
        if (user_driver) user_driver->stop();
        for (auto& [n, ws] : market_ws)
            if (ws) ws->close();
        for (auto* t : timers) t->cancel();
        sink = nullptr;
    }

    asio::awaitable<void> run() {
        auto self = shared_from_this();
        // Market data needs no account: start it at once.
        bn::stream_roots roots{opts.exchange.ws_public_url, opts.exchange.ws_market_url, opts.exchange.ws_private_url};
        for (auto& c : opts.market_streams ? bn::market_connections(roots, opts.symbols) : std::vector<bn::stream_connection>{}) {
            // More than 1024 streams on one root make several connections: keep their names apart.
            if (market_states.count(c.root_name)) c.root_name += "#" + std::to_string(market_states.size());
            market_states[c.root_name] = "connecting";
            for (const auto& st : c.streams)
                if (st.find("@markPrice") != std::string::npos) silence_watched.insert(c.root_name);
            spawn([self, c]() { return self->market_loop(c); });
        }
        spawn([self]() { return self->watchdog_loop(); });
        rest->start();
        while (!rest->time_synced())
            if (!co_await sleep(250)) co_return;
        while (!co_await load_exchange_info())
            if (!co_await sleep(5'000)) co_return;
        if (!creds.ok()) co_return;
        co_await check_account();
        if (stopped) co_return;
        start_user_stream();
        spawn([self]() { return self->periodic_loop(); });
    }

    // ----- exchange info and account ---------------------------------------------------------

    asio::awaitable<bool> load_exchange_info() {
        auto self = shared_from_this();
        auto r = co_await rest->call(bn::exchange_info());
        if (!r.ok()) {
            last_error = "exchangeInfo: " + r.describe();
            log::warn(component, "{}", last_error);
            co_return false;
        }
        auto info = bn::parse_exchange_info(r.body, rest_parser);
        if (!info) {
            last_error = "exchangeInfo: " + info.error;
            log::warn(component, "{}", last_error);
            co_return false;
        }
        rest->governor().apply_limits(info->rate_limits);
        std::vector<engine::symbol_info> loaded;
        std::vector<std::string> missing;
        for (const auto& s : opts.symbols) {
            const bn::symbol_rules* sr = bn::find_symbol(*info, s);
            if (sr == nullptr || sr->status != "TRADING") {
                missing.push_back(sr == nullptr ? s + " (not listed)" : s + " (status " + sr->status + ")");
                if (const auto* fb = find_symbol(s)) loaded.push_back(*fb);
                continue;
            }
            rules[s] = *sr;
            loaded.push_back(sr->info);
            if (const auto* fb = find_symbol(s); fb && (fb->tick_size != sr->info.tick_size || fb->step_size != sr->info.step_size))
                log::info(component, "{}: exchange filters tick {} step {} (built-in defaults were tick {} step {})", s,
                          sr->info.tick_size.to_string(), sr->info.step_size.to_string(), fb->tick_size.to_string(),
                          fb->step_size.to_string());
        }
        missing_symbols = std::move(missing);
        symbols = std::move(loaded);
        const bool first = !info_loaded;
        info_loaded = true;
        if (first && on_symbols) on_symbols(symbols);
        co_return true;
    }

    asio::awaitable<void> check_account() {
        auto self = shared_from_this();
        auto mode = co_await rest->call(bn::get_position_mode());
        note_auth(mode);
        if (mode.ok()) {
            auto dual = bn::parse_position_mode(mode.body, rest_parser);
            if (dual) {
                if (*dual && (!hedge_mode || !*hedge_mode))
                    log::error(component, "the account is in hedge (dual-side) position mode; real trading needs one-way mode");
                hedge_mode = *dual;
            }
        } else {
            last_error = "position mode: " + mode.describe();
        }
        co_await refresh_balance();
        if (!auth_error.empty()) co_return;
        for (const auto& s : opts.symbols) {
            if (rules.find(s) == rules.end()) continue;
            auto r = co_await rest->call(bn::set_leverage(s, leverage()));
            if (r.ok()) {
                if (!leverage_ok.count(s)) log::info(component, "{}: leverage {}x", s, leverage());
                leverage_ok.insert(s);
                leverage_errors.erase(s);
            } else if (r.outcome == xio::rest_outcome::answered) {
                leverage_ok.erase(s);
                leverage_errors[s] = r.describe();
                log::warn(component, "{}: cannot set leverage {}x: {}", s, leverage(), r.describe());
            }
        }
    }

    asio::awaitable<void> refresh_balance() {
        auto self = shared_from_this();
        auto r = co_await rest->call(bn::balance());
        note_auth(r);
        if (!r.ok()) {
            last_error = "balance: " + r.describe();
            co_return;
        }
        auto rows = bn::parse_balances(r.body, rest_parser);
        if (!rows) {
            log::warn(component, "balance: {}", rows.error);
            co_return;
        }
        balance_snapshot b;
        b.asset = "USDT";
        if (const auto* u = bn::find_asset(*rows, "USDT")) {
            b.wallet_balance = u->wallet_balance;
            b.available_balance = u->available_balance;
            b.unrealized_pnl = u->cross_unrealized_pnl;
            b.margin_balance = u->wallet_balance + u->cross_unrealized_pnl;
        }
        b.updated_at = now();
        const bool changed = !bal || bal->wallet_balance != b.wallet_balance ||
                             bal->available_balance != b.available_balance || bal->unrealized_pnl != b.unrealized_pnl;
        bal = b;
        if (changed && on_balance) on_balance();
    }

    /// Fills of orders that are not ours (closed by hand on the exchange, ...) are recorded once
    /// no ALGO_UPDATE claimed them as one of our triggered TP/SL within foreign_hold_ms.
    void schedule_foreign_release() {
        if (foreign_release_pending) return;
        foreign_release_pending = true;
        spawn([self = shared_from_this()]() -> asio::awaitable<void> {
            if (!co_await self->sleep(foreign_hold_ms)) co_return;
            // The ALGO_UPDATE of one of our TP/SL may be late: ask the exchange about those that
            // could have triggered; the answer names the child order (and claims its fills).
            for (const auto& sym : self->tracker.held_fill_symbols())
                for (const auto& cid : self->tracker.unresolved_algos(sym)) co_await self->lookup(cid, true);
            self->foreign_release_pending = false;
            auto out = self->tracker.release_foreign(now(), foreign_hold_ms);
            for (const auto& ev : out.events)
                if (const auto* f = std::get_if<engine::external_fill>(&ev))
                    log::warn(component, "{}: fill of an order traded did not place (order {}): {} {} at {}", f->symbol,
                              f->exchange_id, engine::to_string(f->side), f->qty.to_string(), f->price.to_string());
            self->deliver(std::move(out));
            if (!self->tracker.held_fill_symbols().empty()) self->schedule_foreign_release();
        });
    }

    /// A position of ours went flat without a fill we saw: the fills of orders not ours since it
    /// opened (GET userTrades) say how it was closed; the engine records them (deduplicated by
    /// trade id) before it is told the exchange is flat.
    asio::awaitable<void> deliver_foreign_trades(std::string symbol, engine::millis since) {
        auto self = shared_from_this();
        bn::rest_request req = bn::user_trades_since(symbol, since);
        auto r = co_await rest->call(std::move(req), urgent(10'000));
        if (!r.ok()) {
            log::warn(component, "{}: userTrades: {}", symbol, r.describe());
            co_return;
        }
        auto trades = bn::parse_user_trades(r.body, rest_parser);
        if (!trades) {
            log::warn(component, "{}: userTrades: {}", symbol, trades.error);
            co_return;
        }
        std::set<std::int64_t> own = tracker.own_order_ids();
        if (const auto* e = eng())
            for (const auto& [cid, o] : e->orders())
                if (!o.exchange_id.empty()) {
                    std::int64_t id = 0;
                    std::from_chars(o.exchange_id.data(), o.exchange_id.data() + o.exchange_id.size(), id);
                    if (id != 0) own.insert(id);
                }
        auto fills = logic::foreign_trades(*trades, own, since, [this](const std::string& asset, decimal amount) {
            return tracker.fee_of(asset, amount);
        });
        for (auto& f : fills) {
            log::warn(component, "{}: fill of an order traded did not place (order {}, from userTrades): {} {} at {}",
                      f.symbol, f.exchange_id, engine::to_string(f.side), f.qty.to_string(), f.price.to_string());
            emit(std::move(f));
        }
    }

    void schedule_balance_refresh() {
        if (balance_refresh_pending || !rest || !creds.ok()) return;
        balance_refresh_pending = true;
        spawn([self = shared_from_this()]() -> asio::awaitable<void> {
            co_await self->sleep(500);
            self->balance_refresh_pending = false;
            co_await self->refresh_balance();
        });
    }

    void schedule_position_check() {
        if (position_check_pending || !rest || !creds.ok()) return;
        position_check_pending = true;
        spawn([self = shared_from_this()]() -> asio::awaitable<void> {
            // A few readings over ~7 s: two flat ones in a row confirm, and a position changed in
            // the last 5 s is only judged once it has been quiet that long.
            for (int i = 0; i < 5; ++i) {
                co_await self->sleep(1'500);
                co_await self->refresh_positions();
            }
            self->position_check_pending = false;
        });
    }

    /// Commissions paid in BNB count at the BNB mark price (BNBUSDT), read at start and then
    /// every periodic round. Until one is known they count as 0 (and are logged).
    asio::awaitable<void> refresh_fee_prices() {
        auto self = shared_from_this();
        bn::rest_request req = bn::premium_index("BNBUSDT");
        auto r = co_await rest->call(std::move(req));
        if (!r.ok()) co_return;  // not listed (a simulator, a testnet): BNB fees stay unknown
        if (auto mark = bn::parse_premium_index_mark(r.body, rest_parser)) tracker.set_fee_price("BNB", *mark);
    }

    asio::awaitable<void> periodic_loop() {
        auto self = shared_from_this();
        engine::millis last_account = now();
        engine::millis last_info = now();
        co_await refresh_fee_prices();
        while (co_await sleep(periodic_ms)) {
            co_await refresh_fee_prices();
            for (const auto& asset : tracker.missing_fee_assets())
                if (fee_assets_warned.insert(asset).second)
                    log::warn(component, "commissions paid in {} were counted as 0: no {} price known", asset, asset);
            co_await refresh_balance();
            co_await refresh_positions();
            tracker.expire_orphans(now(), 120'000);
            tracker.prune(now() - 3'600'000);
            if (now() - last_account >= account_check_ms) {
                last_account = now();
                co_await check_account();
            }
            if (now() - last_info >= exchange_info_refresh_ms) {
                last_info = now();
                co_await load_exchange_info();
            }
            update_connected();
        }
    }

    /// Reads every exchange position: the untracked list, and OPEN engine positions that the
    /// exchange shows flat in two readings in a row (closed by someone else or liquidated).
    asio::awaitable<void> refresh_positions() {
        auto self = shared_from_this();
        const engine::millis sent = now();
        auto r = co_await rest->call(bn::position_risk());
        if (!r.ok()) co_return;
        auto rows = bn::parse_position_risk(r.body, rest_parser);
        if (!rows) {
            log::warn(component, "positionRisk: {}", rows.error);
            co_return;
        }
        set_untracked(compute_untracked(*rows, sent));
        const auto* e = eng();
        if (e == nullptr || !user_trusted) co_return;
        // A position nothing of ours owns, where an entry of ours may have executed after we
        // gave up on it: the sweep looks those entries up and revives the position.
        for (const auto& cid : logic::revive_candidates(amounts_of(*rows), e->positions(), e->orders(), now(),
                                                         revive_max_age_ms))
            if (!revive_checked.count(cid)) {
                request_reconcile("exchange position not owned by traded");
                break;
            }
        std::vector<std::string> gone;
        for (const auto& [id, p] : e->positions()) {
            if (p.status != engine::position_status::open) {
                flat_confirmations.erase(id);
                continue;
            }
            const decimal amount = amount_of(*rows, p.symbol);
            const bool ours = p.pos_side == engine::side::long_side ? amount.is_positive() : amount.is_negative();
            // Only a reading requested well after the position's last change counts: an older
            // one may predate the entry fill.
            if (ours || p.updated_at + 5'000 > sent || symbol_busy(p.symbol)) {
                flat_confirmations.erase(id);
                continue;
            }
            if (++flat_confirmations[id] >= 2) gone.push_back(id);
        }
        for (const auto& id : gone) {
            flat_confirmations.erase(id);
            if (const auto* eng_now = eng())
                if (const auto* p = eng_now->find_position(id)) {
                    co_await deliver_foreign_trades(p->symbol, p->opened_at - 2'000);
                    if ((eng_now = eng()) == nullptr || (p = eng_now->find_position(id)) == nullptr || is_terminal(p->status))
                        continue;  // the fills closed it
                }
            log::warn(component, "{}: the exchange shows no position any more (closed outside traded); closing it as EXTERNAL", id);
            emit(engine::close_request{id, engine::exit_reason::external});
        }
    }

    static decimal amount_of(const std::vector<bn::position_row>& rows, const std::string& symbol) {
        decimal a;
        for (const auto& row : rows)
            if (row.symbol == symbol) a += row.amount;
        return a;
    }

    /// True when the engine has a live (not CLOSED/FAILED) position on `symbol`.
    bool owns_symbol(const std::string& symbol) const {
        const auto* e = eng();
        if (e == nullptr) return false;
        for (const auto& [id, p] : e->positions())
            if (p.symbol == symbol && !is_terminal(p.status)) return true;
        return false;
    }

    /// True while an order of ours on `symbol` is being placed or its fills are being fetched.
    bool symbol_busy(const std::string& symbol) const {
        for (const auto& [cid, t] : tracker.orders())
            if (t.symbol == symbol && (t.in_flight || (!t.final_sent && t.filled < t.exchange_filled))) return true;
        return false;
    }

    std::vector<logic::exchange_amount> amounts_of(const std::vector<bn::position_row>& rows) const {
        std::vector<logic::exchange_amount> out;
        for (const auto& row : rows)
            if (!row.amount.is_zero() && configured(row.symbol)) out.push_back({row.symbol, row.amount});
        return out;
    }

    /// Exchange positions no position of ours owns, from a reading requested at `read_at`. A
    /// symbol where one of ours changed since (an entry filled, a close) cannot be judged from it.
    std::vector<foreign_position> compute_untracked(const std::vector<bn::position_row>& rows, engine::millis read_at) const {
        const auto* e = eng();
        static const std::map<std::string, engine::position> none;
        return logic::untracked_positions(rows, e ? e->positions() : none, read_at);
    }

    /// New untracked list: the daemon blocks entries on those symbols (one-way mode would merge
    /// a new position of ours into the foreign one).
    void set_untracked(std::vector<foreign_position> list) {
        auto key = [](const std::vector<foreign_position>& l) {
            std::string k;
            for (const auto& u : l) k += u.symbol + '|' + u.amount.to_string() + ';';
            return k;
        };
        const bool changed = key(list) != key(untracked_list);
        untracked_list = std::move(list);
        if (changed && on_untracked) on_untracked(untracked_list);
    }

    // ----- market data -----------------------------------------------------------------------

    asio::awaitable<void> market_loop(bn::stream_connection c) {
        auto self = shared_from_this();
        int failures = 0;
        bool ever = false;
        while (!stopped) {
            market_states[c.root_name] = ever ? "reconnecting" : "connecting";
            xio::ws_options wo;
            wo.idle_timeout = milliseconds(market_silence_ms);
            auto ws = std::make_shared<xio::ws_client>(io, wo, ws_tls);
            market_ws[c.root_name] = ws;
            auto ec = co_await ws->connect(c.url);
            if (stopped) break;
            if (ec) {
                ++failures;
                log::warn(component, "market stream ({}): {}", c.root_name, ws->last_error());
                if (!co_await sleep(backoff(failures))) break;
                continue;
            }
            failures = 0;
            ever = true;
            market_states[c.root_name] = "connected";
            market_last_msg[c.root_name] = now();
            const engine::millis connected_at = now();
            log::info(component, "market stream ({}) connected: {} streams", c.root_name, c.streams.size());
            auto messages = count_of(metrics::names::market_messages, c.root_name);
            for (;;) {
                auto [rec, msg] = co_await ws->read();
                if (rec) break;
                market_last_msg[c.root_name] = now();
                messages.inc();
                on_market_frame(msg);
                if (now() - connected_at > rotate_after_ms) ws->close();
            }
            if (stopped) break;
            market_states[c.root_name] = "reconnecting";
            count_of(metrics::names::stream_reconnects, c.root_name).inc();
            log::warn(component, "market stream ({}) lost: {}", c.root_name, ws->last_error());
            if (!co_await sleep(backoff(1))) break;
        }
    }

    asio::awaitable<void> watchdog_loop() {
        auto self = shared_from_this();
        while (co_await sleep(5'000)) {
            for (auto& [name, ws] : market_ws) {
                if (!ws || !ws->is_open() || !silence_watched.count(name)) continue;
                if (now() - market_last_msg[name] > market_silence_ms) {
                    log::warn(component, "market stream ({}) silent for {} s; reconnecting", name, market_silence_ms / 1000);
                    ws->close();
                }
            }
        }
    }

    void on_market_frame(std::string_view frame) {
        auto ev = bn::parse_market_event(frame, market_parser);
        std::string sym;
        if (const auto* b = std::get_if<bn::book_ticker>(&ev)) {
            if (!b->bid_price.is_positive() || !b->ask_price.is_positive()) return;
            auto& q = quotes[b->symbol];
            q.bid = b->bid_price;
            q.ask = b->ask_price;
            q.ts = b->event_time > 0 ? b->event_time : now();
            sym = b->symbol;
        } else if (const auto* m = std::get_if<bn::mark_price_update>(&ev)) {
            if (!m->mark_price.is_positive()) return;
            auto& q = quotes[m->symbol];
            q.mark = m->mark_price;
            q.ts = m->event_time > 0 ? m->event_time : now();
            sym = m->symbol;
        } else if (const auto* err = std::get_if<bn::stream_error>(&ev)) {
            log::debug(component, "market stream: ignoring a malformed message: {}", err->message);
            return;
        } else {
            return;
        }
        if (!configured(sym)) return;
        dirty.insert(sym);
        // Coalescing: every message updates the latest quote; the engine sees one tick per
        // symbol per turn of the io_context, after whatever execution events are queued.
        if (!flush_posted) {
            flush_posted = true;
            asio::post(io, [self = shared_from_this()] { self->flush_quotes(); });
        }
    }

    void flush_quotes() {
        flush_posted = false;
        auto syms = std::move(dirty);
        dirty.clear();
        for (const auto& s : syms) {
            const auto& q = quotes[s];
            if (!q.mark.is_positive() && !(q.bid.is_positive() && q.ask.is_positive())) continue;
            emit(engine::market_tick{s, q});
        }
    }

    // ----- user data -------------------------------------------------------------------------

    std::string user_status() const { return user_driver ? user_driver->status() : user_state; }

    void start_user_stream() {
        bn::stream_config sc;
        sc.kind = bn::stream_kind::user;
        sc.url = opts.exchange.ws_private_url;
        sc.rotate_after_ms = rotate_after_ms;
        sc.keepalive_interval_ms = listen_key_keepalive_ms;
        sc.jitter_seed = rng();
        xio::stream_callbacks cb;
        auto w = weak_from_this();
        cb.on_frame = [w](std::string_view frame) {
            if (auto self = w.lock()) self->on_user_frame(frame);
        };
        cb.on_reconcile = [w]() {
            auto self = w.lock();
            if (!self) return;
            const bool first = !self->user_ever_connected;
            self->user_ever_connected = true;
            log::info(component, "user-data stream connected");
            // Events arriving from here on are applied at once; the sweep delivers what the gap
            // hid, and only then is the stream trusted again.
            self->stream_sweep_wanted = true;
            self->request_reconcile(first ? "start" : "user-data stream reconnected");
        };
        cb.on_trusted = [w]() {
            auto self = w.lock();
            if (!self) return;
            self->user_trusted = true;
            self->update_connected();
        };
        cb.on_untrusted = [w](const std::string& why) {
            auto self = w.lock();
            if (!self || self->stopped) return;
            self->user_trusted = false;
            if (self->user_ever_connected) {
                self->count_of(metrics::names::stream_reconnects, "user").inc();
                log::warn(component, "user-data stream: {}", why);
            }
            self->update_connected();
        };
        cb.on_note = [](bool warning, const std::string& text) {
            if (warning) log::warn(component, "user-data stream: {}", text);
            else log::info(component, "user-data stream: {}", text);
        };
        user_driver = std::make_shared<xio::stream_driver>(io, std::move(sc), xio::ws_options{}, ws_tls, rest, std::move(cb));
        user_driver->start();
    }

    void on_user_frame(std::string_view frame) {
        auto ev = bn::parse_user_event(frame, user_parser);
        const engine::millis t = now();
        if (const auto* u = std::get_if<bn::order_trade_update>(&ev)) {
            if (u->client_order_id.rfind("autoclose-", 0) == 0 || u->client_order_id == "adl_autoclose")
                log::error(component, "{}: the exchange is force-closing the position ({} {}, order {})", u->symbol,
                           u->client_order_id.rfind("adl", 0) == 0 ? "ADL" : "liquidation", u->order_status, u->order_id);
            deliver(tracker.on_order_update(*u, t));
            if (!tracker.held_fill_symbols().empty()) schedule_foreign_release();
        } else if (const auto* a = std::get_if<bn::algo_update>(&ev)) {
            if (!a->reason.empty() && (a->status == bn::algo_status::rejected || a->status == bn::algo_status::expired))
                log::warn(component, "{}: algo order {}: {}", a->client_algo_id, a->status_text, a->reason);
            deliver(tracker.on_algo_update(*a));
        } else if (const auto* acc = std::get_if<bn::account_update>(&ev)) {
            // The exchange's own wallet figure at once (balance_updated); the rest (available,
            // unrealized) follows from the REST refresh.
            for (const auto& b : acc->balances)
                if (b.asset == "USDT") {
                    balance_snapshot s = bal.value_or(balance_snapshot{});
                    s.wallet_balance = b.wallet_balance;
                    s.margin_balance = b.wallet_balance + s.unrealized_pnl;
                    s.updated_at = t;
                    bal = s;
                    if (on_balance) on_balance();
                }
            schedule_balance_refresh();  // positions are derived from fills
            // A position of ours reported flat may have been closed outside traded: check it now
            // rather than at the next periodic sweep (our own fills arrive first; the check still
            // needs two flat readings, so an in-flight fill of ours is never mistaken for it).
            // A position on a symbol where nothing of ours is live is someone else's (or a late
            // entry of ours): read positions now, so entries there are blocked (or the position
            // revived) within seconds rather than at the next periodic reading.
            for (const auto& ap : acc->positions)
                if (ap.amount.is_zero() || !owns_symbol(ap.symbol)) schedule_position_check();
        } else if (const auto* x = std::get_if<bn::listen_key_expired>(&ev)) {
            log::warn(component, "listenKey expired: reconnecting with a new one");
            if (user_driver) user_driver->listen_key_expired(x->listen_key);
        } else if (const auto* m = std::get_if<bn::margin_call>(&ev)) {
            for (const auto& p : m->positions)
                log::error(component, "MARGIN CALL on {}: position {} at mark {}", p.symbol, p.amount.to_string(),
                           p.mark_price.to_string());
        } else if (const auto* err = std::get_if<bn::stream_error>(&ev)) {
            log::warn(component, "user-data stream: ignoring a malformed message: {}", err->message);
        }
    }

    // ----- orders ------------------------------------------------------------------------------

    asio::awaitable<void> place(engine::place_order p) {
        auto self = shared_from_this();
        busy_guard guard(self, p.order.client_id);  // execute() counted it already
        const engine::order_record& o = p.order;
        const std::string cid = o.client_id;
        const bool algo = o.type != engine::order_type::market;
        if (auto* prev = tracker.find(cid); prev && prev->in_flight) {
            // The engine only re-uses a client id once its order is dead; an unresolved earlier
            // placement means that is not known yet. Never two orders with one client id.
            log::error(component, "{}: placement refused: an earlier order with this client id is still unresolved", cid);
            emit(engine::order_rejected{cid, 0, "an earlier order with this client id is still unresolved"});
            co_return;
        }
        const engine::symbol_info* info = find_symbol(o.symbol);
        bn::result<bn::rest_request> req =
            info == nullptr ? bn::result<bn::rest_request>::failure("symbol " + o.symbol + " is not traded")
            : algo ? bn::new_conditional_order(*info, cid, o.side, o.type, o.trigger_price, o.qty)
                   : bn::new_market_order(*info, cid, o.side, o.qty, p.reduce_only);
        auto sent_qty = req ? decimal::parse(param(*req, "quantity")) : std::nullopt;
        tracker.begin(cid, o.symbol, algo, sent_qty ? *sent_qty : o.qty);
        if (!req) {
            deliver(tracker.on_rejected(cid, 0, req.error));
            co_return;
        }
        const bool entry = is_entry(cid);
        if (entry) {
            auto pf = preflight();
            if (!pf.code.empty()) {
                deliver(tracker.on_rejected(cid, 0, "exchange not ready (" + pf.code + "): " + pf.message));
                co_return;
            }
        }
        co_await send_placement(cid, *req, algo, entry);
    }

    asio::awaitable<void> send_placement(std::string cid, bn::rest_request req, bool algo, bool entry) {
        auto self = shared_from_this();
        // An entry that cannot go out within seconds is refused: a late entry trades on old
        // prices. Protection and closes wait longer: they must happen.
        const auto co = urgent(entry ? 3'000 : protective_max_wait_ms);
        int retries = 0;
        for (;;) {
            auto r = co_await rest->call(req, co);
            if (stopped) co_return;
            if (r.ok()) {
                co_await on_placed(cid, algo, r.body);
                co_return;
            }
            if (r.outcome == xio::rest_outcome::failed && r.rate_limited && !entry) {
                // Not sent: a 418 ban or 429 back-off outlasted max_wait. That says nothing about
                // the position, so it is never closed for it: the order goes out when the ban ends,
                // unless the position has no stop resting at all (then the emergency path).
                const auto* e = eng();
                const auto verdict = e ? logic::on_ban(cid, e->positions(), e->orders()) : logic::ban_verdict::wait;
                if (verdict != logic::ban_verdict::wait) {
                    log::error(component, "{}: {}; the position has no stop on the exchange: emergency close", cid,
                               r.describe());
                    deliver(tracker.on_rejected(cid, -1003, r.describe() + "; no stop on the exchange"));
                    co_return;
                }
                const engine::millis until = rest->governor().banned_until();
                const engine::millis wait = std::clamp<engine::millis>(until - now(), 1'000, 30'000);
                log::warn(component, "{}: {}; sending it when the ban ends (next try in {} ms){}", cid, r.describe(), wait,
                          is_close(cid) ? "" : "; the stop resting on the exchange protects the position meanwhile");
                if (!co_await sleep(wait)) co_return;
                continue;
            }
            if (r.outcome == xio::rest_outcome::failed) {
                if (r.rate_limited || entry || retries >= 4) {
                    deliver(tracker.on_rejected(cid, r.rate_limited ? -1003 : 0, r.describe()));
                    co_return;
                }
                ++retries;
                log::warn(component, "{}: {}; retrying", cid, r.describe());
                if (!co_await sleep(500LL << retries)) co_return;
                continue;
            }
            if (r.outcome == xio::rest_outcome::answered) {
                auto kind = logic::classify_order_answer(r.status, r.code(), r.body);
                if (kind == logic::placement_failure::rejected) {
                    log::warn(component, "{}: rejected: {}", cid, r.describe());
                    deliver(tracker.on_rejected(cid, r.code(), r.api_error ? r.api_error->msg : r.describe()));
                    co_return;
                }
                if (kind == logic::placement_failure::retry) {
                    if (retries >= 3) {
                        deliver(tracker.on_rejected(cid, r.code(), r.describe()));
                        co_return;
                    }
                    ++retries;
                    log::warn(component, "{}: {}; retrying", cid, r.describe());
                    if (!co_await sleep(200LL << retries)) co_return;
                    continue;
                }
            }
            log::warn(component, "{}: {}; looking the order up before anything else", cid, r.describe());
            co_await resolve_unknown(cid, req, algo, r.sent_at > 0 ? r.sent_at : now());
            co_return;
        }
    }

    /// A 2xx answer to a placement.
    asio::awaitable<void> on_placed(const std::string& cid, bool algo, const std::string& body) {
        auto self = shared_from_this();
        if (algo) {
            auto a = bn::parse_algo_order(body, rest_parser);
            if (!a) {
                log::warn(component, "{}: unreadable answer ({}); looking it up", cid, a.error);
                co_await lookup(cid, true);
                co_return;
            }
            deliver(tracker.on_algo_info(*a));
        } else {
            auto o = bn::parse_order(body, rest_parser);
            if (!o) {
                log::warn(component, "{}: unreadable answer ({}); looking it up", cid, o.error);
                co_await lookup(cid, false);
                co_return;
            }
            deliver(tracker.on_order_info(*o));
        }
        co_await after_resolved(cid);
    }

    /// The order exists on the exchange now: honour a cancel that arrived meanwhile, and watch a
    /// market order that is not final yet.
    asio::awaitable<void> after_resolved(const std::string& cid) {
        auto self = shared_from_this();
        auto* t = tracker.find(cid);
        if (t == nullptr) co_return;
        if (t->cancel_wanted && !t->final_sent) {
            t->cancel_wanted = false;
            engine::cancel_order c{cid, t->symbol};
            co_await cancel(std::move(c));
            co_return;
        }
        if (!t->algo && !t->final_sent) co_await watch(cid);
    }

    /// Polls a regular order until it is final (a MARKET order answered NEW, a stream gap).
    asio::awaitable<void> watch(std::string cid) {
        auto self = shared_from_this();
        for (int i = 0; i < 30; ++i) {
            if (!co_await sleep(i < 5 ? 1'000 : 5'000)) co_return;
            auto* t = tracker.find(cid);
            if (t == nullptr || t->final_sent) co_return;
            if ((user_trusted && i < 2) || !t->final_status.empty()) continue;  // fills being fetched
            co_await lookup(cid, false);
        }
    }

    enum class lookup_result { found, not_found, error };

    /// GET order / algoOrder by client id and apply what it says.
    asio::awaitable<lookup_result> lookup(const std::string& cid, bool algo) {
        auto self = shared_from_this();
        auto* t = tracker.find(cid);
        std::string symbol = t ? t->symbol : std::string();
        if (!algo && symbol.empty()) {
            if (const auto* e = eng())
                if (auto it = e->orders().find(cid); it != e->orders().end()) symbol = it->second.symbol;
        }
        // Named, not a ?: temporary inside co_await: g++ 12 destroys such temporaries twice.
        bn::rest_request req = algo ? bn::query_algo_order(cid) : bn::query_order(symbol, cid);
        auto r = co_await rest->call(std::move(req));
        if (r.outcome == xio::rest_outcome::answered && logic::is_not_found(r.code())) co_return lookup_result::not_found;
        if (!r.ok()) {
            log::warn(component, "{}: lookup failed: {}", cid, r.describe());
            co_return lookup_result::error;
        }
        logic::order_tracker::output out;
        if (algo) {
            auto a = bn::parse_algo_order(r.body, rest_parser);
            if (!a) {
                log::warn(component, "{}: lookup answer: {}", cid, a.error);
                co_return lookup_result::error;
            }
            out = tracker.on_algo_info(*a);
        } else {
            auto o = bn::parse_order(r.body, rest_parser);
            if (!o) {
                log::warn(component, "{}: lookup answer: {}", cid, o.error);
                co_return lookup_result::error;
            }
            out = tracker.on_order_info(*o);
        }
        deliver(std::move(out));
        t = tracker.find(cid);
        // Found, but an earlier incarnation of the client id: not the order we are asking about.
        if (t != nullptr && t->exchange_id == 0) co_return lookup_result::not_found;
        co_return lookup_result::found;
    }

    /// The placement's outcome is unknown: find out before anything else, then send again at
    /// most once, with the same client id.
    asio::awaitable<void> resolve_unknown(std::string cid, bn::rest_request req, bool algo, engine::millis sent_at) {
        auto self = shared_from_this();
        // Wait out recvWindow (plus the clock offset and a margin) from the write: the exchange
        // executes a request only while its timestamp is within recvWindow, so "not found"
        // afterwards means it will not appear later.
        auto until_final = [this](engine::millis written) {
            return std::max<engine::millis>(
                0, logic::not_found_final_at(written, opts.exchange.recv_window_ms, rest->time_offset_ms()) - now());
        };
        engine::millis wait = until_final(sent_at);
        int errors = 0;
        for (;;) {
            if (!co_await sleep(wait)) co_return;
            auto* t = tracker.find(cid);
            if (t == nullptr || t->final_sent) co_return;
            if (t->exchange_id != 0) {  // the stream told us meanwhile
                co_await after_resolved(cid);
                co_return;
            }
            auto found = co_await lookup(cid, algo);
            t = tracker.find(cid);
            if (t == nullptr) co_return;
            if (found == lookup_result::found) {
                log::info(component, "{}: found on the exchange after an unknown outcome", cid);
                co_await after_resolved(cid);
                co_return;
            }
            if (found == lookup_result::error) {
                wait = std::min<engine::millis>(30'000, 1'000LL << std::min(++errors, 5));
                continue;
            }
            if (t->cancel_wanted) {
                deliver(tracker.on_gone(cid));
                co_return;
            }
            if (t->resent) {
                deliver(tracker.on_rejected(cid, 0, "order outcome unknown and not found on the exchange after one resend"));
                co_return;
            }
            if (is_entry(cid)) {
                // An entry is written once only: a late one trades on old prices, and after a
                // crash the daemon bounds how long an entry may still execute by its first write.
                deliver(tracker.on_rejected(cid, -2013, "entry outcome unknown and not found on the exchange within its "
                                                        "recvWindow; not sent again"));
                co_return;
            }
            t->resent = true;
            t->in_flight = true;
            log::warn(component, "{}: not on the exchange; sending it once more with the same client id", cid);
            auto r = co_await rest->call(req, urgent());
            if (stopped) co_return;
            if (r.ok()) {
                co_await on_placed(cid, algo, r.body);
                co_return;
            }
            if (r.outcome == xio::rest_outcome::failed ||
                (r.outcome == xio::rest_outcome::answered &&
                 logic::classify_order_answer(r.status, r.code(), r.body) != logic::placement_failure::unknown)) {
                deliver(tracker.on_rejected(cid, r.code(), r.api_error ? r.api_error->msg : r.describe()));
                co_return;
            }
            wait = until_final(r.sent_at > 0 ? r.sent_at : now());
        }
    }

    /// An entry from before a restart that the exchange does not show (yet): it may still execute
    /// until `final_at`. It stays OPENING (blocking a second entry on its symbol) and is looked up
    /// again until it appears or that time has passed.
    void await_entry(const std::string& cid, const std::string& symbol, engine::millis final_at) {
        auto& t = tracker.adopt(cid, symbol, false);
        if (t.symbol.empty()) t.symbol = symbol;
        t.in_flight = true;  // its outcome is unknown: the symbol counts as busy meanwhile
        ++busy[cid];
        spawn([self = shared_from_this(), cid, final_at]() { return self->await_entry_loop(cid, final_at); });
    }

    asio::awaitable<void> await_entry_loop(std::string cid, engine::millis final_at) {
        auto self = shared_from_this();
        busy_guard guard(self, cid);  // counted by await_entry
        int errors = 0;
        for (;;) {
            const engine::millis left = final_at - now();
            const engine::millis step = errors > 0 ? std::min<engine::millis>(30'000, 1'000LL << std::min(errors, 5))
                                                   : std::clamp<engine::millis>(left, 0, 1'000);
            if (!co_await sleep(step)) co_return;
            auto* t = tracker.find(cid);
            if (t == nullptr || t->final_sent) co_return;
            if (t->exchange_id != 0) {  // the stream told us meanwhile
                co_await after_resolved(cid);
                co_return;
            }
            const engine::millis asked = now();
            auto found = co_await lookup(cid, false);
            t = tracker.find(cid);
            if (t == nullptr) co_return;
            if (found == lookup_result::found) {
                log::warn(component, "{}: the entry executed on the exchange after the restart", cid);
                co_await after_resolved(cid);
                co_return;
            }
            if (found == lookup_result::error) {
                ++errors;
                continue;
            }
            errors = 0;
            // Only a lookup asked after the window closed is final.
            if (asked < final_at) continue;
            t->in_flight = false;
            if (t->cancel_wanted) {
                deliver(tracker.on_gone(cid));
            } else {
                log::warn(component, "{}: entry still not on the exchange after its recvWindow; the position fails", cid);
                deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange within its recvWindow"));
            }
            co_return;
        }
    }

    asio::awaitable<void> cancel(engine::cancel_order c, bool counted = false) {
        auto self = shared_from_this();
        if (!counted) ++busy[c.client_id];
        busy_guard guard(self, c.client_id);
        const std::string& cid = c.client_id;
        const bool algo = logic::is_algo_client_id(cid);
        auto* t = tracker.find(cid);
        if (t != nullptr && t->in_flight) {
            t->cancel_wanted = true;  // the placement flow cancels it once its fate is known
            co_return;
        }
        if (t != nullptr && t->final_sent) {
            emit(engine::order_canceled{cid});  // already over; the engine ignores it if filled
            co_return;
        }
        if (t == nullptr) t = &tracker.adopt(cid, c.symbol, algo);
        if (t->symbol.empty()) t->symbol = c.symbol;
        auto req = algo ? bn::cancel_algo_order(cid) : bn::cancel_order(c.symbol, cid);
        for (int attempt = 0; attempt < 5; ++attempt) {
            auto r = co_await rest->call(req, urgent());
            if (stopped) co_return;
            if (r.ok()) {
                if (!algo) {
                    if (auto o = bn::parse_order(r.body, rest_parser)) {
                        deliver(tracker.on_order_info(*o));
                        co_return;
                    }
                }
                deliver(tracker.on_gone(cid));
                co_return;
            }
            if (r.outcome == xio::rest_outcome::answered && r.status < 500 && r.status != 408 && r.status != 429 &&
                r.status != 418)
                break;  // -2011 unknown and similar: find out what became of it
            if (!co_await sleep(500LL << attempt)) co_return;
        }
        for (int attempt = 0; attempt < 10; ++attempt) {
            auto found = co_await lookup(cid, algo);
            if (found == lookup_result::not_found) {
                deliver(tracker.on_gone(cid));
                co_return;
            }
            if (found == lookup_result::found) {
                t = tracker.find(cid);
                if (t != nullptr && !t->final_sent) {
                    // Still open after a failed cancel: try again later rather than loop fast.
                    if (!co_await sleep(2'000)) co_return;
                    auto r = co_await rest->call(req, urgent());
                    if (r.ok()) deliver(algo ? tracker.on_gone(cid) : logic::order_tracker::output{});
                    continue;
                }
                co_return;
            }
            if (!co_await sleep(std::min<engine::millis>(30'000, 1'000LL << attempt))) co_return;
        }
        log::error(component, "{}: could not cancel or confirm the order; the next reconciliation retries", cid);
    }

    /// Fetches the trades of an order whose executed quantity exceeds the fills delivered.
    asio::awaitable<void> fetch_trades(std::string cid) {
        auto self = shared_from_this();
        if (fetching_trades.count(cid)) co_return;
        fetching_trades.insert(cid);
        if (user_trusted) co_await sleep(fill_grace_ms);  // the stream usually brings them first
        for (int attempt = 0; attempt < 6 && !stopped; ++attempt) {
            auto* t = tracker.find(cid);
            if (t == nullptr || t->filled >= t->exchange_filled) break;
            const std::int64_t oid = t->algo ? t->child_id : t->exchange_id;
            if (oid == 0 || t->symbol.empty()) break;
            auto r = co_await rest->call(bn::user_trades(t->symbol, oid));
            if (r.ok()) {
                auto trades = bn::parse_user_trades(r.body, rest_parser);
                if (trades) {
                    fetching_trades.erase(cid);  // on_trades may ask again: let it
                    deliver(tracker.on_trades(cid, *trades));
                    fetching_trades.insert(cid);
                } else {
                    log::warn(component, "{}: userTrades: {}", cid, trades.error);
                }
                t = tracker.find(cid);
                if (t == nullptr || t->filled >= t->exchange_filled) break;
            }
            if (!co_await sleep(1'000LL << attempt)) break;
        }
        fetching_trades.erase(cid);
    }

    asio::awaitable<void> query_position(engine::query_position q) {
        auto self = shared_from_this();
        for (int attempt = 0; !stopped; ++attempt) {
            auto r = co_await rest->call(bn::position_risk(q.symbol), urgent());
            if (r.ok()) {
                if (auto rows = bn::parse_position_risk(r.body, rest_parser)) {
                    decimal amount;
                    decimal entry;
                    for (const auto& row : *rows)
                        if (row.symbol == q.symbol) {
                            amount += row.amount;
                            if (!row.amount.is_zero()) entry = row.entry_price;
                        }
                    // Fills we know were executed go first, so a flat report is explained by them.
                    std::vector<std::string> short_of_fills;
                    for (const auto& [cid, t] : tracker.orders())
                        if (t.symbol == q.symbol && !t.final_sent && t.filled < t.exchange_filled)
                            short_of_fills.push_back(cid);
                    for (const auto& cid : short_of_fills) co_await fetch_trades(cid);
                    // Flat without our exit fills: someone else's order closed it; its fills first.
                    if (amount.is_zero())
                        if (const auto* e = eng())
                            if (const auto* p = e->find_position(q.position_id); p && p->exit_filled_qty < p->qty)
                                co_await deliver_foreign_trades(q.symbol, p->opened_at - 2'000);
                    emit(engine::position_report{q.symbol, amount, entry, q.position_id});
                    co_return;
                } else {
                    log::warn(component, "positionRisk {}: {}", q.symbol, rows.error);
                }
            }
            // The engine waits for this answer to close a position: keep asking while it does.
            const auto* e = eng();
            if (e != nullptr) {
                const auto* p = e->find_position(q.position_id);
                if (p == nullptr || is_terminal(p->status)) co_return;
            } else if (attempt >= 10) {
                co_return;
            }
            log::warn(component, "position {}: {}; asking again", q.symbol, r.describe());
            if (!co_await sleep(std::min<engine::millis>(30'000, 1'000LL << std::min(attempt, 5)))) co_return;
        }
    }

    // ----- reconciliation ----------------------------------------------------------------------

    void request_reconcile(std::string why) {
        if (stopped || !rest || !creds.ok()) return;
        if (sweeping) {
            sweep_again = std::move(why);
            return;
        }
        sweeping = true;
        spawn([self = shared_from_this(), why]() { return self->sweep(why); });
    }

    asio::awaitable<void> sweep(std::string why) {
        auto self = shared_from_this();
        for (;;) {
            reconciliation_summary s;
            s.trigger = why;
            const bool for_stream = stream_sweep_wanted;  // started after the stream's (re)connect
            stream_sweep_wanted = false;
            const bool ok = co_await sweep_once(s);
            if (stopped) co_return;
            s.ran_at = now();
            if (ok) {
                summary = s;
                reconciled_once = true;
                if (for_stream && user_driver) user_driver->reconcile_done();  // the stream is trusted now
                log::info(component, "reconciliation ({}) done: {} fixed, {} untracked", why, s.fixed.size(),
                          s.untracked.size());
                for (const auto& f : s.fixed) log::info(component, "reconciliation: {}", f);
                for (const auto& u : s.untracked)
                    log::warn(component,
                              "reconciliation: untracked exchange position {} {} (not touched; new entries on {} are "
                              "blocked until it is closed)",
                              u.symbol, u.amount.to_string(), u.symbol);
                if (on_reconciled) on_reconciled(summary);
                update_connected();
            } else {
                if (for_stream) stream_sweep_wanted = true;  // the retry answers the stream
                for (const auto& p : s.problems) log::warn(component, "reconciliation ({}): {}", why, p);
            }
            if (!sweep_again.empty()) {
                why = std::move(sweep_again);
                sweep_again.clear();
                continue;
            }
            if (ok) break;
            if (!co_await sleep(10'000)) co_return;
        }
        sweeping = false;
    }

    /// One sweep; false when something could not be read (then it runs again).
    asio::awaitable<bool> sweep_once(reconciliation_summary& s) {
        auto self = shared_from_this();
        // 1. Exchange positions, read first: a later reading cannot predate fills found below.
        const engine::millis read_at = now();
        auto pr = co_await rest->call(bn::position_risk());
        std::optional<std::vector<bn::position_row>> rows;
        if (pr.ok()) {
            auto parsed = bn::parse_position_risk(pr.body, rest_parser);
            if (parsed) rows = std::move(*parsed);
        }
        if (!rows) {
            s.problems.push_back("positionRisk: " + pr.describe());
            co_return false;
        }
        // 2. Open orders and open algo orders on the configured symbols.
        std::map<std::string, bn::order_info> open;
        std::map<std::string, bn::algo_order_info> open_algo;
        for (const auto& sym : opts.symbols) {
            auto r = co_await rest->call(bn::open_orders(sym));
            auto list = r.ok() ? bn::parse_orders(r.body, rest_parser) : bn::result<std::vector<bn::order_info>>::failure(r.describe());
            if (!list) {
                s.problems.push_back("openOrders " + sym + ": " + list.error);
                co_return false;
            }
            for (auto& o : *list) open[o.client_order_id] = o;
            auto ra = co_await rest->call(bn::open_algo_orders(sym));
            auto alist = ra.ok() ? bn::parse_algo_orders(ra.body, rest_parser)
                                 : bn::result<std::vector<bn::algo_order_info>>::failure(ra.describe());
            if (!alist) {
                s.problems.push_back("openAlgoOrders " + sym + ": " + alist.error);
                co_return false;
            }
            for (auto& a : *alist) open_algo[a.client_algo_id] = a;
        }
        const auto* e = eng();
        if (e == nullptr) {
            s.untracked = compute_untracked(*rows, read_at);
            set_untracked(s.untracked);
            co_return true;
        }
        // 3. Every order the engine holds as live: confirm it, or learn what became of it.
        std::vector<engine::order_record> live;
        for (const auto& [cid, o] : e->orders())
            if (is_live(o.status)) live.push_back(o);
        bool complete = true;
        for (const auto& o : live) {
            const std::string& cid = o.client_id;
            if (is_busy(cid)) continue;  // its placement or cancel flow decides
            const bool algo = logic::is_algo_client_id(cid);
            if (algo) {
                if (auto it = open_algo.find(cid); it != open_algo.end()) {
                    tracker.adopt(cid, o.symbol, true);
                    deliver(tracker.on_algo_info(it->second));
                    continue;
                }
            } else if (auto it = open.find(cid); it != open.end()) {
                tracker.adopt(cid, o.symbol, false);
                deliver(tracker.on_order_info(it->second));
                continue;
            }
            if (tracker.find(cid) == nullptr) tracker.adopt(cid, o.symbol, algo);
            auto found = co_await lookup(cid, algo);
            if (found == lookup_result::error) {
                s.problems.push_back(cid + ": lookup failed");
                complete = false;
                continue;
            }
            if (found == lookup_result::found) {
                const auto* t = tracker.find(cid);
                s.fixed.push_back(cid + ": " + (t && !t->final_status.empty() ? t->final_status : "open") +
                                  " on the exchange");
                // Fills found by the lookup are fetched before positions are judged below.
                if (t && t->filled < t->exchange_filled) co_await fetch_trades(cid);
                continue;
            }
            // Not on the exchange at all, unless a flow started while we asked: it decides.
            if (is_busy(cid)) continue;
            if (is_entry(cid)) {
                // Not found is final only once the exchange can no longer execute the request:
                // recvWindow after it was written (plus clock offset and margin). Until then the
                // position stays OPENING and the entry is looked up again.
                const engine::millis final_at =
                    logic::entry_not_found_final_at(o.updated_at, opts.exchange.recv_window_ms, rest->time_offset_ms());
                if (now() < final_at) {
                    s.fixed.push_back(fmt::format("{}: entry order not on the exchange yet; it may still execute "
                                                  "for {} ms: kept OPENING and looked up again",
                                                  cid, final_at - now()));
                    await_entry(cid, o.symbol, final_at);
                    continue;
                }
                s.fixed.push_back(cid + ": entry order not found on the exchange; the position fails");
                deliver(tracker.on_rejected(cid, -2013, "entry order not found on the exchange"));
            } else {
                s.fixed.push_back(cid + ": not found on the exchange; reported as canceled");
                deliver(tracker.on_gone(cid));
            }
        }
        // 3b. Exchange positions that no live position of ours owns, on a symbol where an entry of
        // ours was given up on (FAILED): if that entry executed after all (late, or while we were
        // down), the position is ours. Revive it; the engine protects it from the actual fill.
        if (!co_await revive_executed_entries(*rows, s)) complete = false;
        // 4. Our orders still open on the exchange for positions that are over: leftovers (a
        // reduce-only stop of an old position could cut a new one). Unknown ids are left alone.
        for (const auto& [cid, a] : open_algo) co_await cancel_leftover(cid, a.symbol, s);
        for (const auto& [cid, o] : open) co_await cancel_leftover(cid, o.symbol, s);
        // 5. Positions: OPEN ones flat on the exchange were closed outside traded; CLOSING ones
        // get a fresh reading so their close flow continues after a restart.
        e = eng();
        if (e == nullptr) co_return complete;
        std::vector<engine::position> positions;
        for (const auto& [id, p] : e->positions())
            if (!is_terminal(p.status)) positions.push_back(p);
        for (const auto& p : positions) {
            if (p.status == engine::position_status::closing) {
                engine::query_position q{p.symbol, p.position_id};
                co_await query_position(std::move(q));
                continue;
            }
            if (p.status != engine::position_status::open) continue;
            const decimal amount = amount_of(*rows, p.symbol);
            const bool ours = p.pos_side == engine::side::long_side ? amount.is_positive() : amount.is_negative();
            if (ours || symbol_busy(p.symbol)) continue;
            // Confirm with a second, fresh reading before calling it gone.
            auto again = co_await rest->call(bn::position_risk(p.symbol));
            auto rows2 = again.ok() ? bn::parse_position_risk(again.body, rest_parser)
                                    : bn::result<std::vector<bn::position_row>>::failure(again.describe());
            if (!rows2) {
                s.problems.push_back(p.symbol + ": second position reading failed");
                complete = false;
                continue;
            }
            const decimal amount2 = amount_of(*rows2, p.symbol);
            const bool ours2 = p.pos_side == engine::side::long_side ? amount2.is_positive() : amount2.is_negative();
            const auto* now_p = eng() ? eng()->find_position(p.position_id) : nullptr;
            if (ours2 || now_p == nullptr || now_p->status != engine::position_status::open) continue;
            s.fixed.push_back(p.position_id + ": flat on the exchange (closed outside traded); closing as EXTERNAL");
            emit(engine::close_request{p.position_id, engine::exit_reason::external});
        }
        s.untracked = compute_untracked(*rows, read_at);
        set_untracked(s.untracked);
        co_return complete;
    }

    /// Step 3b of the sweep; false when a lookup failed (the sweep runs again).
    asio::awaitable<bool> revive_executed_entries(const std::vector<bn::position_row>& rows, reconciliation_summary& s) {
        auto self = shared_from_this();
        const auto* e = eng();
        if (e == nullptr) co_return true;
        bool complete = true;
        std::set<std::string> revived;  // symbols
        for (const auto& cid : logic::revive_candidates(amounts_of(rows), e->positions(), e->orders(), now(),
                                                        revive_max_age_ms)) {
            if (revive_checked.count(cid) || is_busy(cid)) continue;
            e = eng();
            if (e == nullptr) break;
            const auto* p = e->find_position(engine::split_client_order_id(cid)->first);
            if (p == nullptr || p->status != engine::position_status::failed || revived.count(p->symbol)) continue;
            const std::string symbol = p->symbol;
            const std::string position_id = p->position_id;
            tracker.adopt(cid, symbol, false);
            auto found = co_await lookup(cid, false);
            if (found == lookup_result::error) {
                s.problems.push_back(cid + ": lookup for revival failed");
                complete = false;
                continue;
            }
            const auto* t = tracker.find(cid);
            if (found == lookup_result::not_found || t == nullptr || !t->exchange_filled.is_positive()) {
                revive_checked.insert(cid);
                continue;
            }
            log::error(component, "{}: entry executed on the exchange after its position was marked FAILED; reviving it",
                       cid);
            // Its fills revive the position in the engine, which then places TP/SL from them.
            for (int i = 0; i < 100 && !stopped; ++i) {
                t = tracker.find(cid);
                if (t == nullptr || t->filled >= t->exchange_filled) break;
                co_await fetch_trades(cid);  // returns at once while another fetch of it runs
                t = tracker.find(cid);
                if (t != nullptr && t->filled < t->exchange_filled && !co_await sleep(100)) break;
            }
            e = eng();
            const auto* now_p = e ? e->find_position(position_id) : nullptr;
            if (now_p != nullptr && now_p->status != engine::position_status::failed) {
                revived.insert(symbol);
                s.fixed.push_back(fmt::format("{}: entry executed on the exchange after the position was marked FAILED; "
                                              "position revived ({}) and protected",
                                              cid, engine::to_string(now_p->status)));
            } else {
                s.problems.push_back(cid + ": executed on the exchange, but its fills could not be read yet");
                complete = false;
            }
        }
        co_return complete;
    }

    asio::awaitable<void> cancel_leftover(const std::string& cid, const std::string& symbol, reconciliation_summary& s) {
        auto self = shared_from_this();
        if (!tracker.is_own(cid)) co_return;
        const auto* e = eng();
        if (e == nullptr) co_return;
        auto parsed = engine::split_client_order_id(cid);
        const auto* p = e->find_position(parsed->first);
        if (p == nullptr) {
            log::warn(component, "open order {} names a position traded does not know; left alone", cid);
            co_return;
        }
        auto o = e->orders().find(cid);
        const bool engine_live = o != e->orders().end() && is_live(o->second.status);
        if (!is_terminal(p->status) && engine_live) co_return;
        if (is_busy(cid)) co_return;
        s.fixed.push_back(cid + ": left open on the exchange for a " + std::string(engine::to_string(p->status)) +
                          " position; canceled");
        engine::cancel_order c{cid, symbol};
        co_await cancel(std::move(c));
    }

    // ----- views -------------------------------------------------------------------------------

    preflight_result preflight() const {
        preflight_result r;
        auto fail = [&](std::string code, std::string msg) {
            r.code = std::move(code);
            r.message = std::move(msg);
            return r;
        };
        if (!config_error.empty()) return fail("EXCHANGE_CONFIG", config_error);
        if (!started) return fail("EXCHANGE_UNAVAILABLE", "the exchange connection has not been started");
        if (!creds.ok()) return fail(creds.code, creds.message);
        if (!rest || !rest->time_synced() || !info_loaded)
            return fail("EXCHANGE_UNAVAILABLE", "connecting to " + opts.exchange.rest_url +
                                                    (last_error.empty() ? std::string() : ": " + last_error));
        if (!auth_error.empty()) return fail("INVALID_CREDENTIALS", auth_error);
        if (!hedge_mode) return fail("EXCHANGE_UNAVAILABLE", "checking the account's position mode" +
                                                                 (last_error.empty() ? std::string() : ": " + last_error));
        if (*hedge_mode)
            return fail("HEDGE_MODE", "the account is in hedge (dual-side) position mode; switch it to one-way mode "
                                      "(POST /fapi/v1/positionSide/dual dualSidePosition=false, or in the web UI)");
        if (!missing_symbols.empty()) {
            std::string list;
            for (const auto& m : missing_symbols) list += (list.empty() ? "" : ", ") + m;
            return fail("UNKNOWN_SYMBOL", "not tradable on the exchange: " + list);
        }
        if (!leverage_errors.empty()) {
            const auto& [sym, err] = *leverage_errors.begin();
            return fail("LEVERAGE_NOT_SET", fmt::format("cannot set leverage {}x on {}: {}", leverage(), sym, err));
        }
        for (const auto& s : opts.symbols)
            if (!leverage_ok.count(s)) return fail("EXCHANGE_UNAVAILABLE", "setting leverage on " + s);
        if (!bal) return fail("EXCHANGE_UNAVAILABLE", "reading the account balance");
        const decimal margin = stake() / decimal::from_int(std::max(1, leverage()));
        if (bal->available_balance < margin)
            return fail("INSUFFICIENT_BALANCE",
                        fmt::format("available balance {} USDT is below the margin of one trade ({} USDT = stake {} / "
                                    "leverage {})",
                                    bal->available_balance.to_string(), margin.to_string(), stake().to_string(), leverage()));
        if (user_status() != "connected") return fail("EXCHANGE_UNAVAILABLE", "the user-data stream is " + user_status());
        if (!reconciled_once || !user_trusted)
            return fail("EXCHANGE_UNAVAILABLE", "reconciling positions and orders with the exchange");
        r.warnings.push_back("REAL MONEY: orders are sent to " + opts.exchange.rest_url);
        if (!untracked_list.empty())
            r.warnings.push_back(fmt::format("{} exchange position(s) on configured symbols are not traded's (untracked)",
                                             untracked_list.size()));
        if (const auto* e = eng()) {
            for (const auto& s : symbols) {
                const auto* es = e->find_symbol(s.symbol);
                if (es && (es->tick_size != s.tick_size || es->step_size != s.step_size))
                    r.warnings.push_back(fmt::format("{}: engine filters (tick {}, step {}) differ from the exchange's "
                                                     "(tick {}, step {}); orders are rounded to the exchange's",
                                                     s.symbol, es->tick_size.to_string(), es->step_size.to_string(),
                                                     s.tick_size.to_string(), s.step_size.to_string()));
            }
        }
        return r;
    }

    port_status status() const {
        port_status s;
        s.connected = connected();
        if (market_states.empty()) {
            s.market_stream = started ? "connecting" : "disabled";
        } else {
            s.market_stream = "connected";
            for (const auto& [n, st] : market_states)
                if (st != "connected") s.market_stream = st;
        }
        s.user_stream = !creds.ok() && started ? "disabled" : user_status();
        if (s.user_stream == "connected" && !user_trusted) s.user_stream = "reconciling";
        s.last_event_at = last_event_at;
        return s;
    }
};

// ---------------------------------------------------------------------------------------------
// binance_port
// ---------------------------------------------------------------------------------------------

binance_port::binance_port(asio::io_context& io, binance_port_options opts, std::vector<engine::symbol_info> fallback_symbols,
                           engine_view view)
    : impl_(std::make_shared<impl>(io, std::move(opts), std::move(fallback_symbols), std::move(view))) {}

binance_port::~binance_port() { impl_->stop(); }

void binance_port::start() { impl_->start(); }
void binance_port::stop() { impl_->stop(); }

void binance_port::set_sink(event_sink sink) { impl_->sink = std::move(sink); }

void binance_port::execute(const engine::action& a) {
    auto self = impl_;
    if (self->stopped) return;
    if (!self->rest) {
        // Not started or misconfigured: nothing can reach the exchange; say so at once.
        if (const auto* p = std::get_if<engine::place_order>(&a))
            self->emit(engine::order_rejected{p->order.client_id, 0,
                                              self->config_error.empty() ? "exchange connection not started" : self->config_error});
        return;
    }
    if (const auto* p = std::get_if<engine::place_order>(&a)) {
        ++self->busy[p->order.client_id];
        self->spawn([self, p = *p]() { return self->place(p); });
    } else if (const auto* c = std::get_if<engine::cancel_order>(&a)) {
        ++self->busy[c->client_id];
        self->spawn([self, c = *c]() { return self->cancel(c, true); });
    } else if (const auto* q = std::get_if<engine::query_position>(&a)) {
        self->spawn([self, q = *q]() { return self->query_position(q); });
    }
}

balance_snapshot binance_port::balance() const { return impl_->bal ? *impl_->bal : balance_snapshot{}; }
port_status binance_port::status() const { return impl_->status(); }
preflight_result binance_port::preflight() const { return impl_->preflight(); }
std::vector<engine::symbol_info> binance_port::symbols() const { return impl_->symbols; }
std::vector<foreign_position> binance_port::untracked() const { return impl_->untracked_list; }
reconciliation_summary binance_port::reconciliation() const { return impl_->summary; }
bool binance_port::reconciled() const { return impl_->reconciled_once; }
bool binance_port::connecting() const { return impl_->started && !impl_->stopped && impl_->config_error.empty(); }

void binance_port::set_on_reconciled(std::function<void(const reconciliation_summary&)> cb) {
    impl_->on_reconciled = std::move(cb);
}

void binance_port::set_on_untracked(std::function<void(const std::vector<foreign_position>&)> cb) {
    impl_->on_untracked = std::move(cb);
}

void binance_port::set_on_balance(std::function<void()> cb) { impl_->on_balance = std::move(cb); }

void binance_port::set_on_symbols(std::function<void(const std::vector<engine::symbol_info>&)> cb) {
    impl_->on_symbols = std::move(cb);
}

void binance_port::request_reconcile(std::string why) { impl_->request_reconcile(std::move(why)); }

}  // namespace traded::daemon
