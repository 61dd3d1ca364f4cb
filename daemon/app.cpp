#include "daemon/app.hpp"

#include "api/guard.hpp"
#include "api/json_text.hpp"
#include "api/server.hpp"
#include "api/views.hpp"
#include "daemon/config_view.hpp"
#include "daemon/service/reload_plan.hpp"
#include "daemon/data_dir.hpp"
#include "daemon/market_hub.hpp"
#include "log/log.hpp"
#include "daemon/offline_port.hpp"
#include "daemon/paper_port.hpp"
#include "daemon/store.hpp"
#include "dashboard/assets.hpp"
#include "exchange/binance/port.hpp"
#include "exchange/paper/matching.hpp"
#include "metrics/catalog.hpp"
#include "notify/notifier.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

namespace traded::daemon {

namespace json = boost::json;
using engine::mode;

engine::millis wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {
constexpr mode all_modes[] = {mode::real, mode::paper};

bool same_balance(const balance_snapshot& a, const balance_snapshot& b) {
    return a.wallet_balance == b.wallet_balance && a.available_balance == b.available_balance &&
           a.unrealized_pnl == b.unrealized_pnl;
}
}  // namespace

app::app(boost::asio::io_context& io, config::config cfg)
    : io_(io), cfg_(std::move(cfg)), storage_timer_(io), market_timer_(io), lag_timer_(io) {
    metrics::declare_all(metrics_);
    commands_ = metrics_.get_counter(metrics::names::commands);
    process_started_ms_ = wall_clock_ms();
}

app::~app() = default;

engine_runner& app::runner(mode m) { return m == mode::paper ? *paper_ : *real_; }

unsigned short app::port() const { return server_ ? server_->port() : 0; }

std::string app::resolve_token(bool& created) {
    created = false;
    if (!cfg_.server.api_token.empty()) return cfg_.server.api_token;
    // systemd credentials (LoadCredential=api_token:...) before the generated file.
    if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
        cfg_.server.api_token_file.empty() && creds != nullptr && *creds != '\0') {
        const std::string path = std::string(creds) + "/api_token";
        if (::access(path.c_str(), F_OK) == 0) {
            auto r = read_token_file(path);
            if (!r) {
                log::error("daemon", "api token: {}", r.error());
                return {};
            }
            return r->token;
        }
    }
    if (!cfg_.server.api_token_file.empty()) {
        auto r = read_token_file(cfg_.server.api_token_file);  // warns on a mode other users can read
        if (!r) return {};
        if (!r->warning.empty()) log::warn("daemon", "api token: {}", r->warning);
        return r->token;
    }
    auto r = read_or_create_token(cfg_.storage.data_dir);
    if (!r) {
        log::error("daemon", "api token: {}", r.error());
        return {};
    }
    if (!r->warning.empty()) log::warn("daemon", "api token: {}", r->warning);
    created = r->created;
    return r->token;
}

