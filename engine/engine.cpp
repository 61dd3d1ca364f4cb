#include "engine/engine.hpp"

#include "engine/engine_impl.hpp"
#include "engine/exit_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace traded::engine {

namespace {
constexpr millis ms_per_day = 86'400'000;
/// Trade ids remembered for fill de-duplication. Exchanges redeliver within seconds to minutes,
/// so the last 10k fills are plenty; the bound keeps a long-running daemon's memory flat.
constexpr std::size_t max_seen_fills = 10'000;
/// CLOSED/FAILED positions kept in memory for the views and idempotent close answers.
constexpr std::size_t max_terminal_positions = 1'000;

void add_unique(std::vector<std::string>& ids, const std::string& id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

bool is_exchange_event(const event& ev) {
    return std::holds_alternative<market_tick>(ev) || std::holds_alternative<order_accepted>(ev) ||
           std::holds_alternative<order_fill>(ev) || std::holds_alternative<order_rejected>(ev) ||
           std::holds_alternative<order_canceled>(ev) || std::holds_alternative<position_report>(ev) ||
           std::holds_alternative<exchange_status>(ev) || std::holds_alternative<external_fill>(ev);
}

std::string_view kind_label(order_kind k) {
    switch (k) {
        case order_kind::entry: return "entry";
        case order_kind::take_profit: return "take-profit";
        case order_kind::stop_loss: return "stop-loss";
        case order_kind::floor_stop: return "profit-floor stop";
        case order_kind::close: return "close";
    }
    return "order";
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// engine: public surface
// ---------------------------------------------------------------------------------------------

engine::engine(engine_config cfg, std::vector<symbol_info> symbols)
    : cfg_(std::move(cfg)), symbols_(std::move(symbols)) {}

void engine::restore(engine_snapshot snap) {
    state_ = std::move(snap.state);
    positions_.clear();
    by_symbol_.clear();
    tick_slot_ = {};
    orders_.clear();
    for (auto& p : snap.positions) {
        // A position whose protection was already placed must not announce "tp_sl_placed" again
        // when a re-placed order is accepted after the restart.
        if (!p.tp_order_id.empty()) tp_sl_announced_.insert(p.position_id);
        std::string id = p.position_id;
        positions_.insert_or_assign(std::move(id), std::move(p));
    }
    ended_.clear();
    for (auto& [id, p] : positions_)
        if (!is_terminal(p.status))
            index_position(p);
        else
            ended_.insert(ended_key{p.closed_at, &p.position_id});
    for (auto& o : snap.orders) {
        std::string id = o.client_id;
        orders_.insert_or_assign(std::move(id), std::move(o));
    }
    trades_ = std::move(snap.trades);
    trades_from_ = 0;
    earlier_trades_ = snap.earlier_trades;
    trim_trades();
    day_initialised_ = true;
}

output engine::handle(const event& ev, millis now) {
    output out;
    handle(ev, now, out);
    return out;
}

void engine::handle(const event& ev, millis now, output& out) {
    out.clear();
    impl_access step{*this, out, now};
    // Within the current trading day (nearly every event) rollover() has nothing to do.
    if (!day_initialised_ || now < state_.trading_day_start || now - state_.trading_day_start >= ms_per_day)
        step.rollover();
    if (is_exchange_event(ev)) last_event_at_ = now;
    std::visit(step, ev);
}

std::optional<millis> engine::next_wakeup() const {
    return state_.trading_day_start + ms_per_day;
}

void engine::set_external_block(std::string reason, bool blocked) {
    if (blocked)
        external_blocks_[std::move(reason)] = true;
    else
        external_blocks_.erase(reason);
}

void engine::set_symbol_blocks(const std::string& reason, std::set<std::string> symbols) {
    if (symbols.empty())
        symbol_blocks_.erase(reason);
    else
        symbol_blocks_[reason] = std::move(symbols);
}

engine_config engine::effective_config() const {
    engine_config c = cfg_;
    if (state_.overrides.stake_usd) c.stake_usd = *state_.overrides.stake_usd;
    if (state_.overrides.max_positions) c.max_positions = *state_.overrides.max_positions;
    if (state_.overrides.max_daily_loss) c.max_daily_loss = *state_.overrides.max_daily_loss;
    return c;
}

safety_status engine::safety(millis now) const {
    const engine_config c = effective_config();
    safety_status s;
    s.max_positions = c.max_positions;
    s.open_positions = live_positions();
    s.positions_remaining = std::max(0, c.max_positions - s.open_positions);
    s.max_daily_loss = c.max_daily_loss;
    // A new UTC day that no event has rolled over yet already starts from zero.
    const bool stale_day = day_initialised_ && utc_day_start(now) > state_.trading_day_start;
    s.daily_realized_pnl = stale_day ? decimal{} : state_.daily_realized_pnl;
    s.daily_loss_limit_hit = stale_day ? false : state_.daily_loss_limit_hit;
    s.daily_loss_remaining = std::max(decimal{}, c.max_daily_loss + s.daily_realized_pnl);
    s.emergency_stopped = state_.emergency_stopped;
    if (!c.enabled) s.blocked_reasons.emplace_back("ENGINE_DISABLED");
    if (!state_.running) s.blocked_reasons.emplace_back("NOT_RUNNING");
    if (state_.emergency_stopped) s.blocked_reasons.emplace_back("EMERGENCY_STOPPED");
    if (s.daily_loss_limit_hit) s.blocked_reasons.emplace_back("DAILY_LOSS_LIMIT_HIT");
    if (s.open_positions >= c.max_positions) s.blocked_reasons.emplace_back("MAX_POSITIONS_REACHED");
    for (const auto& [reason, blocked] : external_blocks_)
        if (blocked) s.blocked_reasons.push_back(reason);
    // Per-symbol blocks leave the other symbols open: they do not change can_open_new.
    s.can_open_new = s.blocked_reasons.empty();
    for (const auto& [reason, symbols] : symbol_blocks_)
        for (const auto& sym : symbols) {
            s.blocked_reasons.push_back(reason + ":" + sym);
            s.blocked_symbols.emplace(sym, reason);
        }
    // A quiet symbol blocks entries on it only; with every symbol quiet nothing can open.
    for (const auto& sym : symbols_)
        if (stale(sym.symbol, now)) {
            s.stale_symbols.push_back(sym.symbol);
            s.blocked_reasons.push_back("MARKET_DATA_STALE:" + sym.symbol);
        }
    if (!symbols_.empty() && s.stale_symbols.size() == symbols_.size()) s.can_open_new = false;
    s.stake_usd = c.stake_usd;
    s.trading_day = utc_date(now);
    return s;
}

performance_stats engine::performance(millis now) const {
    return compute_performance_of(earlier_trades_, live_trades(), now);
}

decimal engine::realized_pnl_total() const {
    decimal sum = earlier_trades_.total_pnl;
    for (const trade& t : live_trades()) sum += t.pnl;
    return sum;
}

void engine::trim_trades() {
    const std::size_t live = trades_.size() - trades_from_;
    if (cfg_.trades_kept == 0 || live <= cfg_.trades_kept) return;
    const std::size_t excess = live - cfg_.trades_kept;
    for (std::size_t i = trades_from_; i < trades_from_ + excess; ++i) earlier_trades_.add(trades_[i]);
    trades_from_ += excess;
    if (trades_from_ >= cfg_.trades_kept) {
        trades_.erase(trades_.begin(), trades_.begin() + static_cast<std::ptrdiff_t>(trades_from_));
        trades_from_ = 0;
    }
}

const position* engine::find_position(const std::string& id) const {
    auto it = positions_.find(id);
    return it == positions_.end() ? nullptr : &it->second;
}

void engine::index_position(position& p) {
    auto& list = by_symbol_[p.symbol].listed;
    if (std::find(list.begin(), list.end(), &p) == list.end()) list.push_back(&p);
}

void engine::unindex_position(const position& p) {
    auto it = by_symbol_.find(p.symbol);
    if (it == by_symbol_.end()) return;
    auto& list = it->second.listed;
    list.erase(std::remove(list.begin(), list.end(), &p), list.end());
}

const symbol_info* engine::find_symbol(const std::string& symbol) const {
    for (const auto& s : symbols_)
        if (s.symbol == symbol) return &s;
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping
// ---------------------------------------------------------------------------------------------

void engine::impl_access::rollover() {
    // Every event comes through here: within the current trading day there is nothing to do.
    if (e.day_initialised_ && now >= e.state_.trading_day_start && now - e.state_.trading_day_start < ms_per_day)
        return;
    const millis day = utc_day_start(now);
    if (!e.day_initialised_) {
        e.day_initialised_ = true;
        e.state_.trading_day_start = day;
        out.state_changed = true;
        return;
    }
    // Only forward: a clock stepped back by NTP must not wipe today's realized loss.
    if (day <= e.state_.trading_day_start) return;
    const bool had_something = e.state_.daily_loss_limit_hit || !e.state_.daily_realized_pnl.is_zero();
    e.state_.trading_day_start = day;
    e.state_.daily_realized_pnl = {};
    e.state_.daily_loss_limit_hit = false;
    out.state_changed = true;
    if (had_something)
        notify(channel::safety, "safety_changed",
               fmt::format("new UTC trading day {}: daily realized PnL and loss limit reset", utc_date(now)));
}

void engine::impl_access::touch(position& p) {
    p.updated_at = now;
    add_unique(out.dirty_positions, p.position_id);
}

void engine::impl_access::touch(order_record& o) {
    o.updated_at = now;
    add_unique(out.dirty_orders, o.client_id);
}

void engine::impl_access::notify(channel ch, std::string_view name, std::string detail) {
    out.notifications.push_back(notification{ch, name, std::monostate{}, std::move(detail)});
}

void engine::impl_access::notify_position(const position& p, std::string_view name, std::string detail) {
    out.notifications.push_back(notification{channel::positions, name, position_ref{&p}, std::move(detail)});
}

bool engine::impl_access::named_in_step(const position& p) const {
    for (const notification& n : out.notifications) {
        if (const auto* r = std::get_if<position_ref>(&n.payload); r != nullptr && r->pos == &p) return true;
        if (const auto* r = std::get_if<trade_ref>(&n.payload); r != nullptr && r->pos == &p) return true;
    }
    return false;
}

void engine::impl_access::refuse(std::string code, int http_status, std::string message) {
    out.result.code = std::move(code);
    out.result.http_status = http_status;
    out.result.message = std::move(message);
}

position* engine::impl_access::find_position(const std::string& id) {
    auto it = e.positions_.find(id);
    return it == e.positions_.end() ? nullptr : &it->second;
}

order_record* engine::impl_access::find_order(const std::string& client_id) {
    auto it = e.orders_.find(client_id);
    return it == e.orders_.end() ? nullptr : &it->second;
}

order_record* engine::impl_access::order_of(const position& p, order_kind k) {
    // Built in a buffer the engine keeps: a lookup allocates nothing (ids are ~30 characters).
    std::string& key = e.order_key_;
    key.assign(p.position_id);
    key.push_back('-');
    key += suffix(k);
    return find_order(key);
}

bool engine::impl_access::live(const position& p, order_kind k) {
    const order_record* o = order_of(p, k);
    return o != nullptr && is_live(o->status);
}

const symbol_info* engine::impl_access::symbol_of(const position& p) const {
    return e.find_symbol(p.symbol);
}

decimal engine::impl_access::remaining(const position& p) const {
    return std::max(decimal{}, p.qty - p.exit_filled_qty);
}

order_record& engine::impl_access::place(position& p, order_kind k, order_type t, decimal qty,
                                         decimal trigger, bool reduce_only) {
    order_record o;
    o.client_id = client_order_id(p.position_id, k);
    o.position_id = p.position_id;
    o.symbol = p.symbol;
    o.kind = k;
    o.type = t;
    o.side = k == order_kind::entry ? entry_side(p.pos_side) : exit_side(p.pos_side);
    o.qty = qty;
    o.trigger_price = trigger;
    o.status = order_status::pending;
    o.updated_at = now;
    // Client ids are deterministic, so a re-placed order reuses the id of the one it replaces
    // (allowed once that one is dead); a cancel we asked for earlier does not apply to it.
    e.cancel_requested_.erase(o.client_id);
    order_record& rec = e.orders_.insert_or_assign(o.client_id, o).first->second;
    add_unique(out.dirty_orders, rec.client_id);
    out.actions.emplace_back(place_order{rec, reduce_only});
    return rec;
}

void engine::impl_access::cancel(const order_record& o) {
    if (!is_live(o.status)) return;
    e.cancel_requested_.insert(o.client_id);
    out.actions.emplace_back(cancel_order{o.client_id, o.symbol});
}

void engine::impl_access::check_daily_loss() {
    const engine_config c = e.effective_config();
    if (e.state_.daily_loss_limit_hit || e.state_.daily_realized_pnl > -c.max_daily_loss) return;
    e.state_.daily_loss_limit_hit = true;
    out.state_changed = true;
    notify(channel::safety, "daily_loss_limit_hit",
           fmt::format("daily realized PnL {} reached the limit of -{}: no new entries until 00:00 UTC; "
                       "open positions keep their TP/SL",
                       e.state_.daily_realized_pnl.to_string(), c.max_daily_loss.to_string()));
}

void engine::impl_access::end_position(position& p, position_status terminal) {
    if (is_terminal(p.status)) e.ended_.erase(engine::ended_key{p.closed_at, &p.position_id});
    p.status = terminal;
    p.closed_at = now;
    e.ended_.insert(engine::ended_key{p.closed_at, &p.position_id});
}

void engine::impl_access::prune_history() {
    if (e.ended_.size() <= max_terminal_positions) return;
    // The `excess` oldest ended positions go (usually one per close).
    std::size_t excess = e.ended_.size() - max_terminal_positions;
    for (auto it = e.ended_.begin(); it != e.ended_.end() && excess > 0; --excess) {
        if (it->closed_at >= now) break;  // never one closed in this step (callers still use it)
        const auto pos = e.positions_.find(*it->id);
        // Nor one this step's notifications name: they point at the record (it goes next time).
        if (pos == e.positions_.end() || named_in_step(pos->second)) {
            ++it;
            continue;
        }
        const std::string id = pos->first;  // the ended_ key points into the record erased below
        it = e.ended_.erase(it);
        // A position's orders are keyed "<position_id>-<suffix>": one contiguous range of the
        // ordered map, so forgetting them does not walk every order.
        const std::string prefix = id + "-";
        for (auto o = e.orders_.lower_bound(prefix);
             o != e.orders_.end() && o->first.compare(0, prefix.size(), prefix) == 0;)
            o = o->second.position_id == id ? e.orders_.erase(o) : std::next(o);
        e.unindex_position(pos->second);
        e.positions_.erase(pos);
        e.tp_sl_announced_.erase(id);
        e.close_attempts_.erase(id);
        e.closed_unseen_.erase(id);
    }
}

// ---------------------------------------------------------------------------------------------
// Market data
// ---------------------------------------------------------------------------------------------

bool engine::stale(const std::string& symbol, millis now) const {
    if (cfg_.max_staleness_ms <= 0) return false;
    auto it = quote_at_.find(symbol);
    return it == quote_at_.end() || now - it->second > cfg_.max_staleness_ms;
}

void engine::impl_access::operator()(const market_tick& ev) {
    tick_slot& slot = e.tick_slot_;
    if (slot.q == nullptr || !same_symbol(slot.symbol, ev.symbol)) {
        slot.symbol = ev.symbol;
        symbol_slot& s = e.by_symbol_[ev.symbol];
        if (s.q == nullptr) {  // the symbol's first tick (since restore)
            s.q = &e.quotes_[ev.symbol];
            s.at = &e.quote_at_[ev.symbol];
        }
        slot.q = s.q;
        slot.at = s.at;
        slot.listed = &s.listed;
    }
    *slot.q = ev.q;
    *slot.at = now;
    std::vector<position*>& list = *slot.listed;
    if (list.empty()) return;
    decimal mark = ev.q.mark;
    if (!mark.is_positive() && ev.q.bid.is_positive() && ev.q.ask.is_positive())
        mark = (ev.q.bid + ev.q.ask) / decimal::from_int(2);
    if (!mark.is_positive()) return;
    // No run-time override (stake, max positions, daily loss) is read here: the config itself,
    // not an effective_config() copy per tick.
    const engine_config& c = e.cfg_;
    for (std::size_t i = 0; i < list.size();) {
        position& p = *list[i];
        if (is_terminal(p.status)) {
            // Over since the last tick: drop it from the index here rather than at every close.
            list[i] = list.back();
            list.pop_back();
            continue;
        }
        ++i;
        if (p.status == position_status::opening) p.mark_price = mark;
        if (p.status != position_status::open && p.status != position_status::closing) continue;
        if (!entry_filled(p)) continue;  // CLOSING requested while OPENING: nothing to value yet
        p.mark_price = mark;
        p.pnl = unrealized_pnl(p.pos_side, p.entry_price, mark, p.qty);
        std::string detail;
        if (p.pnl > p.highest_profit_ever) {
            p.highest_profit_ever = p.pnl;
            touch(p);
        }
        if (c.pure_3_rule_mode && p.status == position_status::open && !p.profit_floor_activated &&
            p.highest_profit_ever >= c.absolute_floor_dollars) {
            activate_floor(p);
            detail = fmt::format("profit floor of {} reached: moving the stop to {}",
                                 c.absolute_floor_dollars.to_string(),
                                 order_of(p, order_kind::floor_stop)->trigger_price.to_string());
        }
        if (c.notify_ticks || !detail.empty()) notify_position(p, "position_updated", std::move(detail));
    }
}

// ---------------------------------------------------------------------------------------------
// Order events
// ---------------------------------------------------------------------------------------------

void engine::impl_access::operator()(const order_accepted& ev) {
    order_record* o = find_order(ev.client_id);
    if (o == nullptr) o = adopt_unknown_order(ev.client_id);
    if (o == nullptr) return;
    if (!ev.exchange_id.empty()) o->exchange_id = ev.exchange_id;
    // A late acknowledgement after a fill or cancel must not bring the order back to life.
    if (o->status == order_status::pending) o->status = order_status::accepted;
    touch(*o);
    position* p = find_position(o->position_id);
    if (p == nullptr || o->kind == order_kind::entry) return;
    if (is_terminal(p->status)) {
        cancel(*o);  // a protective or close order that outlived its position
        return;
    }
    if (o->kind == order_kind::floor_stop && is_live(o->status)) adopt_floor(*p, *o);
    maybe_announce_protection(*p);
}

bool engine::impl_access::first_sight(const std::string& trade_id) {
    if (trade_id.empty()) return true;
    if (e.seen_fills_.count(trade_id) != 0) return false;
    e.seen_fills_[trade_id] = true;
    e.seen_fill_order_.push_back(trade_id);
    while (e.seen_fill_order_.size() > max_seen_fills) {
        e.seen_fills_.erase(e.seen_fill_order_.front());
        e.seen_fill_order_.pop_front();
    }
    return true;
}

void engine::impl_access::operator()(const order_fill& ev) {
    if (!first_sight(ev.trade_id)) return;  // redelivered: applied already
    if (!ev.qty.is_positive()) return;
    order_record* o = find_order(ev.client_id);
    if (o == nullptr) o = adopt_unknown_order(ev.client_id);
    if (o == nullptr) return;
    const decimal before = o->filled_qty;
    const decimal total = before + ev.qty;
    o->avg_price = (o->avg_price * before + ev.price * ev.qty) / total;
    o->filled_qty = total;
    if (o->exchange_id.empty()) o->exchange_id = ev.exchange_id;
    o->status = ev.order_done || total >= o->qty ? order_status::filled : order_status::partially_filled;
    touch(*o);
    position* p = find_position(o->position_id);
    if (p == nullptr) return;
    if (o->kind == order_kind::entry)
        on_entry_fill(*p, *o, ev);
    else
        on_exit_fill(*p, *o, ev);
}

void engine::impl_access::operator()(const order_rejected& ev) {
    order_record* o = find_order(ev.client_id);
    if (o == nullptr) return;
    if (!is_live(o->status)) return;  // a stale answer for an order that already ended
    o->status = order_status::rejected;
    touch(*o);
    position* p = find_position(o->position_id);
    if (p == nullptr) return;
    const std::string why =
        fmt::format("{} order rejected ({}: {})", kind_label(o->kind), ev.code, ev.message);
    switch (o->kind) {
        case order_kind::entry:
            if (is_terminal(p->status) || entry_filled(*p)) return;
            if (o->filled_qty.is_positive())
                open_position(*p, *o);  // partly filled before it died: protect what we hold
            else
                fail_position(*p, why);
            return;
        case order_kind::close: on_close_rejected(*p, ev); return;
        case order_kind::take_profit:
        case order_kind::stop_loss:
        case order_kind::floor_stop: on_protective_rejected(*p, *o, ev); return;
    }
}

void engine::impl_access::operator()(const order_canceled& ev) {
    order_record* o = find_order(ev.client_id);
    if (o == nullptr) return;
    const bool we_asked = e.cancel_requested_.erase(ev.client_id) > 0;
    if (!is_live(o->status)) return;  // already filled, rejected or canceled
    o->status = order_status::canceled;
    touch(*o);
    position* p = find_position(o->position_id);
    if (p == nullptr) return;
    switch (o->kind) {
        case order_kind::entry:
            if (is_terminal(p->status) || entry_filled(*p)) return;
            if (o->filled_qty.is_positive())
                open_position(*p, *o);  // partial fill then expired: the filled part is real
            else
                fail_position(*p, "entry order canceled before any fill");
            return;
        case order_kind::close: on_close_canceled(*p); return;
        case order_kind::take_profit:
        case order_kind::stop_loss:
        case order_kind::floor_stop: on_protective_canceled(*p, *o, we_asked); return;
    }
}

void engine::impl_access::operator()(const exchange_status& ev) {
    if (ev.connected == e.exchange_connected_) return;
    e.exchange_connected_ = ev.connected;
    notify(channel::status, ev.connected ? "exchange_connected" : "exchange_disconnected");
}

void engine::impl_access::operator()(const timer_fired&) {}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

void engine::impl_access::operator()(const open_request& ev) {
    const engine_config c = e.effective_config();
    const opportunity& opp = ev.opp;
    if (!c.enabled) {
        if (c.engine_mode == mode::real)
            return refuse("REAL_TRADING_DISABLED", 403, "real trading is disabled in the config");
        return refuse("ENGINE_DISABLED", 403, "this engine is disabled in the config");
    }
    // Checked before NOT_RUNNING (the latch also stops the engine): it is the more useful answer.
    if (e.state_.emergency_stopped)
        return refuse("EMERGENCY_LATCHED", 409,
                      "emergency stop is latched; start with clear_emergency to resume");
    if (!e.state_.running) return refuse("NOT_RUNNING", 409, "the engine is not running");
    // Real money acts only on signals computed from the exchange's own prices, or on an
    // operator's manual decision (SPEC §1): never on the synthetic or a replayed market.
    if (c.engine_mode == mode::real && opp.source != "exchange" && opp.source != "manual")
        return refuse("SIGNAL_SOURCE", 409,
                      fmt::format("real trading acts only on signals from the exchange's own market streams; this "
                                  "one came from {}",
                                  opp.source.empty() ? std::string("an unlabeled source") : opp.source + " prices"));
    if (e.state_.daily_loss_limit_hit)
        return refuse("DAILY_LOSS_LIMIT_HIT", 409,
                      "daily loss limit reached; new entries resume at 00:00 UTC");
    for (const auto& [reason, blocked] : e.external_blocks_)
        if (blocked) return refuse(reason, 409, fmt::format("new entries are blocked: {}", reason));
    const int exposed = e.live_positions();
    if (exposed >= c.max_positions)
        return refuse("MAX_POSITIONS_REACHED", 409,
                      fmt::format("{} of {} positions in use", exposed, c.max_positions));
    const symbol_info* sym = e.find_symbol(opp.symbol);
    if (sym == nullptr)
        return refuse("UNKNOWN_SYMBOL", 400, fmt::format("symbol {} is not traded", opp.symbol));
    for (const auto& [reason, symbols] : e.symbol_blocks_)
        if (symbols.count(opp.symbol) != 0)
            return refuse(reason, 409,
                          reason == "UNTRACKED_POSITION"
                              ? fmt::format("new entries on {} are blocked: the exchange holds a position there that "
                                            "traded does not own (untracked in status); close it on the exchange first",
                                            opp.symbol)
                              : fmt::format("new entries on {} are blocked: {}", opp.symbol, reason));
    // The symbol index lists every live position on the symbol (and ended ones not pruned yet).
    const position* exists = nullptr;
    if (const auto listed = e.by_symbol_.find(opp.symbol); listed != e.by_symbol_.end())
        for (const position* p : listed->second.listed)
            if (!is_terminal(p->status) && (exists == nullptr || p->position_id < exists->position_id)) exists = p;
    if (exists != nullptr)
        return refuse("POSITION_EXISTS", 409,
                      fmt::format("position {} on {} is {}", exists->position_id, exists->symbol,
                                  to_string(exists->status)));
    auto q = e.quotes_.find(opp.symbol);
    const decimal price = q == e.quotes_.end()              ? decimal{}
                          : opp.opp_side == side::long_side ? q->second.ask
                                                            : q->second.bid;
    if (!price.is_positive())
        return refuse("NO_MARKET_DATA", 409, fmt::format("no quote for {} yet", opp.symbol));
    if (e.stale(opp.symbol, now))
        return refuse("MARKET_DATA_STALE", 409,
                      fmt::format("the last quote for {} is {} ms old (max_staleness_ms {})", opp.symbol,
                                  now - e.quote_at_[opp.symbol], c.max_staleness_ms));

    const decimal qty = (c.stake_usd / price).floor_to(sym->step_size);
    if (!qty.is_positive() || qty < sym->min_qty || qty * price < sym->min_notional)
        return refuse("STAKE_TOO_SMALL", 400,
                      fmt::format("stake {} buys {} {} at {}; minimum is qty {} and notional {}",
                                  c.stake_usd.to_string(), qty.to_string(), opp.symbol, price.to_string(),
                                  sym->min_qty.to_string(), sym->min_notional.to_string()));

    millis t = now;
    std::string id = make_position_id(c.engine_mode, t, opp.symbol);
    while (e.positions_.count(id) != 0) id = make_position_id(c.engine_mode, ++t, opp.symbol);

    position np;
    np.position_id = id;
    np.symbol = opp.symbol;
    np.pos_side = opp.opp_side;
    np.status = position_status::opening;
    np.qty = qty;
    np.stake_usd = c.stake_usd;
    np.leverage = c.leverage;
    np.mark_price = q->second.mark;
    np.opened_at = now;
    position& p = e.positions_.emplace(id, std::move(np)).first->second;
    e.index_position(p);
    touch(p);
    place(p, order_kind::entry, order_type::market, qty, {}, false);
    out.result.position_id = id;
    notify_position(p, "position_updated", opp.reason);
}

order_record* engine::impl_access::adopt_unknown_order(const std::string& client_id) {
    // An event for an order we have no record of (lost before a crash): still ours when the
    // client id names a known position, and it must be applied to that position.
    auto parsed = split_client_order_id(client_id);
    if (!parsed) return nullptr;
    position* p = find_position(parsed->first);
    if (p == nullptr) return nullptr;
    order_record o;
    o.client_id = client_id;
    o.position_id = p->position_id;
    o.symbol = p->symbol;
    o.kind = parsed->second;
    o.type = o.kind == order_kind::take_profit ? order_type::take_profit_market
             : o.kind == order_kind::stop_loss || o.kind == order_kind::floor_stop ? order_type::stop_market
                                                                                   : order_type::market;
    o.side = o.kind == order_kind::entry ? entry_side(p->pos_side) : exit_side(p->pos_side);
    o.qty = p->qty;
    o.status = order_status::accepted;
    return &e.orders_.insert_or_assign(client_id, std::move(o)).first->second;
}

void engine::impl_access::on_entry_fill(position& p, order_record& o, const order_fill& ev) {
    if (p.status == position_status::closed) return;
    if (entry_filled(p)) return;  // the entry was already complete; nothing more can fill
    std::string revived;
    if (p.status == position_status::failed) {
        // We gave up on the entry (a timeout reported as a rejection, say) but it executed: the
        // exposure is real, so the position comes back and gets its protection.
        e.ended_.erase(engine::ended_key{p.closed_at, &p.position_id});
        p.status = position_status::opening;
        p.closed_at = 0;
        e.index_position(p);  // live again: ticks must reach it
        revived = "entry filled after it was reported failed";
    }
    charge(p, ev);
    touch(p);
    if (ev.order_done || o.filled_qty >= o.qty)
        open_position(p, o);
    else if (!revived.empty())
        notify_position(p, "position_updated", revived);
}

void engine::impl_access::open_position(position& p, const order_record& entry) {
    p.entry_price = entry.avg_price;
    p.qty = entry.filled_qty;
    if (p.mark_price.is_positive()) p.pnl = unrealized_pnl(p.pos_side, p.entry_price, p.mark_price, p.qty);
    touch(p);
    if (p.status == position_status::closing) {
        // A close was asked for while the entry was in flight: no TP/SL, go straight to closing.
        notify_position(p, "position_opened", "entry filled; closing as requested");
        query_exchange_position(p);
        return;
    }
    p.status = position_status::open;
    place_protection(p);
    notify_position(p, "position_opened");
}

void engine::impl_access::fail_position(position& p, std::string detail) {
    end_position(p, position_status::failed);
    touch(p);
    // FAILED is an end state like CLOSED, so subscribers get the same end-of-life event.
    notify_position(p, "position_closed", std::move(detail));
    prune_history();
}

void engine::impl_access::place_protection(position& p) {
    const engine_config c = e.effective_config();
    const symbol_info* sym = symbol_of(p);
    const decimal tick = sym != nullptr ? sym->tick_size : decimal{};
    p.tp_price = tp_price(p.pos_side, p.entry_price, p.qty, c.primary_target_dollars, tick);
    p.sl_price = sl_price(p.pos_side, p.entry_price, c.stop_loss_percent, tick);
    p.tp_order_id =
        place(p, order_kind::take_profit, order_type::take_profit_market, p.qty, p.tp_price, true).client_id;
    p.sl_order_id =
        place(p, order_kind::stop_loss, order_type::stop_market, p.qty, p.sl_price, true).client_id;
    touch(p);
}

void engine::impl_access::ensure_protection(position& p) {
    const decimal qty = remaining(p);
    if (!qty.is_positive()) return;
    const order_record* tp = find_order(p.tp_order_id);
    if (tp == nullptr || !is_live(tp->status)) {
        if (p.tp_price.is_zero()) {
            const symbol_info* sym = symbol_of(p);
            p.tp_price =
                tp_price(p.pos_side, p.entry_price, p.qty, e.effective_config().primary_target_dollars,
                         sym != nullptr ? sym->tick_size : decimal{});
        }
        p.tp_order_id =
            place(p, order_kind::take_profit, order_type::take_profit_market, qty, p.tp_price, true)
                .client_id;
    }
    const order_record* sl = find_order(p.sl_order_id);
    const bool floor_pending = live(p, order_kind::floor_stop) &&
                               p.sl_order_id != client_order_id(p.position_id, order_kind::floor_stop);
    if ((sl == nullptr || !is_live(sl->status)) && !floor_pending) {
        const order_kind k = sl != nullptr && sl->kind == order_kind::floor_stop ? order_kind::floor_stop
                                                                                 : order_kind::stop_loss;
        if (p.sl_price.is_zero()) {
            const symbol_info* sym = symbol_of(p);
            p.sl_price = sl_price(p.pos_side, p.entry_price, e.effective_config().stop_loss_percent,
                                  sym != nullptr ? sym->tick_size : decimal{});
        }
        p.sl_order_id = place(p, k, order_type::stop_market, qty, p.sl_price, true).client_id;
    }
    touch(p);
}

void engine::impl_access::maybe_announce_protection(position& p) {
    if (e.tp_sl_announced_.count(p.position_id) != 0) return;
    auto acked = [](const order_record* o) {
        return o != nullptr &&
               (o->status == order_status::accepted || o->status == order_status::partially_filled ||
                o->status == order_status::filled);
    };
    const bool stop_acked = acked(find_order(p.sl_order_id)) || acked(order_of(p, order_kind::floor_stop));
    if (!acked(find_order(p.tp_order_id)) || !stop_acked) return;
    e.tp_sl_announced_.insert(p.position_id);
    notify_position(p, "tp_sl_placed");
}

void engine::impl_access::activate_floor(position& p) {
    const engine_config c = e.effective_config();
    const symbol_info* sym = symbol_of(p);
    const decimal price = floor_price(p.pos_side, p.entry_price, p.qty, c.absolute_floor_dollars,
                                      sym != nullptr ? sym->tick_size : decimal{});
    p.profit_floor_activated = true;
    touch(p);
    // The new stop goes first; the old one is cancelled only once this one is accepted
    // (adopt_floor), so the position is never without a stop on the exchange.
    place(p, order_kind::floor_stop, order_type::stop_market, remaining(p), price, true);
}

void engine::impl_access::adopt_floor(position& p, const order_record& fl) {
    if (p.sl_order_id == fl.client_id) return;
    if (const order_record* old = find_order(p.sl_order_id)) cancel(*old);
    const decimal old_price = p.sl_price;
    p.sl_order_id = fl.client_id;
    p.sl_price = fl.trigger_price;
    touch(p);
    notify_position(p, "stop_moved",
                    fmt::format("stop moved from {} to the profit floor {}", old_price.to_string(),
                                p.sl_price.to_string()));
}

void engine::impl_access::on_protective_rejected(position& p, const order_record& o,
                                                 const order_rejected& ev) {
    // Only an OPEN position relies on these orders; while CLOSING the close order is in charge.
    if (p.status != position_status::open) return;
    const bool would_trigger = ev.code == -2021;
    std::string why = fmt::format("{} order rejected ({}: {})", kind_label(o.kind), ev.code, ev.message);
    if (o.kind == order_kind::floor_stop && p.sl_order_id != o.client_id) {
        // The floor stop was to replace a stop that is still resting. "Would immediately trigger"
        // means the price is already through the floor: take the floor profit now. Any other
        // refusal leaves the old stop in charge rather than closing a healthy position.
        if (would_trigger) return close_at_market(p, exit_reason::profit_floor, std::move(why));
        const order_record* sl = find_order(p.sl_order_id);
        if (sl != nullptr && is_live(sl->status))
            return notify_position(p, "position_updated", why + "; the stop loss stays in place");
        return close_at_market(p, exit_reason::emergency, why + "; no stop left");
    }
    if (o.client_id != p.tp_order_id && o.client_id != p.sl_order_id) return;  // superseded order
    exit_reason reason = exit_reason::emergency;
    if (would_trigger)
        reason = o.kind == order_kind::take_profit ? exit_reason::take_profit
                 : o.kind == order_kind::stop_loss ? exit_reason::stop_loss
                                                   : exit_reason::profit_floor;
    close_at_market(p, reason, why + "; closing at market");
}

void engine::impl_access::on_protective_canceled(position& p, const order_record& o, bool we_asked) {
    if (we_asked || p.status != position_status::open) return;
    const bool current = o.client_id == p.tp_order_id || o.client_id == p.sl_order_id;
    const bool pending_floor = o.kind == order_kind::floor_stop && p.profit_floor_activated;
    if (!current && !pending_floor) return;
    // Canceled by someone else (or expired): a position must keep its TP and stop.
    place(p, o.kind, o.type, remaining(p), o.trigger_price, true);
    touch(p);
    notify_position(p, "position_updated",
                    fmt::format("{} order was canceled on the exchange; placed again", kind_label(o.kind)));
}

// ---------------------------------------------------------------------------------------------
// Engine commands
// ---------------------------------------------------------------------------------------------

void engine::impl_access::operator()(const start_request& ev) {
    const engine_config c = e.effective_config();
    if (!c.enabled) {
        if (c.engine_mode == mode::real)
            return refuse("REAL_TRADING_DISABLED", 403,
                          "real trading is disabled (real_trading.enabled: false)");
        return refuse("ENGINE_DISABLED", 403, "this engine is disabled in the config");
    }
    if (e.state_.emergency_stopped && !ev.clear_emergency)
        return refuse("EMERGENCY_LATCHED", 409,
                      "emergency stop is latched; send {\"clear_emergency\": true} to start");
    if (e.state_.emergency_stopped) {
        e.state_.emergency_stopped = false;
        out.state_changed = true;
        notify(channel::safety, "safety_changed", "emergency latch cleared");
    }
    if (e.state_.running) {
        out.result.warnings.emplace_back("engine already running");
    } else {
        e.state_.running = true;
        e.state_.started_at = now;
        out.state_changed = true;
        notify(channel::status, "engine_started");
    }
    if (c.engine_mode == mode::real)
        out.result.warnings.emplace_back("REAL MONEY: this engine places orders on the exchange");
}

void engine::impl_access::operator()(const stop_request&) {
    if (e.state_.running) {
        e.state_.running = false;
        out.state_changed = true;
    } else {
        out.result.warnings.emplace_back("engine was not running");
    }
    for (auto& [id, p] : e.positions_) request_close(p, exit_reason::stop, "engine stopped");
    notify(channel::status, "engine_stopped");
}

void engine::impl_access::operator()(const emergency_stop_request&) {
    const bool already = e.state_.emergency_stopped;
    if (!already || e.state_.running) out.state_changed = true;
    e.state_.emergency_stopped = true;
    e.state_.running = false;
    for (auto& [id, p] : e.positions_) {
        if (is_terminal(p.status)) continue;
        // Entries still in flight are cancelled; if one fills anyway the CLOSING state closes it.
        if (!entry_filled(p))
            if (const order_record* entry = order_of(p, order_kind::entry))
                if (e.cancel_requested_.count(entry->client_id) == 0) cancel(*entry);
        request_close(p, exit_reason::emergency, "emergency stop");
    }
    if (already) {
        out.result.warnings.emplace_back("emergency stop already latched");
        return;
    }
    notify(channel::safety, "emergency_stop",
           "emergency stop: closing every position at market; new entries latched off");
    notify(channel::status, "engine_stopped");
}

void engine::impl_access::operator()(const set_limits_request& ev) {
    const safety_limits_update& u = ev.update;
    if (u.stake_usd && (!u.stake_usd->is_positive() || *u.stake_usd > decimal::from_int(1'000'000)))
        return refuse("INVALID_LIMITS", 400, "stake_usd must be > 0 and <= 1000000");
    if (u.max_positions && (*u.max_positions < 0 || *u.max_positions > 1000))
        return refuse("INVALID_LIMITS", 400, "max_positions must be between 0 and 1000");
    if (u.max_daily_loss &&
        (!u.max_daily_loss->is_positive() || *u.max_daily_loss > decimal::from_int(10'000'000)))
        return refuse("INVALID_LIMITS", 400, "max_daily_loss must be > 0 and <= 10000000");
    std::vector<std::string> changed;
    if (u.stake_usd) {
        e.state_.overrides.stake_usd = u.stake_usd;
        changed.push_back("stake_usd=" + u.stake_usd->to_string());
    }
    if (u.max_positions) {
        e.state_.overrides.max_positions = u.max_positions;
        changed.push_back(fmt::format("max_positions={}", *u.max_positions));
    }
    if (u.max_daily_loss) {
        e.state_.overrides.max_daily_loss = u.max_daily_loss;
        changed.push_back("max_daily_loss=" + u.max_daily_loss->to_string());
    }
    out.state_changed = true;
    // A raised limit lifts a hit; a lowered one can cause it.
    const decimal limit = e.effective_config().max_daily_loss;
    const bool hit_now = e.state_.daily_realized_pnl <= -limit;
    if (e.state_.daily_loss_limit_hit && !hit_now) e.state_.daily_loss_limit_hit = false;
    notify(channel::safety, "safety_changed",
           fmt::format("safety limits changed: {}", fmt::join(changed, ", ")));
    check_daily_loss();
}

}  // namespace traded::engine
