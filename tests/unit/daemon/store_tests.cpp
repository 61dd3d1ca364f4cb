// The SQLite state store: what is committed comes back exactly, survives a reopen, and a failed
// commit leaves nothing behind. Real SQLite files in a temp directory.

#include "daemon/store.hpp"
#include "store_test_util.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>

using namespace store_test;
using traded::daemon::audit_kind;
using traded::daemon::change_set;
using traded::daemon::open_options;
using traded::daemon::store;

namespace {

store open_ok(const std::string& dir, open_options opts = {}) {
    auto r = store::open(dir, opts);
    if (auto* err = std::get_if<std::string>(&r)) FAIL("open failed: " << *err);
    return std::move(std::get<store>(r));
}

std::string open_error(const std::string& dir, open_options opts = {}) {
    auto r = store::open(dir, opts);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}

en::engine_snapshot load_ok(store& s, en::mode m) {
    auto r = s.load(m);
    if (auto* err = std::get_if<std::string>(&r)) FAIL("load failed: " << *err);
    return std::move(std::get<en::engine_snapshot>(r));
}

std::int64_t seq_ok(store& s, en::mode m) {
    auto r = s.load_seq(m);
    if (auto* err = std::get_if<std::string>(&r)) FAIL("load_seq failed: " << *err);
    return std::get<std::int64_t>(r);
}

/// Runs SQL on the database file behind the store's back (tampering, inspection).
void raw_exec(const std::string& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    INFO(msg);
    REQUIRE(rc == SQLITE_OK);
}

/// One open position with its entry and protective orders, one closed with its trade.
change_set sample_changes() {
    change_set c;
    auto open = make_position("BTCUSDT", 1'732'400'000'000);
    auto closed = make_position("ETHUSDT", 1'732'300'000'000, en::position_status::closed);
    c.positions = {open, closed};
    c.orders = {make_order(open, en::order_kind::entry, en::order_status::filled),
                make_order(open, en::order_kind::take_profit, en::order_status::accepted),
                make_order(open, en::order_kind::stop_loss, en::order_status::accepted),
                make_order(closed, en::order_kind::close, en::order_status::filled)};
    c.trades = {make_trade(closed)};
    c.state = make_state();
    c.seq = 41;
    c.audit.push_back({audit_kind::transition, "position_opened", "BTCUSDT", ""});
    return c;
}

void check_same(const en::engine_snapshot& got, const change_set& want) {
    REQUIRE(got.positions.size() == want.positions.size());
    for (const auto& w : want.positions) {
        auto it = std::find_if(got.positions.begin(), got.positions.end(),
                               [&](const auto& g) { return g.position_id == w.position_id; });
        REQUIRE(it != got.positions.end());
        CHECK(diff(*it, w) == "");
    }
    REQUIRE(got.orders.size() == want.orders.size());
    for (const auto& w : want.orders) {
        auto it = std::find_if(got.orders.begin(), got.orders.end(),
                               [&](const auto& g) { return g.client_id == w.client_id; });
        REQUIRE(it != got.orders.end());
        CHECK(diff(*it, w) == "");
    }
    REQUIRE(got.trades.size() == want.trades.size());
    for (std::size_t i = 0; i < want.trades.size(); ++i) CHECK(diff(got.trades[i], want.trades[i]) == "");
    REQUIRE(want.state);
    CHECK(diff(got.state, *want.state) == "");
}

}  // namespace

TEST_CASE("a fresh store loads an empty default snapshot", "[store]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    CHECK(s.path() == dir.path() + "/traded.db");
    for (auto m : {en::mode::paper, en::mode::real}) {
        auto snap = load_ok(s, m);
        CHECK(snap.positions.empty());
        CHECK(snap.orders.empty());
        CHECK(snap.trades.empty());
        CHECK(diff(snap.state, en::engine_state{}) == "");
        CHECK(seq_ok(s, m) == 0);
    }
}

