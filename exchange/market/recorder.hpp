#pragma once
/// The recorder (SPEC §8 "Recording"): appends every exchange market message to
/// `<record_dir>/<YYYY-MM-DD>.jsonl`. The thin I/O around record_buffer.
///
/// Threading: record() is called on the daemon's io_context thread and only appends to a bounded
/// in-memory buffer under a mutex held for a memcpy, never across a disk write. A dedicated writer
/// thread (the one thread besides the loop, so that a slow or full disk can never stall trading)
/// swaps the buffer out every `flush_every` and appends it to the day files. When the disk cannot
/// keep up the buffer fills and new lines are dropped and counted, never queued without bound.
/// On kill -9 at most one flush interval of lines (default 250 ms) is lost.

#include "exchange/market/recording.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace traded::market {

/// What the daemon shows about the recorder (status and metrics).
struct recorder_status {
    std::string dir;
    record_stats stats;
    std::string last_error;  // empty when every write succeeded
};

/// Appends market messages to day files from a background writer thread.
class recorder {
public:
    explicit recorder(std::string dir, std::size_t max_buffer_bytes = std::size_t{8} << 20,
                      std::chrono::milliseconds flush_every = std::chrono::milliseconds(250));
    ~recorder();
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;

    /// Creates the directory if needed and starts the writer thread. Returns an error message
    /// naming the directory, empty on success.
    std::string start();
    /// Records one message received at `t` (epoch ms) on `stream`; never waits for the disk.
    void record(engine::millis t, std::string_view stream, std::string_view payload);
    /// Writes what is buffered and stops the writer thread; idempotent.
    void stop();
    recorder_status status() const;

private:
    void run();
    /// Appends one chunk to its day file; false (and last_error_ set) on failure.
    bool write_chunk(const record_chunk& c);

    std::string dir_;
    std::chrono::milliseconds flush_every_;
    mutable std::mutex mu_;  // guards buf_, stop_, last_error_
    std::condition_variable cv_;
    record_buffer buf_;
    bool stop_ = false;
    std::string last_error_;
    std::thread writer_;
    // Writer thread only:
    int fd_ = -1;
    std::string open_name_;
};

}  // namespace traded::market