std::string app::start() {
    const auto& dir = cfg_.storage.data_dir;
    if (auto err = ensure_data_dir(dir); !err.empty()) return err;
    for (const auto& w : data_dir_warnings(dir)) log::warn("daemon", "{}", w);
    auto lock = data_dir_lock::acquire(dir);
    if (auto* err = std::get_if<std::string>(&lock)) return *err;
    lock_ = std::make_unique<data_dir_lock>(std::move(std::get<data_dir_lock>(lock)));

    open_options store_opts;  // closed positions loaded at start follow the trades window
    store_opts.closed_positions_kept = std::min(store_opts.closed_positions_kept, cfg_.storage.trades_in_memory);
    auto opened = store::open(dir, store_opts);
    if (auto* err = std::get_if<std::string>(&opened)) return *err;
    store_ = std::make_unique<store>(std::move(std::get<store>(opened)));

    bool token_created = false;
    token_ = resolve_token(token_created);
    if (token_.empty())
        return cfg_.server.api_token_file.empty() ? "cannot create the API token in " + dir
                                                  : "server.api_token_file: cannot read a token from " + cfg_.server.api_token_file;
    if (token_.size() < config::min_token_length)
        return fmt::format("the API token from {} has {} characters; at least {} are required (generate one with: "
                           "openssl rand -hex 32)",
                           cfg_.server.api_token_file.empty() ? "server.api_token" : cfg_.server.api_token_file,
                           token_.size(), config::min_token_length);

    symbols_ = paper::default_symbols(cfg_.market.symbols);

    // Notifications first, so nothing after this point can happen untold. A target that cannot
    // work (unset bot token) is disabled with a log line; the daemon starts anyway.
    notifier_ = std::make_unique<notify::notifier>(io_, cfg_.notifications);
    notifier_->start();

    paper::account_config pc;
    pc.starting_balance = cfg_.paper_trading.starting_balance;
    pc.taker_fee = cfg_.paper_trading.taker_fee;
    pc.slippage_bps = cfg_.paper_trading.slippage_bps;
    pc.leverage = cfg_.paper_trading.leverage;
    paper_port_ = std::make_unique<paper_port>(pc, symbols_);
    // [binance_port wiring, minimal; see the exchange-port report] Real trading enabled: the
    // Binance port (it opens no connection before start() below). Disabled: the offline port.
    binance_port* live_port = nullptr;
    if (cfg_.real_trading.enabled) {
        binance::binance_port_options bo;
        bo.exchange = cfg_.exchange;
        bo.symbols = cfg_.market.symbols;
        bo.leverage = cfg_.real_trading.leverage;
        bo.stake_usd = cfg_.real_trading.stake_usd;
        bo.metrics = &metrics_;
        auto bp = std::make_unique<binance_port>(io_, std::move(bo), symbols_, [this]() -> const engine::engine* {
            return real_ ? &real_->engine() : nullptr;
        });
        live_port = bp.get();
        real_port_ = std::move(bp);
    } else {
        real_port_ = std::make_unique<offline_port>(symbols_);
    }

    auto pub = [this](mode m, const engine::notification& n, std::int64_t seq, engine::millis ts) {
        publish(m, n, seq, ts);
    };
    auto engine_config = [this](mode m) {
        auto c = m == mode::paper ? cfg_.paper_trading.to_engine(m) : cfg_.real_trading.to_engine(m);
        c.max_staleness_ms = cfg_.market.max_staleness_ms;
        c.trades_kept = static_cast<std::size_t>(cfg_.storage.trades_in_memory);  // older ones: the store
        return c;
    };
    paper_ = std::make_unique<engine_runner>(mode::paper, engine::engine(engine_config(mode::paper), symbols_),
                                             store_.get(), *paper_port_, pub, wall_clock_ms);
    real_ = std::make_unique<engine_runner>(mode::real, engine::engine(engine_config(mode::real), symbols_),
                                            store_.get(), *real_port_, pub, wall_clock_ms);
    for (auto m : all_modes) {
        runner(m).set_metrics(&metrics_);
        // Exchange events and ticks of one io turn share one commit (docs/architecture.md).
        runner(m).set_poster([this](std::function<void()> f) { boost::asio::post(io_, std::move(f)); });
        // Every quote an engine sees goes to the `market` channel, labelled with its source: real
        // trading only ever sees the exchange's streams (SPEC §1, §8).
        runner(m).set_on_tick([this, m](const engine::market_tick& t) {
            market_feed_.on_quote(m, {t.symbol, t.q.bid, t.q.ask, t.q.mark, {},
                                      m == mode::real ? "exchange" : cfg_.market.source, wall_clock_ms()});
        });
        runner(m).set_on_storage([this, m](bool ok, const std::string& error) {
            if (!ok) notifier_->on_daemon(notify::daemon_note("storage_unavailable", m, wall_clock_ms(), error));
        });
    }

    // Restore before anything else: protecting open positions never waits for an operator.
    for (auto m : all_modes)
        if (auto err = runner(m).restore(); !err.empty())
            return fmt::format("cannot restore {} state: {}", engine::to_string(m), err);
    // Connect only after the engine is restored: the first user-stream connect runs the start-up
    // reconciliation against the restored positions. New entries wait for it; protection of open
    // positions does not.
    live_port_ = live_port;
    started_at_ = wall_clock_ms();
    if (live_port) {
        real_->set_block("RECONCILING", true);
        live_port->set_on_balance([this]() { maybe_push_balance(mode::real, false); });
        live_port->set_on_symbols([this](const std::vector<engine::symbol_info>& s) { real_->set_symbols(s); });
        reconciled_ = false;
        live_port->set_on_untracked([this](const std::vector<port::foreign_position>& list) {
            std::set<std::string> symbols;
            for (const auto& u : list) symbols.insert(u.symbol);
            real_->set_symbol_blocks("UNTRACKED_POSITION", std::move(symbols));
        });
        live_port->set_on_reconciled([this](const port::reconciliation_summary& r) {
            real_->set_block("RECONCILING", false);
            reconciled_ = true;
            log::info("real", "reconciliation ({}): {} fixed, {} untracked, {} problems", r.trigger, r.fixed.size(),
                      r.untracked.size(), r.problems.size());
            // Corrections of real-money state: WARN, and told to the operator.
            for (const auto& f : r.fixed) {
                log::warn("real", "reconciliation fixed: {}", f);
                notifier_->on_daemon(notify::daemon_note("reconciliation_fixed", mode::real, wall_clock_ms(), f));
            }
        });
        live_port->start();
    }


    api::server_options so;
    so.bind_address = cfg_.server.bind;
    so.port = cfg_.server.port;
    so.token = token_;
    so.read_token = cfg_.server.read_token;
    so.cors_origins = cfg_.server.cors_origins;
    so.hostnames = cfg_.server.hostnames;
    so.max_connections = static_cast<std::size_t>(cfg_.server.max_connections);
    so.limits.idle_timeout = std::chrono::seconds(cfg_.server.idle_timeout_s);
    so.tls_cert_file = cfg_.server.tls.cert_file;
    so.tls_key_file = cfg_.server.tls.key_file;
    server_ = std::make_unique<api::server>(io_, so, *this, [](std::string_view path) -> std::optional<api::asset> {
        auto a = dashboard::find_asset(path);
        if (!a) return std::nullopt;
        return api::asset{a->content_type, a->body};
    });
    for (auto m : all_modes) server_->hub().set_last_seq(m, runner(m).last_seq());
    if (auto err = server_->start()) return *err;
    if (!server_->tls() && !api::is_loopback_host(cfg_.server.bind))
        log::warn("api", "listening on {} without TLS: the API token and every answer cross the network in clear "
                  "text; set server.tls or bind 127.0.0.1", cfg_.server.bind);

    const auto scheme = cfg_.server.tls.cert_file.empty() ? "http" : "https";
    // The journal is readable by more people than the 0600 token file: there, only its path.
    if (token_created && log::under_journal())
        log::info("api", "dashboard: {}://127.0.0.1:{}/ (API token generated into {}/api_token; `traded token` prints the URL with it)",
                  scheme, server_->port(), cfg_.storage.data_dir);
    else if (token_created)
        log::info("api", "dashboard: {}://127.0.0.1:{}/#access_token={}", scheme, server_->port(), token_);

    // Market data. The synthetic walk resumes where open positions last saw the market, so a
    // restart does not teleport prices back to the built-in start levels.
    std::map<std::string, decimal> start_prices;
    for (const auto& [id, p] : paper_->engine().positions())
        if (p.status != engine::position_status::closed && p.status != engine::position_status::failed) {
            if (p.mark_price.is_positive()) start_prices[p.symbol] = p.mark_price;
            if (p.status != engine::position_status::opening) paper_restore_needs_.insert(p.symbol);
        }
    // Without open paper positions the simulated account needs no prices to be rebuilt.
    if (paper_restore_needs_.empty()) {
        paper_port_->set_now(wall_clock_ms());
        paper_port_->restore(paper_->engine(), cfg_.paper_trading.starting_balance);
        paper_restored_ = true;
    } else {
        paper_->set_block("WAITING_FOR_MARKET_DATA", true);
    }
    market_sinks sinks;
    sinks.metrics = &metrics_;
    sinks.quote = [this](mode m, const std::string& symbol, const engine::quote& q) { on_market_quote(m, symbol, q); };
    sinks.signal = [this](const engine::opportunity& opp, const std::vector<mode>& targets) {
        on_opportunity(opp, targets);
    };
    market_ = std::make_unique<market_hub>(io_, cfg_, symbols_, start_prices, wall_clock_ms, std::move(sinks));
    // The recorder (market.record_dir) is attached by the hub itself; other watchers that only
    // observe the market attach here, before start(): add_raw_watcher / add_quote_watcher.
    if (auto err = market_->start(); !err.empty()) return err;

    // Autostart paper trading unless it was explicitly stopped before (state survives restart).
    if (cfg_.paper_trading.enabled && cfg_.paper_trading.autostart && paper_->engine().state().started_at == 0 &&
        !paper_->engine().state().running) {
        auto out = paper_->dispatch(engine::start_request{});
        if (!out.result.ok()) log::warn("paper", "autostart refused: {}", out.result.message);
    }
    for (auto m : all_modes) arm_wakeup(m);
    arm_storage_retry();
    arm_market_push();
    arm_loop_lag(std::chrono::steady_clock::now());
    log::info("daemon", "paper trading {}, real trading {}",
              paper_->engine().state().running ? "running" : "stopped",
              cfg_.real_trading.enabled ? (real_->engine().state().running ? "running" : "stopped") : "disabled");
    return {};
}

