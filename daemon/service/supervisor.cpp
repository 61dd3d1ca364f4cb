#include "daemon/service/supervisor.hpp"

#include "log/log.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace traded::daemon::service {

namespace {
std::string monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::to_string(static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
}
}  // namespace

supervisor::supervisor(boost::asio::io_context& io, notify_socket sd, supervisor_options opts, supervisor_hooks hooks)
    : io_(io),
      sd_(std::move(sd)),
      opts_(opts),
      hooks_(std::move(hooks)),
      signals_(io, SIGINT, SIGTERM, SIGHUP),
      tick_timer_(io),
      drain_timer_(io) {
    if (opts_.test_stall) signals_.add(SIGUSR2);
    if (!sd_.error().empty()) log::warn("systemd", "{}; not notifying systemd", sd_.error());
    arm_signals();
}

supervisor_options supervisor::options_from_environment() {
    supervisor_options o;
    o.watchdog = watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), static_cast<long>(::getpid()));
    if (const char* stall = std::getenv("TRADED_TEST_STALL_ON_SIGUSR2_MS"); stall != nullptr && *stall != '\0')
        o.test_stall = std::chrono::milliseconds(std::strtol(stall, nullptr, 10));
    return o;
}

void supervisor::ready() {
    last_status_ = status_now();
    last_status_at_ = std::chrono::steady_clock::now();
    notify("READY=1\nSTATUS=" + last_status_);
    if (sd_.enabled())
        log::info("systemd", "ready{}", opts_.watchdog ? fmt::format("; watchdog ping every {} ms",
                                                                    std::chrono::duration_cast<std::chrono::milliseconds>(*opts_.watchdog).count())
                                                      : std::string());
    arm_tick();
}

void supervisor::failed(const std::string& why) { notify("STATUS=" + status_line("cannot start: " + why)); }

std::string supervisor::status_now() { return hooks_.status ? status_line(hooks_.status()) : std::string(); }

void supervisor::notify(const std::string& state) {
    if (!sd_.enabled()) return;
    auto err = sd_.send(state);
    // Said once per outage, not at every ping: a missing socket must not flood the journal.
    if (!err.empty() && !send_failing_) log::warn("systemd", "{} (the daemon keeps running)", err);
    if (err.empty() && send_failing_) log::info("systemd", "notifications to systemd work again");
    send_failing_ = !err.empty();
}

void supervisor::arm_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
        if (ec) return;
        on_signal(sig);
        arm_signals();
    });
}

void supervisor::on_signal(int sig) {
    if (sig == SIGHUP) {
        if (stopping_) return;
        notify("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec());
        log::info("daemon", "SIGHUP: reloading the configuration");
        if (hooks_.reload) hooks_.reload();
        last_status_ = status_now();
        notify("READY=1\nSTATUS=" + last_status_);
        return;
    }
    if (sig == SIGUSR2 && opts_.test_stall) {
        // Test-only: a stalled trading loop (see supervisor_options::test_stall).
        log::warn("daemon", "test hook: blocking the loop for {} ms", opts_.test_stall->count());
        std::this_thread::sleep_for(*opts_.test_stall);
        return;
    }
    if (stopping_) {  // a second SIGTERM/SIGINT: stop now
        io_.stop();
        return;
    }
    stopping_ = true;
    notify("STOPPING=1\nSTATUS=stopping");
    log::info("daemon", "signal {}: shutting down (exchange-side TP/SL stay in place)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    tick_timer_.cancel();
    if (hooks_.stop) hooks_.stop();
    drain_timer_.expires_after(opts_.drain);
    drain_timer_.async_wait([this](boost::system::error_code) {
        signals_.cancel();
        io_.stop();
    });
}

void supervisor::arm_tick() {
    auto every = std::chrono::duration_cast<std::chrono::microseconds>(opts_.status_every);
    if (opts_.watchdog && *opts_.watchdog < every) every = *opts_.watchdog;
    tick_timer_.expires_after(every);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_) return;
        tick();
        arm_tick();
    });
}

void supervisor::tick() {
    std::string msg;
    if (opts_.watchdog) msg = "WATCHDOG=1";
    const auto now = std::chrono::steady_clock::now();
    if (now - last_status_at_ >= opts_.status_every) {
        last_status_at_ = now;
        auto s = status_now();
        if (s != last_status_) {
            last_status_ = s;
            msg += (msg.empty() ? "" : "\n") + std::string("STATUS=") + s;
        }
    }
    if (!msg.empty()) notify(msg);
}

}  // namespace traded::daemon::service
