#include "daemon/engine_runner.hpp"

#include "daemon/store.hpp"
#include "log/log.hpp"
#include "metrics/catalog.hpp"

#include <algorithm>
#include <chrono>

namespace traded::daemon {

namespace {
// Sequence numbers are reserved in blocks so that the many position_updated pushes of a market
// tick need no commit; after a crash the next number starts past the whole reserved block, so
// seq keeps increasing across restarts.
constexpr std::int64_t seq_block = 10'000;

std::string safety_key(const engine::safety_status& s) {
    std::string k = std::to_string(s.max_positions) + '|' + std::to_string(s.open_positions) + '|' +
                    s.max_daily_loss.to_string() + '|' + s.daily_realized_pnl.to_string() + '|' +
                    (s.daily_loss_limit_hit ? '1' : '0') + (s.emergency_stopped ? '1' : '0') +
                    (s.can_open_new ? '1' : '0') + '|' + s.stake_usd.to_string() + '|' + s.trading_day;
    for (const auto& r : s.blocked_reasons) k += '|' + r;
    return k;
}

using steady = std::chrono::steady_clock;

/// Events whose commit may wait for the end of the io turn: nobody waits for an answer to them.
/// Commands (open, close, start, stop, emergency stop, limits) are answered right after dispatch.
bool deferrable(const engine::event& ev) {
    return std::holds_alternative<engine::market_tick>(ev) || std::holds_alternative<engine::order_accepted>(ev) ||
           std::holds_alternative<engine::order_fill>(ev) || std::holds_alternative<engine::order_rejected>(ev) ||
           std::holds_alternative<engine::order_canceled>(ev) || std::holds_alternative<engine::position_report>(ev) ||
           std::holds_alternative<engine::exchange_status>(ev) || std::holds_alternative<engine::external_fill>(ev) ||
           std::holds_alternative<engine::timer_fired>(ev);
}

/// True when `out` changes something recovery needs (positions, orders, trades, engine state).
bool needs_commit(const engine::output& out) {
    return !out.dirty_positions.empty() || !out.dirty_orders.empty() || !out.new_trades.empty() || out.state_changed;
}

bool only_high_rate(const engine::output& out) {
    return std::all_of(out.notifications.begin(), out.notifications.end(),
                       [](const engine::notification& n) { return n.event_name == "position_updated"; });
}

double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}
}  // namespace

engine_runner::engine_runner(engine::mode m, engine::engine e, store* db, exchange_port& port, publisher pub,
                             clock_fn clock)
    : mode_(m), engine_(std::move(e)), store_(db), port_(port), publish_(std::move(pub)), clock_(std::move(clock)) {
    port_.set_sink([this](engine::event ev) {
        pending_.push_back(std::move(ev));
        if (!dispatching_) {
            drain();
            end_step(true);
        }
    });
}

engine_runner::~engine_runner() { *alive_ = false; }

std::string engine_runner::restore() {
    if (!store_) return {};
    auto snap = store_->load(mode_, engine_.config().trades_kept);
    if (auto* err = std::get_if<std::string>(&snap)) return *err;
    auto seq = store_->load_seq(mode_);
    if (auto* err = std::get_if<std::string>(&seq)) return *err;
    engine_.restore(std::move(std::get<engine::engine_snapshot>(snap)));
    last_safety_key_ = safety_key(engine_.safety(clock_()));
    seq_ = std::get<std::int64_t>(seq);
    reserved_ = seq_;
    return {};
}

engine::output engine_runner::dispatch(const engine::event& ev) {
    dispatching_ = true;
    engine::output out;
    process(ev, out);
    drain();
    // A command's answer follows this return: it must be committed. Exchange events and ticks
    // may share the io turn's commit.
    end_step(deferrable(ev));
    return out;
}

void engine_runner::end_step(bool may_wait) {
    if (batch_.notifications.empty() && !needs_commit(batch_)) return;
    // Nothing durable: the pushes go out now (their seq numbers are reserved).
    if (!may_wait || !post_ || !(needs_commit(batch_) || seq_ + static_cast<std::int64_t>(batch_.notifications.size()) > reserved_)) {
        commit_pending();
        return;
    }
    if (flush_posted_) return;
    flush_posted_ = true;
    post_([this, alive = alive_] {
        if (!*alive) return;
        flush_posted_ = false;
        commit_pending();
    });
}

