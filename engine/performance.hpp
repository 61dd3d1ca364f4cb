#pragma once
/// Performance statistics over closed trades (GET performance).

#include "engine/types.hpp"

#include <span>
#include <vector>

namespace traded::engine {

struct performance_stats {
    int total_trades = 0;
    int winning_trades = 0;
    int losing_trades = 0;
    double win_rate = 0;  // percent, display value
    decimal total_pnl;
    decimal avg_pnl;
    decimal best_trade;
    decimal worst_trade;
    double profit_factor = 0;  // gross profit / gross loss; 0 when no losses and no wins
    decimal daily_pnl;         // realized since 00:00 UTC of `now`
    decimal max_drawdown;      // largest peak-to-trough fall of cumulative realized PnL (>= 0)
};

/// Running totals of closed trades folded in close order. The engine keeps only its most recent
/// trades in memory; the ones that leave that window are folded in here, so the statistics over
/// the whole history stay exactly what they were (the store still holds every trade).
struct trade_totals {
    int count = 0;
    int winning = 0;
    int losing = 0;
    decimal total_pnl;     // also the cumulative realized PnL the drawdown is measured on
    decimal gross_profit;
    decimal gross_loss;    // positive magnitude
    decimal best;          // meaningful when count > 0
    decimal worst;
    decimal peak;          // running maximum of total_pnl, starting at zero
    decimal max_drawdown;  // >= 0
    millis last_closed_at = 0;  // newest closed_at folded in (0: none)
    /// PnL of the folded trades that closed on the UTC day starting at day_start (the day of the
    /// latest one): daily_pnl still counts a trade that left memory earlier the same day.
    millis day_start = 0;
    decimal day_pnl;

    /// Fold one more trade (trades arrive in close order).
    void add(const trade& t);
    /// A folded trade was corrected after the fact (its exit fill arrived late). Counts, sums and
    /// the day's PnL are adjusted exactly; best/worst/drawdown take the new value into account
    /// but cannot forget the old one (a corrected trade rarely leaves memory before it is fixed).
    void replace(const trade& before, const trade& after);
};

/// Statistics of `trades` (in close order) as of `now`.
performance_stats compute_performance(const std::vector<trade>& trades, millis now);
/// Statistics of the trades folded into `earlier` followed by `trades` (in close order).
performance_stats compute_performance(const trade_totals& earlier, const std::vector<trade>& trades, millis now);
/// The same over a span (the engine's in-memory window).
performance_stats compute_performance_of(const trade_totals& earlier, std::span<const trade> trades, millis now);

/// Epoch ms of 00:00 UTC of the day containing t.
millis utc_day_start(millis t);
/// "YYYY-MM-DD" of the UTC day containing t.
std::string utc_date(millis t);

}  // namespace traded::engine
