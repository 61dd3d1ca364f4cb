#pragma once
/// `traded backup`: a consistent copy of the store while the daemon runs (SQLite's online backup
/// API reads a snapshot through the same WAL the daemon writes; the daemon is never blocked for
/// more than one batch of pages).

#include <string>

namespace traded::daemon::service {

struct backup_result {
    std::string error;    ///< empty on success; names the file and the reason
    std::string summary;  ///< "copied N pages (M bytes), integrity ok"
};

/// Copies <data_dir>/traded.db to `dest` (refused when `dest` exists), mode 0600, then runs
/// PRAGMA integrity_check on the copy.
backup_result backup_store(const std::string& data_dir, const std::string& dest);

}  // namespace traded::daemon::service
