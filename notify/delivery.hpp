#pragma once
/// Delivery to one notification target as a sans-io state machine: the bounded queue, batching
/// by `min_interval_ms`, one request in flight, and the retry schedule. The I/O layer
/// (notify/notifier) asks take() for the next batch, performs the HTTP request, and reports the
/// outcome with done(); it arms one timer from next_wakeup(). Tests step it by hand with a clock
/// they choose.
///
///            push()                 take(now)                      done(delivered)
///   (idle) ────────▶ [queued] ─────────────────────▶ [in flight] ──────────────────▶ (idle)
///                     ▲   now >= not_before            │   │ done(retry): attempts < max
///                     │                                │   ▼   → same batch again at now+backoff
///                     └──── done(give_up) / retries exhausted: batch counted failed, dropped
///
/// - Batching: after a send starts, the next one waits until `min_interval` has passed; every
///   event queued meanwhile goes out in that one message (up to `max_batch`). The first event
///   after a quiet period goes at once (an emergency stop should not wait).
/// - Bounded: at most `capacity` events wait; a push into a full queue drops the oldest and
///   counts it. A batch being retried is held apart and keeps its place (order is preserved).
/// - Retries: 5xx, 429 and timeouts/transport failures retry with exponential backoff (base,
///   doubling, capped), honouring a server's Retry-After; other 4xx give up at once.

#include "notify/note.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace traded::notify {

using millis = engine::millis;

/// Tuning of one target's delivery.
struct delivery_options {
    millis min_interval = 1000;
    std::size_t capacity = 100;
    std::size_t max_batch = 20;
    int max_attempts = 5;          // including the first
    millis backoff_base = 1000;    // after the first failure; doubles per attempt
    millis backoff_max = 60'000;
    millis retry_after_max = 600'000;  // a server asking for longer is capped to this
};

/// How one attempt ended, as the I/O layer classified it (see classify()).
enum class attempt_result { delivered, retry, give_up };

/// The classification of an HTTP answer or a transport failure, with an optional server-given
/// wait (Retry-After header, Telegram's parameters.retry_after).
struct attempt_outcome {
    attempt_result result = attempt_result::give_up;
    millis retry_after = 0;
    std::string reason;  // for logs and status: "HTTP 500", "timeout"; never a URL or token
};

/// 2xx delivered; 408, 429 and 5xx retry; other statuses give up. `status` 0 means no answer
/// (connect failure, timeout): retry.
attempt_outcome classify(int status, millis retry_after = 0, std::string reason = {});

/// Counters for metrics and status.
struct delivery_stats {
    std::uint64_t messages_sent = 0;
    std::uint64_t events_sent = 0;
    std::uint64_t messages_failed = 0;
    std::uint64_t events_failed = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t retries = 0;
    std::string last_error;  // classified reason of the last failed attempt
    millis last_error_at = 0;
    millis last_sent_at = 0;
};

/// The state machine; see the file comment.
class delivery_queue {
public:
    explicit delivery_queue(delivery_options o = {}) : opts_(o) {}

    /// Queues one event (drops the oldest when full).
    void push(note n);
    /// The batch to send now, or nullopt (nothing queued, one in flight, or not yet time).
    std::optional<std::vector<note>> take(millis now);
    /// Reports how the batch from the last take() ended.
    void done(millis now, const attempt_outcome& outcome);
    /// When take() may next return a batch; nullopt when nothing waits or one is in flight.
    std::optional<millis> next_wakeup() const;

    /// Events waiting (a batch held for retry included).
    std::size_t queued() const { return queue_.size() + retry_.size(); }
    bool in_flight() const { return in_flight_; }
    const delivery_stats& stats() const { return stats_; }
    const delivery_options& options() const { return opts_; }

private:
    delivery_options opts_;
    std::deque<note> queue_;
    std::vector<note> retry_;    // a failed batch waiting for its next attempt (sent before queue_)
    std::vector<note> current_;  // the batch in flight
    bool in_flight_ = false;
    int attempts_ = 0;      // attempts made for the current / retry batch
    millis not_before_ = 0;  // min_interval after the last send, or the retry time
    delivery_stats stats_;
};

}  // namespace traded::notify
