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

void trade_totals::add(const trade& t) {
    ++count;
    if (t.pnl.is_positive()) {
        ++winning;
        gross_profit += t.pnl;
    } else if (t.pnl.is_negative()) {
        ++losing;
        gross_loss -= t.pnl;
    }
    if (count == 1 || t.pnl > best) best = t.pnl;
    if (count == 1 || t.pnl < worst) worst = t.pnl;
    total_pnl += t.pnl;
    peak = std::max(peak, total_pnl);
    max_drawdown = std::max(max_drawdown, peak - total_pnl);
    last_closed_at = std::max(last_closed_at, t.closed_at);
    const millis d = utc_day_start(t.closed_at);
    if (d != day_start) {
        day_start = d;
        day_pnl = decimal{};
    }
    day_pnl += t.pnl;
}

void trade_totals::replace(const trade& before, const trade& after) {
    auto classify = [this](decimal pnl, int sign) {
        if (pnl.is_positive()) {
            winning += sign;
            gross_profit += sign > 0 ? pnl : -pnl;
        } else if (pnl.is_negative()) {
            losing += sign;
            gross_loss -= sign > 0 ? pnl : -pnl;
        }
    };
    classify(before.pnl, -1);
    classify(after.pnl, +1);
    total_pnl += after.pnl - before.pnl;
    if (after.pnl > best) best = after.pnl;
    if (after.pnl < worst) worst = after.pnl;
    peak = std::max(peak, total_pnl);
    max_drawdown = std::max(max_drawdown, peak - total_pnl);
    if (utc_day_start(after.closed_at) == day_start) day_pnl += after.pnl - before.pnl;
}

performance_stats compute_performance(const std::vector<trade>& trades, millis now) {
    return compute_performance(trade_totals{}, trades, now);
}

performance_stats compute_performance(const trade_totals& earlier, const std::vector<trade>& trades, millis now) {
    return compute_performance_of(earlier, std::span<const trade>(trades.data(), trades.size()), now);
}

performance_stats compute_performance_of(const trade_totals& earlier, std::span<const trade> trades, millis now) {
    const millis day_start = utc_day_start(now);
    trade_totals all = earlier;
    performance_stats st;
    if (earlier.count > 0 && earlier.day_start == day_start) st.daily_pnl = earlier.day_pnl;
    for (const trade& t : trades) {
        all.add(t);
        if (t.closed_at >= day_start && t.closed_at < day_start + ms_per_day) st.daily_pnl += t.pnl;
    }
    st.total_trades = all.count;
    st.winning_trades = all.winning;
    st.losing_trades = all.losing;
    st.total_pnl = all.total_pnl;
    st.best_trade = all.best;
    st.worst_trade = all.worst;
    st.max_drawdown = all.max_drawdown;
    if (st.total_trades > 0) {
        st.win_rate = 100.0 * st.winning_trades / st.total_trades;
        st.avg_pnl = st.total_pnl / decimal::from_int(st.total_trades);
    }
    // Without a losing trade the ratio is undefined; 0 keeps the JSON a plain number (an infinite
    // value cannot be encoded) and the dashboard shows "n/a" when losing_trades is 0.
    if (all.gross_loss.is_positive())
        st.profit_factor = all.gross_profit.to_double() / all.gross_loss.to_double();
    return st;
}

}  // namespace traded::engine