void app::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (market_) market_->stop();
    storage_timer_.cancel();
    for (auto* r : {paper_.get(), real_.get()})
        if (r != nullptr) {
            r->commit_pending();
            r->flush_revaluations();
        }
    market_timer_.cancel();
    lag_timer_.cancel();
    for (auto& [m, t] : wakeups_) t->cancel();
    if (live_port_) live_port_->stop();
    if (server_) server_->stop();
    if (notifier_) notifier_->stop();
}

// ---------------------------------------------------------------------------------------------
// Market data and timers
// ---------------------------------------------------------------------------------------------

void app::on_market_quote(mode m, const std::string& symbol, const engine::quote& q) {
    const auto now = wall_clock_ms();
    if (m == mode::real) {
        real_->dispatch(engine::market_tick{symbol, q});
        return;
    }
    if (!paper_restored_) {
        // Hold paper quotes until every symbol with an open paper position has one, then rebuild
        // the simulated account (it needs prices) before anything trades on it.
        paper_pending_quotes_[symbol] = q;
        for (const auto& s : paper_restore_needs_)
            if (!paper_pending_quotes_.count(s)) return;
        paper_port_->set_now(now);
        for (const auto& [s, pq] : paper_pending_quotes_) paper_port_->on_quote(s, pq, now);
        paper_port_->restore(paper_->engine(), cfg_.paper_trading.starting_balance);
        paper_restored_ = true;
        paper_->set_block("WAITING_FOR_MARKET_DATA", false);
        for (const auto& [s, pq] : std::exchange(paper_pending_quotes_, {})) paper_->dispatch(engine::market_tick{s, pq});
        return;
    }
    // Execution before market data: fills of triggered TP/SL reach the engine first.
    paper_port_->set_now(now);
    paper_port_->on_quote(symbol, q, now);
    paper_->dispatch(engine::market_tick{symbol, q});
    maybe_push_balance(mode::paper, false);
}

void app::arm_storage_retry() {
    storage_timer_.expires_after(std::chrono::milliseconds(500));
    storage_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        const bool retry = ++storage_timer_fires_ % 4 == 0;
        for (auto m : all_modes) {
            runner(m).flush_revaluations();  // ticks' revaluations: no fsync, at most every 500 ms
            if (retry) runner(m).retry_storage();
        }
        arm_storage_retry();
    });
}

void app::arm_market_push() {
    market_timer_.expires_after(std::chrono::milliseconds(cfg_.market.push_interval_ms));
    market_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        // At most one quote per symbol per interval (SPEC §3): the newest one since the last push.
        if (server_)
            for (auto m : all_modes)
                for (const auto& q : market_feed_.take_changed(m)) {
                    push_text_.clear();
                    api::append_json(push_text_, q);
                    server_->hub().publish_quote(m, q.symbol, q.ts, push_text_);
                }
        arm_market_push();
    });
}

void app::arm_loop_lag(std::chrono::steady_clock::time_point deadline) {
    // The next deadline counts from when this one ran, so one stall is recorded once.
    deadline += std::chrono::nanoseconds(metrics::loop_lag::period_ns);
    lag_timer_.expires_at(deadline);
    lag_timer_.async_wait([this, deadline](boost::system::error_code ec) {
        if (ec || stopped_) return;
        const auto now = std::chrono::steady_clock::now();
        loop_lag_.record((now - deadline).count(), now.time_since_epoch().count());
        arm_loop_lag(now);
    });
}

void app::arm_wakeup(mode m) {
    auto& t = wakeups_[m];
    if (!t) t = std::make_unique<boost::asio::steady_timer>(io_);
    auto at = runner(m).engine().next_wakeup();
    if (!at) return;
    auto delay = std::max<engine::millis>(0, *at - wall_clock_ms());
    t->expires_after(std::chrono::milliseconds(delay));
    t->async_wait([this, m](boost::system::error_code ec) {
        if (ec) return;
        runner(m).dispatch(engine::timer_fired{});
        arm_wakeup(m);
    });
}

void app::maybe_push_balance(mode m, bool force) {
    const auto now = wall_clock_ms();
    auto b = runner(m).port().balance();
    auto& last = last_pushed_balance_[m];
    auto& at = last_balance_push_at_[m];
    // Throttled: balances move with every tick while positions are open. A change inside the
    // second is pushed when it ends (the exchange's latest figure is never left unsaid).
    if (!force && same_balance(b, last)) return;
    if (!force && now - at < 1000) {
        auto& t = balance_timers_[m];
        if (t) return;  // a push is already due
        t = std::make_unique<boost::asio::steady_timer>(io_);
        t->expires_after(std::chrono::milliseconds(1000 - (now - at)));
        t->async_wait([this, m](boost::system::error_code ec) {
            if (ec) return;
            balance_timers_[m].reset();
            maybe_push_balance(m, false);
        });
        return;
    }
    last = b;
    at = now;
    engine::notification n;
    n.ch = engine::channel::account;
    n.event_name = "balance_updated";
    runner(m).announce(n);
}

void app::on_opportunity(const engine::opportunity& opp, const std::vector<mode>& targets) {
    opportunities_.record(opp);
    engine::notification n;
    n.ch = engine::channel::opportunities;
    n.event_name = "opportunity";
    n.payload = opp;
    for (auto m : all_modes) {
        // Only the engines trading on the prices the signal was computed from (market_hub).
        if (std::find(targets.begin(), targets.end(), m) == targets.end()) continue;
        runner(m).announce(n);
        if (!runner(m).engine().state().running) continue;
        auto out = runner(m).dispatch(engine::open_request{opp});
        if (!out.result.ok())
            log::debug("opportunity", "{} {} {}: not opened: {}", engine::to_string(m), opp.symbol,
                       engine::to_string(opp.opp_side), out.result.code);
    }
}