void engine_runner::add_to_batch(engine::output& out, engine::millis now) {
    for (const auto& id : out.dirty_positions)
        if (std::find(batch_.dirty_positions.begin(), batch_.dirty_positions.end(), id) == batch_.dirty_positions.end())
            batch_.dirty_positions.push_back(id);
    for (const auto& id : out.dirty_orders)
        if (std::find(batch_.dirty_orders.begin(), batch_.dirty_orders.end(), id) == batch_.dirty_orders.end())
            batch_.dirty_orders.push_back(id);
    batch_.new_trades.insert(batch_.new_trades.end(), out.new_trades.begin(), out.new_trades.end());
    batch_.state_changed = batch_.state_changed || out.state_changed;
    for (auto& n : out.notifications) {
        batch_.notifications.push_back(std::move(n));
        batch_ts_.push_back(now);
    }
    out.notifications.clear();
    batch_now_ = now;
}

void engine_runner::detach_batch() {
    for (; detached_upto_ < batch_.notifications.size(); ++detached_upto_) {
        auto& payload = batch_.notifications[detached_upto_].payload;
        if (auto* r = std::get_if<engine::position_ref>(&payload); r != nullptr && r->pos != nullptr) {
            detached_.push_back(*r->pos);
            r->pos = &detached_.back();
        } else if (auto* t = std::get_if<engine::trade_ref>(&payload); t != nullptr && t->pos != nullptr) {
            detached_.push_back(*t->pos);
            t->pos = &detached_.back();
        }
    }
}

void engine_runner::commit_pending() {
    const auto n = static_cast<std::int64_t>(batch_.notifications.size());
    if (n == 0 && !needs_commit(batch_)) return;
    if (seq_ + n > reserved_ || needs_commit(batch_)) {
        if (seq_ + n > reserved_) reserved_ = seq_ + n + seq_block;
        // Positions revalued by ticks ride along for free.
        for (const auto& id : revalued_)
            if (std::find(batch_.dirty_positions.begin(), batch_.dirty_positions.end(), id) == batch_.dirty_positions.end())
                batch_.dirty_positions.push_back(id);
        revalued_.clear();
        persist(batch_, reserved_, batch_now_ != 0 ? batch_now_ : clock_());
    }
    // Taken out first: a subscriber callback must not see a half-published batch.
    auto notes = std::move(batch_.notifications);
    auto ts = std::move(batch_ts_);
    auto copies = std::move(detached_);  // what detached notes point at, alive while they publish
    batch_.clear();
    batch_ts_.clear();
    detached_.clear();
    detached_upto_ = 0;
    batch_now_ = 0;
    for (std::size_t i = 0; i < notes.size(); ++i) publish_(mode_, notes[i], ++seq_, ts[i]);
}

void engine_runner::flush_revaluations() {
    if (revalued_.empty() || store_ == nullptr) return;
    if (needs_commit(batch_)) {
        commit_pending();  // a durable commit writes them too
        return;
    }
    change_set c;
    const auto& positions = engine_.positions();
    for (const auto& id : revalued_)
        if (auto it = positions.find(id); it != positions.end()) c.positions.push_back(it->second);
    // Not needed by recovery (see the header): no fsync. A failure still means the disk cannot
    // take writes: storage is marked failing at once (new entries blocked), and the full rewrite
    // once it works again writes these rows too.
    const auto err = store_->commit(mode_, c, clock_(), false);
    revalued_.clear();
    if (!err.empty()) storage_failed(err, {});
}

void engine_runner::drain() {
    dispatching_ = true;
    // Port events (market ticks above all) step the engine into one output kept across steps, so
    // a tick allocates no vectors; a drain nested in a publisher's dispatch gets its own.
    engine::output local;
    engine::output& out = scratch_busy_ ? local : scratch_;
    const bool was_busy = scratch_busy_;
    scratch_busy_ = true;
    while (!pending_.empty()) {
        auto ev = std::move(pending_.front());
        pending_.pop_front();
        process(ev, out);
    }
    scratch_busy_ = was_busy;
    dispatching_ = false;
}


