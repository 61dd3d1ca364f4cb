#include "daemon/data_dir.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace traded::daemon {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// mkdir -p with mode 0700 for the directories it creates.
int make_dirs(const std::string& path) {
    std::string cur;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) return errno;
    }
    return 0;
}

/// Reads a whole small file; nullopt-like via the bool.
bool read_small_file(int fd, std::string& out) {
    std::array<char, 4096> buf{};
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        out.append(buf.data(), static_cast<std::size_t>(n));
        if (out.size() > 65536) return false;  // not a token file
    }
}

bool write_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string::npos) return {};
    auto e = s.find_first_of("\r\n", b);
    std::string line = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
    return line.substr(0, line.find_last_not_of(ws) + 1);
}

}  // namespace

std::string ensure_data_dir(const std::string& path) {
    if (path.empty()) return "data directory: empty path";
    if (int err = make_dirs(path); err != 0)
        return fmt::format("cannot create data directory {}: {}", path, errno_text(err));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return fmt::format("cannot use data directory {}: {}", path, errno_text(errno));
    if (!S_ISDIR(st.st_mode)) return fmt::format("data directory {} is not a directory", path);
    if (::access(path.c_str(), W_OK | X_OK) != 0)
        return fmt::format("data directory {} is not writable: {}", path, errno_text(errno));
    return {};
}

std::vector<std::string> data_dir_warnings(const std::string& path) {
    std::vector<std::string> out;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        out.push_back(fmt::format("data directory {} is accessible by other users (mode {:o}); chmod 700 it", path,
                                  st.st_mode & 0777));
    for (const char* name : {"traded.db", "traded.db-wal", "traded.db-shm", "api_token"}) {
        std::string f = path + "/" + name;
        if (::stat(f.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
            out.push_back(fmt::format("{} is readable by other users (mode {:o}); chmod 600 it", f, st.st_mode & 0777));
    }
    return out;
}

std::variant<data_dir_lock, std::string> data_dir_lock::acquire(const std::string& dir) {
    std::string path = dir + "/traded.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fmt::format("cannot open lock file {}: {}", path, errno_text(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EWOULDBLOCK) {
            std::string content;
            read_small_file(fd, content);
            ::close(fd);
            std::string pid = trim(content);
            return fmt::format("data directory {} is in use by another traded process (pid {})", dir,
                               pid.empty() ? std::string("unknown") : pid);
        }
        ::close(fd);
        return fmt::format("cannot lock {}: {}", path, errno_text(err));
    }
    // We own it: replace whatever pid a previous (dead) owner left.
    std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0 || !write_all(fd, pid)) {
        int err = errno;
        ::close(fd);
        return fmt::format("cannot write lock file {}: {}", path, errno_text(err));
    }
    return data_dir_lock(fd, std::move(path));
}

data_dir_lock::data_dir_lock(data_dir_lock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
}

data_dir_lock& data_dir_lock::operator=(data_dir_lock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        path_ = std::move(other.path_);
        other.fd_ = -1;
    }
    return *this;
}

data_dir_lock::~data_dir_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

namespace {

/// A failed token_result saying why.
token_result no_token(std::string why) { return token_result(boost::system::in_place_error, std::move(why)); }

/// read_token_file, also telling whether the file was readable but held no token.
token_result read_token(const std::string& path, bool& empty) {
    empty = false;
    token_file res;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return no_token(fmt::format("cannot read API token file {}: {}", path, errno_text(errno)));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        res.warning = fmt::format("API token file {} is readable by other users (mode {:o}); chmod 600 it",
                                  path, st.st_mode & 0777);
    std::string content;
    bool ok = read_small_file(fd, content);
    ::close(fd);
    if (!ok) return no_token(fmt::format("cannot read API token file {}", path));
    res.token = trim(content);
    if (res.token.empty()) {
        empty = true;
        return no_token(fmt::format("API token file {} is empty", path));
    }
    return res;
}

}  // namespace

token_result read_token_file(const std::string& path) {
    bool empty = false;
    return read_token(path, empty);
}

token_result read_or_create_token(const std::string& dir) {
    std::string path = dir + "/api_token";
    if (::access(path.c_str(), F_OK) == 0) {
        bool empty = false;
        token_result existing = read_token(path, empty);
        // An empty file carries no secret (an interrupted copy, a `touch`): make a new token.
        // Any other failure (permissions, ...) is reported: never overwrite a token we could not read.
        if (!empty) return existing;
    }

    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        return no_token("cannot generate an API token: no randomness available");
    std::string token;
    for (unsigned char b : bytes) token += fmt::format("{:02x}", b);

    std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return no_token(fmt::format("cannot create API token file {}: {}", tmp, errno_text(errno)));
    bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, token + "\n") && ::fsync(fd) == 0;
    int err = errno;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        if (ok) err = errno;
        ::unlink(tmp.c_str());
        return no_token(fmt::format("cannot write API token file {}: {}", path, errno_text(err)));
    }
    // Make the rename itself durable.
    if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    token_file res;
    res.token = std::move(token);
    res.created = true;
    return res;
}

}  // namespace traded::daemon
