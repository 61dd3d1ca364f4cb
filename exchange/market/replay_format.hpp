#pragma once
/// Replay file formats (SPEC §8 "Replay files"), parsing only: no files, no clock.
///
/// - Recordings (`*.jsonl`): `{"t":<receive ms>,"stream":"..","data":<exchange payload>}` lines;
///   the payload is parsed by the same Binance codec the live streams use. A recording replays on
///   its receive clock `t`, so a replay sees the messages in the order and at the times the live
///   daemon saw them.
/// - Binance public USD-M data (data.binance.vision), `.csv` or the published `.zip`:
///   `<SYMBOL>-bookTicker-<date>.csv` and `<SYMBOL>-aggTrades-<date>.csv` (daily `2026-01-15` or
///   monthly `2026-01`); the symbol comes from the file name, the header must be exactly the one
///   below. bookTicker rows are book updates at `event_time`, aggTrades rows trades at
///   `transact_time`; the quote_book derives the mark from them (mid, or last trade).

#include "exchange/binance/json_parser.hpp"
#include "exchange/market/quote_update.hpp"

#include <string>
#include <string_view>

namespace traded::market {

/// What a replay file holds.
enum class file_format { recording, book_ticker_csv, agg_trades_csv };

/// A replay file recognised from its name.
struct file_kind {
    file_format format = file_format::recording;
    std::string symbol;  // CSV files: from the name ("BTCUSDT"); recordings: empty (per line)
    bool zip = false;    // the published .zip around the CSV
};

/// The header line of a bookTicker CSV, exactly as Binance publishes it.
inline constexpr std::string_view book_ticker_header =
    "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time";
/// The header line of an aggTrades CSV, exactly as Binance publishes it.
inline constexpr std::string_view agg_trades_header =
    "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker";

/// Recognises a file from its name (directory part ignored). Empty `error` on success; otherwise
/// a sentence saying which names are understood.
file_kind classify_file(std::string_view path, std::string& error);

/// Parses one bookTicker CSV row into a book update of `symbol`. Returns an empty string on
/// success, else what is wrong with the row (static text).
std::string_view parse_book_ticker_row(std::string_view line, const std::string& symbol, quote_update& out);
/// Parses one aggTrades CSV row into a trade update of `symbol` (same contract).
std::string_view parse_agg_trade_row(std::string_view line, const std::string& symbol, quote_update& out);

/// Outcome of one recording line.
enum class line_status { update, skip, error };

/// Parses one recording line. `update`: `out` holds it (event_time = the receive time `t`);
/// `skip`: a message the replay does not use (another stream type, a subscription answer);
/// `error`: `error` says why (not JSON, no `t`, a malformed payload).
line_status parse_recording_line(std::string_view line, binance::json_parser& parser, quote_update& out,
                                 std::string& error);

}  // namespace traded::market
