#include "daemon/service/backup.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace traded::daemon::service {

namespace {
/// Closes a connection on every path out.
struct connection {
    sqlite3* db = nullptr;
    ~connection() { sqlite3_close_v2(db); }
};
}  // namespace

backup_result backup_store(const std::string& data_dir, const std::string& dest) {
    const std::string src_path = data_dir + "/traded.db";
    if (::access(src_path.c_str(), R_OK) != 0) return {fmt::format("cannot read {}", src_path), {}};
    if (::access(dest.c_str(), F_OK) == 0) return {fmt::format("{} exists; choose a new file", dest), {}};

    connection src;
    if (sqlite3_open_v2(src_path.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return {fmt::format("cannot open {}: {}", src_path, sqlite3_errmsg(src.db)), {}};
    sqlite3_busy_timeout(src.db, 5000);
    // The copy is created private: it holds the whole trading history.
    const auto old_mask = ::umask(0077);
    connection dst;
    const int rc_open = sqlite3_open_v2(dest.c_str(), &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    ::umask(old_mask);
    if (rc_open != SQLITE_OK) return {fmt::format("cannot create {}: {}", dest, sqlite3_errmsg(dst.db)), {}};

    sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
    if (b == nullptr) return {fmt::format("backup of {} failed: {}", src_path, sqlite3_errmsg(dst.db)), {}};
    int rc = SQLITE_OK;
    // Small batches: between them the daemon's own commits go ahead.
    while ((rc = sqlite3_backup_step(b, 64)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        if (rc != SQLITE_OK) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        ::unlink(dest.c_str());
        return {fmt::format("backup of {} failed: {}", src_path, sqlite3_errstr(rc)), {}};
    }

    sqlite3_stmt* st = nullptr;
    std::string check = "no answer";
    if (sqlite3_prepare_v2(dst.db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        check = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (check != "ok") return {fmt::format("the copy {} failed its integrity check: {}", dest, check), {}};
    struct stat s {};
    ::stat(dest.c_str(), &s);
    return {{}, fmt::format("copied {} pages ({} bytes), integrity ok", pages, static_cast<long long>(s.st_size))};
}

}  // namespace traded::daemon::service