TEST_CASE("commit then load returns positions, orders, trades and state exactly", "[store]") {
    temp_dir dir;
    change_set c = sample_changes();
    {
        store s = open_ok(dir.path());
        REQUIRE(s.commit(en::mode::paper, c, 1'732'400'000'500) == "");
        check_same(load_ok(s, en::mode::paper), c);
        CHECK(seq_ok(s, en::mode::paper) == 41);
        // The other mode is untouched.
        CHECK(load_ok(s, en::mode::real).positions.empty());
        CHECK(seq_ok(s, en::mode::real) == 0);
    }
    SECTION("and after closing and reopening the database") {
        store s = open_ok(dir.path());
        auto snap = load_ok(s, en::mode::paper);
        check_same(snap, c);
        CHECK(seq_ok(s, en::mode::paper) == 41);
        // Decimal exactness, spelled out: 0.1 is stored as the text "0.1", not 0.1000000000000000055.
        const auto& btc = *std::find_if(snap.positions.begin(), snap.positions.end(),
                                        [](const auto& p) { return p.symbol == "BTCUSDT"; });
        CHECK(btc.entry_price.raw() == 10'000'000);
        CHECK(btc.pnl.raw() == -1);
        CHECK(btc.exit_filled_qty.to_string() == "92233720368.54775807");
        CHECK(snap.state.overrides.stake_usd == dec("0.1"));
        CHECK_FALSE(snap.state.overrides.max_positions.has_value());
    }
}

TEST_CASE("later commits update rows in place and advance seq", "[store]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    change_set first = sample_changes();
    REQUIRE(s.commit(en::mode::real, first, 1000) == "");

    change_set second;
    auto p = first.positions[0];
    p.status = en::position_status::closing;
    p.sl_price = dec("0.1001");
    p.profit_floor_activated = false;
    second.positions = {p};
    auto tp = first.orders[1];
    tp.status = en::order_status::canceled;
    second.orders = {tp};
    auto st = *first.state;
    st.overrides = {};
    st.overrides.max_positions = 0;
    second.state = st;
    second.seq = 42;
    REQUIRE(s.commit(en::mode::real, second, 2000) == "");

    store again = open_ok(dir.path());
    auto snap = load_ok(again, en::mode::real);
    REQUIRE(snap.positions.size() == 2);
    auto it = std::find_if(snap.positions.begin(), snap.positions.end(),
                           [&](const auto& x) { return x.position_id == p.position_id; });
    CHECK(diff(*it, p) == "");
    auto ot = std::find_if(snap.orders.begin(), snap.orders.end(),
                           [&](const auto& x) { return x.client_id == tp.client_id; });
    REQUIRE(ot != snap.orders.end());
    CHECK(ot->status == en::order_status::canceled);
    CHECK(snap.orders.size() == 4);
    CHECK(snap.state.overrides.max_positions == 0);
    CHECK_FALSE(snap.state.overrides.stake_usd.has_value());
    CHECK(seq_ok(again, en::mode::real) == 42);
    CHECK(snap.trades.size() == 1);
}

// Issue 10: audit_log grew without bound (one row per control action and per transition).
TEST_CASE("audit log keeps only the most recent rows", "[store]") {
    temp_dir dir;
    open_options opts;
    opts.audit_rows_kept = 5;
    store s = open_ok(dir.path(), opts);
    for (int i = 0; i < 12; ++i)
        REQUIRE(s.audit(i, en::mode::paper, audit_kind::control, "start", std::to_string(i), "") == "");
    change_set c;  // rows written by a commit count as well
    c.audit.push_back({audit_kind::transition, "position_opened", "12", ""});
    REQUIRE(s.commit(en::mode::paper, c, 12) == "");
    auto all = s.audit_tail(100);
    REQUIRE(all.size() == 5);
    CHECK(all.front().detail == "8");
    CHECK(all.back().detail == "12");
}