// ---------------------------------------------------------------------------------------------
// Push
// ---------------------------------------------------------------------------------------------

void app::publish(mode m, const engine::notification& n, std::int64_t seq, engine::millis ts) {
    // Only queued here: delivery happens later on the loop, never in the way of this event.
    if (notifier_) notifier_->on_engine(m, n, ts);
    if (!server_) return;
    // Rendered as text straight from the engine's records into one reused buffer (no JSON tree):
    // after a restart with 10k positions every revalued position is pushed.
    push_text_.clear();
    append_notification_text(push_text_, m, n);
    std::string_view position_id;
    if (const auto* p = std::get_if<engine::position_ref>(&n.payload)) position_id = p->pos->position_id;
    server_->hub().publish(m, n.ch, n.event_name, seq, ts, push_text_, position_id);
    if (n.ch == engine::channel::trades || n.event_name == "position_opened") maybe_push_balance(m, true);
}

void app::append_notification_text(std::string& out, mode m, const engine::notification& n) {
    switch (n.ch) {
        case engine::channel::positions:
        case engine::channel::trades:
        case engine::channel::opportunities:
            if (std::holds_alternative<std::monostate>(n.payload))
                out += "null";
            else
                api::append_notification_data(out, n);
            return;
        case engine::channel::safety:
            api::append_json(out, runner(m).engine().safety(wall_clock_ms()));
            api::append_detail(out, n.detail);
            return;
        case engine::channel::account: api::append_json(out, runner(m).port().balance()); return;
        case engine::channel::status: out += status_text(m); return;
        case engine::channel::market: out += "null"; return;  // quotes go through hub().publish_quote
    }
    out += "null";
}

std::string app::snapshot(engine::channel ch, mode m) {
    runner(m).commit_pending();
    const auto& e = runner(m).engine();
    const auto now = wall_clock_ms();
    std::string out;
    switch (ch) {
        case engine::channel::positions: out = open_positions_text(m); break;
        case engine::channel::trades: api::append_json(out, runner(m).trades(200, 0)); break;
        case engine::channel::safety: api::append_json(out, e.safety(now)); break;
        case engine::channel::account: api::append_json(out, runner(m).port().balance()); break;
        case engine::channel::status: out = status_text(m); break;
        case engine::channel::market: out = market_feed_.snapshot(m); break;
        case engine::channel::opportunities: out = opportunities_text(); break;
    }
    return out;
}

std::string app::open_positions_text(mode m) {
    std::string out = "[";
    for (const auto& [id, p] : runner(m).engine().positions()) {
        if (p.status == engine::position_status::closed || p.status == engine::position_status::failed) continue;
        if (out.size() > 1) out.push_back(',');
        api::append_json(out, p);
    }
    out.push_back(']');
    return out;
}

std::string app::opportunities_text() {
    // Newest first, as GET /api/v1/opportunities answers.
    std::string out = "[";
    const auto& rec = opportunities_.recent();
    for (auto it = rec.rbegin(); it != rec.rend(); ++it) {
        if (out.size() > 1) out.push_back(',');
        api::append_json(out, *it);
    }
    out.push_back(']');
    return out;
}

std::string app::status_text(mode m) {
    // Written straight from engine and daemon state into the answer's text: GET status is the
    // most frequent request (dashboards poll it), so no JSON tree and no per-key allocation.
    std::string out;
    out.reserve(1024 + 40 * symbols_.size());
    const auto& e = runner(m).engine();
    const auto now = wall_clock_ms();
    const auto ps = runner(m).port().status();
    api::status_info s;
    s.mode = m;
    s.enabled = e.config().enabled;
    s.running = e.state().running;
    s.emergency_stopped = e.state().emergency_stopped;
    s.started_at = e.state().started_at;
    s.uptime_s = e.state().running && e.state().started_at > 0 ? (now - e.state().started_at) / 1000 : 0;
    int open = 0;
    for (const auto& [id, p] : e.positions())
        if (p.status == engine::position_status::opening || p.status == engine::position_status::open ||
            p.status == engine::position_status::closing)
            ++open;
    s.open_positions = open;
    s.config = e.effective_config();
    s.exchange.connected = ps.connected;
    s.exchange.market_stream = ps.market_stream;
    // The engine's prices come from the market-data layer, whatever its port is.
    if (market_) {
        if (auto k = market_->source_of(m)) {
            const auto ms = market_->status_of(m);
            s.exchange.market_stream = *k == market::source_kind::exchange ? (ms.connected ? "connected" : "connecting")
                                                                            : std::string(market::to_string(*k));
        }
    }
    s.exchange.user_stream = ps.user_stream;
    if (ps.last_event_at > 0) s.exchange.last_event_age_ms = now - ps.last_event_at;
    s.untracked = runner(m).port().untracked();
    out.push_back('{');
    api::append_members(out, s);
    // What the start-up (and every later) reconciliation with the exchange found.
    api::append_key(out, "reconciliation");
    out.push_back('{');
    auto list = [&out](std::string_view k, const auto& items, auto&& text_of) {
        api::append_key(out, k);
        out.push_back('[');
        for (const auto& i : items) {
            if (out.back() != '[') out.push_back(',');
            api::append_quoted(out, text_of(i));
        }
        out.push_back(']');
    };
    auto same = [](const std::string& x) -> const std::string& { return x; };
    if (m == mode::real && live_port_) {
        auto r = live_port_->reconciliation();
        api::append_key(out, "ran_at");
        if (r.ran_at > 0)
            api::append_integer(out, r.ran_at);
        else
            out += "null";
        api::append_key(out, "trigger");
        api::append_quoted(out, r.trigger);
        list("problems", r.problems, same);
        list("fixed", r.fixed, same);
        list("untracked", r.untracked, [](const auto& u) {
            return u.symbol + " " + u.amount.to_string() + " @ " + u.entry_price.to_string();
        });
    } else {
        api::append_key(out, "ran_at");
        api::append_integer(out, started_at_);
        api::append_key(out, "trigger");
        api::append_quoted(out, m == mode::paper ? "start (paper state restored from the store)"
                                                 : "none (real trading disabled)");
        list("fixed", std::vector<std::string>{}, same);
        list("untracked", std::vector<std::string>{}, same);
    }
    out.push_back('}');
    if (notifier_) {
        api::append_key(out, "notifications");
        api::append_text(out, notifier_->status_json());
    }
    api::append_key(out, "market");
    append_market_text(out, m, now);
    api::append_key(out, "storage_ok");
    out += runner(m).storage_ok() ? "true" : "false";
    if (!runner(m).storage_ok()) {
        api::append_key(out, "storage_error");
        api::append_quoted(out, runner(m).storage_error());
    }
    out.push_back('}');
    return out;
}

