#include "engine/performance.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace traded::engine {

namespace {
constexpr millis ms_per_day = 86'400'000;

/// Floor division: epoch times before 1970 still land on the day that contains them.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct civil_date {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days): pure
/// integer arithmetic, so the engine needs neither <chrono> nor <ctime>.
constexpr civil_date civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = floor_div(z, 146097);
    const auto doe = static_cast<unsigned>(z - era * 146097);                    // [0, 146096]
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
    const unsigned mp = (5 * doy + 2) / 153;                       // [0, 11]
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;               // [1, 31]
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;                  // [1, 12]
    return {m <= 2 ? y + 1 : y, m, d};
}
}  // namespace

millis utc_day_start(millis t) {
    return floor_div(t, ms_per_day) * ms_per_day;
}

std::string utc_date(millis t) {
    civil_date c = civil_from_days(floor_div(t, ms_per_day));
    return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

performance_stats compute_performance(const std::vector<trade>& trades, millis now) {
    performance_stats st;
    const millis day_start = utc_day_start(now);
    decimal gross_profit;
    decimal gross_loss;  // positive magnitude
    decimal cumulative;
    decimal peak;  // the running maximum starts at zero: a first losing trade is a drawdown
    bool first = true;
    for (const trade& t : trades) {
        ++st.total_trades;
        if (t.pnl.is_positive()) {
            ++st.winning_trades;
            gross_profit += t.pnl;
        } else if (t.pnl.is_negative()) {
            ++st.losing_trades;
            gross_loss -= t.pnl;
        }
        st.total_pnl += t.pnl;
        if (first || t.pnl > st.best_trade) st.best_trade = t.pnl;
        if (first || t.pnl < st.worst_trade) st.worst_trade = t.pnl;
        first = false;
        if (t.closed_at >= day_start && t.closed_at < day_start + ms_per_day) st.daily_pnl += t.pnl;
        cumulative += t.pnl;
        peak = std::max(peak, cumulative);
        st.max_drawdown = std::max(st.max_drawdown, peak - cumulative);
    }
    if (st.total_trades > 0) {
        st.win_rate = 100.0 * st.winning_trades / st.total_trades;
        st.avg_pnl = st.total_pnl / decimal::from_int(st.total_trades);
    }
    // Without a losing trade the ratio is undefined; 0 keeps the JSON a plain number (an infinite
    // value cannot be encoded) and the dashboard shows "n/a" when losing_trades is 0.
    if (gross_loss.is_positive()) st.profit_factor = gross_profit.to_double() / gross_loss.to_double();
    return st;
}

}  // namespace traded::engine