void engine_runner::set_metrics(metrics::registry* r) {
    metrics_ = r;
    if (r == nullptr) return;
    const metrics::labels l{{"mode", std::string(engine::to_string(mode_))}};
    tick_to_decision_ = r->get_histogram(metrics::names::tick_to_decision, l);
    decision_to_wire_ = r->get_histogram(metrics::names::decision_to_wire, l);
    store_commit_ = r->get_histogram(metrics::names::store_commit, l);
    ticks_ = r->get_counter(metrics::names::market_ticks, l);
}

void engine_runner::process(const engine::event& ev, engine::output& out) {
    const auto started = steady::now();
    const auto now = clock_();
    last_event_at_ = now;
    const auto* tick = std::get_if<engine::market_tick>(&ev);
    if (tick != nullptr) {
        last_tick_at_[tick->symbol] = now;
        ticks_.inc();
        if (on_tick_) on_tick_(*tick);
    }
    detach_batch();  // the step may change or drop records the batch's notifications name
    engine_.handle(ev, now, out);
    const auto decided = steady::now();

    // Cancels and position queries at the head of the actions go out first, before the commit
    // and before any logging or bookkeeping: they record nothing recovery needs (after a crash,
    // reconciliation reads the exchange, as for a fill that arrived just before the crash), so
    // the SL cancel after a TP fill waits neither for an fsync nor for the log lines (the
    // reaction path runs cold; every line before the write shows on the wire). Orders are sent
    // only once their record is committed, and the actions keep their order (a floor stop placed
    // before the old stop's cancel stays that way). The batch never holds actions (an order
    // commits the batch at once), so no earlier step's action can be overtaken.
    std::size_t early = 0;
    while (early < out.actions.size() && !std::holds_alternative<engine::place_order>(out.actions[early])) ++early;
    for (std::size_t i = 0; i < early; ++i) {
        port_.execute(out.actions[i]);
        if (!std::holds_alternative<engine::query_position>(out.actions[i])) decision_to_wire_.observe(seconds_since(decided));
    }

    if (tick != nullptr) {
        tick_to_decision_.observe(std::chrono::duration<double>(decided - started).count());
    } else {
        log_event(ev, out);
        count_event(ev, out);
    }
    for (std::size_t i = 0; i < early; ++i) {  // logged after the event that caused them
        log_action(out.actions[i]);
        count_action(out.actions[i]);
    }

    // Market ticks cannot change safety figures; everything else may.
    if (!std::holds_alternative<engine::market_tick>(ev)) {
        auto key = safety_key(engine_.safety(now));
        if (key != last_safety_key_) {
            last_safety_key_ = std::move(key);
            const bool named = std::any_of(out.notifications.begin(), out.notifications.end(),
                                           [](const auto& n) { return n.ch == engine::channel::safety; });
            if (!named) {
                engine::notification n;
                n.ch = engine::channel::safety;
                n.event_name = "safety_changed";
                out.notifications.push_back(std::move(n));
            }
        }
    }

    // A tick that sends nothing and changes no order, trade or engine state only revalued
    // positions (mark, unrealized PnL, highest profit): recovery recomputes or does not need
    // those, so they are written lazily without an fsync (flush_revaluations). The profit floor's
    // activation places an order, so it is never one of these.
    if (tick != nullptr && out.actions.empty() && out.dirty_orders.empty() && out.new_trades.empty() &&
        !out.state_changed && only_high_rate(out)) {
        revalued_.insert(out.dirty_positions.begin(), out.dirty_positions.end());
        out.dirty_positions.clear();
    }

    // Nothing to commit, nothing batched before it (a tick's revaluation pushes): published at
    // once, with no batch bookkeeping (a tick allocates nothing).
    if (!needs_commit(out) && early == out.actions.size() && batch_.notifications.empty() && !needs_commit(batch_) &&
        seq_ + static_cast<std::int64_t>(out.notifications.size()) <= reserved_) {
        for (const auto& note : out.notifications) publish_(mode_, note, ++seq_, now);
        return;
    }
    add_to_batch(out, now);
    if (early < out.actions.size()) {
        // An order waits for its record, and everything batched before it, in one commit.
        commit_pending();
        for (std::size_t i = early; i < out.actions.size(); ++i) {
            const auto& a = out.actions[i];
            log_action(a);
            count_action(a);
            port_.execute(a);
            if (!std::holds_alternative<engine::query_position>(a)) decision_to_wire_.observe(seconds_since(decided));
        }
    }
}