void app::append_market_text(std::string& out, mode m, engine::millis now) {
    // SPEC §8: the engine's price source with its connection and age, per-symbol quote ages, and
    // which symbols are stale (new entries blocked there); every running source is listed too.
    const auto& e = runner(m).engine();
    auto source_members = [&out, now](const market::source_status& st) {
        api::append_key(out, "connected");
        out += st.connected ? "true" : "false";
        api::append_key(out, "detail");
        api::append_quoted(out, st.detail);
        api::append_key(out, "last_update_age_ms");
        if (st.last_update_ms > 0)
            api::append_integer(out, now - st.last_update_ms);
        else
            out += "null";
    };
    const auto kind = market_ ? market_->source_of(m) : std::nullopt;
    out.push_back('{');
    api::append_key(out, "source");
    if (kind)
        api::append_quoted(out, market::to_string(*kind));
    else
        out += "null";
    if (kind) source_members(market_->status_of(m));
    api::append_key(out, "max_staleness_ms");
    api::append_integer(out, cfg_.market.max_staleness_ms);
    // One merge walk of the configured symbols (sorted once) against the engine's quote times
    // (a sorted map): one comparison per step instead of a map lookup per symbol. Staleness is
    // engine::stale's rule (no quote, or older than max_staleness_ms) on the same entry.
    const auto max_age = e.config().max_staleness_ms;
    const auto& received = e.quote_received_at();
    const auto& symbols = e.symbols();
    auto& sorted = sorted_symbols_[m];  // indexes into symbols, in name order
    auto rebuild = [&] {
        sorted.resize(symbols.size());
        for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i] = i;
        std::sort(sorted.begin(), sorted.end(),
                  [&](std::size_t a, std::size_t b) { return symbols[a].symbol < symbols[b].symbol; });
    };
    if (sorted.size() != symbols.size()) rebuild();
    api::append_key(out, "quote_age_ms");
    const auto start = out.size();
    for (int attempt = 0; attempt < 2; ++attempt) {
        out.resize(start);
        out.push_back('{');
        stale_scratch_.clear();
        bool in_order = true;
        const std::string* previous = nullptr;
        auto it = received.begin();
        for (auto i : sorted) {
            const auto& sym = symbols[i].symbol;
            if (previous && sym < *previous) {
                in_order = false;  // the engine's symbols changed since the sort
                break;
            }
            previous = &sym;
            int order = -1;  // it->first compared with sym
            while (it != received.end() && (order = it->first.compare(sym)) < 0) ++it;
            const bool has = it != received.end() && order == 0;
            api::append_key(out, sym);
            if (has)
                api::append_integer(out, now - it->second);
            else
                out += "null";
            if (kind && max_age > 0 && (!has || now - it->second > max_age)) stale_scratch_.push_back(&sym);
        }
        if (in_order) break;
        rebuild();
    }
    out.push_back('}');
    api::append_key(out, "stale_symbols");
    out.push_back('[');
    for (const auto* sym : stale_scratch_) {
        if (out.back() != '[') out.push_back(',');
        api::append_quoted(out, *sym);
    }
    out.push_back(']');
    api::append_key(out, "sources");
    out.push_back('[');
    if (market_)
        for (const auto& v : market_->sources()) {
            if (out.back() != '[') out.push_back(',');
            out.push_back('{');
            source_members(v.status);
            api::append_key(out, "kind");
            api::append_quoted(out, market::to_string(v.kind));
            api::append_key(out, "feeds");
            out.push_back('[');
            for (auto f : v.feeds) {
                if (out.back() != '[') out.push_back(',');
                api::append_quoted(out, engine::to_string(f));
            }
            out.push_back(']');
            out.push_back('}');
        }
    out.push_back(']');
    // market.record_dir (SPEC §8): lines written and dropped, null when not recording.
    api::append_key(out, "recording");
    if (auto r = market_ ? market_->recording() : std::nullopt) {
        out.push_back('{');
        api::append_key(out, "dir");
        api::append_quoted(out, r->dir);
        api::append_key(out, "lines_written");
        api::append_integer(out, static_cast<std::int64_t>(r->stats.lines_written));
        api::append_key(out, "lines_dropped");
        api::append_integer(out, static_cast<std::int64_t>(r->stats.lines_dropped));
        api::append_key(out, "bytes_pending");
        api::append_integer(out, static_cast<std::int64_t>(r->stats.bytes_pending));
        api::append_key(out, "last_error");
        if (r->last_error.empty())
            out += "null";
        else
            api::append_quoted(out, r->last_error);
        out.push_back('}');
    } else {
        out += "null";
    }
    out.push_back('}');
}

// ---------------------------------------------------------------------------------------------
// Commands (REST and WebSocket alike)
// ---------------------------------------------------------------------------------------------

std::string app::close_text(const std::string& position_id, engine::position_status status, bool already_closed,
                            engine::exit_reason reason, const engine::trade* trade) {
    // {"position_id","status","already_closed","exit_reason"?,"trade"?}
    std::string text = "{\"position_id\":";
    api::append_quoted(text, position_id);
    text += ",\"status\":";
    api::append_quoted(text, engine::to_string(status));
    text += ",\"already_closed\":";
    text += already_closed ? "true" : "false";
    if (reason != engine::exit_reason::none) {
        text += ",\"exit_reason\":";
        api::append_quoted(text, engine::to_string(reason));
    }
    if (trade) {
        text += ",\"trade\":";
        api::append_json(text, *trade);
    }
    text.push_back('}');
    return text;
}

api::reply app::command_reply(const engine::output& out, std::string text) {
    if (!out.result.ok()) return api::reply::error(out.result.http_status, out.result.code, out.result.message);
    return api::reply::ok_text(std::move(text));
}

