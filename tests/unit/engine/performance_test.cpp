#include "engine/performance.hpp"

#include "harness.hpp"

using namespace traded::engine;
using traded::decimal;
using traded::engine::test::d;

namespace {
trade closed(const char* pnl, millis at) {
    trade t;
    t.pnl = d(pnl);
    t.closed_at = at;
    return t;
}
}  // namespace

TEST_CASE("utc day start and date use civil arithmetic", "[performance]") {
    CHECK(utc_day_start(0) == 0);
    CHECK(utc_date(0) == "1970-01-01");
    CHECK(utc_date(1'732'400'000'000) == "2024-11-23");  // 22:13:20 UTC
    CHECK(utc_day_start(1'732'400'000'000) == 1'732'320'000'000);
    CHECK(utc_date(1'709'164'800'000) == "2024-02-29");  // leap day
    CHECK(utc_date(1'709'251'199'999) == "2024-02-29");
    CHECK(utc_date(1'709'251'200'000) == "2024-03-01");
    CHECK(utc_date(951'782'400'000) == "2000-02-29");    // 400-year leap rule
    CHECK(utc_date(4'107'542'400'000) == "2100-03-01");  // 2100 is not a leap year
    CHECK(utc_date(-1) == "1969-12-31");
    CHECK(utc_day_start(-1) == -86'400'000);
}

TEST_CASE("performance over a known trade list", "[performance]") {
    const millis day = 1'732'320'000'000;  // 2024-11-23 00:00 UTC
    std::vector<trade> ts{
        closed("10", day - 5000),  // yesterday
        closed("-4", day + 1000), closed("-6", day + 2000), closed("5", day + 3000), closed("0", day + 4000),
    };
    performance_stats st = compute_performance(ts, day + 10'000);
    CHECK(st.total_trades == 5);
    CHECK(st.winning_trades == 2);
    CHECK(st.losing_trades == 2);  // zero is neither
    CHECK(st.win_rate == Approx(40.0));
    CHECK(st.total_pnl == d("5"));
    CHECK(st.avg_pnl == d("1"));
    CHECK(st.best_trade == d("10"));
    CHECK(st.worst_trade == d("-6"));
    CHECK(st.profit_factor == Approx(1.5));  // 15 / 10
    CHECK(st.daily_pnl == d("-5"));          // today's trades only
    CHECK(st.max_drawdown == d("10"));       // 10 -> 0 after the two losses
}

TEST_CASE("performance edge cases", "[performance]") {
    performance_stats empty = compute_performance({}, 0);
    CHECK(empty.total_trades == 0);
    CHECK(empty.win_rate == 0);
    CHECK(empty.profit_factor == 0);
    CHECK(empty.max_drawdown == d("0"));

    performance_stats wins = compute_performance({closed("3", 0), closed("2", 0)}, 0);
    CHECK(wins.profit_factor == 0);  // no losses: documented as 0
    CHECK(wins.max_drawdown == d("0"));
    CHECK(wins.worst_trade == d("2"));

    // Drawdown counts from the starting zero: an opening loss is a drawdown.
    performance_stats loss_first = compute_performance({closed("-3", 0), closed("1", 0), closed("-2", 0)}, 0);
    CHECK(loss_first.max_drawdown == d("4"));
}