void engine_runner::announce(const engine::notification& note) {
    // Behind anything batched, so pushes keep the order of the steps that made them.
    batch_.notifications.push_back(note);
    batch_ts_.push_back(clock_());
    if (!dispatching_) end_step(true);
}

void engine_runner::persist(const engine::output& out, std::int64_t seq_hi, engine::millis now) {
    if (!store_) return;
    std::string err;
    const auto commit_started = steady::now();
    if (needs_full_save_) {
        // Storage failed earlier: rewrite everything the engine holds, then the new output.
        engine::output all = out;
        for (const auto& [id, p] : engine_.positions()) all.dirty_positions.push_back(id);
        for (const auto& [id, o] : engine_.orders()) all.dirty_orders.push_back(id);
        // Trades recorded while storage failed may have left the engine's in-memory window.
        all.new_trades = unsaved_trades_;
        all.new_trades.insert(all.new_trades.end(), engine_.trades().begin(), engine_.trades().end());
        all.new_trades.insert(all.new_trades.end(), out.new_trades.begin(), out.new_trades.end());
        all.state_changed = true;
        err = store_->commit(mode_, engine_, all, seq_hi, now);  // trades are upserted by trade_id
    } else {
        err = store_->commit(mode_, engine_, out, seq_hi, now);
    }
    store_commit_.observe(seconds_since(commit_started));
    if (err.empty()) {
        if (!storage_ok_) {
            log::info("store", "{}: storage recovered", engine::to_string(mode_));
            if (on_storage_) on_storage_(true, {});
        }
        needs_full_save_ = false;
        unsaved_trades_.clear();
        set_storage_ok(true);
        return;
    }
    storage_failed(err, out.new_trades);
}

void engine_runner::storage_failed(const std::string& err, const std::vector<engine::trade>& trades) {
    // Protection first: the actions are still performed (a stop must be placed even when the disk
    // is full), but new entries are blocked until a commit succeeds again.
    if (storage_ok_) {
        log::error("store", "{}: commit failed: {}", engine::to_string(mode_), err);
        if (on_storage_) on_storage_(false, err);
    }
    storage_error_ = err;
    needs_full_save_ = true;
    // Bounded: while storage fails no new entry opens, so only positions already open can close.
    unsaved_trades_.insert(unsaved_trades_.end(), trades.begin(), trades.end());
    set_storage_ok(false);
}

void engine_runner::set_symbol_blocks(const std::string& reason, std::set<std::string> symbols) {
    std::string detail;
    for (const auto& s : symbols) detail += (detail.empty() ? "" : ", ") + s;
    engine_.set_symbol_blocks(reason, std::move(symbols));
    auto key = safety_key(engine_.safety(clock_()));
    if (key == last_safety_key_) return;
    last_safety_key_ = std::move(key);
    engine::notification n;
    n.ch = engine::channel::safety;
    n.event_name = "safety_changed";
    n.detail = detail.empty() ? reason + ": no symbol blocked any more"
                              : reason + ": new entries blocked on " + detail;
    announce(n);
}

std::vector<engine::trade> engine_runner::trades(int limit, engine::millis since) const {
    std::vector<engine::trade> out;
    const auto& recent = engine_.trades();
    for (auto it = recent.rbegin(); it != recent.rend() && static_cast<int>(out.size()) < limit; ++it)
        if (it->closed_at >= since) out.push_back(*it);
    const auto& earlier = engine_.earlier_trades();
    // Memory answers unless the answer reaches into trades that left the window.
    if (static_cast<int>(out.size()) >= limit || earlier.count == 0 || earlier.last_closed_at < since) return out;
    // While storage fails the newest trades may not be in the store yet: memory is then the best
    // (partial) answer.
    if (store_ == nullptr || !storage_ok_) return out;
    auto stored = store_->trades(mode_, limit, since);
    if (auto* err = std::get_if<std::string>(&stored)) {
        log::warn("store", "{}", *err);
        return out;
    }
    return std::move(std::get<std::vector<engine::trade>>(stored));
}

