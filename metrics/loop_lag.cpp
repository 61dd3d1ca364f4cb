#include "metrics/loop_lag.hpp"

#include <algorithm>

namespace traded::metrics {

namespace {
constexpr std::string_view lag_name = "traded_event_loop_lag_seconds";
constexpr std::string_view max_name = "traded_event_loop_lag_max_seconds";
}  // namespace

loop_lag::loop_lag(registry& r) {
    // Fine below 1 ms: the goal of issue 12 (B4) is no stall over 200 µs.
    r.declare(std::string(lag_name), kind::histogram,
              "How late the event loop's 1 ms timer ran (time every handler on the trading thread waited behind "
              "others).",
              {0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1});
    r.declare(std::string(max_name), kind::gauge, "Largest event-loop lag in the last 10-20 seconds.");
    lag_ = r.get_histogram(lag_name);
    max_ = r.get_gauge(max_name);
}

void loop_lag::record(std::int64_t late_ns, std::int64_t now_ns) {
    late_ns = std::max<std::int64_t>(late_ns, 0);
    lag_.observe(static_cast<double>(late_ns) / 1e9);
    if (now_ns - window_start_ns_ >= window_ns) {
        // A window with no record at all (timer stopped) leaves nothing to carry over.
        previous_max_ns_ = now_ns - window_start_ns_ >= 2 * window_ns ? 0 : window_max_ns_;
        window_start_ns_ = now_ns;
        window_max_ns_ = 0;
    }
    window_max_ns_ = std::max(window_max_ns_, late_ns);
    max_.set(max_seconds());
}

double loop_lag::max_seconds() const {
    return static_cast<double>(std::max(window_max_ns_, previous_max_ns_)) / 1e9;
}

}  // namespace traded::metrics
