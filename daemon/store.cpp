#include "daemon/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace traded::daemon {

std::string_view to_string(audit_kind k) { return k == audit_kind::control ? "control" : "transition"; }

namespace {

// ---------------------------------------------------------------------------------------------
// Schema. Each migration runs in its own transaction together with the schema_version row that
// records it, so a crash mid-migration leaves the previous version intact. Append only: never
// edit a migration that has shipped.
// ---------------------------------------------------------------------------------------------

constexpr std::array<const char*, 4> migrations{{
    // 1: initial schema.
    R"sql(
CREATE TABLE positions (
    mode TEXT NOT NULL,
    position_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    status TEXT NOT NULL,
    entry_price TEXT NOT NULL,
    qty TEXT NOT NULL,
    stake_usd TEXT NOT NULL,
    leverage INTEGER NOT NULL,
    tp_order_id TEXT NOT NULL,
    sl_order_id TEXT NOT NULL,
    tp_price TEXT NOT NULL,
    sl_price TEXT NOT NULL,
    highest_profit_ever TEXT NOT NULL,
    profit_floor_activated INTEGER NOT NULL,
    mark_price TEXT NOT NULL,
    pnl TEXT NOT NULL,
    fees TEXT NOT NULL,
    exit_price TEXT NOT NULL,
    exit_filled_qty TEXT NOT NULL,
    exit_reason TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (mode, position_id)
);
CREATE INDEX positions_by_status ON positions (mode, status, closed_at);
CREATE TABLE orders (
    mode TEXT NOT NULL,
    client_id TEXT NOT NULL,
    exchange_id TEXT NOT NULL,
    position_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    side TEXT NOT NULL,
    qty TEXT NOT NULL,
    trigger_price TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_qty TEXT NOT NULL,
    avg_price TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (mode, client_id)
);
CREATE INDEX orders_by_position ON orders (mode, position_id);
CREATE INDEX orders_by_status ON orders (mode, status);
CREATE TABLE trades (
    mode TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    position_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    entry_price TEXT NOT NULL,
    exit_price TEXT NOT NULL,
    qty TEXT NOT NULL,
    pnl TEXT NOT NULL,
    fees TEXT NOT NULL,
    pnl_pct REAL NOT NULL,
    exit_reason TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER NOT NULL,
    PRIMARY KEY (mode, trade_id)
);
CREATE INDEX trades_by_close ON trades (mode, closed_at);
CREATE TABLE engine_state (
    mode TEXT PRIMARY KEY,
    running INTEGER NOT NULL,
    emergency_stopped INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    trading_day_start INTEGER NOT NULL,
    daily_realized_pnl TEXT NOT NULL,
    daily_loss_limit_hit INTEGER NOT NULL,
    override_stake_usd TEXT,
    override_max_positions INTEGER,
    override_max_daily_loss TEXT,
    updated_at INTEGER NOT NULL
);
CREATE TABLE seq (
    mode TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    mode TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('transition', 'control')),
    what TEXT NOT NULL,
    detail TEXT NOT NULL,
    remote TEXT NOT NULL
);
)sql",
    // 2: commissions as the exchange charged them, by asset ("BNB:0.0001,USDT:0.08"), beside the
    // USDT total in `fees`. Rows written before it read as '' (not recorded).
    R"sql(
ALTER TABLE positions ADD COLUMN commissions TEXT NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN commissions TEXT NOT NULL DEFAULT '';
)sql",
    // 3: trades in close order straight from an index, with the pnl the start-up fold needs in it
    // (an index-only scan of 100k trades instead of reading and sorting every row).
    R"sql(
CREATE INDEX trades_by_close_pnl ON trades (mode, closed_at, trade_id, pnl);
DROP INDEX trades_by_close;
)sql",
    // 4: live orders with their position id in the index, so the start-up read of orders still
    // live whose position is over skips the TP/SL of open positions without reading their rows.
    R"sql(
CREATE INDEX orders_by_status_position ON orders (mode, status, position_id);
DROP INDEX orders_by_status;
)sql",
}};

// ---------------------------------------------------------------------------------------------
// RAII over the C API
// ---------------------------------------------------------------------------------------------

struct db_close {
    void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
};
struct stmt_finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using db_ptr = std::unique_ptr<sqlite3, db_close>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalize>;

/// Failure inside a transaction body; carries the message commit() returns. Internal only:
/// every public entry point catches it.
struct db_error {
    std::string message;
};

