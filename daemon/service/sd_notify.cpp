#include "daemon/service/sd_notify.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <utility>

namespace traded::daemon::service {

std::variant<std::monostate, notify_address, std::string> parse_notify_socket(const char* value) {
    if (value == nullptr || *value == '\0') return std::monostate{};
    const std::string_view v(value);
    notify_address a;
    a.addr.sun_family = AF_UNIX;
    if (v.front() != '/' && v.front() != '@')
        return "NOTIFY_SOCKET: expected an absolute path or an @abstract name, got \"" + std::string(v) + "\"";
    // An abstract name is not NUL-terminated; a path is (and must fit with its NUL).
    const std::size_t room = sizeof(a.addr.sun_path) - (v.front() == '@' ? 0 : 1);
    if (v.size() > room || v.size() < 2)
        return "NOTIFY_SOCKET: \"" + std::string(v) + "\" is not a usable AF_UNIX address";
    std::memcpy(a.addr.sun_path, v.data(), v.size());
    if (v.front() == '@') a.addr.sun_path[0] = '\0';
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + v.size() + (v.front() == '@' ? 0 : 1));
    return a;
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* watchdog_usec, const char* watchdog_pid,
                                                           long own_pid) {
    if (watchdog_usec == nullptr || *watchdog_usec == '\0') return std::nullopt;
    auto parse = [](std::string_view s) -> std::optional<long long> {
        long long v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size() || v <= 0) return std::nullopt;
        return v;
    };
    auto usec = parse(watchdog_usec);
    if (!usec) return std::nullopt;
    if (watchdog_pid != nullptr && *watchdog_pid != '\0') {
        auto pid = parse(watchdog_pid);
        if (!pid || *pid != own_pid) return std::nullopt;  // meant for another process
    }
    return std::chrono::microseconds(*usec / 2);
}

std::string status_line(std::string_view text) {
    std::string s(text);
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

notify_socket notify_socket::from_environment() {
    auto parsed = parse_notify_socket(std::getenv("NOTIFY_SOCKET"));
    if (auto* a = std::get_if<notify_address>(&parsed)) return notify_socket(*a);
    notify_socket s(std::nullopt);
    if (auto* e = std::get_if<std::string>(&parsed)) s.error_ = *e;
    return s;
}

notify_socket::notify_socket(notify_socket&& o) noexcept
    : address_(o.address_), fd_(std::exchange(o.fd_, -1)), error_(std::move(o.error_)) {}

notify_socket& notify_socket::operator=(notify_socket&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        address_ = o.address_;
        fd_ = std::exchange(o.fd_, -1);
        error_ = std::move(o.error_);
    }
    return *this;
}

notify_socket::~notify_socket() {
    if (fd_ >= 0) ::close(fd_);
}

std::string notify_socket::send(std::string_view state) {
    if (!address_) return {};
    if (fd_ < 0) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return std::string("socket: ") + std::strerror(errno);
    }
    const auto n = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                            reinterpret_cast<const sockaddr*>(&address_->addr), address_->len);
    if (n < 0) return std::string("send to NOTIFY_SOCKET: ") + std::strerror(errno);
    return {};
}

}  // namespace traded::daemon::service