TEST_CASE("load keeps every open position but only the most recent closed ones", "[store]") {
    temp_dir dir;
    open_options opts;
    opts.closed_positions_kept = 2;
    store s = open_ok(dir.path(), opts);
    change_set c;
    auto open = make_position("SOLUSDT", 100);
    c.positions.push_back(open);
    for (int i = 0; i < 5; ++i) {
        auto p = make_position("BTCUSDT", 1000 + i, en::position_status::closed);
        c.positions.push_back(p);
        c.orders.push_back(make_order(p, en::order_kind::close, en::order_status::filled));
        c.trades.push_back(make_trade(p));
    }
    // A stop order of the oldest closed position that may still rest on the exchange.
    auto stale = make_order(c.positions[1], en::order_kind::stop_loss, en::order_status::accepted);
    c.orders.push_back(stale);
    REQUIRE(s.commit(en::mode::paper, c, 5000) == "");

    auto snap = load_ok(s, en::mode::paper);
    REQUIRE(snap.positions.size() == 3);
    CHECK(snap.positions[0].position_id == open.position_id);  // oldest first
    CHECK(snap.positions[1].position_id == c.positions[4].position_id);
    CHECK(snap.positions[2].position_id == c.positions[5].position_id);
    // Orders: the close orders of the two kept positions, plus the live stop of a dropped one.
    REQUIRE(snap.orders.size() == 3);
    CHECK(std::any_of(snap.orders.begin(), snap.orders.end(),
                      [&](const auto& o) { return o.client_id == stale.client_id; }));
    // Every trade, in close order (performance needs them all).
    REQUIRE(snap.trades.size() == 5);
    for (std::size_t i = 1; i < snap.trades.size(); ++i) CHECK(snap.trades[i - 1].closed_at <= snap.trades[i].closed_at);
}

TEST_CASE("load reads an open position's orders once, live ones included, and live orders of closed ones",
          "[store]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    change_set c;
    for (auto st : {en::position_status::opening, en::position_status::open, en::position_status::closing}) {
        auto p = make_position("BTCUSDT", 1000 + static_cast<int>(st), st);
        c.positions.push_back(p);
        c.orders.push_back(make_order(p, en::order_kind::entry, en::order_status::filled));
        c.orders.push_back(make_order(p, en::order_kind::take_profit, en::order_status::accepted));
        c.orders.push_back(make_order(p, en::order_kind::stop_loss, en::order_status::pending));
    }
    auto closed = make_position("ETHUSDT", 500, en::position_status::closed);
    c.positions.push_back(closed);
    c.orders.push_back(make_order(closed, en::order_kind::stop_loss, en::order_status::unknown));
    c.orders.push_back(make_order(closed, en::order_kind::take_profit, en::order_status::canceled));
    REQUIRE(s.commit(en::mode::paper, c, 5000) == "");

    auto snap = load_ok(s, en::mode::paper);
    REQUIRE(snap.positions.size() == 4);
    REQUIRE(snap.orders.size() == c.orders.size());  // each once
    std::set<std::string> ids;
    for (const auto& o : snap.orders) ids.insert(o.client_id);
    CHECK(ids.size() == c.orders.size());
}

TEST_CASE("load holds only the most recent trades and folds the older ones; trades() pages the rest",
          "[store][trades]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    change_set c;
    std::vector<en::trade> all;
    for (int i = 0; i < 9; ++i) {
        auto t = make_trade(make_position("BTCUSDT", 1000 + 10 * i, en::position_status::closed));
        t.pnl = traded::decimal::from_int(i % 2 == 0 ? i : -i);
        all.push_back(t);
    }
    c.trades = all;
    REQUIRE(s.commit(en::mode::paper, c, 5000) == "");

    auto r = s.load(en::mode::paper, 4);
    REQUIRE(std::holds_alternative<en::engine_snapshot>(r));
    const auto& snap = std::get<en::engine_snapshot>(r);
    REQUIRE(snap.trades.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) CHECK(diff(snap.trades[i], all[5 + i]) == "");
    CHECK(snap.earlier_trades.count == 5);
    CHECK(snap.earlier_trades.total_pnl == traded::decimal::from_int(0 - 1 + 2 - 3 + 4));
    CHECK(snap.earlier_trades.last_closed_at == all[4].closed_at);
    CHECK(load_ok(s, en::mode::paper).trades.size() == 9);  // 0: every trade

    auto page = s.trades(en::mode::paper, 3, 0);
    REQUIRE(std::holds_alternative<std::vector<en::trade>>(page));
    const auto& newest = std::get<std::vector<en::trade>>(page);
    REQUIRE(newest.size() == 3);  // newest first, like GET trades
    for (std::size_t i = 0; i < 3; ++i) CHECK(diff(newest[i], all[8 - i]) == "");
    auto since = s.trades(en::mode::paper, 100, all[6].closed_at);
    REQUIRE(std::get<std::vector<en::trade>>(since).size() == 3);
    CHECK(std::get<std::vector<en::trade>>(s.trades(en::mode::real, 100, 0)).empty());
}