void app::audit(const api::command& cmd, const api::reply& r) {
    if (!store_) return;
    switch (cmd.name) {
        case api::op::close_position:
        case api::op::start:
        case api::op::stop:
        case api::op::emergency_stop:
        case api::op::set_safety_limits:
        case api::op::submit_opportunity: break;
        default: return;  // queries are not audited
    }
    std::string what(api::to_string(cmd.name));
    if (const auto* c = std::get_if<api::close_params>(&cmd.args)) what += " " + c->position_id;
    std::string outcome = r.is_ok() ? "ok" : r.code;
    // A refused command changed nothing: its row needs no fsync of its own (B5 in
    // docs/benchmarks.md: a flood of refused requests was bound by one fsync each).
    auto err = store_->audit(wall_clock_ms(), cmd.mode, audit_kind::control, what, outcome,
                             cmd.from.transport + " " + cmd.from.remote, r.is_ok());
    if (!err.empty()) log::warn("store", "audit write failed: {}", err);
}

api::reply app::execute(const api::command& cmd) {
    commands_.inc();
    // No answer shows a step that is not committed yet (the io turn's batch, see engine_runner).
    for (auto m : all_modes) runner(m).commit_pending();
    auto r = [&]() -> api::reply {
        if (api::needs_mode(cmd.name) && !cmd.mode)
            return api::reply::error(400, "INVALID_PARAMETER", "mode: required for this operation");
        const auto now = wall_clock_ms();
        switch (cmd.name) {
            case api::op::status: return api::reply::ok_text(status_text(*cmd.mode));
            // Every answer below is written straight from engine state into its text (no JSON tree).
            case api::op::safety_status: {
                std::string text;
                api::append_json(text, runner(*cmd.mode).engine().safety(now));
                return api::reply::ok_text(std::move(text));
            }
            case api::op::account_balance: {
                std::string text;
                api::append_json(text, runner(*cmd.mode).port().balance());
                return api::reply::ok_text(std::move(text));
            }
            case api::op::performance: {
                std::string text;
                api::append_json(text, runner(*cmd.mode).engine().performance(now));
                return api::reply::ok_text(std::move(text));
            }
            case api::op::positions: return api::reply::ok_text(open_positions_text(*cmd.mode));
            case api::op::trades: {
                const auto& p = std::get<api::trades_params>(cmd.args);
                std::string text;  // newest first
                api::append_json(text, runner(*cmd.mode).trades(p.limit, p.since));
                return api::reply::ok_text(std::move(text));
            }
            case api::op::close_position: {
                const auto& p = std::get<api::close_params>(cmd.args);
                auto& rn = runner(*cmd.mode);
                auto out = rn.dispatch(engine::close_request{p.position_id, engine::exit_reason::manual});
                if (out.result.code == "POSITION_NOT_FOUND" && store_) {
                    // Closed long ago and pruned from memory: the store still knows it (idempotent close).
                    if (auto stored = store_->find_position(*cmd.mode, p.position_id);
                        stored && (stored->position.status == engine::position_status::closed ||
                                   stored->position.status == engine::position_status::failed)) {
                        return api::reply::ok_text(close_text(p.position_id, stored->position.status, true,
                                                              stored->position.reason,
                                                              stored->trade ? &*stored->trade : nullptr));
                    }
                }
                if (!out.result.ok()) return command_reply(out, {});
                const auto* pos = rn.engine().find_position(p.position_id);
                const engine::trade* trade = nullptr;
                std::optional<engine::trade> stored_trade;
                if (pos && pos->status == engine::position_status::closed) {
                    for (const auto& t : rn.engine().trades())
                        if (t.position_id == p.position_id) trade = &t;
                    // Its trade may have left the in-memory window (storage.trades_in_memory).
                    if (!trade && store_)
                        if (auto stored = store_->find_position(*cmd.mode, p.position_id); stored && stored->trade)
                            stored_trade = std::move(stored->trade);
                    if (stored_trade) trade = &*stored_trade;
                }
                return api::reply::ok_text(close_text(p.position_id,
                                                      pos ? pos->status : engine::position_status::closed,
                                                      out.result.already_closed,
                                                      pos ? pos->reason : engine::exit_reason::none, trade));
            }
            case api::op::start: {
                const auto& p = std::get<api::start_params>(cmd.args);
                auto& rn = runner(*cmd.mode);
                std::vector<std::string> warnings;
                // The latch answers first: it does not depend on the exchange being reachable.
                if (rn.engine().config().enabled && rn.engine().state().emergency_stopped && !p.clear_emergency)
                    return api::reply::error(409, "EMERGENCY_LATCHED",
                                             "emergency stop is latched; send {\"clear_emergency\": true} to start");
                if (*cmd.mode == mode::real && rn.engine().config().enabled) {
                    auto pf = rn.port().preflight();
                    if (!pf.code.empty()) {
                        int status = pf.code == "EXCHANGE_UNAVAILABLE" ? 503 : 409;
                        return api::reply::error(status, pf.code, pf.message);
                    }
                    warnings = pf.warnings;
                }
                auto out = rn.dispatch(engine::start_request{p.clear_emergency});
                if (!out.result.ok()) return command_reply(out, {});
                warnings.insert(warnings.end(), out.result.warnings.begin(), out.result.warnings.end());
                std::string text = status_text(*cmd.mode);
                api::reopen_with_key(text, "warnings");
                text.push_back('[');
                for (const auto& w : warnings) {
                    if (text.back() != '[') text.push_back(',');
                    api::append_quoted(text, w);
                }
                text += "]}";
                arm_wakeup(*cmd.mode);
                return api::reply::ok_text(std::move(text));
            }
            case api::op::stop: {
                auto out = runner(*cmd.mode).dispatch(engine::stop_request{});
                return command_reply(out, status_text(*cmd.mode));
            }
            case api::op::emergency_stop: {
                auto out = runner(*cmd.mode).dispatch(engine::emergency_stop_request{});
                return command_reply(out, status_text(*cmd.mode));
            }
            case api::op::set_safety_limits: {
                const auto& p = std::get<api::limits_params>(cmd.args);
                auto out = runner(*cmd.mode).dispatch(engine::set_limits_request{p.update});
                std::string text;
                api::append_json(text, runner(*cmd.mode).engine().safety(wall_clock_ms()));
                return command_reply(out, std::move(text));
            }
            case api::op::opportunities: return api::reply::ok_text(opportunities_text());
            case api::op::submit_opportunity: return submit_opportunity(cmd);
        }
        return api::reply::error(400, "UNKNOWN_OP", "unknown operation");
    }();
    audit(cmd, r);
    return r;
}

