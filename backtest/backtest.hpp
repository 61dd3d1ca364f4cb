#pragma once
/// `traded backtest` (SPEC §8): the paper engine, the paper matching model (daemon::paper_port
/// around paper::account) and the strategy (engine::opportunity_manager), driven by replayed
/// market data as fast as possible. Time comes from the events: `now` is the event time of the
/// update being processed, so the same files and config give the same trades, byte for byte.
///
/// The loop is the daemon's market-tick path without the daemon: quote_book merges the update,
/// the simulated account sees the quote first (TP/SL fills before market data), then the engine,
/// then the strategy; an opportunity goes to the engine as an open_request. No wall clock, no
/// store, no HTTP server, no exchange connection. Single-threaded.

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "exchange/market/replay_reader.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace traded::backtest {

/// Progress for a terminal (bytes of the input read so far, of the total).
struct progress {
    std::uint64_t events = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t bytes_total = 0;
};

/// Everything a run produced.
struct result {
    std::string error;  // "file:line: message" on bad input; empty on success
    std::uint64_t events = 0;  // market updates read
    std::uint64_t opportunities = 0;
    engine::millis first_event = 0;
    engine::millis last_event = 0;
    std::vector<engine::trade> trades;  // in close order
    engine::performance_stats performance;
    decimal wallet_balance;  // simulated account at the end
    int closed_at_end = 0;   // positions still open at the last event, closed with STOP
    bool ok() const { return error.empty(); }
};

/// Runs the backtest over `stream` with the paper_trading, opportunities and market sections of
/// `cfg`. `on_progress` (optional) is called every 65536 events.
result run(const config::config& cfg, market::replay_stream& stream,
           const std::function<void(const progress&)>& on_progress = {});

/// trades.csv: a header and one row per trade, the trade fields of SPEC §2, in close order.
std::string trades_csv(const std::vector<engine::trade>& trades);

/// report.json: the performance fields plus breakdowns per symbol and per exit reason, event
/// count, first and last event time and, as its only timing fields, `elapsed_s` and
/// `events_per_second`.
std::string report_json(const result& r, const std::vector<std::string>& files, double elapsed_s);

}  // namespace traded::backtest
