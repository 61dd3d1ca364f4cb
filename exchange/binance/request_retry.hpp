#pragma once
/// Every wait of the Binance adapter that repeats something (a REST request, a lookup, a poll
/// until something is final), sans-I/O like order_fsm: the I/O layer reports how the last attempt
/// ended and performs the returned decision (wait, then attempt again / look the order up / stop).
/// No sockets, no clocks; tests step it by hand. Every number lives in `retry_settings`, and
/// `retry_rules` names the port's rules. exchange_io::perform_retry (exchange/net/retry_driver)
/// is the one thin Asio loop that performs them.
///
///   attempt n ended --ok--------------------------------------------> done
///                   --pending (answered, not over yet)-----------------> retry after wait(n)
///                   --busy (5xx, 408, 418, 429), transport, timeout---> retry after wait(n)
///                   --refused (other 4xx, e.g. -2011 unknown order)---> settings.on_refusal
///                   any retry when n + 1 == max_attempts --------------> settings.on_exhausted
///
///   wait(n) = fast_wait_ms                                     while n < fast_attempts
///           = pending_wait_ms (for "pending", when it is set), at most the outcome's left_ms
///           = min(max_backoff_ms, base_backoff_ms << min(n, max_shift))   otherwise
///
/// A poll ("look every second until it is final") is the same rule: attempt 0 is the answer that
/// made us wait (a MARKET order answered NEW, a lookup that did not find the order yet), each
/// later attempt one look. A `retry_run` keeps the attempt count; with `pending_resets` a pending
/// answer starts the count over, so a backoff grows with failures in a row only.

#include "engine/types.hpp"

#include <optional>
#include <string>

namespace traded::binance {

/// What the policy does once attempts are exhausted or the exchange refused the request.
enum class retry_fallback { retry, look_up, give_up };

/// Every number of one rule.
struct retry_settings {
    /// Attempts in all (0: unlimited; the caller stops when the reason to ask is gone).
    int max_attempts = 5;
    engine::millis base_backoff_ms = 500;
    /// Cap on the exponent of the doubling (0: a constant wait) and on the wait itself.
    int max_shift = 30;
    engine::millis max_backoff_ms = 3'600'000;
    /// Fixed wait after a "pending" outcome (0: the backoff).
    engine::millis pending_wait_ms = 0;
    /// The first `fast_attempts` waits are `fast_wait_ms`, whatever the outcome (a poll that
    /// starts quick and then slows down).
    int fast_attempts = 0;
    engine::millis fast_wait_ms = 0;
    /// A pending outcome restarts the attempt count (retry_run): the backoff counts failures
    /// in a row, and max_attempts is not meant to be reached by answers.
    bool pending_resets = false;
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
    /// Pending only: how long until what we wait for is final (none: no such moment; <= 0:
    /// already). The wait never runs past it, so the look that settles it is not late.
    std::optional<engine::millis> left_ms = std::nullopt;
};

/// The policy's decision: wait `wait_ms`, then do `kind`.
struct retry_decision {
    enum kind_t { done, retry, look_up, give_up } kind = done;
    engine::millis wait_ms = 0;
    std::string reason;  // for give_up / look_up: why, for the log

    bool operator==(const retry_decision&) const = default;
};

/// The port's rules, one per repeated request or poll (the numbers the port has always used).
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
/// A MARKET order answered NEW (not final): attempt 0 is that answer, then 30 looks, 1 s apart
/// for the first 5 waits and 5 s apart after that.
retry_settings watch_order();
/// While the user stream is trusted, the first looks of `watch_order` are skipped: its events
/// usually settle the order first.
inline constexpr int watch_stream_grace = 2;
/// An entry from before a restart the exchange does not show yet: looked up every second (never
/// past the end of its recvWindow) until it appears or that time has passed; a failing lookup
/// backs off 2 s << n up to 30 s, counted from the last answer (pending resets).
retry_settings entry_wait();
/// The reconciliation sweep could not read everything: again after 10 s, for as long as it takes.
retry_settings sweep();
/// An entry revived by the sweep: its fills are fetched again every 100 ms, at most 100 times.
retry_settings revive_fills();
/// A position may have changed outside traded: 5 positionRisk readings 1.5 s apart (attempt 0
/// is the event that raised the doubt).
retry_settings position_check();
/// Start-up: the REST client's first clock measurement, looked at every 250 ms.
retry_settings startup_clock();
/// Start-up: exchangeInfo until it loads, every 5 s.
retry_settings exchange_info();
/// The REST client's clock measurement (GET /time) after a failure: again in 5 s (a success
/// waits the client's time_sync_interval, a periodic setting, instead).
retry_settings time_sync();
/// One REST request inside the client: sent at most 4 times (429/418 back-offs, the -1021 resync).
retry_settings rest_send();
}  // namespace retry_rules

/// What the REST client does with an answer to a request it wrote (binance-usdm.md: 429/418 are
/// rejected before processing, -1021 is a timestamp outside recvWindow): hand it to the caller,
/// send it again once the rate-limit governor allows (the governor decides that wait), or measure
/// the clock again and send it re-signed (once per request). `attempt` counts the sends (0-based).
enum class resend_verdict { answer, send_again, resync_then_send };
resend_verdict rest_resend_step(const retry_settings& s, int status, int code, int attempt, bool resynced);

/// Whether an answered status is worth sending again (busy, throttled, banned) rather than final.
bool retryable_status(int status);

/// The backoff after failed attempt `attempt` (0-based): min(max, base << min(attempt, max_shift)).
engine::millis retry_backoff(const retry_settings& s, int attempt);

/// The decision after attempt number `attempt` (0-based) ended with `outcome`.
retry_decision retry_step(const retry_settings& s, const attempt_outcome& outcome, int attempt);

/// One repeated request or poll under a rule: keeps the attempt count (and its reset) so the
/// caller only reports outcomes. Pure; tests step it by hand.
class retry_run {
public:
    explicit retry_run(retry_settings s) : s_(std::move(s)) {}

    /// The attempt that just ended (counted) and what the rule says next.
    retry_decision step(const attempt_outcome& outcome);
    /// The number the next attempt has (0 for the first, again 0 after a reset).
    int attempt() const { return attempt_; }
    const retry_settings& settings() const { return s_; }

private:
    retry_settings s_;
    int attempt_ = 0;
};

}  // namespace traded::binance
