#pragma once
/// The systemd notification protocol (sd_notify(3)) without libsystemd: newline-separated
/// `KEY=VALUE` assignments sent as one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET.
/// Used for READY=1, WATCHDOG=1, STATUS=, RELOADING=1 and STOPPING=1 (SPEC §9).
///
/// The parsing of the environment is pure (tests feed it strings); only notify_socket::send
/// touches a socket.

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace traded::daemon::service {

/// A parsed $NOTIFY_SOCKET: a filesystem path ("/run/systemd/notify") or an abstract socket
/// ("@name", sent with a leading NUL byte).
struct notify_address {
    sockaddr_un addr{};
    socklen_t len = 0;
};

/// Parses $NOTIFY_SOCKET. nullopt when unset or empty (not running under systemd: nothing to
/// do); an error message for a value that cannot be an AF_UNIX address (relative path, too long).
std::variant<std::monostate, notify_address, std::string> parse_notify_socket(const char* value);

/// The watchdog ping interval for this process: half of $WATCHDOG_USEC, as sd_watchdog_enabled(3)
/// recommends; nullopt when no watchdog is configured or $WATCHDOG_PID names another process.
std::optional<std::chrono::microseconds> watchdog_interval(const char* watchdog_usec, const char* watchdog_pid,
                                                           long own_pid);

/// A status line for STATUS=: newlines would start a new assignment, so they become spaces.
std::string status_line(std::string_view text);

/// The sending end. Disabled (every send a no-op) when $NOTIFY_SOCKET is unset.
class notify_socket {
public:
    /// From the process environment. A bad $NOTIFY_SOCKET leaves it disabled with `error()` set
    /// (the daemon logs it and runs on: systemd then sees no READY and applies its own timeout).
    static notify_socket from_environment();
    explicit notify_socket(std::optional<notify_address> address) : address_(address) {}
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;
    notify_socket(notify_socket&& o) noexcept;
    notify_socket& operator=(notify_socket&& o) noexcept;
    ~notify_socket();

    bool enabled() const { return address_.has_value(); }
    /// Sends one datagram ("READY=1\nSTATUS=..."). Returns "" or why it failed (missing socket,
    /// refused); never blocks (MSG_DONTWAIT) so a stuck receiver cannot stall the trading loop.
    std::string send(std::string_view state);
    /// Why $NOTIFY_SOCKET was not usable ("" when it was fine or unset).
    const std::string& error() const { return error_; }

private:
    std::optional<notify_address> address_;
    int fd_ = -1;
    std::string error_;
};

}  // namespace traded::daemon::service