void engine_runner::retry_storage() {
    if (storage_ok_) return;
    persist(engine::output{}, reserved_, clock_());
}

void engine_runner::set_storage_ok(bool ok) {
    storage_ok_ = ok;
    if (ok) storage_error_.clear();
    engine_.set_external_block("STORAGE_UNAVAILABLE", !ok);
}

// ---------------------------------------------------------------------------------------------
// The trading log: one line per money action and per exchange answer, and order counts
// ---------------------------------------------------------------------------------------------

namespace {

/// Kind of an order for logs; the client id's suffix when the engine does not know it.
std::string kind_of(const engine::order_record* o, const std::string& client_id) {
    if (o != nullptr) return std::string(engine::to_string(o->kind));
    if (auto split = engine::split_client_order_id(client_id)) return std::string(engine::to_string(split->second));
    return "ORDER";
}

std::string position_of(const engine::order_record* o, const std::string& client_id) {
    if (o != nullptr) return o->position_id;
    if (auto split = engine::split_client_order_id(client_id)) return split->first;
    return "?";
}

}  // namespace

void engine_runner::log_action(const engine::action& a) const {
    // Real money at WARN so `journalctl -p warning` (and any alerting on it) shows every trade.
    const auto lvl = mode_ == engine::mode::real ? log::level::warn : log::level::info;
    if (!log::enabled(lvl)) return;
    const auto component = engine::to_string(mode_);
    if (const auto* p = std::get_if<engine::place_order>(&a)) {
        const auto& o = p->order;
        std::string price;
        if (o.type == engine::order_type::market) {
            auto q = engine_.quotes().find(o.symbol);
            price = q != engine_.quotes().end() ? "MARKET (mark " + q->second.mark.to_string() + ")" : "MARKET";
        } else {
            price = o.trigger_price.to_string() + " (" + std::string(engine::to_string(o.type)) + ")";
        }
        const char* what = o.kind == engine::order_kind::floor_stop ? "sent (stop moved to the profit floor)" : "sent";
        log::write(lvl, component,
                   fmt::format("{} {}: position={} client_order_id={} symbol={} side={} qty={} price={}{}",
                               engine::to_string(o.kind), what, o.position_id, o.client_id, o.symbol,
                               engine::to_string(o.side), o.qty.to_string(), price, p->reduce_only ? " reduce_only" : ""),
                   log::fields{component, o.position_id, o.symbol, o.client_id});
    } else if (const auto* c = std::get_if<engine::cancel_order>(&a)) {
        const auto it = engine_.orders().find(c->client_id);
        const auto* o = it != engine_.orders().end() ? &it->second : nullptr;
        const auto position_id = position_of(o, c->client_id);
        log::write(lvl, component,
                   fmt::format("{} cancel sent: position={} client_order_id={} symbol={} side={} qty={} price={}",
                               kind_of(o, c->client_id), position_id, c->client_id, c->symbol,
                               o != nullptr ? engine::to_string(o->side) : "?", o != nullptr ? o->qty.to_string() : "?",
                               o != nullptr ? o->trigger_price.to_string() : "?"),
                   log::fields{component, position_id, c->symbol, c->client_id});
    }
}

