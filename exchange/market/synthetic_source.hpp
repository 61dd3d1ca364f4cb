#pragma once
/// The `synthetic` market source (SPEC §8, the default): the seeded random walk of
/// paper::synthetic_feed, stepped on a timer every `interval_ms`. Offline: no connection, no
/// credentials. Each step delivers one full quote (bid, ask, mark) per symbol.

#include "exchange/market/source.hpp"
#include "exchange/paper/synthetic_feed.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace traded::market {

/// Settings of the synthetic source (config `market.synthetic`).
struct synthetic_options {
    std::uint64_t seed = 42;
    double volatility_bps = 5;
    int interval_ms = 250;
    std::vector<engine::symbol_info> symbols;
    /// Where each symbol's walk starts (a restart resumes where open positions last saw the
    /// market); symbols not listed start at their built-in level.
    std::map<std::string, decimal> start_prices;
    /// Wall clock in epoch ms: the event time stamped on each quote.
    std::function<engine::millis()> clock;
};

/// See the file comment.
class synthetic_source final : public quote_source {
public:
    synthetic_source(boost::asio::io_context& io, synthetic_options opts);
    ~synthetic_source() override;

    source_kind kind() const override { return source_kind::synthetic; }
    /// Delivers the starting quote of every symbol at once (synchronously, so consumers have
    /// prices before anything else runs), then one step per interval.
    void start(source_handlers h) override;
    void stop() override;
    source_status status() const override;

private:
    void arm();
    void deliver(const std::vector<engine::market_tick>& ticks, engine::millis now);

    boost::asio::steady_timer timer_;
    synthetic_options opts_;
    paper::synthetic_feed feed_;
    source_handlers handlers_;
    bool running_ = false;
    engine::millis last_update_ms_ = 0;
};

}  // namespace traded::market
