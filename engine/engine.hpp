#pragma once
/// The trading engine: a pure state machine. (state, event, now) -> output.
///
/// No sockets, no clocks, no files: the daemon hands in every event with the current time and
/// performs the returned actions through an exchange port (paper or Binance). The same type runs
/// paper and real trading. Single-threaded by design: one io_context thread owns it.

#include "engine/events.hpp"
#include "engine/performance.hpp"
#include "engine/types.hpp"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace traded::engine {

/// Durable engine-level state (persisted whenever output.state_changed).
struct engine_state {
    bool running = false;
    bool emergency_stopped = false;
    millis started_at = 0;
    /// Start of the current UTC trading day (epoch ms at 00:00 UTC) and the realized PnL since.
    millis trading_day_start = 0;
    decimal daily_realized_pnl;
    bool daily_loss_limit_hit = false;
    safety_limits_update overrides;  // run-time safety-limit changes on top of config
};

/// Safety view (GET safety-status).
struct safety_status {
    int max_positions = 0;
    int open_positions = 0;  // OPENING + OPEN (+ CLOSING, still exposed)
    int positions_remaining = 0;
    decimal max_daily_loss;
    decimal daily_realized_pnl;
    decimal daily_loss_remaining;
    bool daily_loss_limit_hit = false;
    bool emergency_stopped = false;
    bool can_open_new = false;
    std::vector<std::string> blocked_reasons;  // UPPER_SNAKE reasons, e.g. "NOT_RUNNING"; per-symbol
                                               // ones as "REASON:SYMBOL" (they block that symbol only)
    std::map<std::string, std::string> blocked_symbols;  // symbol -> reason (e.g. UNTRACKED_POSITION)
    /// Symbols whose quotes are older than max_staleness_ms (or never came): no new entries on
    /// them (also in blocked_reasons as "MARKET_DATA_STALE:SYMBOL"; blocked_symbols keeps the
    /// blocks that outlast a quote, such as UNTRACKED_POSITION); can_open_new stays true while
    /// at least one symbol is fresh.
    std::vector<std::string> stale_symbols;
    decimal stake_usd;
    std::string trading_day;  // "YYYY-MM-DD" (UTC)
};

/// Everything needed to rebuild an engine after a restart.
struct engine_snapshot {
    engine_state state;
    std::vector<position> positions;  // every non-closed position plus recent closed ones
    std::vector<order_record> orders;
    std::vector<trade> trades;   // the most recent ones (oldest first)
    trade_totals earlier_trades;  // every older trade, folded in close order
};

/// The engine for one mode.
class engine {
public:
    engine(engine_config cfg, std::vector<symbol_info> symbols);
    // The symbol index points into positions_: a copy would point into the original.
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;
    engine(engine&&) = default;  // node containers keep their nodes on move: the index and tick_slot_ stay valid
    engine& operator=(engine&&) = default;

    /// Rebuild from persisted state. Call before the first handle().
    void restore(engine_snapshot snap);

    /// The single entry point: apply one event at time `now`.
    ///
    /// Conventions callers rely on (details in engine.cpp / close_flow.cpp):
    /// - open_request / close_request put the position id in `result.position_id`.
    /// - A FAILED entry is announced like a close: positions/"position_closed" (status FAILED,
    ///   detail = why). No trade is recorded for it.
    /// - The exit reason comes from which of our orders filled (-TP, -SL, -FL, or -X = the
    ///   reason the close was asked for). A position closed from a flat position_report before
    ///   its exit fill was seen is recorded EXTERNAL at the mark; if our order's fill arrives
    ///   later in the same process, the trade is corrected: `new_trades` then carries a trade
    ///   whose trade_id was already recorded (the store must upsert) and trades/"trade_recorded"
    ///   is sent again with detail "corrected".
    /// - order_rejected is for placements only; a failed cancel must not be reported with it.
    /// - To record a close that happened on the exchange while the daemon was down without
    ///   known fills: close_request{id, exit_reason::external} then position_report{amount 0}.
    output handle(const event& ev, millis now);
    /// The same, writing into `out` (cleared first, its buffers kept): a caller that steps the
    /// engine in a loop (the backtest) builds no new output per event.
    void handle(const event& ev, millis now, output& out);