/// One use of a cached prepared statement: binds by position, steps, reads columns, and resets
/// the statement when done (a SELECT left un-reset would pin an old WAL snapshot).
class query {
public:
    query(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
    query(const query&) = delete;
    query& operator=(const query&) = delete;
    ~query() { reset(); }

    /// Ready for another execution with new bindings.
    void reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
        n_ = 0;
    }

    query& bind(std::string_view v) {
        check(sqlite3_bind_text(s_, ++n_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    query& bind(const char* v) { return bind(std::string_view(v)); }
    query& bind(const std::string& v) { return bind(std::string_view(v)); }
    query& bind(std::int64_t v) {
        check(sqlite3_bind_int64(s_, ++n_, v));
        return *this;
    }
    query& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
    query& bind(bool v) { return bind(static_cast<std::int64_t>(v ? 1 : 0)); }
    query& bind(double v) {
        check(sqlite3_bind_double(s_, ++n_, v));
        return *this;
    }
    query& bind(decimal v) { return bind(v.to_string()); }
    query& bind_null() {
        check(sqlite3_bind_null(s_, ++n_));
        return *this;
    }

    /// Steps once: true when a row is available, false when done.
    bool step() {
        int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw db_error{sqlite3_errmsg(db_)};
    }
    /// Runs a statement that returns no rows.
    void run() {
        while (step()) {
        }
    }

    bool is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    std::int64_t i64(int i) const { return sqlite3_column_int64(s_, i); }
    int i32(int i) const { return static_cast<int>(sqlite3_column_int64(s_, i)); }
    bool boolean(int i) const { return sqlite3_column_int64(s_, i) != 0; }
    double real(int i) const { return sqlite3_column_double(s_, i); }
    std::string text(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string();
    }
    /// The column's text without a copy; valid until the next step or reset.
    std::string_view view(int i) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
        return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string_view();
    }
    decimal dec(int i) const {
        const std::string_view t = view(i);
        auto v = decimal::parse(t);
        if (!v) throw db_error{fmt::format("corrupt decimal '{}' in column {}", t, sqlite3_column_name(s_, i))};
        return *v;
    }
    /// An enum stored by name, parsed back with `parse`.
    template <typename Parse>
    auto enumerated(int i, Parse parse) const {
        const std::string_view t = view(i);
        auto v = parse(t);
        if (!v) throw db_error{fmt::format("corrupt value '{}' in column {}", t, sqlite3_column_name(s_, i))};
        return *v;
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw db_error{sqlite3_errmsg(db_)};
    }
    sqlite3* db_;
    sqlite3_stmt* s_;
    int n_ = 0;
};

std::optional<engine::order_type> parse_order_type(std::string_view s) {
    for (auto t : {engine::order_type::market, engine::order_type::take_profit_market, engine::order_type::stop_market})
        if (engine::to_string(t) == s) return t;
    return std::nullopt;
}
std::optional<engine::order_side> parse_order_side(std::string_view s) {
    for (auto t : {engine::order_side::buy, engine::order_side::sell})
        if (engine::to_string(t) == s) return t;
    return std::nullopt;
}
std::optional<audit_kind> parse_audit_kind(std::string_view s) {
    if (s == "transition") return audit_kind::transition;
    if (s == "control") return audit_kind::control;
    return std::nullopt;
}

/// A readable line for the audit log about a notification's payload.
std::string describe(const engine::notification& n) {
    std::string out;
    if (const auto* r = std::get_if<engine::position_ref>(&n.payload)) {
        const engine::position* p = r->pos;
        out = fmt::format("{} {} {} {} qty={} entry={}", p->position_id, p->symbol, engine::to_string(p->pos_side),
                          engine::to_string(p->status), p->qty.to_string(), p->entry_price.to_string());
        if (!p->tp_price.is_zero() || !p->sl_price.is_zero())
            out += fmt::format(" tp={} sl={}", p->tp_price.to_string(), p->sl_price.to_string());
        if (p->reason != engine::exit_reason::none)
            out += fmt::format(" exit={} reason={} pnl={}", p->exit_price.to_string(), engine::to_string(p->reason),
                               p->pnl.to_string());
    } else if (const auto* tr = std::get_if<engine::trade_ref>(&n.payload)) {
        const engine::trade trade = engine::trade_of(*tr->pos);
        const engine::trade* t = &trade;
        out = fmt::format("{} {} {} qty={} entry={} exit={} pnl={} fees={} reason={}", t->trade_id, t->symbol,
                          engine::to_string(t->pos_side), t->qty.to_string(), t->entry_price.to_string(),
                          t->exit_price.to_string(), t->pnl.to_string(), t->fees.to_string(),
                          engine::to_string(t->reason));
    } else if (const auto* o = std::get_if<engine::opportunity>(&n.payload)) {
        out = fmt::format("{} {} {}", o->symbol, engine::to_string(o->opp_side), o->reason);
    }
    if (!n.detail.empty()) out += out.empty() ? n.detail : " - " + n.detail;
    return out;
}

bool is_high_rate(std::string_view event_name) {
    return event_name == "position_updated" || event_name == "balance_updated" || event_name == "opportunity";
}

}  // namespace

change_set changes_of(const engine::engine& e, const engine::output& out) {
    change_set c;
    const auto& positions = e.positions();
    for (const auto& id : out.dirty_positions)
        if (auto it = positions.find(id); it != positions.end()) c.positions.push_back(it->second);
    const auto& orders = e.orders();
    for (const auto& id : out.dirty_orders)
        if (auto it = orders.find(id); it != orders.end()) c.orders.push_back(it->second);
    c.trades = out.new_trades;
    if (out.state_changed) c.state = e.state();
    for (const auto& n : out.notifications)
        if (!is_high_rate(n.event_name)) c.audit.push_back({audit_kind::transition, std::string(n.event_name), describe(n), ""});
    return c;
}

// ---------------------------------------------------------------------------------------------
// store
// ---------------------------------------------------------------------------------------------

struct store::impl {
    db_ptr db;
    std::string path;
    open_options opts;
    std::unordered_map<std::string, stmt_ptr> cache;  // prepared once, reused for every call

