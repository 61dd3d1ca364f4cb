#pragma once
/// The opportunity manager: turns market data into entry ideas and keeps the recent ones.
///
/// Strategies (config `opportunities.strategy`):
/// - "none": produces nothing; only manual opportunities (POST /api/v1/opportunities) exist.
/// - "momentum": per symbol, keep the last `lookback` mid prices ((bid + ask) / 2, or the mark
///   when the book is empty). Once the window is full, compare the newest mid with the oldest:
///   a rise of at least `threshold_bps` basis points gives a LONG, a fall of at least as much a
///   SHORT. The score is the size of the move in bps. After a signal the symbol is quiet for
///   `cooldown_ms`, so one move yields one idea rather than one per tick.
///   The move is a strategy input, not money, so it is computed in double.
///
/// Pure like the rest of engine/: no clock (time is the `now` argument), no I/O, ordered
/// containers only. Single-threaded: owned by the daemon's io_context thread.

#include "engine/types.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::engine {

/// Strategy parameters (config `opportunities:` with `params`).
struct opportunity_config {
    std::string strategy = "none";  // "none" | "momentum"
    int lookback = 20;              // ticks in the momentum window (>= 2)
    double threshold_bps = 8;       // minimum move over the window, basis points (> 0)
    int cooldown_ms = 30000;        // quiet time per symbol after a signal (>= 0)

    bool operator==(const opportunity_config&) const = default;
};

/// True for the strategy names the manager implements ("none", "momentum").
bool known_strategy(std::string_view name);

/// Generates opportunities from ticks and remembers the recent ones (generated and manual).
class opportunity_manager {
public:
    /// Number of opportunities kept by recent().
    static constexpr std::size_t recent_capacity = 100;

    explicit opportunity_manager(opportunity_config cfg = {});
    // last_window_ points into windows_: a copy would point into the original. A move keeps
    // the map's nodes, so the pointer stays valid.
    opportunity_manager(const opportunity_manager&) = delete;
    opportunity_manager& operator=(const opportunity_manager&) = delete;
    opportunity_manager(opportunity_manager&&) = default;
    opportunity_manager& operator=(opportunity_manager&&) = default;

    /// Feed one quote of `symbol`; returns an opportunity when the strategy fires (it is also
    /// added to recent()).
    std::optional<opportunity> on_tick(const std::string& symbol, const quote& q, millis now);

    /// Remember a manual opportunity (it shows in recent()).
    void record(opportunity opp);

    /// The last `recent_capacity` opportunities, oldest first, newest last.
    const std::deque<opportunity>& recent() const { return recent_; }

    const opportunity_config& config() const { return cfg_; }

private:
    /// One tick's prices as the window keeps them: the raw decimals, turned into the double mid
    /// only when a signal is possible (most ticks fall in a cooldown, and a double division per
    /// tick was most of the strategy's cost in a backtest). The mid is computed exactly as from
    /// the quote, so the signals are the same.
    struct window_entry {
        std::int64_t first = 0;   // bid raw, or the mark's raw when the book is empty
        std::int64_t second = 0;  // ask raw; 0 when `first` is the mark
        double mid() const {
            const double a = decimal::from_raw(first).to_double();
            return second == 0 ? a : (a + decimal::from_raw(second).to_double()) / 2;
        }
    };
    /// The last `lookback` ticks as a ring (no allocation per tick once full).
    struct symbol_window {
        std::vector<window_entry> ticks;  // capacity lookback
        std::size_t head = 0;             // index of the oldest once full
        std::optional<millis> last_signal;
    };

    opportunity_config cfg_;
    bool momentum_ = false;  // cfg_.strategy == "momentum", decided once
    std::map<std::string, symbol_window> windows_;
    /// The last ticked symbol's window (entries are never erased): one compare per tick of it.
    std::string last_symbol_;
    symbol_window* last_window_ = nullptr;
    std::deque<opportunity> recent_;
};

}  // namespace traded::engine