    /// When the engine next wants a timer_fired (daily rollover); nullopt for never.
    std::optional<millis> next_wakeup() const;

    /// Additional reasons, owned by the daemon, that block new entries (for example
    /// "STORAGE_UNAVAILABLE"). They show in safety_status().blocked_reasons.
    void set_external_block(std::string reason, bool blocked);

    /// Blocks new entries on the given symbols only, for a daemon-owned reason (for example
    /// "UNTRACKED_POSITION": the exchange holds a position there that the engine does not own,
    /// and in one-way mode a new one would merge into it). Replaces the symbols held for `reason`.
    void set_symbol_blocks(const std::string& reason, std::set<std::string> symbols);

    /// Replace the symbol filters with the exchange's own (real trading loads them from
    /// exchangeInfo at connect). Sizing and TP/SL rounding use them from the next entry on.
    void set_symbols(std::vector<symbol_info> symbols) { symbols_ = std::move(symbols); }

    /// A configuration reload (SIGHUP) changed the config's own safety limits. Run-time
    /// overrides (PUT safety-limits) stay on top of them, as at start.
    void set_config_limits(decimal stake_usd, int max_positions, decimal max_daily_loss) {
        cfg_.stake_usd = stake_usd;
        cfg_.max_positions = max_positions;
        cfg_.max_daily_loss = max_daily_loss;
    }

    // Read-only views -----------------------------------------------------------------------
    const engine_config& config() const { return cfg_; }
    /// Config with run-time overrides applied.
    engine_config effective_config() const;
    const engine_state& state() const { return state_; }
    safety_status safety(millis now) const;
    performance_stats performance(millis now) const;
    /// All positions ordered by id (OPENING/OPEN/CLOSING first is up to the view).
    const std::map<std::string, position>& positions() const { return positions_; }
    const position* find_position(const std::string& id) const;
    const std::map<std::string, order_record>& orders() const { return orders_; }
    /// The most recent closed trades in close order (at most config().trades_kept when that is
    /// set); the older ones are only in earlier_trades() and the store.
    std::span<const trade> trades() const { return live_trades(); }
    /// Totals of the trades that left trades() (count 0 when none did).
    const trade_totals& earlier_trades() const { return earlier_trades_; }
    /// Every trade ever recorded, in memory or not.
    std::size_t trade_count() const { return static_cast<std::size_t>(earlier_trades_.count) + live_trades().size(); }
    /// Realized PnL of every trade ever recorded (net of fees).
    decimal realized_pnl_total() const;
    const std::map<std::string, quote>& quotes() const { return quotes_; }
    /// When (the `now` of handle) the last quote of each symbol reached the engine.
    const std::map<std::string, millis>& quote_received_at() const { return quote_at_; }
    /// True when new entries on `symbol` are blocked because its quote is too old (or missing).
    bool stale(const std::string& symbol, millis now) const;
    const std::vector<symbol_info>& symbols() const { return symbols_; }
    const symbol_info* find_symbol(const std::string& symbol) const;
    bool exchange_connected() const { return exchange_connected_; }
    millis last_event_at() const { return last_event_at_; }

private:
    // The implementation keeps its helpers in engine.cpp and engine/exit_rules.*.
    struct impl_access;
    friend struct impl_access;
    /// OPENING + OPEN + CLOSING positions (every position that has not ended).
    int live_positions() const { return static_cast<int>(positions_.size() - ended_.size()); }
    void index_position(position& p);
    void unindex_position(const position& p);
    /// Fold the oldest trades beyond cfg_.trades_kept into earlier_trades_.
    void trim_trades();

