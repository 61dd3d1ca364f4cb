#pragma once
/// The retry rule of one repeated REST request (cancel, its follow-up lookups, userTrades,
/// positionRisk), sans-I/O like order_fsm: the I/O layer reports how the last attempt ended and
/// performs the returned decision (wait, then send again / look the order up / stop). No sockets,
/// no clocks; tests step it by hand. Every number lives in `retry_settings`.
///
///   attempt n ended --ok--------------------------------------------> done
///                   --pending (answered, not over yet)-----------------> retry after backoff(n)
///                   --busy (5xx, 408, 418, 429), transport, timeout---> retry after backoff(n)
///                   --refused (other 4xx, e.g. -2011 unknown order)---> settings.on_refusal
///                   any retry when n + 1 == max_attempts --------------> settings.on_exhausted
///
///   backoff(n) = min(max_backoff_ms, base_backoff_ms << min(n, max_shift))
///   (or pending_wait_ms for "pending" when it is set)

#include "engine/types.hpp"

#include <string>

namespace traded::binance {

/// What the policy does once attempts are exhausted or the exchange refused the request.
enum class retry_fallback { retry, look_up, give_up };

/// Every number of one request's retry rule.
struct retry_settings {
    /// Attempts in all (0: unlimited; the caller stops when the reason to ask is gone).
    int max_attempts = 5;
    engine::millis base_backoff_ms = 500;
    /// Cap on the exponent of the doubling and on the wait itself.
    int max_shift = 30;
    engine::millis max_backoff_ms = 3'600'000;
    /// Fixed wait after a "pending" outcome (0: the backoff).
    engine::millis pending_wait_ms = 0;
    /// Answered 4xx other than 408/418/429: what to do (retry counts as an attempt).
    retry_fallback on_refusal = retry_fallback::retry;
    /// After the last attempt failed: look the order up or stop (never retry).
    retry_fallback on_exhausted = retry_fallback::give_up;
    /// Wait the backoff also after the last attempt, before the fallback (keeps a slot busy).
    bool wait_after_last = false;
};

/// How the last attempt ended, as the I/O layer saw it.
struct attempt_outcome {
    enum kind_t {
        ok,         // answered 2xx and the work is complete
        pending,    // answered and readable, but the work is not complete yet (ask again)
        answered,   // an HTTP answer that is not success: `status` and `code` say which
        transport,  // not sent or connection failed: certainly without effect
        timeout,    // written, answer lost
    } kind = ok;
    int status = 0;
    int code = 0;
};

/// The policy's decision: wait `wait_ms`, then do `kind`.
struct retry_decision {
    enum kind_t { done, retry, look_up, give_up } kind = done;
    engine::millis wait_ms = 0;
    std::string reason;  // for give_up / look_up: why, for the log

    bool operator==(const retry_decision&) const = default;
};

/// The port's rules, one per repeated request (the numbers the port has always used).
namespace retry_rules {
/// DELETE order: 5 attempts 500 ms << n; a refusal (-2011 unknown ...) or exhaustion -> look it up.
retry_settings cancel();
/// Lookups after a cancel failed: 10, backoff 1 s << n up to 30 s; still open -> cancel again in 2 s.
retry_settings cancel_lookup();
/// userTrades until our fills reach the exchange's: 6 attempts, 1 s << n.
retry_settings user_trades();
/// positionRisk while the engine waits for it (unlimited; 11 attempts without an engine),
/// 1 s << min(n, 5) up to 30 s.
retry_settings position(bool engine_waits);
}  // namespace retry_rules

/// Whether an answered status is worth sending again (busy, throttled, banned) rather than final.
bool retryable_status(int status);

/// The wait after failed attempt `attempt` (0-based).
engine::millis retry_backoff(const retry_settings& s, int attempt);

/// The decision after attempt number `attempt` (0-based) ended with `outcome`.
retry_decision retry_step(const retry_settings& s, const attempt_outcome& outcome, int attempt);

}  // namespace traded::binance
