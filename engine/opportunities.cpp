#include "engine/opportunities.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace traded::engine {

bool known_strategy(std::string_view name) {
    return name == "none" || name == "momentum";
}

opportunity_manager::opportunity_manager(opportunity_config cfg) : cfg_(std::move(cfg)) {
    cfg_.lookback = std::max(cfg_.lookback, 2);  // one tick has nothing to compare with
    momentum_ = cfg_.strategy == "momentum";
}

std::optional<opportunity> opportunity_manager::on_tick(const std::string& symbol, const quote& q,
                                                        millis now) {
    if (!momentum_) return std::nullopt;
    // The mid is (bid + ask) / 2, or the mark when the book is empty; a mid that is not positive
    // gives nothing (both sides positive make a positive mid).
    window_entry tick;
    if (q.bid.is_positive() && q.ask.is_positive())
        tick = {q.bid.raw(), q.ask.raw()};
    else if (q.mark.is_positive())
        tick = {q.mark.raw(), 0};
    else
        return std::nullopt;

    if (last_window_ == nullptr || !same_symbol(last_symbol_, symbol)) {
        last_window_ = &windows_[symbol];
        last_symbol_ = symbol;
    }
    symbol_window& w = *last_window_;
    const auto lookback = static_cast<std::size_t>(cfg_.lookback);
    if (w.ticks.size() < lookback) {
        w.ticks.push_back(tick);
        if (w.ticks.size() < lookback) return std::nullopt;
    } else {
        // Full: the newest replaces the oldest, and the next oldest becomes the head.
        w.ticks[w.head] = tick;
        w.head = w.head + 1 == lookback ? 0 : w.head + 1;
    }
    if (w.last_signal && now - *w.last_signal < cfg_.cooldown_ms) return std::nullopt;

    const double mid = tick.mid();
    const double oldest = w.ticks[w.head].mid();
    const double move_bps = (mid - oldest) / oldest * 10'000.0;
    if (std::fabs(move_bps) < cfg_.threshold_bps) return std::nullopt;

    opportunity opp;
    opp.symbol = symbol;
    opp.opp_side = move_bps > 0 ? side::long_side : side::short_side;
    opp.score = std::fabs(move_bps);
    opp.reason = fmt::format("momentum {:+.1f} bps over {} ticks", move_bps, cfg_.lookback);
    opp.ts = now;
    w.last_signal = now;
    record(opp);
    return opp;
}

void opportunity_manager::record(opportunity opp) {
    recent_.push_back(std::move(opp));
    while (recent_.size() > recent_capacity) recent_.pop_front();
}

}  // namespace traded::engine