TEST_CASE("schema 1 databases (no raw commissions) are migrated and read back with none recorded", "[store]") {
    REQUIRE(store::schema_version() == 4);  // a new migration: make this test build its database too
    temp_dir dir;
    change_set c = sample_changes();
    {
        store s = open_ok(dir.path());
        REQUIRE(s.commit(en::mode::paper, c, 1'732'400'000'500) == "");
    }
    // What a build before schema 2 left behind: no commissions columns, version 1.
    raw_exec(dir.path() + "/traded.db",
             "ALTER TABLE positions DROP COLUMN commissions; ALTER TABLE trades DROP COLUMN commissions;"
             " DROP INDEX trades_by_close_pnl; CREATE INDEX trades_by_close ON trades (mode, closed_at);"
             " DROP INDEX orders_by_status_position; CREATE INDEX orders_by_status ON orders (mode, status);"
             " DELETE FROM schema_version WHERE version > 1");
    store s = open_ok(dir.path());
    auto snap = load_ok(s, en::mode::paper);
    for (auto& p : c.positions) p.commissions.clear();
    for (auto& t : c.trades) t.commissions.clear();
    check_same(snap, c);  // every other field as written, commissions empty (not recorded)
    // New writes keep them again.
    change_set again = sample_changes();
    REQUIRE(s.commit(en::mode::paper, again, 1'732'400'000'600) == "");
    check_same(load_ok(s, en::mode::paper), again);
}

TEST_CASE("a position pruned from what load returns is still found by id, with its trade", "[store]") {
    temp_dir dir;
    open_options opts;
    opts.closed_positions_kept = 1;
    store s = open_ok(dir.path(), opts);
    change_set c;
    auto oldest = make_position("BTCUSDT", 1000, en::position_status::closed);
    auto newest = make_position("BTCUSDT", 2000, en::position_status::closed);
    c.positions = {oldest, newest};
    c.trades = {make_trade(oldest), make_trade(newest)};
    REQUIRE(s.commit(en::mode::paper, c, 5000) == "");
    REQUIRE(load_ok(s, en::mode::paper).positions.size() == 1);  // `oldest` is not loaded any more
    auto found = s.find_position(en::mode::paper, oldest.position_id);
    REQUIRE(found);
    CHECK(found->position.status == en::position_status::closed);
    CHECK(found->position.reason == en::exit_reason::profit_floor);
    REQUIRE(found->trade);
    CHECK(found->trade->position_id == oldest.position_id);
    CHECK_FALSE(s.find_position(en::mode::real, oldest.position_id));  // per mode
    CHECK_FALSE(s.find_position(en::mode::paper, "paper_1_NOPE"));
}

