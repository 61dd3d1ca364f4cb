#include "exchange/paper/matching.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace traded::paper {
namespace {

using engine::order_side;
using engine::order_status;
using engine::order_type;

using i128 = __int128;

decimal dec(std::string_view s) { return *decimal::parse(s); }

place_result reject(int code, std::string message) {
    place_result r;
    r.code = code;
    r.message = std::move(message);
    return r;
}

bool is_conditional(order_type t) { return t != order_type::market; }

/// True when a conditional order of this type and side fires at this mark price (Binance's rules:
/// STOP BUY >= trigger, STOP SELL <= trigger, TAKE_PROFIT BUY <= trigger, TAKE_PROFIT SELL >= trigger).
bool fires_upward(order_type t, order_side s) { return (s == order_side::sell) == (t == order_type::take_profit_market); }
bool fires(order_type t, order_side s, decimal trigger, decimal mark) {
    return fires_upward(t, s) ? mark >= trigger : mark <= trigger;
}

/// True when an order on `s` would shrink a position of `amount` (one-way mode).
bool reduces(order_side s, decimal amount) {
    return s == order_side::sell ? amount.is_positive() : amount.is_negative();
}

decimal signed_qty(order_side s, decimal qty) { return s == order_side::buy ? qty : -qty; }

/// Taker price: the touch moved against the taker by `slip`, rounded away from the taker's favour
/// onto the tick grid. Computed exactly in 128 bits so a price on a tick boundary never moves a
/// whole tick through truncation.
decimal taker_price(order_side s, const engine::quote& q, decimal slip, decimal tick) {
    const i128 scale = decimal::scale;
    const i128 tick_wide = static_cast<i128>(tick.raw()) * scale;  // tick in 1e-16 units
    if (s == order_side::buy) {
        const decimal ask = q.ask.is_positive() ? q.ask : q.mark;
        const i128 n = static_cast<i128>(ask.raw()) * (scale + slip.raw());
        const i128 ticks = (n + tick_wide - 1) / tick_wide;
        return decimal::from_raw(static_cast<std::int64_t>(ticks * tick.raw()));
    }
    const decimal bid = q.bid.is_positive() ? q.bid : q.mark;
    const i128 n = static_cast<i128>(bid.raw()) * (scale - slip.raw());
    const i128 ticks = n > 0 ? n / tick_wide : 0;
    // A price of zero cannot trade; absurd slippage settings stop at one tick.
    return decimal::from_raw(static_cast<std::int64_t>(std::max<i128>(ticks, 1) * tick.raw()));
}

/// Binance prints the MIN_NOTIONAL filter as a float ("5.0", "100.0").
std::string notional_text(decimal v) {
    std::string s = v.to_string();
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
}

/// Binance's clientOrderId pattern: ^[\.A-Z\:/a-z0-9_-]{1,36}$. Returns an error message or "".
std::string client_id_problem(const std::string& id) {
    if (id.size() > 36) return "Client order id length should not be more than 36 chars";
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == ':' || c == '/' || c == '_' || c == '-';
        if (!ok) return "Client order id is not valid.";
    }
    return {};
}

struct builtin_symbol {
    std::string_view name, tick, step, min_qty, min_notional, start;
};

constexpr builtin_symbol builtins[] = {
    {"BTCUSDT", "0.10", "0.001", "0.001", "100", "95000"},
    {"ETHUSDT", "0.01", "0.001", "0.001", "20", "3500"},
    {"SOLUSDT", "0.0100", "1", "1", "5", "150"},
    {"BNBUSDT", "0.010", "0.01", "0.01", "5", "650"},
    {"XRPUSDT", "0.0001", "0.1", "0.1", "5", "2.3"},
    {"DOGEUSDT", "0.00001", "1", "1", "5", "0.35"},
};
constexpr builtin_symbol other_symbol{"", "0.0001", "0.001", "0.001", "5", "10"};

const builtin_symbol& builtin_for(std::string_view name) {
    for (const auto& b : builtins)
        if (b.name == name) return b;
    return other_symbol;
}

}  // namespace

