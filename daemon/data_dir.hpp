#pragma once
/// The data directory: creating it, owning it exclusively (one traded process per directory), and
/// the API token generated into it on first start.

#include <boost/system/result.hpp>

#include <string>
#include <variant>
#include <vector>

namespace traded::daemon {

/// Creates `path` (and missing parents, mode 0700) if needed and checks it is a writable
/// directory. Returns "" on success, else a message naming the path and the reason.
std::string ensure_data_dir(const std::string& path);

/// Warnings about a data directory (or the state files in it) that other users can read or
/// enter: "data directory X is accessible by other users (mode 755); chmod 700 it". The daemon
/// creates its files under umask 077, but a directory made by hand keeps its own mode.
std::vector<std::string> data_dir_warnings(const std::string& path);

/// Exclusive ownership of a data directory: a non-blocking flock on <dir>/traded.lock holding the
/// owner's pid. Two daemons writing the same SQLite state would corrupt each other's view of the
/// exchange, so the second one must refuse to start. The kernel drops the lock when the process
/// dies (even on kill -9), so a stale lock file never blocks a restart.
class data_dir_lock {
public:
    /// Takes the lock, or explains who holds it:
    /// "data directory X is in use by another traded process (pid N)".
    static std::variant<data_dir_lock, std::string> acquire(const std::string& dir);

    data_dir_lock(data_dir_lock&& other) noexcept;
    data_dir_lock& operator=(data_dir_lock&& other) noexcept;
    data_dir_lock(const data_dir_lock&) = delete;
    data_dir_lock& operator=(const data_dir_lock&) = delete;
    /// Releases the lock (the file stays; its content is only informative).
    ~data_dir_lock();

    /// Path of the lock file.
    const std::string& path() const { return path_; }

private:
    data_dir_lock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

/// An API token read from or written to disk.
struct token_file {
    std::string token;
    bool created = false;  // generated now (the caller logs the dashboard URL once)
    std::string warning;   // e.g. the file is readable by other users
};

/// A token, or why there is none (a message naming the file, never the token). Read it with
/// `if (r)`, `r->token`, `r.error()`.
using token_result = boost::system::result<token_file, std::string>;

/// Reads the token from a file (first line, surrounding whitespace trimmed). An empty file or
/// one that cannot be read is an error naming the file; the token itself never appears in it.
token_result read_token_file(const std::string& path);

/// Reads <dir>/api_token, or creates it with 32 random bytes as 64 hex characters, file mode
/// 0600, written atomically (temp file, fsync, rename) so a crash never leaves half a token.
token_result read_or_create_token(const std::string& dir);

}  // namespace traded::daemon
