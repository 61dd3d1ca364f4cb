#include "api/views.hpp"

#include "api/json_text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cmath>

namespace traded::api {

namespace json = boost::json;

namespace {
json::value num(decimal d) { return d.to_double(); }
/// Prices that are unset until something happens (TP before placement, exit before close).
json::value num_or_null(decimal d) { return d.is_zero() ? json::value(nullptr) : json::value(d.to_double()); }
json::value str_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
json::value time_or_null(engine::millis t) { return t == 0 ? json::value(nullptr) : json::value(t); }
json::value reason_or_null(engine::exit_reason r) {
    return r == engine::exit_reason::none ? json::value(nullptr) : json::value(engine::to_string(r));
}
/// Commissions as charged, by asset: [{"asset":"BNB","amount":0.00012}] ([] when not recorded).
json::array commissions_json(const std::vector<engine::commission>& c) {
    json::array a;
    for (const auto& x : c) a.push_back(json::object{{"asset", x.asset}, {"amount", num(x.amount)}});
    return a;
}
/// A computed display value (percentages, ratios, scores) at the precision a person reads:
/// 3.0437999999999996 goes out as 3.04.
double display(double v) {
    if (!std::isfinite(v)) return 0;
    return std::round(v * 100.0) / 100.0;
}
}  // namespace

double pnl_percent(decimal pnl, decimal stake_usd, int leverage) {
    if (leverage <= 0 || !stake_usd.is_positive()) return 0;
    // In decimals, so the result is the exact percentage rounded once (pnl * leverage / stake).
    static const decimal cent = decimal::from_raw(decimal::scale / 100);
    return (pnl.mul_int(100 * std::int64_t{leverage}) / stake_usd).round_to(cent).to_double();
}

json::value to_json(const engine::position& p) {
    json::object o;
    o.reserve(25);  // every field below (+ "detail"): one table, no rehash while filling it
    o["position_id"] = p.position_id;
    o["symbol"] = p.symbol;
    o["side"] = engine::to_string(p.pos_side);
    o["entry_price"] = num_or_null(p.entry_price);
    o["qty"] = num(p.qty);
    o["stake_usd"] = num(p.stake_usd);
    o["leverage"] = p.leverage;
    o["tp_order_id"] = str_or_null(p.tp_order_id);
    o["sl_order_id"] = str_or_null(p.sl_order_id);
    o["tp_price"] = num_or_null(p.tp_price);
    o["sl_price"] = num_or_null(p.sl_price);
    o["highest_profit_ever"] = num(p.highest_profit_ever);
    o["profit_floor_activated"] = p.profit_floor_activated;
    o["status"] = engine::to_string(p.status);
    o["pnl"] = num(p.pnl);
    o["pnl_pct"] = pnl_percent(p.pnl, p.stake_usd, p.leverage);
    o["mark_price"] = num_or_null(p.mark_price);
    o["opened_at"] = p.opened_at;
    o["fees"] = num(p.fees);
    o["commissions"] = commissions_json(p.commissions);
    o["exit_price"] = num_or_null(p.exit_price);
    o["exit_reason"] = reason_or_null(p.reason);
    o["closed_at"] = time_or_null(p.closed_at);
    o["updated_at"] = time_or_null(p.updated_at);
    return o;
}

namespace {
/// Text writers with the same output as the json::value helpers above (money in the decimal's
/// exact text, which is what the tree's double prints as for up to 15 significant digits).
void key(std::string& out, std::string_view k) { append_key(out, k); }
void text_num(std::string& out, decimal d) { append_decimal(out, d); }
void text_num_or_null(std::string& out, decimal d) {
    if (d.is_zero())
        out += "null";
    else
        append_decimal(out, d);
}
void text_str_or_null(std::string& out, const std::string& s) {
    if (s.empty())
        out += "null";
    else
        append_quoted(out, s);
}
void text_time_or_null(std::string& out, engine::millis t) {
    if (t == 0)
        out += "null";
    else
        append_integer(out, t);
}
void text_reason_or_null(std::string& out, engine::exit_reason r) {
    if (r == engine::exit_reason::none)
        out += "null";
    else
        append_quoted(out, engine::to_string(r));
}
}  // namespace

void append_json(std::string& out, const engine::position& p) {
    // Same keys, order and number format as to_json(position): a unit test holds them equal.
    out.push_back('{');
    key(out, "position_id");
    append_quoted(out, p.position_id);
    key(out, "symbol");
    append_quoted(out, p.symbol);
    key(out, "side");
    append_quoted(out, engine::to_string(p.pos_side));
    key(out, "entry_price");
    text_num_or_null(out, p.entry_price);
    key(out, "qty");
    text_num(out, p.qty);
    key(out, "stake_usd");
    text_num(out, p.stake_usd);
    key(out, "leverage");
    append_integer(out, p.leverage);
    key(out, "tp_order_id");
    text_str_or_null(out, p.tp_order_id);
    key(out, "sl_order_id");
    text_str_or_null(out, p.sl_order_id);
    key(out, "tp_price");
    text_num_or_null(out, p.tp_price);
    key(out, "sl_price");
    text_num_or_null(out, p.sl_price);
    key(out, "highest_profit_ever");
    text_num(out, p.highest_profit_ever);
    key(out, "profit_floor_activated");
    out += p.profit_floor_activated ? "true" : "false";
    key(out, "status");
    append_quoted(out, engine::to_string(p.status));
    key(out, "pnl");
    text_num(out, p.pnl);
    key(out, "pnl_pct");
    append_number(out, pnl_percent(p.pnl, p.stake_usd, p.leverage));
    key(out, "mark_price");
    text_num_or_null(out, p.mark_price);
    key(out, "opened_at");
    append_integer(out, p.opened_at);
    key(out, "fees");
    text_num(out, p.fees);
    key(out, "commissions");
    out.push_back('[');
    for (const auto& c : p.commissions) {
        if (out.back() != '[') out.push_back(',');
        out += "{\"asset\":";
        append_quoted(out, c.asset);
        out += ",\"amount\":";
        text_num(out, c.amount);
        out.push_back('}');
    }
    out.push_back(']');
    key(out, "exit_price");
    text_num_or_null(out, p.exit_price);
    key(out, "exit_reason");
    text_reason_or_null(out, p.reason);
    key(out, "closed_at");
    text_time_or_null(out, p.closed_at);
    key(out, "updated_at");
    text_time_or_null(out, p.updated_at);
    out.push_back('}');
}

json::value to_json(const engine::trade& t) {
    json::object o;
    o.reserve(14);
    o["trade_id"] = t.trade_id;
    o["position_id"] = t.position_id;
    o["symbol"] = t.symbol;
    o["side"] = engine::to_string(t.pos_side);
    o["entry_price"] = num(t.entry_price);
    o["exit_price"] = num(t.exit_price);
    o["qty"] = num(t.qty);
    o["pnl"] = num(t.pnl);
    o["pnl_pct"] = display(t.pnl_pct);
    o["fees"] = num(t.fees);
    o["commissions"] = commissions_json(t.commissions);
    o["exit_reason"] = reason_or_null(t.reason);
    o["opened_at"] = t.opened_at;
    o["closed_at"] = t.closed_at;
    return o;
}

json::value to_json(const engine::safety_status& s) {
    json::object o;
    o["max_positions"] = s.max_positions;
    o["open_positions"] = s.open_positions;
    o["positions_remaining"] = s.positions_remaining;
    o["max_daily_loss"] = num(s.max_daily_loss);
    o["daily_realized_pnl"] = num(s.daily_realized_pnl);
    o["daily_loss_remaining"] = num(s.daily_loss_remaining);
    o["daily_loss_limit_hit"] = s.daily_loss_limit_hit;
    o["emergency_stopped"] = s.emergency_stopped;
    o["can_open_new"] = s.can_open_new;
    json::array reasons;
    for (const auto& r : s.blocked_reasons) reasons.emplace_back(r);
    o["blocked_reasons"] = std::move(reasons);
    json::object by_symbol;
    for (const auto& [sym, reason] : s.blocked_symbols) by_symbol[sym] = reason;
    o["blocked_symbols"] = std::move(by_symbol);
    json::array stale;
    for (const auto& sym : s.stale_symbols) stale.emplace_back(sym);
    o["stale_symbols"] = std::move(stale);
    o["stake_usd"] = num(s.stake_usd);
    o["trading_day"] = s.trading_day;
    return o;
}

json::value to_json(const engine::performance_stats& s) {
    json::object o;
    o["total_trades"] = s.total_trades;
    o["winning_trades"] = s.winning_trades;
    o["losing_trades"] = s.losing_trades;
    o["win_rate"] = display(s.win_rate);
    o["total_pnl"] = num(s.total_pnl);
    o["avg_pnl"] = num(s.avg_pnl);
    o["best_trade"] = num(s.best_trade);
    o["worst_trade"] = num(s.worst_trade);
    o["profit_factor"] = display(s.profit_factor);
    o["daily_pnl"] = num(s.daily_pnl);
    o["max_drawdown"] = num(s.max_drawdown);
    return o;
}

json::value to_json(const engine::opportunity& op) {
    json::object o;
    o["symbol"] = op.symbol;
    o["side"] = engine::to_string(op.opp_side);
    o["score"] = display(op.score);
    o["reason"] = op.reason;
    o["ts"] = op.ts;
    o["source"] = op.source;
    return o;
}

json::value to_json(const engine::engine_config& c) {
    json::object o;
    o["stake_usd"] = num(c.stake_usd);
    o["max_positions"] = c.max_positions;
    o["leverage"] = c.leverage;
    o["pure_3_rule_mode"] = c.pure_3_rule_mode;
    o["primary_target_dollars"] = num(c.primary_target_dollars);
    o["absolute_floor_dollars"] = num(c.absolute_floor_dollars);
    o["stop_loss_percent"] = num(c.stop_loss_percent);
    o["max_daily_loss"] = num(c.max_daily_loss);
    return o;
}

void append_json(std::string& out, const engine::engine_config& c) {
    out.push_back('{');
    key(out, "stake_usd");
    text_num(out, c.stake_usd);
    key(out, "max_positions");
    append_integer(out, c.max_positions);
    key(out, "leverage");
    append_integer(out, c.leverage);
    key(out, "pure_3_rule_mode");
    out += c.pure_3_rule_mode ? "true" : "false";
    key(out, "primary_target_dollars");
    text_num(out, c.primary_target_dollars);
    key(out, "absolute_floor_dollars");
    text_num(out, c.absolute_floor_dollars);
    key(out, "stop_loss_percent");
    text_num(out, c.stop_loss_percent);
    key(out, "max_daily_loss");
    text_num(out, c.max_daily_loss);
    out.push_back('}');
}

void append_members(std::string& out, const status_info& s) {
    key(out, "mode");
    append_quoted(out, engine::to_string(s.mode));
    key(out, "enabled");
    out += s.enabled ? "true" : "false";
    key(out, "running");
    out += s.running ? "true" : "false";
    key(out, "emergency_stopped");
    out += s.emergency_stopped ? "true" : "false";
    key(out, "started_at");
    text_time_or_null(out, s.started_at);
    key(out, "uptime_s");
    append_integer(out, s.uptime_s);
    key(out, "open_positions");
    append_integer(out, s.open_positions);
    key(out, "config");
    append_json(out, s.config);
    key(out, "exchange");
    out.push_back('{');
    key(out, "connected");
    out += s.exchange.connected ? "true" : "false";
    key(out, "market_stream");
    append_quoted(out, s.exchange.market_stream);
    key(out, "user_stream");
    append_quoted(out, s.exchange.user_stream);
    key(out, "last_event_age_ms");
    if (s.exchange.last_event_age_ms)
        append_integer(out, *s.exchange.last_event_age_ms);
    else
        out += "null";
    out.push_back('}');
    key(out, "untracked");
    out.push_back('[');
    for (const auto& u : s.untracked) {
        if (out.back() != '[') out.push_back(',');
        out.push_back('{');
        key(out, "symbol");
        append_quoted(out, u.symbol);
        key(out, "amount");
        text_num(out, u.amount);
        key(out, "entry_price");
        text_num(out, u.entry_price);
        key(out, "entries_blocked");
        out += "true";
        out.push_back('}');
    }
    out.push_back(']');
}

json::value to_json(const status_info& s) {
    json::object o;
    o["mode"] = engine::to_string(s.mode);
    o["enabled"] = s.enabled;
    o["running"] = s.running;
    o["emergency_stopped"] = s.emergency_stopped;
    o["started_at"] = time_or_null(s.started_at);
    o["uptime_s"] = s.uptime_s;
    o["open_positions"] = s.open_positions;
    o["config"] = to_json(s.config);
    json::object ex;
    ex["connected"] = s.exchange.connected;
    ex["market_stream"] = s.exchange.market_stream;
    ex["user_stream"] = s.exchange.user_stream;
    ex["last_event_age_ms"] =
        s.exchange.last_event_age_ms ? json::value(*s.exchange.last_event_age_ms) : json::value(nullptr);
    o["exchange"] = std::move(ex);
    json::array untracked;
    for (const auto& u : s.untracked) {
        json::object x;
        x["symbol"] = u.symbol;
        x["amount"] = num(u.amount);
        x["entry_price"] = num(u.entry_price);
        x["entries_blocked"] = true;  // no new entry on this symbol until it is closed (UNTRACKED_POSITION)
        untracked.emplace_back(std::move(x));
    }
    o["untracked"] = std::move(untracked);
    return o;
}

json::value to_json(const balance_info& b) {
    json::object o;
    o["asset"] = b.asset;
    o["wallet_balance"] = num(b.wallet_balance);
    o["available_balance"] = num(b.available_balance);
    o["unrealized_pnl"] = num(b.unrealized_pnl);
    o["margin_balance"] = num(b.margin_balance);
    o["updated_at"] = time_or_null(b.updated_at);
    return o;
}

json::value to_json(const std::vector<engine::position>& ps) {
    json::array a;
    a.reserve(ps.size());
    for (const auto& p : ps) a.emplace_back(to_json(p));
    return a;
}

json::value to_json(const std::vector<engine::trade>& ts) {
    json::array a;
    a.reserve(ts.size());
    for (const auto& t : ts) a.emplace_back(to_json(t));
    return a;
}

json::value to_json(const std::vector<engine::opportunity>& os) {
    json::array a;
    a.reserve(os.size());
    for (const auto& o : os) a.emplace_back(to_json(o));
    return a;
}

json::value notification_data(const engine::notification& n) {
    json::value v = std::visit(
        [](const auto& payload) -> json::value {
            using T = std::decay_t<decltype(payload)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return json::object{};
            else if constexpr (std::is_same_v<T, engine::position_ref>)
                return to_json(*payload.pos);
            else if constexpr (std::is_same_v<T, engine::trade_ref>)
                return to_json(engine::trade_of(*payload.pos));
            else
                return to_json(payload);
        },
        n.payload);
    if (!n.detail.empty()) v.as_object()["detail"] = n.detail;
    return v;
}

}  // namespace traded::api