void engine_runner::log_event(const engine::event& ev, const engine::output& out) const {
    const auto lvl = mode_ == engine::mode::real ? log::level::warn : log::level::info;
    if (!log::enabled(lvl)) return;
    const auto component = engine::to_string(mode_);
    // Only answers the engine applied (a duplicate fill or a stray answer changes no order).
    auto find = [this, &out](const std::string& cid) -> const engine::order_record* {
        if (std::find(out.dirty_orders.begin(), out.dirty_orders.end(), cid) == out.dirty_orders.end()) return nullptr;
        const auto it = engine_.orders().find(cid);
        return it != engine_.orders().end() ? &it->second : nullptr;
    };
    auto line = [&](const engine::order_record& o, std::string_view what, std::string_view qty,
                    std::string_view price, std::string_view extra) {
        log::write(lvl, component,
                   fmt::format("{} {}: position={} client_order_id={} symbol={} side={} qty={} price={}{}",
                               engine::to_string(o.kind), what, o.position_id, o.client_id, o.symbol,
                               engine::to_string(o.side), qty, price, extra),
                   log::fields{component, o.position_id, o.symbol, o.client_id});
    };
    if (const auto* f = std::get_if<engine::order_fill>(&ev)) {
        if (const auto* o = find(f->client_id))
            line(*o, f->order_done ? "filled" : "partially filled", f->qty.to_string(), f->price.to_string(),
                 fmt::format(" fee={} trade_id={}", f->fee.to_string(), f->trade_id));
    } else if (const auto* a = std::get_if<engine::order_accepted>(&ev)) {
        // A market order's fill follows at once; an accepted TP/SL is now resting on the exchange.
        const auto* o = find(a->client_id);
        if (o == nullptr || o->type == engine::order_type::market) return;
        line(*o, "placed", o->qty.to_string(), o->trigger_price.to_string(),
             fmt::format(" exchange_order_id={}", a->exchange_id));
    } else if (const auto* r = std::get_if<engine::order_rejected>(&ev)) {
        if (const auto* o = find(r->client_id))
            line(*o, "rejected", o->qty.to_string(), o->trigger_price.to_string(),
                 fmt::format(" code={} reason={}", r->code, r->message));
    } else if (const auto* c = std::get_if<engine::order_canceled>(&ev)) {
        if (const auto* o = find(c->client_id))
            line(*o, "canceled", o->qty.to_string(), o->trigger_price.to_string(), "");
    } else if (std::holds_alternative<engine::emergency_stop_request>(ev)) {
        if (!out.result.ok()) return;
        std::size_t cancels = 0;
        std::size_t orders = 0;
        for (const auto& act : out.actions) {
            cancels += std::holds_alternative<engine::cancel_order>(act) ? 1 : 0;
            orders += std::holds_alternative<engine::cancel_order>(act) ? 0 : 1;
        }
        log::write(lvl, component,
                   fmt::format("EMERGENCY STOP: latched; {} cancel(s) and {} close step(s) follow", cancels, orders),
                   log::fields{component, {}, {}, {}});
    } else if (const auto* cr = std::get_if<engine::close_request>(&ev)) {
        const auto* p = engine_.find_position(cr->position_id);
        if (!out.result.ok() || out.result.already_closed || p == nullptr) return;
        log::write(lvl, component,
                   fmt::format("close requested ({}): position={} symbol={} side={} qty={} mark={}",
                               engine::to_string(cr->reason), p->position_id, p->symbol, engine::to_string(p->pos_side),
                               p->qty.to_string(), p->mark_price.to_string()),
                   log::fields{component, p->position_id, p->symbol, {}});
    }
}

void engine_runner::count_action(const engine::action& a) {
    if (metrics_ == nullptr) return;
    if (const auto* p = std::get_if<engine::place_order>(&a))
        metrics_->inc(metrics::names::orders, {{"mode", std::string(engine::to_string(mode_))},
                                               {"kind", std::string(engine::to_string(p->order.kind))},
                                               {"result", "sent"}});
}

void engine_runner::count_event(const engine::event& ev, const engine::output& out) {
    if (metrics_ == nullptr) return;
    auto count = [&](const std::string& cid, const char* result) {
        if (std::find(out.dirty_orders.begin(), out.dirty_orders.end(), cid) == out.dirty_orders.end()) return;
        const auto it = engine_.orders().find(cid);
        if (it == engine_.orders().end()) return;  // not ours, or a duplicate of a finished order
        metrics_->inc(metrics::names::orders, {{"mode", std::string(engine::to_string(mode_))},
                                               {"kind", std::string(engine::to_string(it->second.kind))},
                                               {"result", result}});
    };
    if (const auto* f = std::get_if<engine::order_fill>(&ev)) {
        if (f->order_done) count(f->client_id, "filled");
    } else if (const auto* a = std::get_if<engine::order_accepted>(&ev)) {
        count(a->client_id, "accepted");
    } else if (const auto* r = std::get_if<engine::order_rejected>(&ev)) {
        count(r->client_id, "rejected");
    } else if (const auto* c = std::get_if<engine::order_canceled>(&ev)) {
        count(c->client_id, "canceled");
    }
}

}  // namespace traded::daemon
