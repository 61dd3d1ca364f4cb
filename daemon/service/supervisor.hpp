#pragma once
/// The daemon as a systemd service (SPEC §9): tells systemd when it is ready, reloading and
/// stopping, pings the watchdog from a timer on the trading io_context itself (so a stalled loop
/// stops the pings and systemd restarts the process), and turns SIGHUP into a reload and
/// SIGTERM/SIGINT into a graceful stop that ends the loop within a bounded drain time.
///
/// Runs on the single io_context thread, like everything else: no locks.

#include "daemon/service/sd_notify.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace traded::daemon::service {

struct supervisor_hooks {
    /// One-line summary for STATUS= ("paper running, 2 open; real disabled").
    std::function<std::string()> status;
    /// SIGHUP: re-read, validate and apply the configuration (synchronous, on the loop).
    std::function<void()> reload;
    /// SIGTERM/SIGINT: stop accepting work (timers, API, streams); the loop ends after `drain`.
    std::function<void()> stop;
};

struct supervisor_options {
    /// From $WATCHDOG_USEC / 2; nullopt: no watchdog configured.
    std::optional<std::chrono::microseconds> watchdog;
    /// How often STATUS= is refreshed when it changed (and the loop is alive).
    std::chrono::milliseconds status_every{5000};
    /// After a stop, pending completions (WebSocket close frames, final commits) get this long
    /// before the loop is stopped; well inside systemd's and SPEC §9's 5 s.
    std::chrono::milliseconds drain{300};
    /// Test-only hook ($TRADED_TEST_STALL_ON_SIGUSR2_MS): SIGUSR2 blocks the loop this long, so
    /// tests can show that a stalled loop stops the watchdog pings. Never set in production.
    std::optional<std::chrono::milliseconds> test_stall;
};

class supervisor {
public:
    /// Installs the signal handlers at once (before start-up, so an early SIGHUP cannot kill the
    /// process through its default action).
    supervisor(boost::asio::io_context& io, notify_socket sd, supervisor_options opts, supervisor_hooks hooks);

    /// Options from the environment ($WATCHDOG_USEC, $WATCHDOG_PID, the test hook).
    static supervisor_options options_from_environment();

    /// Start-up finished (state restored, reconciliation scheduled, API bound): READY=1 and the
    /// first STATUS=, then the watchdog/status timer.
    void ready();
    /// Start-up failed: STATUS= with the reason (systemd shows it in `systemctl status`).
    void failed(const std::string& why);

private:
    void arm_signals();
    void on_signal(int sig);
    void arm_tick();
    void tick();
    void notify(const std::string& state);
    std::string status_now();

    boost::asio::io_context& io_;
    notify_socket sd_;
    supervisor_options opts_;
    supervisor_hooks hooks_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer drain_timer_;
    std::chrono::steady_clock::time_point last_status_at_{};
    std::string last_status_;
    bool stopping_ = false;
    bool send_failing_ = false;
};

}  // namespace traded::daemon::service