TEST_CASE("commit from an engine step writes its dirty objects, state, seq and audit rows", "[store]") {
    temp_dir dir;
    en::engine_config cfg;
    std::vector<en::symbol_info> symbols{{"BTCUSDT", dec("0.1"), dec("0.001"), dec("0.001"), dec("100")},
                                         {"ETHUSDT", dec("0.01"), dec("0.001"), dec("0.001"), dec("20")}};
    en::engine e(cfg, symbols);
    change_set c = sample_changes();
    en::engine_snapshot snap;
    snap.state = *c.state;
    snap.positions = c.positions;
    snap.orders = c.orders;
    snap.trades = c.trades;
    e.restore(snap);
    REQUIRE(e.positions().size() == 2);

    en::output out;
    for (const auto& [id, p] : e.positions()) out.dirty_positions.push_back(id);
    for (const auto& [id, o] : e.orders()) out.dirty_orders.push_back(id);
    out.dirty_positions.push_back("paper_1_NOSUCH");  // unknown ids are skipped, not an error
    out.new_trades = c.trades;
    out.state_changed = true;
    en::notification opened;
    opened.ch = en::channel::positions;
    opened.event_name = "position_opened";
    opened.payload = en::position_ref{&e.positions().begin()->second};
    en::notification tick = opened;
    tick.event_name = "position_updated";
    en::notification latch;
    latch.ch = en::channel::safety;
    latch.event_name = "emergency_stop";
    latch.detail = "operator";
    out.notifications = {opened, tick, latch};

    store s = open_ok(dir.path());
    REQUIRE(s.commit(en::mode::paper, e, out, 77, 1'732'400'009'000) == "");

    store again = open_ok(dir.path());
    auto got = load_ok(again, en::mode::paper);
    REQUIRE(got.positions.size() == e.positions().size());
    for (const auto& p : got.positions) CHECK(diff(p, e.positions().at(p.position_id)) == "");
    REQUIRE(got.orders.size() == e.orders().size());
    for (const auto& o : got.orders) CHECK(diff(o, e.orders().at(o.client_id)) == "");
    CHECK(diff(got.state, e.state()) == "");
    CHECK(got.trades.size() == 1);
    CHECK(seq_ok(again, en::mode::paper) == 77);

    // One audit row per transition; the high-rate position_updated is not one.
    auto rows = again.audit_tail(10);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].what == "position_opened");
    CHECK(rows[0].kind == audit_kind::transition);
    CHECK(rows[0].mode == en::mode::paper);
    CHECK(rows[0].ts == 1'732'400'009'000);
    CHECK(rows[0].detail.find(e.positions().begin()->first) != std::string::npos);
    CHECK(rows[1].what == "emergency_stop");
    CHECK(rows[1].detail == "operator");
}

TEST_CASE("audit log appends and the tail comes back oldest first", "[store]") {
    temp_dir dir;
    {
        store s = open_ok(dir.path());
        CHECK(s.audit(1, std::nullopt, audit_kind::control, "token_generated", "first start", "") == "");
        CHECK(s.audit(2, en::mode::real, audit_kind::control, "start", "clear_emergency=false", "127.0.0.1:5555") == "");
        CHECK(s.audit(3, en::mode::paper, audit_kind::control, "emergency_stop", "", "127.0.0.1:6000") == "");
    }
    store s = open_ok(dir.path());
    auto all = s.audit_tail(100);
    REQUIRE(all.size() == 3);
    CHECK(all[0].id < all[1].id);
    CHECK(all[1].id < all[2].id);
    CHECK_FALSE(all[0].mode.has_value());
    CHECK(all[0].what == "token_generated");
    CHECK(all[1].mode == en::mode::real);
    CHECK(all[1].remote == "127.0.0.1:5555");
    CHECK(all[1].kind == audit_kind::control);
    auto last2 = s.audit_tail(2);
    REQUIRE(last2.size() == 2);
    CHECK(last2[0].what == "start");
    CHECK(last2[1].what == "emergency_stop");
}

TEST_CASE("schema: an empty file is migrated, a newer version is refused, garbage is refused", "[store]") {
    temp_dir dir;
    std::string db = dir.path() + "/traded.db";
    { std::ofstream(db).flush(); }  // zero bytes
    {
        store s = open_ok(dir.path());
        CHECK(s.commit(en::mode::paper, sample_changes(), 1) == "");
    }
    // Re-opening does not migrate twice (the data is still there, one version row).
    {
        store s = open_ok(dir.path());
        CHECK(load_ok(s, en::mode::paper).positions.size() == 2);
    }
    raw_exec(db, "SELECT 1");  // the file is a valid SQLite database

    SECTION("a database from a newer traded") {
        raw_exec(db, "INSERT INTO schema_version (version) VALUES (99)");
        std::string err = open_error(dir.path());
        CHECK(err.find(db) != std::string::npos);
        CHECK(err.find("schema version 99") != std::string::npos);
        CHECK(err.find(fmt::format("understands (version {})", store::schema_version())) != std::string::npos);
    }
    SECTION("a file that is not a database") {
        temp_dir other;
        std::ofstream(other.path() + "/traded.db") << std::string(4096, 'x');
        std::string err = open_error(other.path());
        CHECK(err.find("not a database") != std::string::npos);
    }
    SECTION("a directory that does not exist") {
        std::string err = open_error(dir.path() + "/missing/dir");
        CHECK(err.find("cannot open " + dir.path() + "/missing/dir/traded.db") == 0);
    }
}

