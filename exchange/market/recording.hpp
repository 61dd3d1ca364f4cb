#pragma once
/// The recording format (SPEC §8) and the recorder's buffer, without any I/O.
///
/// A recording is one file per UTC day, `<record_dir>/<YYYY-MM-DD>.jsonl`, one line per market
/// message received from the exchange:
///     {"t":<receive epoch ms>,"stream":"btcusdt@bookTicker","data":<payload exactly as received>}
///
/// record_buffer is what the trading loop touches: append() formats a line into a bounded buffer
/// (or drops and counts it when the buffer is full) and never waits for a disk. The thin writer
/// (recorder.hpp) takes the buffered chunks and appends them to their day files.

#include "engine/types.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace traded::market {

/// "2026-01-15.jsonl" for a receive time on 2026-01-15 UTC.
std::string record_file_name(engine::millis t);

/// One line of a recording, newline included. `payload` is copied byte for byte, except that a
/// raw CR/LF (legal JSON only as whitespace between tokens) becomes a space, so one message stays
/// one line.
std::string record_line(engine::millis t, std::string_view stream, std::string_view payload);

/// Bytes destined for one day file.
struct record_chunk {
    std::string file_name;  // "YYYY-MM-DD.jsonl"
    std::string bytes;      // whole lines
};

/// Counters the daemon shows in status and metrics.
struct record_stats {
    std::uint64_t lines_buffered = 0;  // accepted into the buffer
    std::uint64_t lines_written = 0;   // reported written by the writer
    std::uint64_t lines_dropped = 0;   // buffer full or write failed
    std::size_t bytes_pending = 0;
};

/// Bounded line buffer, grouped by day file in arrival order. Pure, single-owner.
class record_buffer {
public:
    /// `max_bytes`: above this, new lines are dropped (and counted) instead of queued.
    explicit record_buffer(std::size_t max_bytes = std::size_t{8} << 20) : max_bytes_(max_bytes) {}

    /// Buffers one message; false when it was dropped because the buffer is full.
    bool append(engine::millis t, std::string_view stream, std::string_view payload);
    /// Everything buffered so far, oldest first (at most one chunk per day file change). The
    /// buffer is empty afterwards; the lines count as in flight until written()/failed().
    std::vector<record_chunk> take();
    /// The writer wrote `lines` lines of what take() returned.
    void written(std::uint64_t lines) { stats_.lines_written += lines; }
    /// The writer could not write `lines` lines: they are lost and counted as dropped.
    void failed(std::uint64_t lines) { stats_.lines_dropped += lines; }

    bool empty() const { return chunks_.empty(); }
    std::size_t bytes() const { return bytes_; }
    const record_stats& stats() const { return stats_; }
    /// Lines per chunk returned by the last take(), in the same order.
    const std::vector<std::uint64_t>& last_taken_lines() const { return taken_lines_; }

private:
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::vector<record_chunk> chunks_;
    std::vector<std::uint64_t> chunk_lines_;
    std::vector<std::uint64_t> taken_lines_;
    engine::millis day_start_ = -1;  // UTC day of the newest chunk
    engine::millis day_end_ = -1;
    record_stats stats_;
};

}  // namespace traded::market
