#pragma once
/// The `replay` market source (SPEC §8): replays recordings and Binance public data files through
/// the quote_source interface at `market.replay_speed`, for paper trading only.
///
/// Nothing is traded from a bad file: start() first reads every file to the end (validation, in
/// slices posted on the loop so the API stays responsive) and delivers nothing if any row fails;
/// the status then names the file and line. After validation the files are read again and each
/// update is delivered when its event time, scaled by the speed, comes due on the wall clock
/// (speed 0: as fast as the loop allows, in bounded batches).
///
/// Runs on the daemon's single io_context thread, like every source.

#include "exchange/market/replay_reader.hpp"
#include "exchange/market/source.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace traded::market {

/// Replay pacing, pure: when is an update with event time `event_ms` due on the wall clock?
/// The first update fixes the origin; `speed` 1 = recorded pace, 10 = ten times faster,
/// 0 = at once.
class replay_pacer {
public:
    explicit replay_pacer(double speed) : speed_(speed) {}
    /// Wall time (epoch ms) at which the update is due.
    engine::millis due(engine::millis event_ms, engine::millis wall_now) {
        if (!origin_) origin_ = std::pair{event_ms, wall_now};
        if (speed_ <= 0) return wall_now;
        const double offset = static_cast<double>(event_ms - origin_->first) / speed_;
        return origin_->second + static_cast<engine::millis>(offset);
    }

private:
    double speed_;
    std::optional<std::pair<engine::millis, engine::millis>> origin_;  // (event, wall)
};

/// Replays files as a quote_source.
class replay_source final : public quote_source {
public:
    /// `paths`: files, directories or globs (market.replay_file); `symbols`: market.symbols;
    /// `clock`: the daemon's wall clock in epoch ms.
    replay_source(boost::asio::io_context& io, std::vector<std::string> paths, std::set<std::string> symbols,
                  double speed, std::function<engine::millis()> clock);
    ~replay_source() override;

    source_kind kind() const override { return source_kind::replay; }
    void start(source_handlers h) override;
    void stop() override;
    source_status status() const override { return status_; }

    /// Updates delivered so far.
    std::uint64_t delivered() const { return delivered_; }

private:
    void set_status(bool connected, std::string detail);
    void validate_slice();
    void deliver();

    boost::asio::io_context& io_;
    std::vector<std::string> paths_;
    std::vector<std::string> files_;
    std::set<std::string> symbols_;
    double speed_;
    std::function<engine::millis()> clock_;
    source_handlers h_;
    source_status status_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<replay_stream> stream_;
    std::optional<quote_update> next_;
    replay_pacer pacer_;
    std::uint64_t validated_ = 0;
    std::uint64_t delivered_ = 0;
    engine::millis last_event_ = 0;  // event time of the update delivered last
    bool stopped_ = false;
    /// Guards posted handlers against running after the source is destroyed.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace traded::market
