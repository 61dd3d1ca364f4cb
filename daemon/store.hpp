#pragma once
/// Durable engine state in SQLite (SPEC §6): `traded.db` in the data directory.
///
/// Every engine step that changed durable state is written in ONE transaction, committed with
/// WAL + synchronous=FULL before the daemon acknowledges or pushes anything: after kill -9 the
/// database holds exactly the steps that were announced, never half of one. Decimals are stored
/// as their exact text (decimal::to_string) and parsed back, so no value drifts through a double.
///
/// Thread and lifetime: the store is used only from the io_context thread (one connection, no
/// locking of our own). It must outlive nothing; destroying it closes the database.

#include "engine/engine.hpp"
#include "engine/events.hpp"
#include "engine/types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace traded::daemon {

/// What an audit row records: an engine state transition, or a control action by a user.
enum class audit_kind { transition, control };
/// "transition" / "control", as stored in audit_log.kind.
std::string_view to_string(audit_kind k);

/// One row of the append-only audit log.
struct audit_row {
    std::int64_t id = 0;
    engine::millis ts = 0;
    std::optional<engine::mode> mode;  // none: daemon-wide (config, token, ...)
    audit_kind kind = audit_kind::transition;
    std::string what;    // event or command name: "position_opened", "emergency_stop", ...
    std::string detail;  // human-readable facts (ids, prices, reasons)
    std::string remote;  // who asked ("127.0.0.1:5555"), empty for engine transitions
};

/// An audit line to write as part of a commit.
struct audit_entry {
    audit_kind kind = audit_kind::transition;
    std::string what;
    std::string detail;
    std::string remote;
};

/// Everything one commit writes for one mode, in one transaction.
struct change_set {
    std::vector<engine::position> positions;  // upserted by position_id
    std::vector<engine::order_record> orders;  // upserted by client_id
    std::vector<engine::trade> trades;         // upserted by trade_id
    std::optional<engine::engine_state> state;
    std::optional<std::int64_t> seq;  // last pushed sequence number of the mode
    std::vector<audit_entry> audit;
    /// True when there is nothing to write.
    bool empty() const {
        return positions.empty() && orders.empty() && trades.empty() && !state && !seq && audit.empty();
    }
};

/// The change set of one engine step: dirty positions and orders looked up in `e`, the new
/// trades, the state when it changed, and one audit row per notification except the high-rate
/// ones (position_updated, balance_updated, opportunity), which are not transitions.
change_set changes_of(const engine::engine& e, const engine::output& out);

/// Options for store::open.
struct open_options {
    /// Open an existing database without writing (inspection; every commit then fails).
    bool read_only = false;
    /// Cap on the database size in bytes (0: none). Writes that need more fail like a full disk.
    std::int64_t max_bytes = 0;
    /// How long a statement waits for a lock held by another connection.
    int busy_timeout_ms = 5000;
    /// load() returns every non-closed position plus this many most recent CLOSED/FAILED ones.
    int closed_positions_kept = 1000;
    /// audit_log keeps this many most recent rows (0: all); older ones are deleted as new ones
    /// are written, so the table cannot grow without bound.
    std::int64_t audit_rows_kept = 200000;
};

/// The SQLite state store.
class store {
public:
    /// Highest schema version this build understands.
    static int schema_version();

    /// Opens (creating and migrating if needed) <data_dir>/traded.db. Errors name the file:
    /// unreadable, not a database, or written by a newer traded (schema version too high).
    static std::variant<store, std::string> open(const std::string& data_dir, open_options opts = {});

    store(store&&) noexcept;
    store& operator=(store&&) noexcept;
    store(const store&) = delete;
    store& operator=(const store&) = delete;
    ~store();

    /// Writes the durable effects of one engine step of mode `m` in one transaction: the dirty
    /// positions and orders (looked up in `e`), the new trades, the engine state when it changed,
    /// `seq`, and the audit rows (see changes_of). Returns "" once committed (durable), else the
    /// reason (disk full, read-only, I/O error); then nothing of the step was written. Never throws.
    std::string commit(engine::mode m, const engine::engine& e, const engine::output& out,
                       std::int64_t seq, engine::millis now);
    /// The same for an explicit change set; an empty set writes nothing. Never throws.
    /// `durable` false: committed without an fsync (WAL + synchronous=NORMAL: the transaction is
    /// in the WAL file before this returns, so kill -9 keeps it; power loss may lose it until the
    /// next durable commit's fsync, which covers every earlier WAL frame). Only for rows recovery
    /// does not depend on (positions revalued by ticks).
    std::string commit(engine::mode m, const change_set& changes, engine::millis now, bool durable = true);

    /// Everything needed to restore the engine of mode `m`: its state (defaults when never
    /// saved), every non-closed position plus the most recent closed ones, their orders plus any
    /// order still live on the exchange, and the most recent `trades_kept` trades (oldest first;
    /// 0: all), every older one folded into snapshot.earlier_trades. Error text on failure.
    std::variant<engine::engine_snapshot, std::string> load(engine::mode m, std::size_t trades_kept = 0);
    /// Closed trades of mode `m` with closed_at >= since, newest first, at most `limit` (the API's
    /// trades answer when it reaches beyond the engine's in-memory window). Error text on failure.
    std::variant<std::vector<engine::trade>, std::string> trades(engine::mode m, int limit, engine::millis since);
    /// A position of mode `m` by id, however old (the engine keeps only recent closed ones in
    /// memory), with its trade when it has one.
    struct stored_position {
        engine::position position;
        std::optional<engine::trade> trade;
    };
    /// nullopt when the id is unknown (or the store cannot be read).
    std::optional<stored_position> find_position(engine::mode m, const std::string& position_id);
    /// The last sequence number committed for `m` (0 when none). Error text on failure.
    std::variant<std::int64_t, std::string> load_seq(engine::mode m);

    /// Appends one audit row in its own transaction. Returns "" or the reason. Never throws.
    /// `durable` false (a refused command that changed nothing): committed without an fsync
    /// (synchronous=NORMAL), so it survives kill -9 but only the next durable commit or
    /// checkpoint makes it survive power loss; a flood of refused requests costs no disk flush.
    std::string audit(engine::millis ts, std::optional<engine::mode> m, audit_kind kind,
                      std::string_view what, std::string_view detail, std::string_view remote,
                      bool durable = true);
    /// The last `n` audit rows, oldest first (empty on error).
    std::vector<audit_row> audit_tail(std::size_t n);

    /// Path of the database file.
    const std::string& path() const;

private:
    struct impl;
    explicit store(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace traded::daemon
