#pragma once
/// The market-data layer's unit of exchange: one price update of one symbol, whatever produced it
/// (synthetic walk, Binance public stream, recording, Binance public data file). Sources emit
/// updates; a quote_book merges them into the full engine::quote each consumer needs.
///
/// Pure: no I/O, no clock. Single-threaded like everything else in the daemon.

#include "engine/types.hpp"

#include <map>
#include <optional>
#include <string>

namespace traded::market {

/// What one update carries. A book update has bid/ask; a trade has last; a mark update has mark.
/// A synthetic or recorded full quote carries all of them (kind::full).
enum class update_kind { book, trade, mark, full };

/// One price update. Fields the kind does not carry are zero.
struct quote_update {
    std::string symbol;
    update_kind kind = update_kind::full;
    decimal bid;
    decimal ask;
    decimal mark;
    decimal last;
    engine::millis event_time = 0;  // exchange event time (or the generator's time)
};

/// A complete view of one symbol: the engine's quote plus the last trade price.
struct symbol_quote {
    engine::quote q;  // bid, ask, mark, ts (= event time of the newest update)
    decimal last;
};

/// Merges updates into the latest complete quote per symbol. For sources without a mark price
/// (bookTicker / aggTrades files) the mark follows the mid or the last trade, per SPEC §8, until a
/// real mark update has been seen for that symbol.
class quote_book {
public:
    /// One symbol's merge state. Callers that index symbols themselves (the backtest) keep one per
    /// symbol and call merge(); apply() is the same with the lookup by name.
    struct entry {
        symbol_quote sq;
        bool has_real_mark = false;
    };

    /// Applies one update; returns the symbol's merged quote once it has a usable mark and book
    /// (a trade-only symbol uses last as bid, ask and mark).
    std::optional<symbol_quote> apply(const quote_update& u) { return merge(symbols_[u.symbol], u); }

    /// apply() on a caller-held entry (`u.symbol` is not looked at).
    static std::optional<symbol_quote> merge(entry& s, const quote_update& u) {
        switch (u.kind) {
            case update_kind::book:
                s.sq.q.bid = u.bid;
                s.sq.q.ask = u.ask;
                if (!s.has_real_mark && u.bid.is_positive() && u.ask.is_positive())
                    s.sq.q.mark = decimal::from_raw((u.bid.raw() + u.ask.raw()) / 2);
                break;
            case update_kind::trade:
                s.sq.last = u.last;
                if (!s.has_real_mark && !s.sq.q.bid.is_positive()) s.sq.q.mark = u.last;
                break;
            case update_kind::mark:
                s.has_real_mark = true;
                s.sq.q.mark = u.mark;
                break;
            case update_kind::full:
                s.has_real_mark = true;
                s.sq.q.bid = u.bid;
                s.sq.q.ask = u.ask;
                s.sq.q.mark = u.mark;
                if (u.last.is_positive()) s.sq.last = u.last;
                break;
        }
        s.sq.q.ts = u.event_time;
        if (!s.sq.q.mark.is_positive()) return std::nullopt;
        symbol_quote out = s.sq;
        // A symbol seen only through trades has no book yet: its last price stands for both sides.
        if (!out.q.bid.is_positive()) out.q.bid = out.q.mark;
        if (!out.q.ask.is_positive()) out.q.ask = out.q.mark;
        return out;
    }

    /// The latest merged quote of a symbol, if any.
    std::optional<symbol_quote> latest(const std::string& symbol) const {
        auto it = symbols_.find(symbol);
        if (it == symbols_.end() || !it->second.sq.q.mark.is_positive()) return std::nullopt;
        return it->second.sq;
    }

private:
    std::map<std::string, entry> symbols_;
};

}  // namespace traded::market
