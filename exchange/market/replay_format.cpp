#include "exchange/market/replay_format.hpp"

#include "exchange/binance/stream_events.hpp"

#include <array>
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

bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    const auto* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

/// Splits a CSV row into exactly N fields (no quoting: Binance's files have none).
template <std::size_t N>
bool split(std::string_view line, std::array<std::string_view, N>& f) {
    std::size_t i = 0;
    std::size_t start = 0;
    for (std::size_t k = 0; k < line.size(); ++k) {
        if (line[k] != ',') continue;
        if (i + 1 >= N) return false;
        f[i++] = line.substr(start, k - start);
        start = k + 1;
    }
    if (i + 1 != N) return false;
    f[i] = line.substr(start);
    return true;
}

bool positive_decimal(std::string_view s, decimal& out) {
    auto v = decimal::parse(s);
    if (!v || !v->is_positive()) return false;
    out = *v;
    return true;
}

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
    std::array<std::string_view, 7> f;
    if (!split(line, f)) return "expected 7 comma-separated fields";
    std::int64_t id = 0;
    if (!parse_int(f[0], id)) return "update_id: expected an integer";
    if (!positive_decimal(f[1], out.bid)) return "best_bid_price: expected a positive decimal";
    if (!decimal::parse(f[2])) return "best_bid_qty: expected a decimal";
    if (!positive_decimal(f[3], out.ask)) return "best_ask_price: expected a positive decimal";
    if (!decimal::parse(f[4])) return "best_ask_qty: expected a decimal";
    std::int64_t tt = 0;
    if (!parse_int(f[5], tt)) return "transaction_time: expected epoch milliseconds";
    if (!parse_int(f[6], out.event_time) || out.event_time <= 0) return "event_time: expected epoch milliseconds";
    out.symbol = symbol;
    out.kind = update_kind::book;
    out.mark = decimal{};
    out.last = decimal{};
    return {};
}

std::string_view parse_agg_trade_row(std::string_view line, const std::string& symbol, quote_update& out) {
    std::array<std::string_view, 7> f;
    if (!split(line, f)) return "expected 7 comma-separated fields";
    std::int64_t id = 0;
    if (!parse_int(f[0], id)) return "agg_trade_id: expected an integer";
    if (!positive_decimal(f[1], out.last)) return "price: expected a positive decimal";
    if (!decimal::parse(f[2])) return "quantity: expected a decimal";
    if (!parse_int(f[3], id)) return "first_trade_id: expected an integer";
    if (!parse_int(f[4], id)) return "last_trade_id: expected an integer";
    if (!parse_int(f[5], out.event_time) || out.event_time <= 0) return "transact_time: expected epoch milliseconds";
    if (f[6] != "true" && f[6] != "false") return "is_buyer_maker: expected true or false";
    out.symbol = symbol;
    out.kind = update_kind::trade;
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
    return line_status::update;
}

}  // namespace traded::market