std::chrono::milliseconds app::hold(const api::command& cmd, std::chrono::milliseconds waited) {
    // SPEC §1: a real `start` that arrives while the exchange connection is still being
    // established (for example in the first second after launch) waits for it, up to
    // exchange.connect_timeout_ms; execute() then answers, with 503 only if it never came.
    if (cmd.name != api::op::start || cmd.mode != mode::real || !live_port_ || !real_) return {};
    if (!real_->engine().config().enabled || waited.count() >= cfg_.exchange.connect_timeout_ms) return {};
    const auto& p = std::get<api::start_params>(cmd.args);
    if (real_->engine().state().emergency_stopped && !p.clear_emergency) return {};  // answered at once
    if (!live_port_->connecting() || live_port_->preflight().code != "EXCHANGE_UNAVAILABLE") return {};
    return std::chrono::milliseconds(100);
}

api::reply app::submit_opportunity(const api::command& cmd) {
    const auto& p = std::get<api::opportunity_params>(cmd.args);
    const bool known = std::any_of(symbols_.begin(), symbols_.end(), [&](const auto& s) { return s.symbol == p.symbol; });
    if (!known) return api::reply::error(400, "UNKNOWN_SYMBOL", "symbol: " + p.symbol + " is not a configured symbol");
    engine::opportunity opp;
    opp.symbol = p.symbol;
    opp.opp_side = p.opp_side;
    opp.reason = p.reason.empty() ? "manual" : p.reason;
    opp.ts = wall_clock_ms();
    opp.score = 0;
    opp.source = "manual";  // the operator's decision: may go to the real engine (SPEC §1)

    opportunities_.record(opp);
    engine::notification n;
    n.ch = engine::channel::opportunities;
    n.event_name = "opportunity";
    n.payload = opp;

    // {"opportunity":{...},"results":[{"mode","accepted","error":{code,message}|"position"},...]}
    std::string text = "{\"opportunity\":";
    api::append_json(text, opp);
    text += ",\"results\":[";
    for (auto m : all_modes) {
        if (p.target && *p.target != m) continue;
        auto& rn = runner(m);
        rn.announce(n);
        if (!rn.engine().state().running && !p.target) continue;
        auto out = rn.dispatch(engine::open_request{opp});
        if (text.back() != '[') text.push_back(',');
        text += "{\"mode\":";
        api::append_quoted(text, engine::to_string(m));
        text += ",\"accepted\":";
        text += out.result.ok() ? "true" : "false";
        if (!out.result.ok()) {
            text += ",\"error\":{\"code\":";
            api::append_quoted(text, out.result.code);
            text += ",\"message\":";
            api::append_quoted(text, out.result.message);
            text.push_back('}');
        } else if (const auto* pos = rn.engine().find_position(out.result.position_id)) {
            text += ",\"position\":";
            api::append_json(text, *pos);
        }
        text.push_back('}');
    }
    text += "]}";
    return api::reply::ok_text(std::move(text));
}

void app::refresh_metrics() {
    namespace n = metrics::names;
    const auto now = wall_clock_ms();
    auto b = [](bool v) { return v ? 1.0 : 0.0; };
    metrics_.set(n::build_info, {{"version", TRADED_VERSION}}, 1);
    metrics_.set(n::start_time, {}, static_cast<double>(process_started_ms_) / 1000.0);
    metrics_.get_counter(n::commands);  // written as 0 before the first command
    // Symbols can change (exchangeInfo): rebuilt at every scrape.
    metrics_.clear(n::market_staleness);
    for (auto m : all_modes) {
        if (!paper_ || !real_) break;
        auto& rn = runner(m);
        const auto& e = rn.engine();
        const metrics::labels l{{"mode", std::string(engine::to_string(m))}};
        const auto safety = e.safety(now);
        int open = 0;
        decimal unrealized;
        for (const auto& [id, p] : e.positions())
            if (p.status == engine::position_status::opening || p.status == engine::position_status::open ||
                p.status == engine::position_status::closing) {
                ++open;
                unrealized += p.pnl;
            }
        metrics_.set(n::open_positions, l, open);
        metrics_.set(n::unrealized_pnl, l, unrealized.to_double());
        metrics_.set(n::daily_realized_pnl, l, safety.daily_realized_pnl.to_double());
        metrics_.set(n::daily_loss_limit_hit, l, b(safety.daily_loss_limit_hit));
        metrics_.set(n::emergency_latched, l, b(e.state().emergency_stopped));
        metrics_.set(n::engine_running, l, b(e.state().running));
        metrics_.set(n::storage_ok, l, b(rn.storage_ok()));
        // A counter set from state: trades are restored at start, so it never goes backwards
        // within a process (Prometheus handles the reset at restart).
        metrics_.get_counter(n::trades, l).inc(static_cast<double>(e.trade_count()) -
                                                metrics_.get_counter(n::trades, l).value());
        const auto ps = rn.port().status();
        metrics_.set(n::exchange_connected, l, b(ps.connected));
        if (m == mode::real) metrics_.set(n::user_stream_connected, l, b(ps.user_stream == "connected"));
        const auto last = std::max(ps.last_event_at, rn.last_event_at());
        if (last > 0) metrics_.set(n::last_event_age, l, static_cast<double>(now - last) / 1000.0);
        // Only an engine that trades watches its market: a disabled real engine has no symbols.
        if (!e.config().enabled) continue;
        for (const auto& s : symbols_) {
            auto it = rn.last_tick_at().find(s.symbol);
            // Never seen a tick: stale since the process started.
            const auto since = it != rn.last_tick_at().end() ? it->second : process_started_ms_;
            metrics_.set(n::market_staleness, {{"mode", std::string(engine::to_string(m))}, {"symbol", s.symbol}},
                         static_cast<double>(now - since) / 1000.0);
        }
    }
    if (auto r = market_ ? market_->recording() : std::nullopt) {
        auto written = metrics_.get_counter(n::market_recorded);
        written.inc(static_cast<double>(r->stats.lines_written) - written.value());
        auto dropped = metrics_.get_counter(n::market_record_dropped);
        dropped.inc(static_cast<double>(r->stats.lines_dropped) - dropped.value());
    }
    if (notifier_) notifier_->export_metrics(metrics_);
    if (server_) {
        const auto st = server_->stats();
        metrics_.set(n::http_connections, {}, static_cast<double>(st.connections));
        metrics_.set(n::ws_clients, {}, static_cast<double>(st.ws_clients));
        metrics_.set(n::ws_queue_max, {}, static_cast<double>(st.ws_queue_messages_max));
        metrics_.set(n::ws_fanout_pending, {}, static_cast<double>(server_->hub().pending_fanout()));
        auto dropped = metrics_.get_counter(n::ws_dropped);
        dropped.inc(static_cast<double>(st.ws_clients_dropped_total) - dropped.value());
        for (const auto& [code, count] : st.http_requests) {
            auto c = metrics_.get_counter(n::http_requests, {{"code", std::to_string(code)}});
            c.inc(static_cast<double>(count) - c.value());
        }
        metrics_.set(n::api_unauthenticated, {}, static_cast<double>(st.unauthenticated));
        for (const auto& [reason, count] : st.refused) {
            auto c = metrics_.get_counter(n::api_refused, {{"reason", reason}});
            c.inc(static_cast<double>(count) - c.value());
        }
    }
}