std::vector<engine::symbol_info> default_symbols(const std::vector<std::string>& names) {
    std::vector<engine::symbol_info> out;
    out.reserve(names.size());
    for (const auto& n : names) {
        const auto& b = builtin_for(n);
        out.push_back({n, dec(b.tick), dec(b.step), dec(b.min_qty), dec(b.min_notional)});
    }
    return out;
}

decimal default_start_price(const std::string& symbol) { return dec(builtin_for(symbol).start); }

account::account(account_config cfg, std::vector<engine::symbol_info> symbols)
    : cfg_(std::move(cfg)), wallet_(cfg_.starting_balance) {
    for (auto& s : symbols) symbols_.emplace(s.symbol, std::move(s));
    fee_rate_ = decimal::from_double(cfg_.taker_fee).value_or(decimal{});
    slip_rate_ = decimal::from_double(cfg_.slippage_bps / 1e4).value_or(decimal{});
    cfg_.leverage = std::clamp(cfg_.leverage, 1, 125);
}

int account::leverage(const std::string& symbol) const {
    auto it = leverage_.find(symbol);
    return it == leverage_.end() ? cfg_.leverage : it->second;
}

int account::set_leverage(const std::string& symbol, int lev) {
    if (!symbols_.count(symbol)) return codes::bad_symbol;
    if (lev < 1 || lev > 125) return codes::invalid_leverage;
    leverage_[symbol] = lev;
    return 0;
}

const engine::symbol_info* account::find_symbol(const std::string& symbol) const {
    auto it = symbols_.find(symbol);
    return it == symbols_.end() ? nullptr : &it->second;
}

std::optional<engine::quote> account::last_quote(const std::string& symbol) const {
    auto it = quotes_.find(symbol);
    if (it == quotes_.end()) return std::nullopt;
    return it->second;
}

sim_fill account::execute(sim_order& o, decimal qty, const engine::quote& q, millis now) {
    const auto& info = symbols_.at(o.req.symbol);
    const decimal price = taker_price(o.req.side, q, slip_rate_, info.tick_size);
    const decimal fee = (qty * price) * fee_rate_;
    book_position& p = positions_[o.req.symbol];
    const decimal delta = signed_qty(o.req.side, qty);

    decimal realized;
    if (!reduces(o.req.side, p.amount)) {
        // Opening or adding: the entry becomes the volume-weighted average.
        const decimal held = p.amount.abs();
        p.entry_price = (held * p.entry_price + qty * price) / (held + qty);
        p.amount += delta;
    } else {
        const decimal held = p.amount.abs();
        const decimal closing = std::min(qty, held);
        realized = (price - p.entry_price) * closing;
        if (p.amount.is_negative()) realized = -realized;
        p.amount += delta;
        if (p.amount.is_zero())
            p.entry_price = decimal{};
        else if (qty > held)
            p.entry_price = price;  // crossed zero: the remainder opened a new position here
    }
    wallet_ += realized - fee;

    o.filled_qty += qty;
    o.avg_price = price;
    o.status = order_status::filled;
    o.updated_at = now;

    sim_fill f;
    f.client_id = o.req.client_id;
    f.order_id = o.order_id;
    f.trade_id = next_trade_id_++;
    f.symbol = o.req.symbol;
    f.side = o.req.side;
    f.qty = qty;
    f.price = price;
    f.fee = fee;
    f.realized_pnl = realized;
    f.order_done = true;
    f.reduce_only = o.req.reduce_only;
    return f;
}

