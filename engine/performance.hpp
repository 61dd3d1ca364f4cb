#pragma once
/// Performance statistics over closed trades (GET performance).

#include "engine/types.hpp"

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

/// Statistics of `trades` (in close order) as of `now`.
performance_stats compute_performance(const std::vector<trade>& trades, millis now);

/// Epoch ms of 00:00 UTC of the day containing t.
millis utc_day_start(millis t);
/// "YYYY-MM-DD" of the UTC day containing t.
std::string utc_date(millis t);

}  // namespace traded::engine
