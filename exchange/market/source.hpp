#pragma once
/// The market-data layer's source interface (SPEC §8): something that delivers quote_updates for a
/// set of symbols — the synthetic walk, Binance public streams, or a replayed file. The daemon's
/// composition owns one source, feeds every update through a quote_book to the engines, the paper
/// matching model and the strategy, and never needs to know which kind is running.
///
/// Sources run on the daemon's single io_context thread; callbacks are invoked on it.

#include "exchange/market/quote_update.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace traded::market {

/// Where a quote (and so an opportunity) came from. Real trading acts only on `exchange`.
enum class source_kind { synthetic, exchange, replay };

/// The config / API spelling of a source kind ("synthetic", "exchange", "replay").
inline std::string_view to_string(source_kind k) {
    switch (k) {
        case source_kind::synthetic: return "synthetic";
        case source_kind::exchange: return "exchange";
        case source_kind::replay: return "replay";
    }
    return "unknown";
}

/// Connection state of a source as shown in status (SPEC §8: "each source's connection and age").
struct source_status {
    bool connected = false;
    std::string detail;        // e.g. "connected", "reconnecting in 2s: timeout", "replay finished"
    engine::millis last_update_ms = 0;  // receive time of the newest update (0: none yet)
};

/// One market message exactly as an exchange source received it (SPEC §8 recording): receive
/// time (epoch ms), stream name ("btcusdt@bookTicker") and the payload text (the `data` of a
/// combined-stream frame, byte for byte). Only the `exchange` source produces them.
struct raw_message {
    engine::millis receive_ms = 0;
    std::string_view stream;
    std::string_view payload;
};

/// Callbacks a source invokes; all on the io_context thread. Any of them may be empty.
struct source_handlers {
    std::function<void(const quote_update&)> on_update;
    std::function<void(const source_status&)> on_status;
    /// Raw exchange messages, before parsing (views valid only during the call).
    std::function<void(const raw_message&)> on_raw;
};

/// A running producer of quote updates. start() begins delivery (asynchronously: timers, sockets);
/// stop() cancels everything it has outstanding, after which no callback runs again.
class quote_source {
public:
    virtual ~quote_source() = default;
    /// The kind shown in status and carried by opportunities derived from this source's prices.
    virtual source_kind kind() const = 0;
    /// Begins delivering updates through `h`.
    virtual void start(source_handlers h) = 0;
    /// Stops delivery; idempotent.
    virtual void stop() = 0;
    /// Current connection state.
    virtual source_status status() const = 0;
};

}  // namespace traded::market
