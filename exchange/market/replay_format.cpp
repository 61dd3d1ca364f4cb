#include "exchange/market/replay_format.hpp"

#include "exchange/binance/stream_events.hpp"

#include <charconv>

namespace traded::market {

namespace {

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Reads the comma-separated fields of one CSV row in a single pass, with no copies: the parse
/// is most of a backtest's cost, so decimals are read straight into the 1e-8 raw value (same
/// rules as decimal::parse: at most 8 fractional digits unless the rest are zeros).
class row_cursor {
public:
    explicit row_cursor(std::string_view line) : p_(line.data()), end_(line.data() + line.size()) {}

    enum class status { ok, bad_value, bad_count };

    /// A non-negative integer field; `last`: the row must end after it.
    status integer(std::int64_t& out, bool last) {
        const char* start = p_;
        std::uint64_t v = 0;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
            v = v * 10 + static_cast<std::uint64_t>(*p_ - '0');
            ++p_;
        }
        if (p_ == start || p_ - start > 18) return skip_bad(last);
        out = static_cast<std::int64_t>(v);
        return finish(last);
    }

    /// A non-negative decimal field, as a raw 1e-8 count.
    status decimal_raw(std::int64_t& out, bool last) {
        const char* start = p_;
        std::uint64_t whole = 0;
        int whole_digits = 0;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
            whole = whole * 10 + static_cast<std::uint64_t>(*p_ - '0');
            ++p_;
            if (++whole_digits > 10) return skip_bad(last);  // > 9,999,999,999: not a price
        }
        std::uint64_t frac = 0;
        int frac_digits = 0;
        if (p_ < end_ && *p_ == '.') {
            ++p_;
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
                if (frac_digits < 8) {
                    frac = frac * 10 + static_cast<std::uint64_t>(*p_ - '0');
                    ++frac_digits;
                } else if (*p_ != '0') {
                    return skip_bad(last);
                }
                ++p_;
            }
        }
        if (p_ == start || (whole_digits == 0 && frac_digits == 0)) return skip_bad(last);
        static constexpr std::uint64_t pow10[] = {100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
        out = static_cast<std::int64_t>(whole * 100000000 + frac * pow10[frac_digits]);
        return finish(last);
    }

    /// The literal "true" / "false" as the last field.
    status boolean(bool last) {
        const auto left = static_cast<std::size_t>(end_ - p_);
        std::size_t n = 0;
        if (left >= 4 && std::string_view(p_, 4) == "true") n = 4;
        if (left >= 5 && std::string_view(p_, 5) == "false") n = 5;
        if (n == 0) return skip_bad(last);
        p_ += n;
        return finish(last);
    }

private:
    status finish(bool last) {
        if (last) return p_ == end_ ? status::ok : (*p_ == ',' ? status::bad_count : status::bad_value);
        if (p_ == end_) return status::bad_count;
        if (*p_ != ',') return status::bad_value;
        ++p_;
        return status::ok;
    }
    /// A malformed field (the row is rejected as a whole).
    status skip_bad(bool /*last*/) { return status::bad_value; }

    const char* p_;
    const char* end_;
};

constexpr std::string_view field_count_error = "expected 7 comma-separated fields";

}  // namespace

file_kind classify_file(std::string_view path, std::string& error) {
    error.clear();
    const auto name = base_name(path);
    file_kind k;
    if (ends_with(name, ".jsonl")) return k;
    std::string_view stem;
    if (ends_with(name, ".csv")) {
        stem = name.substr(0, name.size() - 4);
    } else if (ends_with(name, ".zip")) {
        stem = name.substr(0, name.size() - 4);
        k.zip = true;
    } else {
        error = "not a replay file: expected a recording (*.jsonl) or a Binance USD-M data file "
                "(<SYMBOL>-bookTicker-<date>.csv|.zip, <SYMBOL>-aggTrades-<date>.csv|.zip)";
        return k;
    }
    const auto dash = stem.find('-');
    const auto dash2 = dash == std::string_view::npos ? dash : stem.find('-', dash + 1);
    const auto type = dash2 == std::string_view::npos ? std::string_view{} : stem.substr(dash + 1, dash2 - dash - 1);
    if (type == "bookTicker") {
        k.format = file_format::book_ticker_csv;
    } else if (type == "aggTrades") {
        k.format = file_format::agg_trades_csv;
    } else {
        error = "cannot tell the data type from the file name: expected <SYMBOL>-bookTicker-<date> or "
                "<SYMBOL>-aggTrades-<date> as Binance publishes them";
        return k;
    }
    k.symbol = std::string(stem.substr(0, dash));
    for (char c : k.symbol)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            error = "the symbol in the file name is not an upper-case symbol: " + k.symbol;
            return k;
        }
    if (k.symbol.empty()) error = "no symbol in the file name";
    return k;
}

