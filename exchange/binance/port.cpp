// The real Binance port: its public face, start/stop, the start-up sequence, basics, views.

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

asio::awaitable<bool> binance_port::impl::sleep(engine::millis ms) {
    auto self = shared_from_this();
    asio::steady_timer t(io);
    t.expires_after(milliseconds(std::max<engine::millis>(0, ms)));
    timers.insert(&t);
    co_await t.async_wait(use_tuple);
    timers.erase(&t);
    co_return !stopped;
}

asio::awaitable<retry_decision> binance_port::impl::retry(retry_settings rule, xio::attempt_fn attempt) {
    auto self = shared_from_this();
    co_return co_await xio::perform_retry(std::move(rule), std::move(attempt),
                                          [this](engine::millis ms) { return sleep(ms); });
}

metrics::counter binance_port::impl::count_of(std::string_view family, const std::string& stream) {
    if (opts.metrics == nullptr) return {};
    return opts.metrics->get_counter(family, {{"stream", stream}});
}

void binance_port::impl::observe_rest(const bn::rest_request& req, const xio::rest_response& r, std::chrono::steady_clock::duration took) {
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

void binance_port::impl::emit(engine::event ev) {
    if (stopped || !sink) return;
    last_event_at = now();
    sink(std::move(ev));
}

void binance_port::impl::deliver(logic::order_tracker::output out) {
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

void binance_port::impl::update_connected() {
    const bool c = connected();
    if (c == connected_reported) return;
    connected_reported = c;
    log::info(component, "exchange {}", c ? "connected (user stream reconciled)" : "disconnected");
    emit(engine::exchange_status{c});
}

void binance_port::impl::note_auth(const xio::rest_response& r) {
    if (r.outcome != xio::rest_outcome::answered) return;
    const int code = r.code();
    if (r.status == 401 || code == -2014 || code == -2015 || code == -1022 || code == -2008)
        auth_error = "the exchange refused the API credentials from " + creds.source + ": " + r.describe();
    else if (r.ok())
        auth_error.clear();
}

void binance_port::impl::start() {
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
        config_error = r.error().message;
        log::error(component, "{}", config_error);
        return;
    }
    rest = *r;
    auto tls = xio::make_client_tls_context(opts.exchange.ca_file);
    if (!tls) {
        config_error = tls.error().message;
        log::error(component, "{}", config_error);
        return;
    }
    ws_tls = *tls;
    log::info(component, "real trading exchange: {} ({} symbols), credentials from {}", opts.exchange.rest_url,
              opts.symbols.size(), creds.ok() ? creds.source : "nowhere");
    spawn([self = shared_from_this()]() { return self->run(); });
}

void binance_port::impl::stop() {
    if (stopped) return;
    stopped = true;
    if (rest) rest->stop();
    if (user_driver) user_driver->stop();
    for (auto* t : timers) t->cancel();
    sink = nullptr;
}

asio::awaitable<void> binance_port::impl::run() {
    auto self = shared_from_this();
    rest->start();
    // Signed requests need the clock offset, and everything needs the symbols' filters.
    co_await retry(retry_rules::startup_clock(), [&](int) -> asio::awaitable<attempt_outcome> {
        co_return attempt_outcome{rest->time_synced() ? attempt_outcome::ok : attempt_outcome::pending};
    });
    if (stopped) co_return;
    co_await retry(retry_rules::exchange_info(), [&](int) -> asio::awaitable<attempt_outcome> {
        co_return attempt_outcome{co_await load_exchange_info() ? attempt_outcome::ok : attempt_outcome::transport};
    });
    if (stopped) co_return;
    if (!creds.ok()) co_return;
    co_await check_account();
    if (stopped) co_return;
    start_user_stream();
    spawn([self]() { return self->periodic_loop(); });
}

preflight_result binance_port::impl::preflight() const {
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

port_status binance_port::impl::status() const {
    port_status s;
    s.connected = connected();
    s.market_stream = "disabled";  // market data comes from exchange/market (the daemon's market hub)
    s.user_stream = !creds.ok() && started ? "disabled" : user_status();
    if (s.user_stream == "connected" && !user_trusted) s.user_stream = "reconciling";
    s.last_event_at = last_event_at;
    return s;
}

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

}  // namespace traded::binance
