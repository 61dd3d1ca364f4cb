#pragma once
/// The market-data composition (SPEC §1 Opportunities, §8): which source feeds which engine, one
/// strategy instance per price source, merged quotes, and the places where watchers attach.
///
/// - The paper engine (and the paper matching model) trades on `market.source`: synthetic,
///   exchange or replay. The real engine, when enabled, always trades on the exchange's own
///   public streams for its symbols. With `market.source: exchange` both engines share one
///   exchange source: one set of connections, the same quotes, the same signals.
/// - Each source has its own quote_book (updates merged into full quotes) and its own strategy
///   instance. A signal carries its source ("synthetic", "exchange", "replay") and goes only to
///   the engines that trade on that source's prices: a synthetic or replayed signal can never
///   reach the real engine (which also refuses such signals itself).
/// - Updates are coalesced per symbol and delivered once per turn of the io_context, after any
///   execution events already queued (the same rule the exchange port always followed).
///
/// Single-threaded: io_context thread only.

#include "config/config.hpp"
#include "engine/opportunities.hpp"
#include "exchange/market/quote_update.hpp"
#include "exchange/market/recorder.hpp"
#include "exchange/market/source.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace traded::daemon {

/// Where the hub delivers (implemented by the app).
struct market_sinks {
    /// A merged quote of `symbol` for engine `m` (the app runs the paper matching model first).
    std::function<void(engine::mode m, const std::string& symbol, const engine::quote& q)> quote;
    /// A strategy signal (opp.source set) for the engines in `targets`.
    std::function<void(const engine::opportunity& opp, const std::vector<engine::mode>& targets)> signal;
    /// Where the exchange source counts its messages and reconnects (none: not counted).
    metrics::registry* metrics = nullptr;
};

/// One source as status shows it.
struct market_source_view {
    market::source_kind kind = market::source_kind::synthetic;
    std::vector<engine::mode> feeds;  // engines trading on it
    market::source_status status;
};

/// The engines a signal computed from `signal_source` prices may reach, given the paper
/// engine's `market.source` and whether real trading is enabled. Pure (unit-tested).
std::vector<engine::mode> signal_targets(market::source_kind signal_source, market::source_kind paper_source,
                                         bool real_enabled);

/// Parses a `market.source` value; nullopt for an unknown name.
std::optional<market::source_kind> parse_source_kind(std::string_view name);

/// See the file comment.
class market_hub {
public:
    using clock_fn = std::function<engine::millis()>;

    /// `synthetic_start`: where the synthetic walk resumes per symbol (open paper positions' marks).
    market_hub(boost::asio::io_context& io, const config::config& cfg, std::vector<engine::symbol_info> symbols,
               std::map<std::string, decimal> synthetic_start, clock_fn clock, market_sinks sinks);
    ~market_hub();
    market_hub(const market_hub&) = delete;
    market_hub& operator=(const market_hub&) = delete;

    /// Creates and starts the sources, and the recorder when `market.record_dir` is set. Returns
    /// an error message (unknown source, replay with real trading, record_dir not writable), empty
    /// on success. A bad replay file is not an error here: the replay source validates its files
    /// on the loop and shows the failure (file:line) as its status, trading nothing.
    std::string start();
    /// Stops every source; no sink is called afterwards.
    void stop();
    /// New strategy settings (SIGHUP reload): each source's strategy instance starts over.
    void set_strategy(const config::opportunities_config& c);

    // ----- Extension points ------------------------------------------------------------------
    /// Watchers that only observe the market attach here, before start(): the recorder
    /// (`market.record_dir`, SPEC §8) takes every raw message received from the exchange's
    /// public streams — (receive ms, stream name, payload exactly as received) — and the WS
    /// `market` channel (SPEC §3) takes every merged quote with its source. Watchers run on the
    /// io_context thread after the engines had the update; they must not block.
    void add_raw_watcher(std::function<void(const market::raw_message&)> w) { raw_watchers_.push_back(std::move(w)); }
    void add_quote_watcher(
        std::function<void(market::source_kind, const std::string& symbol, const market::symbol_quote&)> w) {
        quote_watchers_.push_back(std::move(w));
    }

    // ----- Views ---------------------------------------------------------------------------------
    /// Every running source with its connection state and the engines it feeds.
    std::vector<market_source_view> sources() const;
    /// The source engine `m` trades on; nullopt when it has none (real trading disabled).
    std::optional<market::source_kind> source_of(engine::mode m) const;
    /// Connection state of engine `m`'s source (disconnected, "none" when it has none).
    market::source_status status_of(engine::mode m) const;
    /// The recorder's counters and directory; nullopt when `market.record_dir` is not set.
    std::optional<market::recorder_status> recording() const;
    /// The latest merged quote of `symbol` on engine `m`'s source.
    std::optional<market::symbol_quote> latest(engine::mode m, const std::string& symbol) const;

private:
    struct lane;
    lane* lane_of(engine::mode m) const;
    void on_update(lane& l, const market::quote_update& u);
    void flush();

    boost::asio::io_context& io_;
    config::config cfg_;
    std::vector<engine::symbol_info> symbols_;
    std::map<std::string, decimal> synthetic_start_;
    clock_fn clock_;
    market_sinks sinks_;
    std::vector<std::unique_ptr<lane>> lanes_;
    /// market.record_dir: takes the exchange lane's raw messages (first raw watcher).
    std::unique_ptr<market::recorder> recorder_;
    std::vector<std::function<void(const market::raw_message&)>> raw_watchers_;
    std::vector<std::function<void(market::source_kind, const std::string&, const market::symbol_quote&)>>
        quote_watchers_;
    bool flush_posted_ = false;
    bool stopped_ = false;
    /// Guards posted flushes against running after the hub is gone.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace traded::daemon
