#pragma once
/// Reading replay files (SPEC §8): one file_reader per file (plain or the published .zip, read
/// with libzip), and replay_stream, which merges several files by event time.
///
/// Errors name the file and line ("BTCUSDT-bookTicker-2026-01-15.csv:17: best_bid_price: ...").
/// A recording's torn last line (no newline: the process was killed mid-write) is skipped.
/// Synchronous, blocking file reads: used by `traded backtest` directly and by the replay source
/// in bounded slices on the loop.

#include "exchange/binance/json_parser.hpp"
#include "exchange/market/quote_update.hpp"
#include "exchange/market/replay_format.hpp"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace traded::market {

/// Outcome of one read.
enum class read_status { update, end, error };

/// Where bytes come from: a plain file or one entry of a zip archive.
class byte_source {
public:
    virtual ~byte_source() = default;
    /// Reads up to n bytes; 0 at end of data, -1 on error.
    virtual long read(char* buf, std::size_t n) = 0;
};

/// Reads one replay file line by line into quote updates.
class file_reader {
public:
    /// Opens `path` (kind from its name). Symbols not in `symbols` are an error (empty set: any).
    /// On failure `error()` names the file.
    file_reader(std::string path, const std::set<std::string>& symbols);
    ~file_reader();
    file_reader(const file_reader&) = delete;
    file_reader& operator=(const file_reader&) = delete;

    /// True when the file opened and its header (CSV) is right.
    bool ok() const { return error_.empty(); }
    /// Next update; `error` leaves error() set ("path:line: message"), `end` at end of file.
    read_status next(quote_update& out);

    const std::string& path() const { return path_; }
    const std::string& error() const { return error_; }
    const file_kind& kind() const { return kind_; }
    /// Number of the line last read (1-based).
    std::uint64_t line() const { return line_; }
    /// Bytes read from the file so far and its size (for progress; size 0 when unknown).
    std::uint64_t bytes_read() const { return consumed_; }
    std::uint64_t size() const { return size_; }
    /// Torn last lines skipped (recordings).
    std::uint64_t torn_lines() const { return torn_; }

private:
    /// Next line without its newline; false at end (or error). `complete` is false for a last
    /// line that had no newline.
    bool next_line(std::string_view& line, bool& complete);
    void fail_line(std::string_view message);

    std::string path_;
    file_kind kind_;
    std::set<std::string> symbols_;
    std::unique_ptr<byte_source> src_;
    std::string buf_;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    bool eof_ = false;
    std::uint64_t line_ = 0;
    std::uint64_t consumed_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t torn_ = 0;
    std::string error_;
    std::string scratch_;
    binance::json_parser parser_;
};

/// Expands replay paths: a file, a directory (its *.jsonl, *.csv and *.zip files) or a glob
/// pattern, sorted by name within each argument. Empty `error` on success.
std::vector<std::string> expand_replay_paths(const std::vector<std::string>& args, std::string& error);

/// Several files merged by event time (ties: the file given first, then file order).
class replay_stream {
public:
    /// Opens every file; `symbols`: the configured symbols (a file with another is an error).
    replay_stream(const std::vector<std::string>& files, const std::set<std::string>& symbols);

    /// False when a file failed to open; error() says which and why.
    bool ok() const { return error_.empty(); }
    /// Next update in event-time order; `error` sets error() to "file:line: message".
    read_status next(quote_update& out);
    const std::string& error() const { return error_; }
    /// Bytes read and total size over all files (for progress).
    std::uint64_t bytes_read() const;
    std::uint64_t size() const;

private:
    struct head {
        quote_update u;
        bool live = false;
    };
    bool refill(std::size_t i);

    std::vector<std::unique_ptr<file_reader>> readers_;
    std::vector<head> heads_;
    std::string error_;
};

}  // namespace traded::market
