#pragma once
/// The `exchange` market source (SPEC §8): Binance USD-M public streams — `bookTicker` (best
/// bid/ask), `markPrice@1s` and `aggTrade` — for the configured symbols. No credentials.
///
/// The same stream code real trading uses: URLs from binance/urls (public root for book
/// tickers, market root for mark price and trades, one root in the legacy layout), the
/// connection state machine binance/stream_fsm (connect timeout, silence detection, 24 h
/// rotation, jittered exponential backoff) performed by net/stream_driver (the one driver of
/// every exchange stream, the user stream's too), payloads parsed by binance/stream_events.
/// This file only parses frames into quote updates and reports status.
///
/// A dropped connection reconnects with backoff in the background; nothing here ever blocks the
/// io_context (the API stays responsive while the exchange is unreachable).
///
/// Threading and lifetime: io_context thread only. The state lives in a shared object kept
/// alive by its coroutines and timers; stop() (or the destructor) ends them.

#include "exchange/market/source.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace traded::market {

/// Settings of the exchange source.
struct exchange_source_options {
    std::string ws_public_url;  // config exchange.ws_public_url (roots; see binance/urls.hpp)
    std::string ws_market_url;  // config exchange.ws_market_url
    std::string ca_file;        // extra CA for wss (tests, private gateways)
    std::vector<std::string> symbols;
    /// Wall clock in epoch ms (receive times, status ages, the state machine's deadlines).
    std::function<engine::millis()> clock;
    /// Backoff bounds of the reconnect (binance::stream_config); tests shorten them.
    engine::millis backoff_initial_ms = 500;
    engine::millis backoff_max_ms = 30'000;
    /// Where messages (traded_market_messages_total) and reconnects are counted, by connection
    /// root ("public", "market"); none: not counted.
    metrics::registry* metrics = nullptr;
};

/// See the file comment.
class exchange_source final : public quote_source {
public:
    exchange_source(boost::asio::io_context& io, exchange_source_options opts);
    ~exchange_source() override;
    exchange_source(const exchange_source&) = delete;
    exchange_source& operator=(const exchange_source&) = delete;

    source_kind kind() const override { return source_kind::exchange; }
    void start(source_handlers h) override;
    void stop() override;
    /// connected: every connection is up; detail names each connection's state ("public:
    /// connected, market: retrying (connect failed: ...)").
    source_status status() const override;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace traded::market
