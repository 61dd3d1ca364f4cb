#include "exchange/binance/request_retry.hpp"

#include <algorithm>

namespace traded::binance {

bool retryable_status(int status) { return status >= 500 || status == 408 || status == 418 || status == 429; }

engine::millis retry_backoff(const retry_settings& s, int attempt) {
    const int shift = std::clamp(attempt, 0, std::clamp(s.max_shift, 0, 30));
    return std::min<engine::millis>(s.max_backoff_ms, s.base_backoff_ms << shift);
}

namespace {

/// The wait after attempt `attempt` ended with `o` (see the formula in the header).
engine::millis wait_after(const retry_settings& s, const attempt_outcome& o, int attempt) {
    if (attempt < s.fast_attempts) return s.fast_wait_ms;
    if (o.kind != attempt_outcome::pending) return retry_backoff(s, attempt);
    const engine::millis w = s.pending_wait_ms > 0 ? s.pending_wait_ms : retry_backoff(s, attempt);
    return o.left_ms ? std::clamp<engine::millis>(*o.left_ms, 0, w) : w;
}

}  // namespace

retry_decision retry_step(const retry_settings& s, const attempt_outcome& o, int attempt) {
    if (o.kind == attempt_outcome::ok) return {};
    // The two ways out of retrying (a refusal, the last attempt) differ only in which fallback
    // applies, how long to wait first and what the log says.
    retry_fallback f = retry_fallback::retry;
    engine::millis wait = 0;
    std::string reason;
    if (o.kind == attempt_outcome::answered && !retryable_status(o.status) && s.on_refusal != retry_fallback::retry) {
        f = s.on_refusal;
        reason = "refused with status " + std::to_string(o.status);
    } else {
        wait = wait_after(s, o, attempt);
        if (s.max_attempts <= 0 || attempt + 1 < s.max_attempts) return {retry_decision::retry, wait, {}};
        f = s.on_exhausted;
        if (!s.wait_after_last) wait = 0;
        reason = "no success after " + std::to_string(s.max_attempts) + " attempts";
    }
    return {f == retry_fallback::look_up ? retry_decision::look_up : retry_decision::give_up, wait, std::move(reason)};
}

resend_verdict rest_resend_step(const retry_settings& s, int status, int code, int attempt, bool resynced) {
    const bool may_send = s.max_attempts <= 0 || attempt + 1 < s.max_attempts;
    if (code == -1021 && !resynced && may_send) return resend_verdict::resync_then_send;
    if ((status == 429 || status == 418) && may_send) return resend_verdict::send_again;
    return resend_verdict::answer;
}

retry_decision retry_run::step(const attempt_outcome& o) {
    retry_decision d = retry_step(s_, o, attempt_);
    attempt_ = s_.pending_resets && o.kind == attempt_outcome::pending ? 0 : attempt_ + 1;
    return d;
}

namespace retry_rules {

// Designated initializers: each rule names only what differs from retry_settings' defaults.

retry_settings cancel() {
    return {.max_attempts = 5,
            .base_backoff_ms = 500,
            .on_refusal = retry_fallback::look_up,
            .on_exhausted = retry_fallback::look_up,
            .wait_after_last = true};
}

retry_settings cancel_lookup() {
    return {.max_attempts = 10,
            .base_backoff_ms = 1'000,
            .max_backoff_ms = 30'000,
            .pending_wait_ms = 2'000,
            .wait_after_last = true};
}

retry_settings user_trades() { return {.max_attempts = 6, .base_backoff_ms = 1'000, .wait_after_last = true}; }

retry_settings position(bool engine_waits) {
    return {.max_attempts = engine_waits ? 0 : 11, .base_backoff_ms = 1'000, .max_shift = 5, .max_backoff_ms = 30'000};
}

retry_settings watch_order() {
    return {.max_attempts = 31, .base_backoff_ms = 5'000, .max_shift = 0, .fast_attempts = 5, .fast_wait_ms = 1'000};
}

retry_settings entry_wait() {
    return {.max_attempts = 0,
            .base_backoff_ms = 2'000,
            .max_shift = 4,
            .max_backoff_ms = 30'000,
            .pending_wait_ms = 1'000,
            .pending_resets = true};
}

retry_settings sweep() { return {.max_attempts = 0, .base_backoff_ms = 10'000, .max_shift = 0}; }

retry_settings revive_fills() { return {.max_attempts = 100, .base_backoff_ms = 100, .max_shift = 0}; }

retry_settings position_check() { return {.max_attempts = 6, .base_backoff_ms = 1'500, .max_shift = 0}; }

retry_settings startup_clock() { return {.max_attempts = 0, .base_backoff_ms = 250, .max_shift = 0}; }

retry_settings exchange_info() { return {.max_attempts = 0, .base_backoff_ms = 5'000, .max_shift = 0}; }

retry_settings time_sync() { return {.max_attempts = 0, .base_backoff_ms = 5'000, .max_shift = 0}; }

retry_settings rest_send() { return {.max_attempts = 4}; }

}  // namespace retry_rules

}  // namespace traded::binance
