#include "exchange/binance/request_retry.hpp"

#include <algorithm>

namespace traded::binance {

bool retryable_status(int status) { return status >= 500 || status == 408 || status == 418 || status == 429; }

engine::millis retry_backoff(const retry_settings& s, int attempt) {
    const int shift = std::clamp(attempt, 0, std::clamp(s.max_shift, 0, 30));
    return std::min<engine::millis>(s.max_backoff_ms, s.base_backoff_ms << shift);
}

namespace {

retry_decision fallback(retry_fallback f, engine::millis wait, std::string reason) {
    if (f == retry_fallback::look_up) return {retry_decision::look_up, wait, std::move(reason)};
    return {retry_decision::give_up, wait, std::move(reason)};
}

}  // namespace

retry_decision retry_step(const retry_settings& s, const attempt_outcome& o, int attempt) {
    if (o.kind == attempt_outcome::ok) return {};
    if (o.kind == attempt_outcome::answered && !retryable_status(o.status) && s.on_refusal != retry_fallback::retry)
        return fallback(s.on_refusal, 0, "refused with status " + std::to_string(o.status));
    const engine::millis wait =
        o.kind == attempt_outcome::pending && s.pending_wait_ms > 0 ? s.pending_wait_ms : retry_backoff(s, attempt);
    if (s.max_attempts > 0 && attempt + 1 >= s.max_attempts)
        return fallback(s.on_exhausted, s.wait_after_last ? wait : 0,
                        "no success after " + std::to_string(s.max_attempts) + " attempts");
    return {retry_decision::retry, wait, {}};
}

namespace retry_rules {

retry_settings cancel() {
    retry_settings s;
    s.max_attempts = 5;
    s.base_backoff_ms = 500;
    s.on_refusal = retry_fallback::look_up;
    s.on_exhausted = retry_fallback::look_up;
    s.wait_after_last = true;
    return s;
}

retry_settings cancel_lookup() {
    retry_settings s;
    s.max_attempts = 10;
    s.base_backoff_ms = 1'000;
    s.max_backoff_ms = 30'000;
    s.pending_wait_ms = 2'000;
    s.on_exhausted = retry_fallback::give_up;
    s.wait_after_last = true;
    return s;
}

retry_settings user_trades() {
    retry_settings s;
    s.max_attempts = 6;
    s.base_backoff_ms = 1'000;
    s.on_exhausted = retry_fallback::give_up;
    s.wait_after_last = true;
    return s;
}

retry_settings position(bool engine_waits) {
    retry_settings s;
    s.max_attempts = engine_waits ? 0 : 11;
    s.base_backoff_ms = 1'000;
    s.max_shift = 5;
    s.max_backoff_ms = 30'000;
    s.on_exhausted = retry_fallback::give_up;
    return s;
}

}  // namespace retry_rules

}  // namespace traded::binance
