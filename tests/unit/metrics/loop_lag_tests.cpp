// The event-loop lag recorder: what /metrics shows for a given series of timer lateness.

#include "metrics/loop_lag.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace traded::metrics;

namespace {
constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t s = 1000 * ms;

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST_CASE("loop lag: stalls over 200 us land above the 0.0002 bucket, the max gauge holds the worst") {
    registry r;
    loop_lag lag(r);
    lag.record(30'000, 1 * s);      // 30 us: on time
    lag.record(150'000, 1 * s + ms);  // 150 us
    lag.record(3 * ms, 1 * s + 2 * ms);  // a 3 ms stall
    const auto text = r.text();
    CHECK(has_line(text, "traded_event_loop_lag_seconds_bucket{le=\"5e-05\"} 1"));
    CHECK(has_line(text, "traded_event_loop_lag_seconds_bucket{le=\"0.0002\"} 2"));
    CHECK(has_line(text, "traded_event_loop_lag_seconds_bucket{le=\"0.005\"} 3"));
    CHECK(has_line(text, "traded_event_loop_lag_seconds_count 3"));
    CHECK(has_line(text, "traded_event_loop_lag_max_seconds 0.003"));
}

TEST_CASE("loop lag: the max gauge forgets a stall after two quiet windows") {
    registry r;
    loop_lag lag(r);
    lag.record(5 * ms, 0);
    lag.record(10'000, loop_lag::window_ns + 1);  // next window: the previous max still counts
    CHECK(lag.max_seconds() == Approx(0.005));
    lag.record(10'000, 2 * loop_lag::window_ns + 2);  // one more window: the stall is gone
    CHECK(lag.max_seconds() == Approx(0.00001));
    lag.record(-5, 2 * loop_lag::window_ns + 3);  // early (clock granularity) counts as 0
    CHECK(lag.max_seconds() == Approx(0.00001));
}
