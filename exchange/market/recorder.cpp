#include "exchange/market/recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace traded::market {

namespace {
/// A file that does not end in a newline ends in a line torn by a crash or a failed write: cut
/// it off, so appending after it (a restart the same UTC day) cannot glue two lines together.
bool drop_torn_tail(int fd) {
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size <= 0) return size == 0;
    char block[4096];
    off_t end = size;
    while (end > 0) {
        const off_t from = end > static_cast<off_t>(sizeof block) ? end - static_cast<off_t>(sizeof block) : 0;
        const auto want = static_cast<std::size_t>(end - from);
        if (::pread(fd, block, want, from) != static_cast<ssize_t>(want)) return false;
        for (std::size_t i = want; i-- > 0;) {
            if (block[i] != '\n') continue;
            const off_t keep = from + static_cast<off_t>(i) + 1;
            return keep == size || ::ftruncate(fd, keep) == 0;
        }
        end = from;
    }
    return ::ftruncate(fd, 0) == 0;
}
}  // namespace

recorder::recorder(std::string dir, std::size_t max_buffer_bytes, std::chrono::milliseconds flush_every)
    : dir_(std::move(dir)), flush_every_(flush_every), buf_(max_buffer_bytes) {}

recorder::~recorder() { stop(); }

std::string recorder::start() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return "market.record_dir: cannot create " + dir_ + ": " + ec.message();
    if (!std::filesystem::is_directory(dir_, ec)) return "market.record_dir: " + dir_ + " is not a directory";
    if (::access(dir_.c_str(), W_OK) != 0) return "market.record_dir: " + dir_ + " is not writable";
    writer_ = std::thread([this] { run(); });
    return {};
}

void recorder::record(engine::millis t, std::string_view stream, std::string_view payload) {
    std::lock_guard lock(mu_);
    buf_.append(t, stream, payload);
}

void recorder::stop() {
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        stop_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

recorder_status recorder::status() const {
    std::lock_guard lock(mu_);
    return {dir_, buf_.stats(), last_error_};
}

void recorder::run() {
    for (;;) {
        std::vector<record_chunk> chunks;
        std::vector<std::uint64_t> lines;
        bool last = false;
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, flush_every_, [this] { return stop_; });
            last = stop_;
            chunks = buf_.take();
            lines = buf_.last_taken_lines();
        }
        // The disk write happens without the lock: record() never waits for it.
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            const bool ok = write_chunk(chunks[i]);
            std::lock_guard lock(mu_);
            if (ok)
                buf_.written(lines[i]);
            else
                buf_.failed(lines[i]);
        }
        if (last) return;
    }
}

bool recorder::write_chunk(const record_chunk& c) {
    auto fail = [&](const char* what) {
        const std::string msg = std::string(what) + " " + dir_ + "/" + c.file_name + ": " + std::strerror(errno);
        std::lock_guard lock(mu_);
        last_error_ = msg;
        return false;
    };
    if (c.file_name != open_name_ || fd_ < 0) {
        if (fd_ >= 0) ::close(fd_);
        open_name_ = c.file_name;
        const auto path = dir_ + "/" + c.file_name;
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd_ < 0) return fail("cannot open");
        if (!drop_torn_tail(fd_)) return fail("cannot repair the torn last line of");
    }
    const char* p = c.bytes.data();
    std::size_t left = c.bytes.size();
    while (left > 0) {
        const auto n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            // A partial line may now end the file; the reader skips a torn last line, and the
            // next open cuts it off before appending (drop_torn_tail).
            ::close(fd_);
            fd_ = -1;
            return fail("cannot write");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    {
        std::lock_guard lock(mu_);
        last_error_.clear();
    }
    return true;
}

}  // namespace traded::market
