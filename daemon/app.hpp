#pragma once
/// The composition root: one io_context, the two engines with their ports, the store, the market
/// feed, the opportunity manager and the API server. It implements api::backend, so REST routes
/// and WebSocket requests execute through exactly the same code.
///
/// Everything here runs on the single io_context thread: no mutexes anywhere.

#include "api/command.hpp"
#include "api/market_feed.hpp"
#include "config/config.hpp"
#include "daemon/engine_runner.hpp"
#include "engine/opportunities.hpp"
#include "metrics/loop_lag.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace traded::api {
class server;
}
namespace traded::notify {
class notifier;
}

namespace traded::binance {
class binance_port;
}

namespace traded::daemon {

using binance::binance_port;
using port::balance_snapshot;
class store;
class data_dir_lock;
class paper_port;
class market_hub;

class app final : public api::backend {
public:
    app(boost::asio::io_context& io, config::config cfg);
    ~app() override;

    /// Opens the data dir (lock, store, token), restores and reconciles both engines, starts the
    /// feed and the API server. Returns an error message, empty on success.
    std::string start();
    /// Stops timers and the server (positions stay protected by their exchange-side orders).
    void stop();
    /// The bound API port (after start).
    unsigned short port() const;
    /// SIGHUP (SPEC §9): `next` is a valid configuration (CLI overrides applied). Reloadable keys
    /// apply at once; the others are named in the log as needing a restart and keep their
    /// running values.
    void reload(const config::config& next);
    /// One line for systemd's STATUS=.
    std::string status_summary();
    /// The configuration in force (after reloads).
    const config::config& current_config() const { return cfg_; }

    // api::backend
    api::reply execute(const api::command& cmd) override;
    std::chrono::milliseconds hold(const api::command& cmd, std::chrono::milliseconds waited) override;
    std::string snapshot(engine::channel ch, engine::mode m) override;
    std::string metrics_text() override;
    boost::json::value readiness() override;
    boost::json::value config_json() override;

private:
    engine_runner& runner(engine::mode m);
    /// GET status's JSON text (also pushed and sent as the status snapshot).
    std::string status_text(engine::mode m);
    /// The open positions as a JSON array (GET positions and the positions snapshot).
    std::string open_positions_text(engine::mode m);
    /// The recent opportunities, newest first, as a JSON array.
    std::string opportunities_text();
    /// The close-position answer's JSON text.
    static std::string close_text(const std::string& position_id, engine::position_status status,
                                  bool already_closed, engine::exit_reason reason, const engine::trade* trade);
    void append_market_text(std::string& out, engine::mode m, engine::millis now);
    /// The `data` of the pushed event for `n`, as JSON text.
    void append_notification_text(std::string& out, engine::mode m, const engine::notification& n);
    api::reply command_reply(const engine::output& out, std::string text);
    api::reply submit_opportunity(const api::command& cmd);
    void publish(engine::mode m, const engine::notification& n, std::int64_t seq, engine::millis ts);
    void on_opportunity(const engine::opportunity& opp, const std::vector<engine::mode>& targets);
    void on_market_quote(engine::mode m, const std::string& symbol, const engine::quote& q);
    void audit(const api::command& cmd, const api::reply& r);
    void arm_storage_retry();
    void arm_market_push();
    void arm_loop_lag(std::chrono::steady_clock::time_point deadline);
    void arm_wakeup(engine::mode m);
    void maybe_push_balance(engine::mode m, bool force);
    std::string resolve_token(bool& created);
    void refresh_metrics();

    boost::asio::io_context& io_;
    config::config cfg_;
    std::unique_ptr<data_dir_lock> lock_;
    std::unique_ptr<store> store_;
    std::vector<engine::symbol_info> symbols_;
    std::unique_ptr<paper_port> paper_port_;
    std::unique_ptr<exchange_port> real_port_;
    binance_port* live_port_ = nullptr;  // real_port_ when real trading is enabled
    engine::millis started_at_ = 0;
    std::unique_ptr<engine_runner> paper_;
    std::unique_ptr<engine_runner> real_;
    /// Recent opportunities (strategy signals of every source and manual ones), for the API.
    engine::opportunity_manager opportunities_;
    /// The market-data layer: sources, strategies per source, routing to the engines.
    std::unique_ptr<market_hub> market_;
    /// The simulated account is rebuilt once quotes for the symbols of open paper positions
    /// arrived (at once for synthetic prices; with live or replayed prices, when they come).
    bool paper_restored_ = false;
    std::set<std::string> paper_restore_needs_;
    std::map<std::string, engine::quote> paper_pending_quotes_;
    boost::asio::steady_timer storage_timer_;
    int storage_timer_fires_ = 0;  // the storage retry runs every 4th fire (2 s)
    /// WS `market` channel: every quote the engines see, pushed per symbol every push_interval_ms.
    api::market_feed market_feed_;
    boost::asio::steady_timer market_timer_;
    std::map<engine::mode, std::unique_ptr<boost::asio::steady_timer>> wakeups_;
    std::map<engine::mode, balance_snapshot> last_pushed_balance_;
    std::map<engine::mode, engine::millis> last_balance_push_at_;
    std::map<engine::mode, std::unique_ptr<boost::asio::steady_timer>> balance_timers_;  // trailing push
    std::unique_ptr<api::server> server_;
    std::unique_ptr<notify::notifier> notifier_;
    std::string token_;
    /// Operator metrics (/metrics): pushed by the runners, the exchange port and notifications,
    /// the rest filled in at scrape time by metrics_text().
    metrics::registry metrics_;
    /// Event-loop lag (traded_event_loop_lag_seconds): a 1 ms timer records how late it runs.
    metrics::loop_lag loop_lag_{metrics_};
    metrics::counter commands_;  // traded_commands_total, counted per command
    std::vector<const std::string*> stale_scratch_;  // status_text's stale symbols, reused
    std::string push_text_;  // the data of the event being pushed, rendered here (buffer reused)
    std::map<engine::mode, std::vector<std::size_t>> sorted_symbols_;  // status_text: symbols by name
    boost::asio::steady_timer lag_timer_;
    engine::millis process_started_ms_ = 0;
    bool stopped_ = false;
    /// Real trading: the start-up reconciliation with the exchange has completed (readiness).
    bool reconciled_ = true;
};

/// Wall clock in epoch milliseconds: the only clock the engines ever see, handed in as `now`.
engine::millis wall_clock_ms();

}  // namespace traded::daemon
