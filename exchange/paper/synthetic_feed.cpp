#include "exchange/paper/synthetic_feed.hpp"

#include "exchange/paper/matching.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace traded::paper {
namespace {

/// Chance per step that a symbol switches drift regime: about one switch per 300 ticks.
constexpr double regime_switch_chance = 1.0 / 300.0;
/// Share of regimes without drift.
constexpr double flat_regime_share = 0.4;

/// FNV-1a: a hash that is the same on every platform (std::hash is not), for per-symbol seeds.
std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/// splitmix64 finaliser: spreads nearby seeds apart before they seed the generator.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/// Uniform in [0, 1) from the top 53 bits. Written out because std distributions are not
/// specified bit-for-bit, and a seed must replay the same market everywhere.
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// Standard normal by Box-Muller.
double normal(std::mt19937_64& rng) {
    const double u1 = 1.0 - uniform(rng);  // (0, 1]: log stays finite
    const double u2 = uniform(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

synthetic_feed::synthetic_feed(std::uint64_t seed, double volatility_bps, std::vector<engine::symbol_info> symbols,
                               std::map<std::string, decimal> start_prices)
    : sigma_(std::max(volatility_bps, 0.0) / 1e4) {
    lanes_.reserve(symbols.size());
    for (auto& info : symbols) {
        lane l;
        if (!info.tick_size.is_positive()) info.tick_size = decimal::from_raw(1);
        decimal start = default_start_price(info.symbol);
        if (auto it = start_prices.find(info.symbol); it != start_prices.end() && it->second.is_positive())
            start = it->second;
        l.rng.seed(mix(seed ^ fnv1a(info.symbol)));
        l.log_mid = std::log(start.to_double());
        l.log_anchor = l.log_mid;
        l.info = std::move(info);
        requote(l, 0);
        lanes_.push_back(std::move(l));
    }
}

void synthetic_feed::requote(lane& l, engine::millis now) {
    const decimal tick = l.info.tick_size;
    // Keep the mid at least 10 ticks above zero (so the bid is positive) and within decimal's range.
    const double floor_log = std::log(tick.to_double() * 10.0);
    const double ceil_log = std::log(1e10);
    if (l.log_mid < floor_log) l.log_mid = 2.0 * floor_log - l.log_mid;  // reflect off the floor
    l.log_mid = std::clamp(l.log_mid, floor_log, ceil_log);

    decimal mark = decimal::from_double(std::exp(l.log_mid)).value_or(tick.mul_int(10)).round_to(tick);
    mark = std::max(mark, tick.mul_int(l.ticks_below + 1));
    l.q.mark = mark;
    l.q.bid = mark - tick.mul_int(l.ticks_below);
    l.q.ask = mark + tick.mul_int(l.ticks_above);
    l.q.ts = now;
}

std::vector<engine::market_tick> synthetic_feed::step(engine::millis now) {
    std::vector<engine::market_tick> out;
    out.reserve(lanes_.size());
    for (auto& l : lanes_) {
        if (uniform(l.rng) < regime_switch_chance) {
            if (uniform(l.rng) < flat_regime_share) {
                l.drift = 0;
            } else {
                // Trends of 2-10% of sigma per step (a 300-step regime moves 6-30 sigma), more often
                // back toward the anchor so a long run does not wander off to absurd prices.
                const double magnitude = sigma_ * (0.02 + 0.08 * uniform(l.rng));
                const double deviation = l.log_mid - l.log_anchor;
                const double up_chance = std::clamp(0.5 - 2.0 * deviation, 0.1, 0.9);
                l.drift = uniform(l.rng) < up_chance ? magnitude : -magnitude;
            }
        }
        l.log_mid += l.drift + sigma_ * normal(l.rng);

        // Spread of 1-3 ticks; the bid always sits strictly below the mark.
        const int spread = 1 + static_cast<int>(l.rng() % 3);
        l.ticks_below = spread == 3 ? 1 + static_cast<int>(l.rng() % 2) : 1;
        l.ticks_above = spread - l.ticks_below;
        requote(l, now);
        out.push_back({l.info.symbol, l.q});
    }
    return out;
}

bool synthetic_feed::set_price(const std::string& symbol, decimal mid) {
    if (!mid.is_positive()) return false;
    for (auto& l : lanes_) {
        if (l.info.symbol != symbol) continue;
        l.log_mid = std::log(mid.to_double());
        l.log_anchor = l.log_mid;  // a forced level is the new normal, not something to revert from
        requote(l, l.q.ts);
        return true;
    }
    return false;
}

std::optional<engine::quote> synthetic_feed::current(const std::string& symbol) const {
    for (const auto& l : lanes_)
        if (l.info.symbol == symbol) return l.q;
    return std::nullopt;
}

std::vector<std::string> synthetic_feed::symbols() const {
    std::vector<std::string> out;
    for (const auto& l : lanes_) out.push_back(l.info.symbol);
    return out;
}

}  // namespace traded::paper