TEST_CASE("a commit to a read-only database returns an error and does not throw", "[store]") {
    temp_dir dir;
    change_set before;
    before.state = make_state();
    {
        store s = open_ok(dir.path());
        REQUIRE(s.commit(en::mode::paper, before, 1) == "");
        // Keep a writer open so the WAL files exist for the read-only connection.
        open_options ro;
        ro.read_only = true;
        store r = open_ok(dir.path(), ro);
        std::string err;
        REQUIRE_NOTHROW(err = r.commit(en::mode::paper, sample_changes(), 2));
        CHECK(err.find("storage: commit failed") == 0);
        CHECK(err.find("readonly") != std::string::npos);
        CHECK(r.audit(3, std::nullopt, audit_kind::control, "x", "", "") != "");
        // Reads still work on the read-only connection.
        CHECK(load_ok(r, en::mode::paper).positions.empty());
    }
    store s = open_ok(dir.path());
    auto snap = load_ok(s, en::mode::paper);
    CHECK(snap.positions.empty());
    CHECK(diff(snap.state, *before.state) == "");
    CHECK(seq_ok(s, en::mode::paper) == 0);
}

TEST_CASE("a commit that hits a full disk is rolled back whole; the store stays usable", "[store]") {
    temp_dir dir;
    change_set small;
    small.positions = {make_position("BTCUSDT", 10)};
    small.seq = 5;
    { REQUIRE(open_ok(dir.path()).commit(en::mode::paper, small, 1) == ""); }

    change_set big;
    for (int i = 0; i < 300; ++i) big.positions.push_back(make_position(fmt::format("SYM{}USDT", i), 100 + i));
    big.state = make_state();
    big.seq = 6;
    {
        open_options full;
        full.max_bytes = 1;  // no room to grow beyond the current file
        store s = open_ok(dir.path(), full);
        std::string err;
        REQUIRE_NOTHROW(err = s.commit(en::mode::paper, big, 2));
        CHECK(err.find("storage: commit failed") == 0);
        CHECK(err.find("full") != std::string::npos);
        // Nothing of the failed step is visible, not even the rows written before the failure.
        auto snap = load_ok(s, en::mode::paper);
        CHECK(snap.positions.size() == 1);
        CHECK(diff(snap.state, en::engine_state{}) == "");
        CHECK(seq_ok(s, en::mode::paper) == 5);
        // A later small change that fits in existing pages still commits.
        change_set tiny;
        tiny.seq = 7;
        CHECK(s.commit(en::mode::paper, tiny, 3) == "");
    }
    store s = open_ok(dir.path());
    CHECK(load_ok(s, en::mode::paper).positions.size() == 1);
    CHECK(seq_ok(s, en::mode::paper) == 7);
    // With room again, the same step commits.
    CHECK(s.commit(en::mode::paper, big, 4) == "");
    CHECK(load_ok(s, en::mode::paper).positions.size() == 301);
}

TEST_CASE("an empty change set writes nothing", "[store]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    CHECK(s.commit(en::mode::paper, change_set{}, 1) == "");
    CHECK(s.audit_tail(10).empty());
    CHECK(seq_ok(s, en::mode::paper) == 0);
}

TEST_CASE("cost of one durable commit", "[.][bench][store]") {
    temp_dir dir;
    store s = open_ok(dir.path());
    auto p = make_position("BTCUSDT", 1);
    auto order = make_order(p, en::order_kind::entry, en::order_status::filled);
    constexpr int n = 200;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        change_set c;
        p.updated_at = i;
        c.positions = {p};
        c.orders = {order};
        c.seq = i;
        c.audit.push_back({audit_kind::transition, "position_updated", "bench", ""});
        REQUIRE(s.commit(en::mode::paper, c, i) == "");
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << fmt::format("store commit (1 position + 1 order + seq + audit, WAL, synchronous=FULL): "
                             "{} commits, {:.1f} us/commit\n",
                             n, static_cast<double>(us) / n);
}
