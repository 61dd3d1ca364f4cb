#pragma once
/// Drives one engine: every event goes through handle(), the resulting state change is committed
/// to SQLite, then pushed to subscribers, then the actions go to the exchange port. This order is
/// the durability contract: nothing is acknowledged or pushed before it is committed, and no order
/// is sent before its record is (leading cancels and queries may go before the commit: see
/// docs/architecture.md).
///
/// Commits are grouped: the changes of the events processed in one turn of the io_context are
/// written in one transaction, made when an order must go out (before it is sent), when a command
/// returns, before any API answer (commit_pending) or at the end of the turn (a posted flush).
/// Nothing is pushed before the commit that covers it. Positions revalued by a tick and nothing
/// else (mark, unrealized PnL, highest profit) are not needed by recovery: they are written
/// without an fsync at most every ~500 ms (flush_revaluations), or with the next commit.
///
/// Single-threaded: called only on the io_context thread. Port events that arrive while an event
/// is being processed (the paper port answers synchronously) are queued and processed right after,
/// so the engine never re-enters itself.

#include "exchange/port.hpp"
#include "engine/engine.hpp"
#include "metrics/registry.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace traded::daemon {

using port::exchange_port;

class store;

/// Receives each notification with its per-mode sequence number, after it was committed.
using publisher = std::function<void(engine::mode, const engine::notification&, std::int64_t seq, engine::millis ts)>;
/// The wall clock, in epoch ms (tests may inject another).
using clock_fn = std::function<engine::millis()>;

class engine_runner {
public:
    engine_runner(engine::mode m, engine::engine e, store* db, exchange_port& port, publisher pub, clock_fn clock);
    ~engine_runner();
    engine_runner(const engine_runner&) = delete;
    engine_runner& operator=(const engine_runner&) = delete;

    /// Restore persisted state and sequence numbers. Call once before the first dispatch.
    /// Returns an error message, empty on success.
    std::string restore();

    /// Process one event and everything it causes synchronously; returns the output of `ev`
    /// itself (its command result).
    engine::output dispatch(const engine::event& ev);

    /// Lets exchange events and ticks share one commit per io turn: `post` must run its argument
    /// after the handlers already queued on the io_context. Without it each dispatch commits
    /// before it returns.
    void set_poster(std::function<void(std::function<void()>)> post) { post_ = std::move(post); }
    /// Commits what was processed but not committed yet, then pushes its notifications. Called
    /// before every API answer, so no answer shows state that is not committed. Cheap when idle.
    void commit_pending();
    /// Writes the positions only revalued by ticks since their last write, without an fsync
    /// (WAL + synchronous=NORMAL: kill -9 keeps them, power loss may lose the last ones). Call
    /// every few hundred ms and at shutdown; recovery never depends on these fields.
    void flush_revaluations();

    /// Push a notification that is not an engine output (opportunity, balance_updated) with the
    /// next sequence number of this mode.
    void announce(const engine::notification& note);

    /// Block or unblock new entries for a daemon-owned reason (e.g. "RECONCILING").
    void set_block(const std::string& reason, bool blocked) { engine_.set_external_block(reason, blocked); }
    /// Block new entries on `symbols` only (replacing the set held for `reason`); a change is
    /// pushed to subscribers as safety_changed.
    void set_symbol_blocks(const std::string& reason, std::set<std::string> symbols);
    /// The exchange's symbol filters replace the defaults.
    void set_symbols(std::vector<engine::symbol_info> s) { engine_.set_symbols(std::move(s)); }
    /// Config reload: the config's base safety limits (run-time overrides stay on top).
    void set_config_limits(decimal stake_usd, int max_positions, decimal max_daily_loss) {
        engine_.set_config_limits(stake_usd, max_positions, max_daily_loss);
    }

    /// Closed trades with closed_at >= since, newest first, at most `limit` (GET trades): from the
    /// engine's in-memory window when it holds the answer, else from the store, so the whole
    /// history stays reachable in the same order and shape.
    std::vector<engine::trade> trades(int limit, engine::millis since) const;

    /// While storage is failing, try to write the whole state again (called on a timer, so a
    /// disk that has space again unblocks new entries without waiting for the next trade).
    void retry_storage();

    /// Mark storage as failing or recovered (blocks new entries while failing).
    void set_storage_ok(bool ok);

