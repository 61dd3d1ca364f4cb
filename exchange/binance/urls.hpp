#pragma once
/// WebSocket URLs for Binance USD-M streams built from the configured roots
/// (binance-usdm.md §6.1, §7.1).
///
/// Since the 2026 split, book streams live under `/public`, mark price and trades under
/// `/market`, user data under `/private`; a subscription on the wrong root is accepted and
/// delivers nothing. Configuring all three roots to the same URL selects the legacy layout, where
/// one connection carries every market stream. Stream names use lowercase symbols.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace traded::binance {

/// The three configured roots (config: exchange.ws_public_url / ws_market_url / ws_private_url).
struct stream_roots {
    std::string public_root;   // wss://fstream.binance.com/public
    std::string market_root;   // wss://fstream.binance.com/market
    std::string private_root;  // wss://fstream.binance.com/private
};

/// True when all three roots are the same URL (legacy single-root layout).
bool legacy_layout(const stream_roots& roots);

/// "BTCUSDT" -> "btcusdt".
std::string lower_symbol(std::string_view symbol);
/// "btcusdt@bookTicker".
std::string book_ticker_stream(std::string_view symbol);
/// "btcusdt@markPrice@1s" (or "btcusdt@markPrice", every 3 s, when every_second is false).
std::string mark_price_stream(std::string_view symbol, bool every_second = true);
/// "btcusdt@aggTrade".
std::string agg_trade_stream(std::string_view symbol);

/// `<root>/ws/<stream>` (one raw stream; payloads are not wrapped).
std::string raw_stream_url(std::string_view root, std::string_view stream);
/// `<root>/stream?streams=a/b/c` (combined; payloads wrapped in {"stream":..,"data":..}).
std::string combined_stream_url(std::string_view root, const std::vector<std::string>& streams);
/// The user-data stream: `<root>/private/ws?listenKey=<k>&events=...` under the 2026 private
/// root, `<root>/ws/<listenKey>` under the legacy root (binance-usdm.md §7.1).
std::string user_stream_url(std::string_view private_root, std::string_view listen_key);

/// One WebSocket connection to open for market data.
struct stream_connection {
    std::string url;
    std::vector<std::string> streams;  // names carried by this connection
    std::string root_name;             // "public", "market" or "legacy" (logs, status)
};

/// What market data to subscribe for each symbol.
struct market_streams {
    bool book_ticker = true;  // public root
    bool mark_price = true;   // market root, @1s
    bool agg_trade = false;   // market root
};

/// The connections for `symbols` (duplicates dropped, order kept): book tickers on the public
/// root, mark price and trades on the market root, everything on one root in the legacy layout;
/// each connection carries at most `max_streams` streams (Binance allows 1024).
std::vector<stream_connection> market_connections(const stream_roots& roots, const std::vector<std::string>& symbols,
                                                  market_streams what = {}, std::size_t max_streams = 1024);

}  // namespace traded::binance