    /// A cached prepared statement, ready to bind.
    query prepare(const char* sql) {
        auto it = cache.find(sql);
        if (it == cache.end()) {
            sqlite3_stmt* s = nullptr;
            if (sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
                throw db_error{sqlite3_errmsg(db.get())};
            it = cache.emplace(sql, stmt_ptr(s)).first;
        }
        return query(db.get(), it->second.get());
    }

    /// Runs SQL text directly (schema, pragmas, transaction control).
    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errmsg(db.get());
            sqlite3_free(err);
            throw db_error{msg};
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE .. COMMIT; on any failure rolls back and returns the
    /// reason. IMMEDIATE takes the write lock up front, so a busy database fails before any write.
    template <typename Body>
    std::string transaction(std::string_view what, Body&& body) noexcept {
        try {
            exec("BEGIN IMMEDIATE");
            body();
            exec("COMMIT");
            return {};
        } catch (const db_error& e) {
            rollback();
            return fmt::format("storage: {} failed: {}", what, e.message);
        } catch (const std::exception& e) {
            rollback();
            return fmt::format("storage: {} failed: {}", what, e.what());
        } catch (...) {
            rollback();
            return fmt::format("storage: {} failed", what);
        }
    }

    void rollback() noexcept {
        // A failed COMMIT (disk full) may leave the transaction open; an I/O error may already
        // have rolled it back. Only roll back what is still open.
        if (db && sqlite3_get_autocommit(db.get()) == 0) sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }

    std::int64_t current_version() {
        exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return q.step() ? q.i64(0) : 0;
    }

    std::int64_t read_version() {
        auto exists = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
        if (!exists.step()) return 0;
        auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return q.step() ? q.i64(0) : 0;
    }

    void write_position(engine::mode m, const engine::position& p) {
        prepare(R"sql(INSERT OR REPLACE INTO positions (mode, position_id, symbol, side, status, entry_price,
              qty, stake_usd, leverage, tp_order_id, sl_order_id, tp_price, sl_price, highest_profit_ever,
              profit_floor_activated, mark_price, pnl, fees, exit_price, exit_filled_qty, exit_reason,
              opened_at, closed_at, updated_at, commissions)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql")
            .bind(engine::to_string(m))
            .bind(p.position_id)
            .bind(p.symbol)
            .bind(engine::to_string(p.pos_side))
            .bind(engine::to_string(p.status))
            .bind(p.entry_price)
            .bind(p.qty)
            .bind(p.stake_usd)
            .bind(p.leverage)
            .bind(p.tp_order_id)
            .bind(p.sl_order_id)
            .bind(p.tp_price)
            .bind(p.sl_price)
            .bind(p.highest_profit_ever)
            .bind(p.profit_floor_activated)
            .bind(p.mark_price)
            .bind(p.pnl)
            .bind(p.fees)
            .bind(p.exit_price)
            .bind(p.exit_filled_qty)
            .bind(engine::to_string(p.reason))
            .bind(p.opened_at)
            .bind(p.closed_at)
            .bind(p.updated_at)
            .bind(engine::commissions_text(p.commissions))
            .run();
    }

    void write_order(engine::mode m, const engine::order_record& o) {
        prepare(R"sql(INSERT OR REPLACE INTO orders (mode, client_id, exchange_id, position_id, symbol, kind,
              type, side, qty, trigger_price, status, filled_qty, avg_price, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql")
            .bind(engine::to_string(m))
            .bind(o.client_id)
            .bind(o.exchange_id)
            .bind(o.position_id)
            .bind(o.symbol)
            .bind(engine::to_string(o.kind))
            .bind(engine::to_string(o.type))
            .bind(engine::to_string(o.side))
            .bind(o.qty)
            .bind(o.trigger_price)
            .bind(engine::to_string(o.status))
            .bind(o.filled_qty)
            .bind(o.avg_price)
            .bind(o.updated_at)
            .run();
    }

    void write_trade(engine::mode m, const engine::trade& t) {
        prepare(R"sql(INSERT OR REPLACE INTO trades (mode, trade_id, position_id, symbol, side, entry_price,
              exit_price, qty, pnl, fees, pnl_pct, exit_reason, opened_at, closed_at, commissions)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql")
            .bind(engine::to_string(m))
            .bind(t.trade_id)
            .bind(t.position_id)
            .bind(t.symbol)
            .bind(engine::to_string(t.pos_side))
            .bind(t.entry_price)
            .bind(t.exit_price)
            .bind(t.qty)
            .bind(t.pnl)
            .bind(t.fees)
            .bind(t.pnl_pct)
            .bind(engine::to_string(t.reason))
            .bind(t.opened_at)
            .bind(t.closed_at)
            .bind(engine::commissions_text(t.commissions))
            .run();
    }

    void write_state(engine::mode m, const engine::engine_state& s, engine::millis now) {
        auto q = prepare(R"sql(INSERT OR REPLACE INTO engine_state (mode, running, emergency_stopped, started_at,
              trading_day_start, daily_realized_pnl, daily_loss_limit_hit, override_stake_usd,
              override_max_positions, override_max_daily_loss, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
        q.bind(engine::to_string(m))
            .bind(s.running)
            .bind(s.emergency_stopped)
            .bind(s.started_at)
            .bind(s.trading_day_start)
            .bind(s.daily_realized_pnl)
            .bind(s.daily_loss_limit_hit);
        if (s.overrides.stake_usd) q.bind(*s.overrides.stake_usd); else q.bind_null();
        if (s.overrides.max_positions) q.bind(*s.overrides.max_positions); else q.bind_null();
        if (s.overrides.max_daily_loss) q.bind(*s.overrides.max_daily_loss); else q.bind_null();
        q.bind(now).run();
    }

    void write_seq(engine::mode m, std::int64_t seq) {
        prepare("INSERT OR REPLACE INTO seq (mode, last_seq) VALUES (?, ?)").bind(engine::to_string(m)).bind(seq).run();
    }

    void write_audit(engine::millis ts, std::optional<engine::mode> m, audit_kind kind, std::string_view what,
                     std::string_view detail, std::string_view remote) {
        auto q = prepare("INSERT INTO audit_log (ts, mode, kind, what, detail, remote) VALUES (?, ?, ?, ?, ?, ?)");
        q.bind(ts);
        if (m) q.bind(engine::to_string(*m)); else q.bind_null();
        q.bind(to_string(kind)).bind(what).bind(detail).bind(remote).run();
        // Retention: ids only grow, so everything at or below (newest - kept) is older than the
        // kept rows. A range delete on the primary key: nothing to do costs one index probe.
        if (opts.audit_rows_kept > 0) {
            const std::int64_t newest = sqlite3_last_insert_rowid(db.get());
            if (newest > opts.audit_rows_kept)
                prepare("DELETE FROM audit_log WHERE id <= ?").bind(newest - opts.audit_rows_kept).run();
        }
    }

    static std::vector<engine::commission> commissions(const query& q, int i) {
        auto v = engine::parse_commissions(q.view(i));
        if (!v) throw db_error{fmt::format("corrupt commissions '{}'", q.view(i))};
        return std::move(*v);
    }

    static engine::position read_position(const query& q) {
        engine::position p;
        p.position_id = q.text(0);
        p.symbol = q.text(1);
        p.pos_side = q.enumerated(2, engine::parse_side);
        p.status = q.enumerated(3, engine::parse_position_status);
        p.entry_price = q.dec(4);
        p.qty = q.dec(5);
        p.stake_usd = q.dec(6);
        p.leverage = q.i32(7);
        p.tp_order_id = q.text(8);
        p.sl_order_id = q.text(9);
        p.tp_price = q.dec(10);
        p.sl_price = q.dec(11);
        p.highest_profit_ever = q.dec(12);
        p.profit_floor_activated = q.boolean(13);
        p.mark_price = q.dec(14);
        p.pnl = q.dec(15);
        p.fees = q.dec(16);
        p.exit_price = q.dec(17);
        p.exit_filled_qty = q.dec(18);
        p.reason = q.enumerated(19, engine::parse_exit_reason);
        p.opened_at = q.i64(20);
        p.closed_at = q.i64(21);
        p.updated_at = q.i64(22);
        p.commissions = commissions(q, 23);
        return p;
    }

    static engine::order_record read_order(const query& q) {
        engine::order_record o;
        o.client_id = q.text(0);
        o.exchange_id = q.text(1);
        o.position_id = q.text(2);
        o.symbol = q.text(3);
        o.kind = q.enumerated(4, engine::parse_order_kind);
        o.type = q.enumerated(5, parse_order_type);
        o.side = q.enumerated(6, parse_order_side);
        o.qty = q.dec(7);
        o.trigger_price = q.dec(8);
        o.status = q.enumerated(9, engine::parse_order_status);
        o.filled_qty = q.dec(10);
        o.avg_price = q.dec(11);
        o.updated_at = q.i64(12);
        return o;
    }

    static engine::trade read_trade(const query& q) {
        engine::trade t;
        t.trade_id = q.text(0);
        t.position_id = q.text(1);
        t.symbol = q.text(2);
        t.pos_side = q.enumerated(3, engine::parse_side);
        t.entry_price = q.dec(4);
        t.exit_price = q.dec(5);
        t.qty = q.dec(6);
        t.pnl = q.dec(7);
        t.fees = q.dec(8);
        t.pnl_pct = q.real(9);
        t.reason = q.enumerated(10, engine::parse_exit_reason);
        t.opened_at = q.i64(11);
        t.closed_at = q.i64(12);
        t.commissions = commissions(q, 13);
        return t;
    }
};

#define TRADED_POSITION_COLUMNS                                                                        \
    "position_id, symbol, side, status, entry_price, qty, stake_usd, leverage, tp_order_id, sl_order_id, " \
    "tp_price, sl_price, highest_profit_ever, profit_floor_activated, mark_price, pnl, fees, exit_price, " \
    "exit_filled_qty, exit_reason, opened_at, closed_at, updated_at, commissions"
#define TRADED_ORDER_COLUMNS_OF(t)                                                                     \
    t ".client_id, " t ".exchange_id, " t ".position_id, " t ".symbol, " t ".kind, " t ".type, " t ".side, " \
    t ".qty, " t ".trigger_price, " t ".status, " t ".filled_qty, " t ".avg_price, " t ".updated_at"
#define TRADED_ORDER_COLUMNS TRADED_ORDER_COLUMNS_OF("orders")
/// Every position_status but CLOSED and FAILED, as stored.
#define TRADED_LIVE_POSITION_STATUSES "('OPENING', 'OPEN', 'CLOSING')"
#define TRADED_TRADE_COLUMNS                                                                           \
    "trade_id, position_id, symbol, side, entry_price, exit_price, qty, pnl, fees, pnl_pct, exit_reason, " \
    "opened_at, closed_at, commissions"

int store::schema_version() { return static_cast<int>(migrations.size()); }

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

const std::string& store::path() const { return impl_->path; }

std::variant<store, std::string> store::open(const std::string& data_dir, open_options opts) {
    auto p = std::make_unique<impl>();
    p->path = data_dir + "/traded.db";
    p->opts = opts;
    int flags = (opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;  // one thread uses the connection (see header)
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(p->path.c_str(), &raw, flags, nullptr);
    p->db.reset(raw);
    if (rc != SQLITE_OK)
        return fmt::format("cannot open {}: {}", p->path, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, opts.busy_timeout_ms);

    try {
        if (!opts.read_only) {
            // WAL: readers never block the writer; FULL: the WAL is fsynced at every commit, so a
            // committed step survives power loss, not only a process crash.
            auto jm = p->prepare("PRAGMA journal_mode = WAL");
            if (!jm.step() || jm.text(0) != "wal")
                return fmt::format("cannot open {}: the database cannot use WAL mode", p->path);
        }
        p->exec("PRAGMA synchronous = FULL");

        std::int64_t have = opts.read_only ? p->read_version() : p->current_version();
        auto known = static_cast<std::int64_t>(migrations.size());
        if (have > known)
            return fmt::format(
                "{} has schema version {}, newer than this traded build understands (version {}): run a "
                "newer traded or use another data directory",
                p->path, have, known);
        if (opts.read_only && have < known)
            return fmt::format("{} has schema version {}, expected {}; open it read-write once to migrate", p->path,
                               have, known);
        for (std::int64_t v = have + 1; v <= known; ++v) {
            std::string err = p->transaction("migration", [&] {
                p->exec(migrations[static_cast<std::size_t>(v - 1)]);
                p->prepare("INSERT INTO schema_version (version) VALUES (?)").bind(v).run();
            });
            if (!err.empty()) return fmt::format("cannot migrate {} to schema version {}: {}", p->path, v, err);
        }

        if (opts.max_bytes > 0) {
            auto ps = p->prepare("PRAGMA page_size");
            std::int64_t page = ps.step() ? ps.i64(0) : 4096;
            p->exec(fmt::format("PRAGMA max_page_count = {}", std::max<std::int64_t>(1, opts.max_bytes / page)).c_str());
        }
    } catch (const db_error& e) {
        return fmt::format("cannot open {}: {}", p->path, e.message);
    }
    return store(std::move(p));
}

std::string store::commit(engine::mode m, const engine::engine& e, const engine::output& out, std::int64_t seq,
                          engine::millis now) {
    try {
        change_set c = changes_of(e, out);
        c.seq = seq;
        return commit(m, c, now);
    } catch (const std::exception& ex) {
        return fmt::format("storage: commit failed: {}", ex.what());
    }
}

std::string store::commit(engine::mode m, const change_set& c, engine::millis now, bool durable) {
    if (c.empty()) return {};
    auto body = [&] {
        for (const auto& p : c.positions) impl_->write_position(m, p);
        for (const auto& o : c.orders) impl_->write_order(m, o);
        for (const auto& t : c.trades) impl_->write_trade(m, t);
        if (c.state) impl_->write_state(m, *c.state, now);
        if (c.seq) impl_->write_seq(m, *c.seq);
        for (const auto& a : c.audit) impl_->write_audit(now, m, a.kind, a.what, a.detail, a.remote);
    };
    if (durable) return impl_->transaction("commit", body);
    sqlite3_exec(impl_->db.get(), "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
    std::string err = impl_->transaction("commit", body);
    sqlite3_exec(impl_->db.get(), "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
    return err;
}

std::string store::audit(engine::millis ts, std::optional<engine::mode> m, audit_kind kind, std::string_view what,
                         std::string_view detail, std::string_view remote, bool durable) {
    if (durable) return impl_->transaction("audit", [&] { impl_->write_audit(ts, m, kind, what, detail, remote); });
    // WAL + NORMAL: the commit is written to the WAL (kill -9 keeps it) but not fsynced; every
    // other commit stays FULL, and its fsync covers this one too.
    sqlite3_exec(impl_->db.get(), "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
    std::string err = impl_->transaction("audit", [&] { impl_->write_audit(ts, m, kind, what, detail, remote); });
    sqlite3_exec(impl_->db.get(), "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
    return err;
}

std::variant<std::vector<engine::trade>, std::string> store::trades(engine::mode m, int limit, engine::millis since) {
    std::vector<engine::trade> out;
    try {
        auto q = impl_->prepare("SELECT " TRADED_TRADE_COLUMNS " FROM trades WHERE mode = ? AND closed_at >= ?"
                                " ORDER BY closed_at DESC, trade_id DESC LIMIT ?");
        q.bind(engine::to_string(m)).bind(static_cast<std::int64_t>(since)).bind(static_cast<std::int64_t>(limit));
        while (q.step()) out.push_back(impl::read_trade(q));
    } catch (const db_error& e) {
        return fmt::format("storage: cannot read {} trades from {}: {}", engine::to_string(m), impl_->path, e.message);
    }
    return out;
}

std::variant<engine::engine_snapshot, std::string> store::load(engine::mode m, std::size_t trades_kept) {
    try {
        engine::engine_snapshot snap;
        // One read transaction: the snapshot is consistent even if a writer commits meanwhile.
        impl_->exec("BEGIN");
        struct end_read {
            impl* p;
            ~end_read() { p->rollback(); }
        } guard{impl_.get()};
        std::string_view mode_name = engine::to_string(m);

        {
            auto q = impl_->prepare(R"sql(SELECT running, emergency_stopped, started_at, trading_day_start,
                  daily_realized_pnl, daily_loss_limit_hit, override_stake_usd, override_max_positions,
                  override_max_daily_loss FROM engine_state WHERE mode = ?)sql");
            q.bind(mode_name);
            if (q.step()) {
                auto& s = snap.state;
                s.running = q.boolean(0);
                s.emergency_stopped = q.boolean(1);
                s.started_at = q.i64(2);
                s.trading_day_start = q.i64(3);
                s.daily_realized_pnl = q.dec(4);
                s.daily_loss_limit_hit = q.boolean(5);
                if (!q.is_null(6)) s.overrides.stake_usd = q.dec(6);
                if (!q.is_null(7)) s.overrides.max_positions = q.i32(7);
                if (!q.is_null(8)) s.overrides.max_daily_loss = q.dec(8);
            }
        }
        {
            // Non-terminal statuses by name: the positions_by_status index finds them without
            // scanning every closed position ever stored (NOT IN cannot use an index).
            auto q = impl_->prepare("SELECT " TRADED_POSITION_COLUMNS " FROM positions WHERE mode = ? AND status IN "
                                    TRADED_LIVE_POSITION_STATUSES);
            q.bind(mode_name);
            while (q.step()) snap.positions.push_back(impl::read_position(q));
        }
        {
            auto q = impl_->prepare("SELECT " TRADED_POSITION_COLUMNS
                                    " FROM positions WHERE mode = ? AND status IN ('CLOSED', 'FAILED')"
                                    " ORDER BY closed_at DESC, position_id DESC LIMIT ?");
            q.bind(mode_name).bind(impl_->opts.closed_positions_kept);
            while (q.step()) snap.positions.push_back(impl::read_position(q));
        }
        std::sort(snap.positions.begin(), snap.positions.end(), [](const auto& a, const auto& b) {
            return std::tie(a.opened_at, a.position_id) < std::tie(b.opened_at, b.position_id);
        });
        {
            // Orders of the non-closed positions in one statement: the positions drive (CROSS
            // JOIN fixes the loop order), one orders_by_position probe each, so the orders of
            // closed positions (three per trade ever made) are never scanned.
            auto open = impl_->prepare("SELECT " TRADED_ORDER_COLUMNS_OF("o")
                                       " FROM positions p CROSS JOIN orders o ON o.mode = p.mode AND o.position_id ="
                                       " p.position_id WHERE p.mode = ? AND p.status IN " TRADED_LIVE_POSITION_STATUSES);
            open.bind(mode_name);
            while (open.step()) snap.orders.push_back(impl::read_order(open));
            // Only the closed positions' orders can be read twice (below, when still live).
            std::set<std::string> seen;
            auto q = impl_->prepare("SELECT " TRADED_ORDER_COLUMNS
                                    " FROM orders WHERE mode = ? AND position_id = ? ORDER BY updated_at, client_id");
            for (const auto& p : snap.positions) {
                if (p.status != engine::position_status::closed && p.status != engine::position_status::failed)
                    continue;  // read above
                q.reset();
                q.bind(mode_name).bind(p.position_id);
                while (q.step()) {
                    snap.orders.push_back(impl::read_order(q));
                    seen.insert(snap.orders.back().client_id);
                }
            }
            // Orders that may still rest on the exchange, even if their position is long gone:
            // reconciliation must see them.
            // Most live orders are the TP/SL of an open position, read above: SQLite leaves them
            // out (the open ids are collected once into a temporary index), so they are not
            // even returned.
            auto live = impl_->prepare("SELECT " TRADED_ORDER_COLUMNS
                                       " FROM orders WHERE mode = ? AND status IN ('PENDING', 'NEW',"
                                       " 'PARTIALLY_FILLED', 'UNKNOWN') AND position_id NOT IN (SELECT position_id"
                                       " FROM positions WHERE mode = ? AND status IN " TRADED_LIVE_POSITION_STATUSES
                                       ") ORDER BY updated_at, client_id");
            live.bind(mode_name).bind(mode_name);
            while (live.step()) {
                if (seen.count(std::string(live.view(0))) != 0) continue;
                snap.orders.push_back(impl::read_order(live));
            }
        }
        {
            // Only the most recent `trades_kept` are read whole (newest first, then reversed);
            // every older one is folded into the totals from its pnl and closed_at alone, in
            // close order, straight from the trades_by_close_pnl index (no row reads, no sort),
            // so a long history costs little at start and never has to fit in memory.
            std::int64_t total = 0;
            {
                auto c = impl_->prepare("SELECT COUNT(*) FROM trades WHERE mode = ?");
                c.bind(mode_name);
                if (c.step()) total = c.i64(0);
            }
            const std::int64_t kept =
                trades_kept == 0 ? total : std::min<std::int64_t>(total, static_cast<std::int64_t>(trades_kept));
            {
                auto q = impl_->prepare("SELECT " TRADED_TRADE_COLUMNS " FROM trades WHERE mode = ?"
                                        " ORDER BY closed_at DESC, trade_id DESC LIMIT ?");
                q.bind(mode_name).bind(kept);
                while (q.step()) snap.trades.push_back(impl::read_trade(q));
                std::reverse(snap.trades.begin(), snap.trades.end());
            }
            if (total > kept) {
                auto q = impl_->prepare("SELECT pnl, closed_at FROM trades WHERE mode = ?"
                                        " ORDER BY closed_at, trade_id LIMIT ?");
                q.bind(mode_name).bind(total - kept);
                engine::trade t;
                while (q.step()) {
                    t.pnl = q.dec(0);
                    t.closed_at = q.i64(1);
                    snap.earlier_trades.add(t);
                }
            }
        }
        return snap;
    } catch (const db_error& e) {
        return fmt::format("storage: cannot load {} state from {}: {}", engine::to_string(m), impl_->path, e.message);
    } catch (const std::exception& e) {
        return fmt::format("storage: cannot load {} state from {}: {}", engine::to_string(m), impl_->path, e.what());
    }
}

std::optional<store::stored_position> store::find_position(engine::mode m, const std::string& position_id) {
    try {
        const std::string mode_name(engine::to_string(m));
        auto q = impl_->prepare("SELECT " TRADED_POSITION_COLUMNS " FROM positions WHERE mode = ? AND position_id = ?");
        q.bind(mode_name).bind(position_id);
        if (!q.step()) return std::nullopt;
        stored_position out;
        out.position = impl::read_position(q);
        auto t = impl_->prepare("SELECT " TRADED_TRADE_COLUMNS " FROM trades"
                                " WHERE mode = ? AND position_id = ? ORDER BY closed_at DESC LIMIT 1");
        t.bind(mode_name).bind(position_id);
        if (t.step()) out.trade = impl::read_trade(t);
        return out;
    } catch (const std::exception&) {
        return std::nullopt;  // answered as unknown: the caller's 404 stands
    }
}

std::variant<std::int64_t, std::string> store::load_seq(engine::mode m) {
    try {
        auto q = impl_->prepare("SELECT last_seq FROM seq WHERE mode = ?");
        q.bind(engine::to_string(m));
        return q.step() ? q.i64(0) : std::int64_t{0};
    } catch (const db_error& e) {
        return fmt::format("storage: cannot load sequence from {}: {}", impl_->path, e.message);
    }
}

std::vector<audit_row> store::audit_tail(std::size_t n) {
    std::vector<audit_row> rows;
    try {
        auto q = impl_->prepare("SELECT id, ts, mode, kind, what, detail, remote FROM audit_log"
                                " ORDER BY id DESC LIMIT ?");
        q.bind(static_cast<std::int64_t>(std::min<std::size_t>(n, 1'000'000)));
        while (q.step()) {
            audit_row r;
            r.id = q.i64(0);
            r.ts = q.i64(1);
            if (!q.is_null(2)) r.mode = q.enumerated(2, engine::parse_mode);
            r.kind = q.enumerated(3, parse_audit_kind);
            r.what = q.text(4);
            r.detail = q.text(5);
            r.remote = q.text(6);
            rows.push_back(std::move(r));
        }
    } catch (const db_error&) {
        rows.clear();
    }
    std::reverse(rows.begin(), rows.end());
    return rows;
}

}  // namespace traded::daemon
