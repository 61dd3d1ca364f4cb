#pragma once
/// Pure pre-auth defences of the API server (SPEC §4, issue 10): which Host and Origin a request
/// may carry (DNS rebinding), how fast one peer may present wrong tokens, and how often a refused
/// client may cost a log line. No sockets and no clocks here: time is an argument, so every rule
/// is unit-tested by stepping it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace traded::api {

/// The host part of a Host header or an authority ("127.0.0.1:8000" -> "127.0.0.1",
/// "[::1]:8000" -> "::1", "Example.COM" -> "example.com"), lower-cased; empty when malformed.
std::string host_name(std::string_view host_header);

/// True for the names that always reach this machine: localhost (and *.localhost),
/// 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string_view name);

/// True when a request's Host header names this server: a loopback name, or one of `configured`
/// (server.hostnames, compared case-insensitively, without port). A browser tricked by DNS
/// rebinding sends the attacker's name here, which is why anything else is refused (421).
bool host_allowed(std::string_view host_header, const std::vector<std::string>& configured);

/// True when a browser `Origin` may use the API (WebSocket upgrade, CORS): one of `cors`
/// (exact match, or "*"), or the same origin as the request (`http(s)://<host>`) where that
/// host is itself allowed by host_allowed.
bool origin_allowed(std::string_view origin, std::string_view host_header, bool tls,
                    const std::vector<std::string>& cors, const std::vector<std::string>& hostnames);

/// Per-peer throttle of failed authentications: a token bucket of `burst` failures refilled at
/// `per_second`. While a peer's bucket is empty every token it presents is refused unchecked
/// (429), so guessing runs at `per_second` at most instead of thousands per second.
class auth_throttle {
public:
    using clock = std::chrono::steady_clock;
    auth_throttle(double burst = 10, double per_second = 2, std::size_t max_peers = 4096);

    /// True when `peer` may have a token checked now.
    bool allowed(const std::string& peer, clock::time_point now);
    /// Records a wrong token from `peer`.
    void failed(const std::string& peer, clock::time_point now);
    /// Peers currently tracked (bounded by max_peers).
    std::size_t peers() const { return buckets_.size(); }

private:
    struct bucket {
        double tokens;
        clock::time_point at;
    };
    void refill(bucket& b, clock::time_point now) const;
    double burst_;
    double rate_;
    std::size_t max_peers_;
    std::unordered_map<std::string, bucket> buckets_;
};

/// Rate limit for log lines about refused clients: one line per reason per `period`, the
/// others counted and reported in the next line. Counts every refusal for /metrics.
class refusal_log {
public:
    using clock = std::chrono::steady_clock;
    explicit refusal_log(std::chrono::milliseconds period = std::chrono::seconds(10)) : period_(period) {}

    /// Counts one refusal. Returns the number of refusals of this reason suppressed since the last
    /// line (>= 0) when a line should be written now, or -1 when this one must stay quiet.
    std::int64_t note(std::string_view reason, clock::time_point now);
    /// Refusals by reason since start.
    const std::map<std::string, std::uint64_t, std::less<>>& totals() const { return totals_; }

private:
    struct state {
        clock::time_point last{};
        bool logged = false;
        std::int64_t suppressed = 0;
    };
    std::chrono::milliseconds period_;
    std::map<std::string, state, std::less<>> states_;
    std::map<std::string, std::uint64_t, std::less<>> totals_;
};

}  // namespace traded::api
