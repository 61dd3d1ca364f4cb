#pragma once
/// A synthetic market for paper trading and `traded-sim`: one seeded random walk per symbol.
///
/// Each step moves the log mid price by a normal return (sigma = volatility_bps / 1e4) plus the
/// drift of a slowly switching regime, so trends appear now and then instead of pure noise. Quotes
/// sit on the symbol's tick grid: mark = mid rounded to the tick, bid strictly below it, ask at or
/// above it, 1-3 ticks apart. Pure and deterministic: the same seed gives the same ticks, and each
/// symbol has its own generator so adding a symbol does not change the others' paths.

#include "engine/events.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace traded::paper {

/// Seeded random-walk prices for a set of symbols. No clock: `step` takes the time to stamp.
class synthetic_feed {
public:
    /// `start_prices` overrides default_start_price() per symbol (non-positive values are ignored).
    synthetic_feed(std::uint64_t seed, double volatility_bps, std::vector<engine::symbol_info> symbols,
                   std::map<std::string, decimal> start_prices = {});

    /// Advances every symbol one tick; one market_tick per symbol, in construction order.
    std::vector<engine::market_tick> step(engine::millis now);

    /// Forces the mid price of a symbol (admin endpoint, tests); the next step continues from
    /// there. False for an unknown symbol or a non-positive price.
    bool set_price(const std::string& symbol, decimal mid);

    /// The latest quote of a symbol (the start price before the first step); nullopt if unknown.
    std::optional<engine::quote> current(const std::string& symbol) const;

    /// The symbols this feed prices, in construction order.
    std::vector<std::string> symbols() const;

private:
    /// State of one symbol. The walk runs on a double log price because it needs exp/log; every
    /// price that leaves the feed is a decimal on the tick grid.
    struct lane {
        engine::symbol_info info;
        std::mt19937_64 rng;
        double log_mid = 0;
        double log_anchor = 0;  // drift regimes lean back toward this level
        double drift = 0;       // per-step log drift of the current regime
        int ticks_below = 1;    // bid = mark - ticks_below * tick (>= 1)
        int ticks_above = 1;    // ask = mark + ticks_above * tick (>= 0)
        engine::quote q;
    };
    /// Rebuilds a lane's quote from its log mid and spread, stamped `now`.
    static void requote(lane& l, engine::millis now);

    std::vector<lane> lanes_;
    double sigma_;
};

}  // namespace traded::paper
