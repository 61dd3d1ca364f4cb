#pragma once
/// Event-loop lag: how late a periodic timer on the daemon's one io_context thread runs. Every
/// handler (a market frame, a REST answer, a WebSocket fan-out slice) runs on that thread, so a
/// handler that takes long delays everything behind it, a fill included; the timer's lateness is
/// that delay, measured from inside the daemon.
///
/// Exported as `traded_event_loop_lag_seconds` (a histogram with fine buckets around 200 µs, so
/// "how many stalls over 200 µs in this window" is a difference of two scrapes) and
/// `traded_event_loop_lag_max_seconds` (the largest lateness seen in the last 10-20 s).
///
/// Pure like the rest of metrics/: the daemon's timer hands in the lateness and the time.

#include "metrics/registry.hpp"

#include <cstdint>

namespace traded::metrics {

/// Records the lateness of the loop-lag timer; see the file comment.
class loop_lag {
public:
    /// Period of the daemon's lag timer: short enough that a stall of a few hundred µs often
    /// covers a deadline, long enough to cost nothing measurable (1,000 wake-ups per second).
    static constexpr std::int64_t period_ns = 1'000'000;
    /// Length of one window of the max gauge.
    static constexpr std::int64_t window_ns = 10'000'000'000;

    /// Declares both families in `r` (which must outlive this object).
    explicit loop_lag(registry& r);

    /// The timer ran `late_ns` after its deadline; `now_ns` is a monotonic time.
    void record(std::int64_t late_ns, std::int64_t now_ns);

    /// Largest lateness in the current and the previous window, in seconds.
    double max_seconds() const;

private:
    histogram lag_;
    gauge max_;
    std::int64_t window_start_ns_ = 0;
    std::int64_t window_max_ns_ = 0;
    std::int64_t previous_max_ns_ = 0;
};

}  // namespace traded::metrics
