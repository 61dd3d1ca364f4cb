#pragma once
// The replay-file fuzz target (recordings and Binance public-data CSV rows), shared by the
// libFuzzer entry (replay_fuzz.cpp) and the Catch2 corpus replay (corpus_replay_test.cpp).
//
// Input: the first byte picks the reader (0 recording lines, 1 bookTicker rows, 2 aggTrades rows,
// 3 a file name to classify), the rest is split into lines. A row is an update or an error with a
// message, never both; an accepted update has a symbol, positive prices where its kind has them
// and a positive time, and a quote_book fed with it only ever yields positive marks.

#include "exchange/market/quote_update.hpp"
#include "exchange/market/replay_format.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace traded::fuzz {

namespace replay_detail {

inline const char* check_update(const market::quote_update& u, market::quote_book& book) {
    if (u.symbol.empty()) return "an accepted update without a symbol";
    if (u.event_time <= 0) return "an accepted update without a positive time";
    if (u.bid.is_negative() || u.ask.is_negative() || u.mark.is_negative() || u.last.is_negative())
        return "an accepted update with a negative price";
    switch (u.kind) {
        case market::update_kind::book:
            if (!u.bid.is_positive() || !u.ask.is_positive()) return "an accepted book update without bid and ask";
            break;
        case market::update_kind::trade:
            if (!u.last.is_positive()) return "an accepted trade without a price";
            break;
        case market::update_kind::mark:
            if (!u.mark.is_positive()) return "an accepted mark update without a mark";
            break;
        case market::update_kind::full: break;
    }
    if (auto q = book.apply(u); q && (!q->q.mark.is_positive() || !q->q.bid.is_positive() || !q->q.ask.is_positive()))
        return "quote_book yielded a quote with a non-positive price";
    return nullptr;
}

}  // namespace replay_detail

/// One fuzz input through the replay-file parsers. nullptr when every invariant held.
inline const char* check_replay(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return nullptr;
    const int mode = data[0] % 4;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (mode == 3) {
            std::string error;
            auto kind = market::classify_file(rest, error);
            if (error.empty() && kind.format != market::file_format::recording && kind.symbol.empty())
                return "a CSV file name accepted without a symbol";
            return nullptr;
        }
        static binance::json_parser parser;  // reused across lines, as the reader does
        market::quote_book book;
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            const std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
            market::quote_update u;
            if (mode == 0) {
                std::string error;
                const auto st = market::parse_recording_line(line, parser, u, error);
                if (st == market::line_status::error && error.empty()) return "a recording line refused without a reason";
                if (st == market::line_status::update) {
                    if (!error.empty()) return "a recording line accepted with an error";
                    if (const char* p = replay_detail::check_update(u, book)) return p;
                }
            } else {
                const std::string symbol = "BTCUSDT";
                const auto e = mode == 1 ? market::parse_book_ticker_row(line, symbol, u)
                                         : market::parse_agg_trade_row(line, symbol, u);
                if (e.empty()) {
                    if (u.symbol != symbol) return "a CSV row accepted for another symbol";
                    if (const char* p = replay_detail::check_update(u, book)) return p;
                }
            }
        }
    } catch (const std::exception&) {
        return "a replay parser threw";
    }
    return nullptr;
}

}  // namespace traded::fuzz