    engine_config cfg_;
    std::vector<symbol_info> symbols_;
    engine_state state_;
    std::map<std::string, position> positions_;
    std::map<std::string, order_record> orders_;
    /// trades_[trades_from_..] are the in-memory trades; the ones before were folded into
    /// earlier_trades_ and are erased in one go once they are as many as the window (a close
    /// then moves no trades; erasing one at a time moved the whole window each close).
    std::vector<trade> trades_;
    std::size_t trades_from_ = 0;
    std::span<const trade> live_trades() const {
        return std::span<const trade>(trades_.data() + trades_from_, trades_.size() - trades_from_);
    }
    std::span<trade> live_trades() {
        return std::span<trade>(trades_.data() + trades_from_, trades_.size() - trades_from_);
    }
    trade_totals earlier_trades_;
    std::map<std::string, quote> quotes_;
    std::map<std::string, millis> quote_at_;  // not persisted: a restart starts without quotes
    /// Symbol -> its positions that are not over (plus, until the next tick on that symbol prunes
    /// them, ones that ended since), so a market tick touches only that symbol's positions
    /// instead of walking every position. Invariant: every non-terminal position is listed.
    /// Entries are never erased (an empty list stays), so tick_slot_ may point into them. Each
    /// also holds the symbol's entries in quotes_ and quote_at_ once it was ticked (map nodes,
    /// never erased): a tick on any symbol costs one hash lookup, not three tree lookups.
    struct symbol_slot {
        std::vector<position*> listed;
        quote* q = nullptr;
        millis* at = nullptr;
    };
    std::unordered_map<std::string, symbol_slot> by_symbol_;
    /// The last ticked symbol's entries in quotes_, quote_at_ and by_symbol_: a run of ticks of
    /// one symbol (a backtest, a busy symbol) costs one string compare instead of a lookup.
    /// Those containers never erase an entry (restore() resets this with by_symbol_).
    struct tick_slot {
        std::string symbol;
        quote* q = nullptr;
        millis* at = nullptr;
        std::vector<position*>* listed = nullptr;
    };
    tick_slot tick_slot_;
    /// The CLOSED/FAILED positions in the order prune_history forgets them (closed_at, then id),
    /// so a close finds the oldest without walking every position. The id pointers are the
    /// positions' own position_id members (map nodes: stable). Invariant: exactly the terminal
    /// positions of positions_ are listed, each with its closed_at.
    struct ended_key {
        millis closed_at = 0;
        const std::string* id = nullptr;
    };
    struct ended_order {
        bool operator()(const ended_key& a, const ended_key& b) const {
            return a.closed_at != b.closed_at ? a.closed_at < b.closed_at : *a.id < *b.id;
        }
    };
    std::set<ended_key, ended_order> ended_;
    std::string order_key_;  // scratch for impl_access::order_of (capacity kept)
    std::map<std::string, bool> external_blocks_;
    std::map<std::string, std::set<std::string>> symbol_blocks_;  // reason -> symbols
    std::map<std::string, bool> seen_fills_;  // trade ids already applied (dedup)
    bool exchange_connected_ = false;
    millis last_event_at_ = 0;

    // Run-time bookkeeping that is deliberately not persisted (rebuilt or harmless after restore).
    std::deque<std::string> seen_fill_order_;  // insertion order of seen_fills_, to bound it
    std::set<std::string> cancel_requested_;   // client ids we asked the exchange to cancel
    std::set<std::string> tp_sl_announced_;    // position ids that got "tp_sl_placed"
    std::map<std::string, int> close_attempts_;  // position id -> -X orders sent for this close
    /// Positions closed from a flat position report before any exit fill was seen (exit priced
    /// at the mark, reason EXTERNAL), with the exit fees seen since: a late fill of our own order
    /// then corrects the close (the reason comes from the order that filled, not event order).
    struct unseen_fees {
        decimal usdt;
        std::vector<commission> raw;
    };
    std::map<std::string, unseen_fees> closed_unseen_;
    bool day_initialised_ = false;
};

}  // namespace traded::engine
