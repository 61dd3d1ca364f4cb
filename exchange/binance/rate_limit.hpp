#pragma once
/// Request-rate governor for the Binance REST API (binance-usdm.md §3.2, §3.3): a pure state
/// machine fed with what each response said (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S/-1M,
/// HTTP status, Retry-After) and asked before each request whether it may go out now.
///
/// Binance counts weight per IP in fixed calendar windows (the minute, 10 seconds). We mirror
/// the counters locally between responses (on_sent) and take the server's figure when it comes
/// back, keeping the larger of the two so requests in flight are never forgotten.
/// 429 -> no request until Retry-After (or the next minute); 418 (IP ban) -> nothing at all
/// until the ban ends (Retry-After, else 2 minutes doubling per consecutive ban up to 3 days).

#include "engine/types.hpp"
#include "exchange/binance/responses.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace traded::binance {

using millis = engine::millis;

/// Limits and defaults. exchangeInfo.rateLimits can override the limits (apply_limits).
struct rate_limit_config {
    int weight_limit_1m = 2400;     // REQUEST_WEIGHT per minute
    int weight_reserve = 100;       // kept free: other processes on the IP, clock skew
    int order_limit_10s = 300;      // ORDERS per 10 s
    int order_limit_1m = 1200;      // ORDERS per minute
    millis default_ban_ms = 120'000;                 // 418 without Retry-After: "from 2 minutes"
    millis max_ban_ms = 3LL * 24 * 3600 * 1000;      // "... to 3 days"
};

/// What one HTTP response said about rate limits.
struct response_meta {
    int http_status = 0;
    std::optional<int> used_weight_1m;   // X-MBX-USED-WEIGHT-1M
    std::optional<int> order_count_10s;  // X-MBX-ORDER-COUNT-10S
    std::optional<int> order_count_1m;   // X-MBX-ORDER-COUNT-1M
    std::optional<int> retry_after_s;    // Retry-After (seconds)

    /// Feeds one response header; names are case-insensitive, unknown ones and malformed
    /// values are ignored.
    void add_header(std::string_view name, std::string_view value);
};

/// Answer of rate_governor::can_send.
struct send_decision {
    enum class verdict { ok, wait, banned };
    verdict kind = verdict::ok;
    millis until = 0;  // wait / banned: the earliest time to ask again

    bool ok() const { return kind == verdict::ok; }
    static send_decision allow() { return {}; }
    static send_decision wait_until(millis t) { return {verdict::wait, t}; }
    static send_decision banned_until(millis t) { return {verdict::banned, t}; }
};

/// The governor. One per process (Binance limits are per IP, orders per account). Pure: time is
/// an argument; the REST client asks can_send() before a request, calls on_sent() when it
/// writes it and on_response() when the answer (or its headers) arrives.
class rate_governor {
public:
    explicit rate_governor(rate_limit_config cfg = {}) : cfg_(cfg) {}

    /// Adopts REQUEST_WEIGHT/MINUTE/1 and ORDERS/SECOND/10, ORDERS/MINUTE/1 from exchangeInfo.
    void apply_limits(const std::vector<rate_limit_rule>& rules);

    /// May a request of `weight` (and an order, when is_order) be sent at `now`?
    send_decision can_send(millis now, int weight, bool is_order) const;
    /// Counts a request that was just written.
    void on_sent(millis now, int weight, bool is_order);
    /// Learns from a response: counters, 429 back-off, 418 ban.
    void on_response(millis now, const response_meta& meta);

    /// Weight used in the minute containing `now`, as far as we know.
    int used_weight(millis now) const;
    /// End of the current IP ban (0 when none was seen).
    millis banned_until() const { return banned_until_; }
    /// End of the current 429 back-off (0 when none was seen).
    millis backoff_until() const { return backoff_until_; }
    const rate_limit_config& config() const { return cfg_; }

private:
    /// A fixed window counter (index = now / length).
    struct window {
        std::int64_t index = -1;
        int count = 0;
        int at(std::int64_t i) const { return i == index ? count : 0; }
        void add(std::int64_t i, int n) {
            if (i != index) {
                index = i;
                count = 0;
            }
            count += n;
        }
        void raise_to(std::int64_t i, int n) {
            if (i != index) {
                index = i;
                count = 0;
            }
            if (n > count) count = n;
        }
    };

    rate_limit_config cfg_;
    window weight_1m_;
    window orders_10s_;
    window orders_1m_;
    millis banned_until_ = 0;
    millis backoff_until_ = 0;
    int consecutive_bans_ = 0;
};

}  // namespace traded::binance