void account::trigger(sim_order& cond, const engine::quote& q, millis now, sim_events& ev) {
    const decimal amount = positions_[cond.req.symbol].amount;
    cond.updated_at = now;
    if (!reduces(cond.req.side, amount)) {
        // Nothing left to close (flat, or the position is on the order's side): Binance expires it.
        cond.status = order_status::expired;
        unrest(cond);
        ev.orders.push_back(cond);
        return;
    }
    const decimal qty = cond.req.close_position ? amount.abs() : std::min(cond.req.qty, amount.abs());

    sim_order child;
    child.order_id = next_order_id_++;
    child.req.client_id = "trig-" + std::to_string(cond.order_id);
    child.req.symbol = cond.req.symbol;
    child.req.side = cond.req.side;
    child.req.type = order_type::market;
    child.req.qty = qty;
    child.req.reduce_only = true;
    child.status = order_status::accepted;
    child.parent_order_id = cond.order_id;
    child.created_at = now;
    child.updated_at = now;

    cond.triggered_order_id = child.order_id;
    ev.orders.push_back(cond);   // triggered: still open, now pointing at its child
    ev.orders.push_back(child);  // child NEW

    sim_fill f = execute(child, qty, q, now);
    f.parent_client_id = cond.req.client_id;
    f.parent_order_id = cond.order_id;
    fills_.push_back(f);
    ev.fills.push_back(std::move(f));
    ev.orders.push_back(child);  // child FILLED
    orders_.emplace(child.order_id, child);
    latest_by_client_[{child.req.symbol, child.req.client_id}] = child.order_id;

    unrest(cond);
    cond.status = order_status::filled;
    cond.filled_qty = qty;
    cond.avg_price = child.avg_price;
    ev.orders.push_back(cond);
    ev.positions_changed = true;
}

void account::rest(sim_order* o) {
    open_ids_.emplace(o->order_id, o);
    resting_book& b = resting_[o->req.symbol];
    b.orders.push_back(o);  // ids only grow: the list stays in id order
    if (fires_upward(o->req.type, o->req.side))
        b.fire_at_or_above = std::min(b.fire_at_or_above, o->req.trigger_price);
    else
        b.fire_at_or_below = std::max(b.fire_at_or_below, o->req.trigger_price);
}

void account::unrest(const sim_order& o) {
    open_ids_.erase(o.order_id);
    resting_book& b = resting_[o.req.symbol];
    std::erase(b.orders, &o);
    b.fire_at_or_above = decimal::from_raw(decimal::max_raw);
    b.fire_at_or_below = decimal::from_raw(-decimal::max_raw);
    for (const sim_order* r : b.orders) {
        if (fires_upward(r->req.type, r->req.side))
            b.fire_at_or_above = std::min(b.fire_at_or_above, r->req.trigger_price);
        else
            b.fire_at_or_below = std::max(b.fire_at_or_below, r->req.trigger_price);
    }
}

sim_events account::on_quote(const std::string& symbol, const engine::quote& q, millis now) {
    sim_events ev;
    on_quote(symbol, q, now, ev);
    return ev;
}

void account::on_quote(const std::string& symbol, const engine::quote& q, millis now, sim_events& ev) {
    ev.clear();
    // At most one lookup per quote: the backtest calls this for every market event.
    if (last_quote_ == nullptr || !engine::same_symbol(last_quoted_, symbol)) {
        auto qit = quotes_.find(symbol);
        if (qit == quotes_.end()) {
            if (!symbols_.count(symbol)) return;
            qit = quotes_.emplace(symbol, q).first;
        }
        last_quoted_ = symbol;
        last_quote_ = &qit->second;
        last_resting_ = &resting_[symbol];
    }
    *last_quote_ = q;
    const resting_book& book = *last_resting_;
    // Neither bound crossed: no resting order of this symbol fires (the usual quote).
    if (!q.mark.is_positive() || (q.mark < book.fire_at_or_above && q.mark > book.fire_at_or_below)) return;

    // Ids first: triggering changes the resting list while we go. The scratch vector keeps its
    // capacity, so a quote allocates nothing.
    // Only the ones the mark crossed; the status is checked again when each runs, since a
    // trigger can end another (a filled TP expires the SL).
    auto& crossed = resting_scratch_;
    crossed.clear();
    for (sim_order* o : book.orders)
        if (fires(o->req.type, o->req.side, o->req.trigger_price, q.mark)) crossed.push_back(o);
    for (sim_order* o : crossed)
        if (o->status == order_status::accepted) trigger(*o, q, now, ev);
}