std::string_view parse_book_ticker_row(std::string_view line, const std::string& symbol, quote_update& out) {
    using st = row_cursor::status;
    row_cursor c(line);
    std::int64_t v = 0;
    std::int64_t bid = 0;
    std::int64_t ask = 0;
    auto check = [&](st r, std::string_view why) -> std::string_view {
        if (r == st::bad_count) return field_count_error;
        return r == st::ok ? std::string_view{} : why;
    };
    std::string_view e;
    if (!(e = check(c.integer(v, false), "update_id: expected an integer")).empty()) return e;
    if (!(e = check(c.decimal_raw(bid, false), "best_bid_price: expected a positive decimal")).empty()) return e;
    if (!(e = check(c.decimal_raw(v, false), "best_bid_qty: expected a decimal")).empty()) return e;
    if (!(e = check(c.decimal_raw(ask, false), "best_ask_price: expected a positive decimal")).empty()) return e;
    if (!(e = check(c.decimal_raw(v, false), "best_ask_qty: expected a decimal")).empty()) return e;
    if (!(e = check(c.integer(v, false), "transaction_time: expected epoch milliseconds")).empty()) return e;
    if (!(e = check(c.integer(out.event_time, true), "event_time: expected epoch milliseconds")).empty()) return e;
    if (bid <= 0) return "best_bid_price: expected a positive decimal";
    if (ask <= 0) return "best_ask_price: expected a positive decimal";
    if (out.event_time <= 0) return "event_time: expected epoch milliseconds";
    if (out.symbol != symbol) out.symbol = symbol;
    out.kind = update_kind::book;
    out.bid = decimal::from_raw(bid);
    out.ask = decimal::from_raw(ask);
    out.mark = decimal{};
    out.last = decimal{};
    return {};
}

std::string_view parse_agg_trade_row(std::string_view line, const std::string& symbol, quote_update& out) {
    using st = row_cursor::status;
    row_cursor c(line);
    std::int64_t v = 0;
    std::int64_t price = 0;
    auto check = [&](st r, std::string_view why) -> std::string_view {
        if (r == st::bad_count) return field_count_error;
        return r == st::ok ? std::string_view{} : why;
    };
    std::string_view e;
    if (!(e = check(c.integer(v, false), "agg_trade_id: expected an integer")).empty()) return e;
    if (!(e = check(c.decimal_raw(price, false), "price: expected a positive decimal")).empty()) return e;
    if (!(e = check(c.decimal_raw(v, false), "quantity: expected a decimal")).empty()) return e;
    if (!(e = check(c.integer(v, false), "first_trade_id: expected an integer")).empty()) return e;
    if (!(e = check(c.integer(v, false), "last_trade_id: expected an integer")).empty()) return e;
    if (!(e = check(c.integer(out.event_time, false), "transact_time: expected epoch milliseconds")).empty()) return e;
    if (!(e = check(c.boolean(true), "is_buyer_maker: expected true or false")).empty()) return e;
    if (price <= 0) return "price: expected a positive decimal";
    if (out.event_time <= 0) return "transact_time: expected epoch milliseconds";
    if (out.symbol != symbol) out.symbol = symbol;
    out.kind = update_kind::trade;
    out.last = decimal::from_raw(price);
    out.bid = out.ask = out.mark = decimal{};
    return {};
}

line_status parse_recording_line(std::string_view line, binance::json_parser& parser, quote_update& out,
                                 std::string& error) {
    // The writer always starts a line with {"t":<digits>, so the receive time is read directly.
    constexpr std::string_view prefix = R"({"t":)";
    if (line.substr(0, prefix.size()) != prefix) {
        error = R"(not a recording line: expected {"t":<ms>,"stream":..,"data":..})";
        return line_status::error;
    }
    const char* p = line.data() + prefix.size();
    const char* end = line.data() + line.size();
    std::int64_t t = 0;
    auto [q, ec] = std::from_chars(p, end, t);
    if (ec != std::errc() || q == end || *q != ',' || t <= 0) {
        error = "not a recording line: \"t\" is not epoch milliseconds";
        return line_status::error;
    }
    auto ev = binance::parse_market_event(line, parser);
    if (const auto* e = std::get_if<binance::stream_error>(&ev)) {
        error = e->message;
        return line_status::error;
    }
    out.event_time = t;
    out.bid = out.ask = out.mark = out.last = decimal{};
    if (const auto* b = std::get_if<binance::book_ticker>(&ev)) {
        out.symbol = b->symbol;
        out.kind = update_kind::book;
        out.bid = b->bid_price;
        out.ask = b->ask_price;
    } else if (const auto* m = std::get_if<binance::mark_price_update>(&ev)) {
        out.symbol = m->symbol;
        out.kind = update_kind::mark;
        out.mark = m->mark_price;
    } else if (const auto* a = std::get_if<binance::agg_trade>(&ev)) {
        out.symbol = a->symbol;
        out.kind = update_kind::trade;
        out.last = a->price;
    } else {
        return line_status::skip;
    }
    // The codec reads a missing or non-text price as 0; a replayed quote must carry real prices.
    const bool priced = out.kind == update_kind::book   ? out.bid.is_positive() && out.ask.is_positive()
                        : out.kind == update_kind::mark ? out.mark.is_positive()
                                                        : out.last.is_positive();
    if (!priced) {
        error = "a recorded market message without a positive price";
        return line_status::error;
    }
    return line_status::update;
}

}  // namespace traded::market
