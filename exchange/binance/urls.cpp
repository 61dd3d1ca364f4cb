#include "exchange/binance/urls.hpp"

#include <algorithm>

namespace traded::binance {

namespace {

std::string_view trim_slash(std::string_view root) {
    while (!root.empty() && root.back() == '/') root.remove_suffix(1);
    return root;
}

/// Splits `streams` into connections of at most max_streams each.
void add_connections(std::vector<stream_connection>& out, std::string_view root, std::string_view name,
                     const std::vector<std::string>& streams, std::size_t max_streams) {
    if (max_streams == 0) max_streams = 1;
    for (std::size_t i = 0; i < streams.size(); i += max_streams) {
        stream_connection c;
        c.root_name = std::string(name);
        c.streams.assign(streams.begin() + static_cast<std::ptrdiff_t>(i),
                         streams.begin() + static_cast<std::ptrdiff_t>(std::min(streams.size(), i + max_streams)));
        c.url = combined_stream_url(root, c.streams);
        out.push_back(std::move(c));
    }
}

}  // namespace

bool legacy_layout(const stream_roots& roots) {
    return trim_slash(roots.public_root) == trim_slash(roots.market_root) &&
           trim_slash(roots.market_root) == trim_slash(roots.private_root);
}

std::string lower_symbol(std::string_view symbol) {
    std::string s(symbol);
    std::transform(s.begin(), s.end(), s.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return s;
}

std::string book_ticker_stream(std::string_view symbol) { return lower_symbol(symbol) + "@bookTicker"; }

std::string mark_price_stream(std::string_view symbol, bool every_second) {
    return lower_symbol(symbol) + (every_second ? "@markPrice@1s" : "@markPrice");
}

std::string agg_trade_stream(std::string_view symbol) { return lower_symbol(symbol) + "@aggTrade"; }

std::string raw_stream_url(std::string_view root, std::string_view stream) {
    std::string url(trim_slash(root));
    url += "/ws/";
    url += stream;
    return url;
}

std::string combined_stream_url(std::string_view root, const std::vector<std::string>& streams) {
    std::string url(trim_slash(root));
    url += "/stream?streams=";
    for (std::size_t i = 0; i < streams.size(); ++i) {
        if (i > 0) url.push_back('/');
        url += streams[i];
    }
    return url;
}

std::string user_stream_url(std::string_view private_root, std::string_view listen_key) {
    // binance-usdm.md §7.1: under the 2026 `/private` root the key goes in the query with the
    // event types wanted; the legacy root serves `/ws/<listenKey>`.
    std::string_view root = private_root;
    while (!root.empty() && root.back() == '/') root.remove_suffix(1);
    constexpr std::string_view private_suffix = "/private";
    if (root.size() >= private_suffix.size() && root.substr(root.size() - private_suffix.size()) == private_suffix) {
        std::string url(root);
        url += "/ws?listenKey=";
        url += listen_key;
        url += "&events=ORDER_TRADE_UPDATE/ALGO_UPDATE/ACCOUNT_UPDATE/listenKeyExpired";
        return url;
    }
    return raw_stream_url(private_root, listen_key);
}

std::vector<stream_connection> market_connections(const stream_roots& roots, const std::vector<std::string>& symbols,
                                                  market_streams what, std::size_t max_streams) {
    std::vector<std::string> unique;
    for (const auto& s : symbols) {
        if (!s.empty() && std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(s);
    }
    std::vector<std::string> book;
    std::vector<std::string> market;
    for (const auto& s : unique) {
        if (what.book_ticker) book.push_back(book_ticker_stream(s));
        if (what.mark_price) market.push_back(mark_price_stream(s));
        if (what.agg_trade) market.push_back(agg_trade_stream(s));
    }
    std::vector<stream_connection> out;
    // Same root for book and market data: the legacy layout, one connection carries both.
    if (trim_slash(roots.public_root) == trim_slash(roots.market_root)) {
        std::vector<std::string> all = book;
        all.insert(all.end(), market.begin(), market.end());
        add_connections(out, roots.public_root, "legacy", all, max_streams);
        return out;
    }
    add_connections(out, roots.public_root, "public", book, max_streams);
    add_connections(out, roots.market_root, "market", market, max_streams);
    return out;
}

}  // namespace traded::binance