place_result account::place(const new_order& req, millis now) {
    auto sym_it = symbols_.find(req.symbol);
    if (sym_it == symbols_.end()) return reject(codes::bad_symbol, "Invalid symbol.");
    const engine::symbol_info& info = sym_it->second;
    const bool conditional = is_conditional(req.type);

    new_order o = req;
    if (o.client_id.empty()) {
        o.client_id = "sim-" + std::to_string(next_order_id_);
    } else {
        if (auto problem = client_id_problem(o.client_id); !problem.empty())
            return reject(codes::invalid_client_id, problem);
        if (auto prev = find_order(o.symbol, o.client_id); prev && prev->status == order_status::accepted)
            return reject(codes::duplicate_client_id, "clientOrderId is duplicated");
    }

    if (o.close_position) {
        if (!conditional)
            return reject(codes::param_not_required, "Parameter 'closePosition' sent when not required.");
        if (!o.qty.is_zero())
            return reject(codes::qty_with_close_position, "Quantity must be zero with closePosition equals true");
        if (o.reduce_only)
            return reject(codes::param_not_required, "Parameter 'reduceOnly' sent when not required.");
    } else if (!o.qty.is_positive()) {
        return reject(codes::qty_not_positive, "Quantity less than or equal to zero.");
    }
    if (conditional && !o.trigger_price.is_positive())
        return reject(codes::bad_param,
                      "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
    if (!o.close_position && !o.qty.is_multiple_of(info.step_size))
        return reject(codes::bad_precision, "Precision is over the maximum defined for this asset.");
    if (conditional && !o.trigger_price.is_multiple_of(info.tick_size))
        return reject(codes::bad_precision, "Precision is over the maximum defined for this asset.");
    if (!o.close_position && o.qty < info.min_qty)
        return reject(codes::qty_below_min, "Quantity less than min quantity.");

    auto q_it = quotes_.find(o.symbol);
    const bool priced = q_it != quotes_.end() &&
                        (conditional ? q_it->second.mark.is_positive()
                                     : q_it->second.bid.is_positive() && q_it->second.ask.is_positive());
    if (!priced) return reject(codes::no_market_price, "No market price");
    const engine::quote& q = q_it->second;

    const std::string min_notional_msg = "Order's notional must be no smaller than " +
                                         notional_text(info.min_notional) + " (unless you choose reduce only)";
    const decimal amount = position(o.symbol).amount;

    sim_order order;
    order.req = o;
    order.created_at = now;
    order.updated_at = now;
    order.status = order_status::accepted;
    place_result result;

    if (conditional) {
        // Conditionals execute reduce-only when triggered, so only plain ones meet MIN_NOTIONAL,
        // valued at the trigger price.
        if (!o.reduce_only && !o.close_position && o.qty * o.trigger_price < info.min_notional)
            return reject(codes::min_notional, min_notional_msg);
        if (fires(o.type, o.side, o.trigger_price, q.mark))
            return reject(codes::would_trigger, "Order would immediately trigger.");
        order.order_id = next_order_id_++;
        auto stored = orders_.emplace(order.order_id, order).first;
        rest(&stored->second);
        latest_by_client_[{o.symbol, o.client_id}] = order.order_id;
        result.events.orders.push_back(order);
        result.order = order;
        return result;
    }

    if (o.reduce_only) {
        if (!reduces(o.side, amount)) return reject(codes::reduce_only_rejected, "ReduceOnly Order is rejected.");
        // Binance shrinks a reduce-only order to the position rather than let it flip.
        order.req.qty = std::min(o.qty, amount.abs());
    } else {
        // MIN_NOTIONAL values a MARKET order at the mark price (Binance docs).
        if (o.qty * q.mark < info.min_notional) return reject(codes::min_notional, min_notional_msg);
        const decimal opening = reduces(o.side, amount) ? std::max(o.qty - amount.abs(), decimal{}) : o.qty;
        if (opening.is_positive()) {
            // Checked against the current available balance: the closing part of a flip is not
            // credited first, which only makes a flip slightly harder than on Binance.
            const decimal price = taker_price(o.side, q, slip_rate_, info.tick_size);
            const decimal required = (opening * price) / decimal::from_int(leverage(o.symbol)) +
                                     (o.qty * price) * fee_rate_;
            if (balance().available_balance < required)
                return reject(codes::margin_insufficient, "Margin is insufficient.");
        }
    }

    order.order_id = next_order_id_++;
    result.events.orders.push_back(order);  // NEW
    sim_fill f = execute(order, order.req.qty, q, now);
    fills_.push_back(f);
    result.events.fills.push_back(std::move(f));
    result.events.orders.push_back(order);  // FILLED
    result.events.positions_changed = true;
    orders_.emplace(order.order_id, order);
    latest_by_client_[{o.symbol, o.client_id}] = order.order_id;
    result.order = order;
    return result;
}

place_result account::cancel(const std::string& symbol, const std::string& client_id, std::int64_t order_id,
                             millis now) {
    if (!symbols_.count(symbol)) return reject(codes::bad_symbol, "Invalid symbol.");
    sim_order* target = nullptr;
    if (!client_id.empty()) {
        if (auto it = latest_by_client_.find({symbol, client_id}); it != latest_by_client_.end())
            target = &orders_.at(it->second);
    } else if (auto it = orders_.find(order_id); it != orders_.end() && it->second.req.symbol == symbol) {
        target = &it->second;
    }
    if (target == nullptr || target->status != order_status::accepted)
        return reject(codes::unknown_order, "Unknown order sent.");
    target->status = order_status::canceled;
    target->updated_at = now;
    unrest(*target);
    place_result result;
    result.order = *target;
    result.events.orders.push_back(*target);
    return result;
}

sim_events account::cancel_all(const std::string& symbol, millis now) {
    sim_events ev;
    for (auto it = open_ids_.begin(); it != open_ids_.end();) {
        sim_order& o = *it->second;
        if (!symbol.empty() && o.req.symbol != symbol) {
            ++it;
            continue;
        }
        o.status = order_status::canceled;
        o.updated_at = now;
        ev.orders.push_back(o);
        ++it;  // before unrest() erases this entry
        unrest(o);
    }
    return ev;
}

std::optional<sim_order> account::find_order(const std::string& symbol, const std::string& client_id) const {
    if (!symbol.empty()) {
        auto it = latest_by_client_.find({symbol, client_id});
        if (it == latest_by_client_.end()) return std::nullopt;
        return orders_.at(it->second);
    }
    // Any symbol: the most recent (highest id) of the per-symbol latest ones.
    std::optional<sim_order> best;
    for (const auto& [key, id] : latest_by_client_)
        if (key.second == client_id && (!best || id > best->order_id)) best = orders_.at(id);
    return best;
}

std::optional<sim_order> account::find_order_by_id(std::int64_t order_id) const {
    auto it = orders_.find(order_id);
    if (it == orders_.end()) return std::nullopt;
    return it->second;
}

std::vector<sim_order> account::open_orders(const std::string& symbol) const {
    std::vector<sim_order> out;
    for (const auto& [id, o] : open_ids_)
        if (symbol.empty() || o->req.symbol == symbol) out.push_back(*o);
    return out;
}

sim_position account::position(const std::string& symbol) const {
    sim_position p;
    p.symbol = symbol;
    p.leverage = leverage(symbol);
    if (auto it = positions_.find(symbol); it != positions_.end()) {
        p.amount = it->second.amount;
        p.entry_price = it->second.entry_price;
    }
    if (auto it = quotes_.find(symbol); it != quotes_.end()) p.mark_price = it->second.mark;
    if (!p.amount.is_zero() && p.mark_price.is_positive())
        p.unrealized_pnl = (p.mark_price - p.entry_price) * p.amount;
    return p;
}

std::vector<sim_position> account::positions() const {
    std::vector<sim_position> out;
    for (const auto& [symbol, p] : positions_)
        if (!p.amount.is_zero()) out.push_back(position(symbol));
    return out;
}

sim_balance account::balance() const {
    sim_balance b;
    b.wallet_balance = wallet_;
    decimal initial_margin;
    for (const auto& p : positions()) {
        b.unrealized_pnl += p.unrealized_pnl;
        initial_margin += (p.amount.abs() * p.entry_price) / decimal::from_int(p.leverage);
    }
    b.margin_balance = wallet_ + b.unrealized_pnl;
    b.available_balance = std::max(b.margin_balance - initial_margin, decimal{});
    return b;
}

}  // namespace traded::paper
