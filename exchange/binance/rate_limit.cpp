#include "exchange/binance/rate_limit.hpp"

#include <algorithm>
#include <charconv>

namespace traded::binance {

namespace {

constexpr millis minute_ms = 60'000;
constexpr millis ten_seconds_ms = 10'000;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<int> parse_count(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    int n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || ptr != v.data() + v.size() || n < 0) return std::nullopt;
    return n;
}

/// Floor division for window indexes (now is never negative in practice, but stay exact).
std::int64_t index_of(millis now, millis length) {
    return now >= 0 ? now / length : -((-now + length - 1) / length);
}

}  // namespace

void response_meta::add_header(std::string_view name, std::string_view value) {
    if (iequals(name, "x-mbx-used-weight-1m")) used_weight_1m = parse_count(value);
    else if (iequals(name, "x-mbx-order-count-10s")) order_count_10s = parse_count(value);
    else if (iequals(name, "x-mbx-order-count-1m")) order_count_1m = parse_count(value);
    else if (iequals(name, "retry-after")) retry_after_s = parse_count(value);
}

void rate_governor::apply_limits(const std::vector<rate_limit_rule>& rules) {
    for (const auto& r : rules) {
        if (r.limit <= 0) continue;
        if (r.type == "REQUEST_WEIGHT" && r.interval == "MINUTE" && r.interval_num == 1) cfg_.weight_limit_1m = r.limit;
        else if (r.type == "ORDERS" && r.interval == "SECOND" && r.interval_num == 10) cfg_.order_limit_10s = r.limit;
        else if (r.type == "ORDERS" && r.interval == "MINUTE" && r.interval_num == 1) cfg_.order_limit_1m = r.limit;
    }
}

send_decision rate_governor::can_send(millis now, int weight, bool is_order) const {
    if (now < banned_until_) return send_decision::banned_until(banned_until_);
    if (now < backoff_until_) return send_decision::wait_until(backoff_until_);
    std::int64_t minute = index_of(now, minute_ms);
    millis next_minute = (minute + 1) * minute_ms;
    if (weight > 0) {
        int used = weight_1m_.at(minute);
        int budget = std::max(cfg_.weight_limit_1m - cfg_.weight_reserve, 1);
        // A request heavier than the whole budget may still go first thing in a fresh minute.
        if (used > 0 && used + weight > budget) return send_decision::wait_until(next_minute);
    }
    if (is_order) {
        std::int64_t ten = index_of(now, ten_seconds_ms);
        if (orders_10s_.at(ten) + 1 > cfg_.order_limit_10s) return send_decision::wait_until((ten + 1) * ten_seconds_ms);
        if (orders_1m_.at(minute) + 1 > cfg_.order_limit_1m) return send_decision::wait_until(next_minute);
    }
    return send_decision::allow();
}

void rate_governor::on_sent(millis now, int weight, bool is_order) {
    if (weight > 0) weight_1m_.add(index_of(now, minute_ms), weight);
    if (is_order) {
        orders_10s_.add(index_of(now, ten_seconds_ms), 1);
        orders_1m_.add(index_of(now, minute_ms), 1);
    }
}

void rate_governor::on_response(millis now, const response_meta& meta) {
    std::int64_t minute = index_of(now, minute_ms);
    if (meta.used_weight_1m) weight_1m_.raise_to(minute, *meta.used_weight_1m);
    if (meta.order_count_10s) orders_10s_.raise_to(index_of(now, ten_seconds_ms), *meta.order_count_10s);
    if (meta.order_count_1m) orders_1m_.raise_to(minute, *meta.order_count_1m);

    if (meta.http_status == 418) {
        millis ban = 0;
        if (meta.retry_after_s) {
            ban = static_cast<millis>(*meta.retry_after_s) * 1000;
        } else {
            // Bans "scale in duration for repeat offenders": double our guess each time.
            ban = cfg_.default_ban_ms;
            for (int i = 0; i < consecutive_bans_ && ban < cfg_.max_ban_ms; ++i) ban *= 2;
        }
        ban = std::clamp<millis>(ban, 1000, cfg_.max_ban_ms);
        banned_until_ = std::max(banned_until_, now + ban);
        ++consecutive_bans_;
        return;
    }
    if (meta.http_status == 429) {
        // Retry-After is how long to wait "to prevent a ban"; without it, the weight window
        // resets at the next minute.
        millis until = meta.retry_after_s
                           ? now + std::min<millis>(static_cast<millis>(*meta.retry_after_s) * 1000, cfg_.max_ban_ms)
                           : std::max((minute + 1) * minute_ms, now + 1000);
        backoff_until_ = std::max(backoff_until_, until);
        return;
    }
    if (meta.http_status >= 200 && meta.http_status < 300) consecutive_bans_ = 0;
}

int rate_governor::used_weight(millis now) const { return weight_1m_.at(index_of(now, minute_ms)); }

}  // namespace traded::binance