    /// Called when storage starts failing (false, the error) or recovers (true).
    void set_on_storage(std::function<void(bool ok, const std::string& error)> cb) { on_storage_ = std::move(cb); }
    /// Called with every market tick this engine processes (the WS `market` channel shows them).
    void set_on_tick(std::function<void(const engine::market_tick&)> cb) { on_tick_ = std::move(cb); }
    /// Records latencies and order counts into `r` from now on (it must outlive the runner).
    void set_metrics(metrics::registry* r);
    /// Wall-clock time (epoch ms) of the last market tick per symbol, for staleness gauges.
    const std::map<std::string, engine::millis>& last_tick_at() const { return last_tick_at_; }
    /// Wall-clock time (epoch ms) of the last event of any kind this runner processed; 0 none.
    engine::millis last_event_at() const { return last_event_at_; }

    engine::mode mode() const { return mode_; }
    const engine::engine& engine() const { return engine_; }
    exchange_port& port() { return port_; }
    std::int64_t last_seq() const { return seq_; }
    engine::millis now() const { return clock_(); }
    bool storage_ok() const { return storage_ok_; }
    const std::string& storage_error() const { return storage_error_; }

private:
    /// One engine step into `out` (cleared first); its changes join the batch, its leading
    /// cancels go out, and an order commits the batch and goes out after it.
    void process(const engine::event& ev, engine::output& out);
    /// Adds a processed step to the uncommitted batch (its notifications move into it).
    void add_to_batch(engine::output& out, engine::millis now);
    /// Batched notifications name the engine's records, valid only until its next step: before
    /// that step, each batched position they name is copied and the notification points at it.
    void detach_batch();
    /// Commits the batch now, or at the end of the io turn when `may_wait` and a poster is set.
    void end_step(bool may_wait);
    void persist(const engine::output& out, std::int64_t seq_hi, engine::millis now);
    /// A write failed: block new entries, remember to rewrite everything (and these trades).
    void storage_failed(const std::string& err, const std::vector<engine::trade>& trades);
    void drain();
    /// One log line per money action going to the exchange and per answer coming back (WARN for
    /// real trading, INFO for paper), so an operator tailing the journal sees what was traded.
    void log_action(const engine::action& a) const;
    void log_event(const engine::event& ev, const engine::output& out) const;
    /// Orders by result (metrics), from actions sent and answers received.
    void count_action(const engine::action& a);
    void count_event(const engine::event& ev, const engine::output& out);

    engine::mode mode_;
    engine::engine engine_;
    store* store_;
    exchange_port& port_;
    publisher publish_;
    clock_fn clock_;
    std::deque<engine::event> pending_;
    bool dispatching_ = false;
    /// Processed, not committed: dirty ids, trades, state flag and the notifications in order.
    engine::output batch_;
    std::vector<engine::millis> batch_ts_;  // each batched notification's event time
    engine::millis batch_now_ = 0;          // time of the newest batched step
    /// Positions changed only by ticks since they were last written (see flush_revaluations).
    std::set<std::string> revalued_;
    std::function<void(std::function<void()>)> post_;
    bool flush_posted_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
    std::deque<engine::position> detached_;  // copies batched notifications point at (stable addresses)
    std::size_t detached_upto_ = 0;          // batched notifications [0, this) no longer name the engine's
    engine::output scratch_;      // the drain's output, reused across steps (its capacity kept)
    bool scratch_busy_ = false;
    /// Safety fields last pushed: any change (a position opened, a trade moved the daily PnL, the
    /// engine stopped) is pushed as safety_changed even when the engine did not name it.
    std::string last_safety_key_;
    std::int64_t seq_ = 0;       // last sequence number pushed
    std::int64_t reserved_ = 0;  // sequence numbers up to here are persisted as used
    bool storage_ok_ = true;
    bool needs_full_save_ = false;
    std::string storage_error_;
    std::vector<engine::trade> unsaved_trades_;  // recorded while storage failed, rewritten on recovery
    std::map<std::string, engine::millis> last_tick_at_;
    engine::millis last_event_at_ = 0;

    // Metrics (inert handles until set_metrics).
    std::function<void(bool, const std::string&)> on_storage_;
    std::function<void(const engine::market_tick&)> on_tick_;
    metrics::registry* metrics_ = nullptr;
    metrics::histogram tick_to_decision_;
    metrics::histogram decision_to_wire_;
    metrics::histogram store_commit_;
    metrics::counter ticks_;
};

}  // namespace traded::daemon