std::string app::metrics_text() {
    refresh_metrics();
    return metrics_.text();
}

// ---------------------------------------------------------------------------------------------
// Service: reload, readiness, status, effective configuration (SPEC §9)
// ---------------------------------------------------------------------------------------------

void app::reload(const config::config& next) {
    const auto plan = service::plan_reload(cfg_, next);
    if (!plan.changed()) {
        log::info("daemon", "reload: the configuration is unchanged");
        return;
    }
    const config::config old = cfg_;
    cfg_ = service::reloaded(cfg_, next);
    if (old.log != cfg_.log) log::configure(cfg_.log.level, cfg_.log.format);
    // Strategy params: every source's strategy starts over with them (the recent list survives).
    if (old.opportunities != cfg_.opportunities && market_) market_->set_strategy(cfg_.opportunities);
    if (old.notifications != cfg_.notifications && notifier_) {
        // Events still queued for the old targets are dropped with them (said in the log).
        notifier_->stop();
        notifier_ = std::make_unique<notify::notifier>(io_, cfg_.notifications);
        notifier_->start();
    }
    for (auto m : all_modes) {
        if (!paper_ || !real_) break;
        const config::trading_config& t = m == mode::paper ? static_cast<const config::trading_config&>(cfg_.paper_trading)
                                                           : cfg_.real_trading;
        const config::trading_config& was = m == mode::paper ? static_cast<const config::trading_config&>(old.paper_trading)
                                                             : old.real_trading;
        if (t.stake_usd == was.stake_usd && t.max_positions == was.max_positions && t.max_daily_loss == was.max_daily_loss)
            continue;
        runner(m).set_config_limits(t.stake_usd, t.max_positions, t.max_daily_loss);
        const auto& ov = runner(m).engine().state().overrides;
        if (ov.stake_usd || ov.max_positions || ov.max_daily_loss)
            log::warn("daemon", "reload: {} safety limits set at run time (PUT safety-limits) stay in force over the file",
                      engine::to_string(m));
    }
    if (!plan.apply.empty()) log::info("daemon", "reload: applied {}", fmt::join(plan.apply, ", "));
    if (!plan.restart.empty())
        log::warn("daemon", "reload: changed but needing a restart (running values kept): {}", fmt::join(plan.restart, ", "));
}

std::string app::status_summary() {
    if (!paper_ || !real_) return "starting";
    if (stopped_) return "stopping";
    auto part = [this](mode m) {
        const auto& e = runner(m).engine();
        const char* name = m == mode::paper ? "paper" : "real";
        if (!e.config().enabled) return fmt::format("{} disabled", name);
        int open = 0;
        for (const auto& [id, p] : e.positions())
            if (p.status == engine::position_status::opening || p.status == engine::position_status::open ||
                p.status == engine::position_status::closing)
                ++open;
        const char* state = e.state().emergency_stopped ? "EMERGENCY STOPPED" : e.state().running ? "running" : "stopped";
        return fmt::format("{} {}, {} open", name, state, open);
    };
    auto ready = readiness();
    std::string s = part(mode::paper) + "; " + part(mode::real) + "; API port " + std::to_string(port());
    if (!ready.as_object().at("ready").as_bool()) {
        s += "; not ready:";
        for (const auto& r : ready.as_object().at("reasons").as_array()) s += " " + std::string(r.as_string());
    }
    return s;
}

json::value app::readiness() {
    json::array reasons;
    if (stopped_) reasons.push_back("STOPPING");
    if (!paper_ || !real_) {
        reasons.push_back("STARTING");
    } else {
        const auto now = wall_clock_ms();
        for (auto m : all_modes)
            if (!runner(m).storage_ok()) {
                reasons.push_back("STORAGE_UNAVAILABLE");
                break;
            }
        if (!reconciled_) reasons.push_back("RECONCILING");
        // Market data: every engine that trades must have seen a recent tick of some symbol.
        const engine::millis fresh_ms =
            cfg_.market.source == "synthetic" ? std::max<engine::millis>(5000, 10LL * cfg_.market.synthetic.interval_ms) : 30000;
        for (auto m : all_modes) {
            auto& rn = runner(m);
            if (!rn.engine().config().enabled) continue;
            engine::millis newest = 0;
            for (const auto& [sym, at] : rn.last_tick_at()) newest = std::max(newest, at);
            const auto since = newest > 0 ? newest : process_started_ms_;
            // Also not ready once every symbol has been quiet for market.max_staleness_ms (the
            // engine then refuses every entry); a symbol never quoted counts from the start.
            const auto& syms = rn.engine().symbols();
            const auto& quoted_at = rn.engine().quote_received_at();
            const auto max_quiet = rn.engine().config().max_staleness_ms;
            const bool all_stale = max_quiet > 0 && !syms.empty() && std::all_of(syms.begin(), syms.end(), [&](const auto& s) {
                const auto q = quoted_at.find(s.symbol);
                return now - (q == quoted_at.end() ? process_started_ms_ : q->second) > max_quiet;
            });
            if (now - since > fresh_ms || all_stale) {
                reasons.push_back("MARKET_DATA_STALE");
                break;
            }
        }
    }
    json::object o;
    o["ready"] = reasons.empty();
    o["reasons"] = std::move(reasons);
    return o;
}

json::value app::config_json() { return daemon::config_json(cfg_); }

}  // namespace traded::daemon
