#include "api/views.hpp"

#include "api/json_text.hpp"

#include <cmath>

namespace traded::api {

namespace {
void key(std::string& out, std::string_view k) { append_key(out, k); }
void boolean(std::string& out, bool b) { out += b ? "true" : "false"; }
/// Prices that are unset until something happens (TP before placement, exit before close).
void decimal_or_null(std::string& out, decimal d) {
    if (d.is_zero())
        out += "null";
    else
        append_decimal(out, d);
}
void str_or_null(std::string& out, const std::string& s) {
    if (s.empty())
        out += "null";
    else
        append_quoted(out, s);
}
void time_or_null(std::string& out, engine::millis t) {
    if (t == 0)
        out += "null";
    else
        append_integer(out, t);
}
void reason_or_null(std::string& out, engine::exit_reason r) {
    if (r == engine::exit_reason::none)
        out += "null";
    else
        append_quoted(out, engine::to_string(r));
}
/// A computed display value (percentages, ratios, scores) at the precision a person reads:
/// 3.0437999999999996 goes out as 3.04.
void display(std::string& out, double v) {
    append_number(out, std::isfinite(v) ? std::round(v * 100.0) / 100.0 : 0.0);
}
/// Commissions as charged, by asset: [{"asset":"BNB","amount":0.00012}] ([] when not recorded).
void commissions(std::string& out, const std::vector<engine::commission>& c) {
    out.push_back('[');
    for (const auto& x : c) {
        if (out.back() != '[') out.push_back(',');
        out += "{\"asset\":";
        append_quoted(out, x.asset);
        out += ",\"amount\":";
        append_decimal(out, x.amount);
        out.push_back('}');
    }
    out.push_back(']');
}
void strings(std::string& out, const std::vector<std::string>& v) {
    out.push_back('[');
    for (const auto& s : v) {
        if (out.back() != '[') out.push_back(',');
        append_quoted(out, s);
    }
    out.push_back(']');
}
}  // namespace

double pnl_percent(decimal pnl, decimal stake_usd, int leverage) {
    if (leverage <= 0 || !stake_usd.is_positive()) return 0;
    // In decimals, so the result is the exact percentage rounded once (pnl * leverage / stake).
    static const decimal cent = decimal::from_raw(decimal::scale / 100);
    return (pnl.mul_int(100 * std::int64_t{leverage}) / stake_usd).round_to(cent).to_double();
}

void append_json(std::string& out, const engine::position& p) {
    out.push_back('{');
    key(out, "position_id");
    append_quoted(out, p.position_id);
    key(out, "symbol");
    append_quoted(out, p.symbol);
    key(out, "side");
    append_quoted(out, engine::to_string(p.pos_side));
    key(out, "entry_price");
    decimal_or_null(out, p.entry_price);
    key(out, "qty");
    append_decimal(out, p.qty);
    key(out, "stake_usd");
    append_decimal(out, p.stake_usd);
    key(out, "leverage");
    append_integer(out, p.leverage);
    key(out, "tp_order_id");
    str_or_null(out, p.tp_order_id);
    key(out, "sl_order_id");
    str_or_null(out, p.sl_order_id);
    key(out, "tp_price");
    decimal_or_null(out, p.tp_price);
    key(out, "sl_price");
    decimal_or_null(out, p.sl_price);
    key(out, "highest_profit_ever");
    append_decimal(out, p.highest_profit_ever);
    key(out, "profit_floor_activated");
    boolean(out, p.profit_floor_activated);
    key(out, "status");
    append_quoted(out, engine::to_string(p.status));
    key(out, "pnl");
    append_decimal(out, p.pnl);
    key(out, "pnl_pct");
    append_number(out, pnl_percent(p.pnl, p.stake_usd, p.leverage));
    key(out, "mark_price");
    decimal_or_null(out, p.mark_price);
    key(out, "opened_at");
    append_integer(out, p.opened_at);
    key(out, "fees");
    append_decimal(out, p.fees);
    key(out, "commissions");
    commissions(out, p.commissions);
    key(out, "exit_price");
    decimal_or_null(out, p.exit_price);
    key(out, "exit_reason");
    reason_or_null(out, p.reason);
    key(out, "closed_at");
    time_or_null(out, p.closed_at);
    key(out, "updated_at");
    time_or_null(out, p.updated_at);
    out.push_back('}');
}

void append_json(std::string& out, const engine::trade& t) {
    out.push_back('{');
    key(out, "trade_id");
    append_quoted(out, t.trade_id);
    key(out, "position_id");
    append_quoted(out, t.position_id);
    key(out, "symbol");
    append_quoted(out, t.symbol);
    key(out, "side");
    append_quoted(out, engine::to_string(t.pos_side));
    key(out, "entry_price");
    append_decimal(out, t.entry_price);
    key(out, "exit_price");
    append_decimal(out, t.exit_price);
    key(out, "qty");
    append_decimal(out, t.qty);
    key(out, "pnl");
    append_decimal(out, t.pnl);
    key(out, "pnl_pct");
    display(out, t.pnl_pct);
    key(out, "fees");
    append_decimal(out, t.fees);
    key(out, "commissions");
    commissions(out, t.commissions);
    key(out, "exit_reason");
    reason_or_null(out, t.reason);
    key(out, "opened_at");
    append_integer(out, t.opened_at);
    key(out, "closed_at");
    append_integer(out, t.closed_at);
    out.push_back('}');
}

void append_json(std::string& out, const std::vector<engine::trade>& ts) {
    out.push_back('[');
    for (const auto& t : ts) {
        if (out.back() != '[') out.push_back(',');
        append_json(out, t);
    }
    out.push_back(']');
}

void append_json(std::string& out, const engine::safety_status& s) {
    out.push_back('{');
    key(out, "max_positions");
    append_integer(out, s.max_positions);
    key(out, "open_positions");
    append_integer(out, s.open_positions);
    key(out, "positions_remaining");
    append_integer(out, s.positions_remaining);
    key(out, "max_daily_loss");
    append_decimal(out, s.max_daily_loss);
    key(out, "daily_realized_pnl");
    append_decimal(out, s.daily_realized_pnl);
    key(out, "daily_loss_remaining");
    append_decimal(out, s.daily_loss_remaining);
    key(out, "daily_loss_limit_hit");
    boolean(out, s.daily_loss_limit_hit);
    key(out, "emergency_stopped");
    boolean(out, s.emergency_stopped);
    key(out, "can_open_new");
    boolean(out, s.can_open_new);
    key(out, "blocked_reasons");
    strings(out, s.blocked_reasons);
    key(out, "blocked_symbols");
    out.push_back('{');
    for (const auto& [sym, reason] : s.blocked_symbols) {
        if (out.back() != '{') out.push_back(',');
        append_quoted(out, sym);
        out.push_back(':');
        append_quoted(out, reason);
    }
    out.push_back('}');
    key(out, "stale_symbols");
    strings(out, s.stale_symbols);
    key(out, "stake_usd");
    append_decimal(out, s.stake_usd);
    key(out, "trading_day");
    append_quoted(out, s.trading_day);
    out.push_back('}');
}

void append_json(std::string& out, const engine::performance_stats& s) {
    out.push_back('{');
    key(out, "total_trades");
    append_integer(out, s.total_trades);
    key(out, "winning_trades");
    append_integer(out, s.winning_trades);
    key(out, "losing_trades");
    append_integer(out, s.losing_trades);
    key(out, "win_rate");
    display(out, s.win_rate);
    key(out, "total_pnl");
    append_decimal(out, s.total_pnl);
    key(out, "avg_pnl");
    append_decimal(out, s.avg_pnl);
    key(out, "best_trade");
    append_decimal(out, s.best_trade);
    key(out, "worst_trade");
    append_decimal(out, s.worst_trade);
    key(out, "profit_factor");
    display(out, s.profit_factor);
    key(out, "daily_pnl");
    append_decimal(out, s.daily_pnl);
    key(out, "max_drawdown");
    append_decimal(out, s.max_drawdown);
    out.push_back('}');
}

void append_json(std::string& out, const engine::opportunity& o) {
    out.push_back('{');
    key(out, "symbol");
    append_quoted(out, o.symbol);
    key(out, "side");
    append_quoted(out, engine::to_string(o.opp_side));
    key(out, "score");
    display(out, o.score);
    key(out, "reason");
    append_quoted(out, o.reason);
    key(out, "ts");
    append_integer(out, o.ts);
    key(out, "source");
    append_quoted(out, o.source);
    out.push_back('}');
}

void append_json(std::string& out, const engine::engine_config& c) {
    out.push_back('{');
    key(out, "stake_usd");
    append_decimal(out, c.stake_usd);
    key(out, "max_positions");
    append_integer(out, c.max_positions);
    key(out, "leverage");
    append_integer(out, c.leverage);
    key(out, "pure_3_rule_mode");
    boolean(out, c.pure_3_rule_mode);
    key(out, "primary_target_dollars");
    append_decimal(out, c.primary_target_dollars);
    key(out, "absolute_floor_dollars");
    append_decimal(out, c.absolute_floor_dollars);
    key(out, "stop_loss_percent");
    append_decimal(out, c.stop_loss_percent);
    key(out, "max_daily_loss");
    append_decimal(out, c.max_daily_loss);
    out.push_back('}');
}

void append_json(std::string& out, const balance_info& b) {
    out.push_back('{');
    key(out, "asset");
    append_quoted(out, b.asset);
    key(out, "wallet_balance");
    append_decimal(out, b.wallet_balance);
    key(out, "available_balance");
    append_decimal(out, b.available_balance);
    key(out, "unrealized_pnl");
    append_decimal(out, b.unrealized_pnl);
    key(out, "margin_balance");
    append_decimal(out, b.margin_balance);
    key(out, "updated_at");
    time_or_null(out, b.updated_at);
    out.push_back('}');
}

void append_members(std::string& out, const status_info& s) {
    key(out, "mode");
    append_quoted(out, engine::to_string(s.mode));
    key(out, "enabled");
    boolean(out, s.enabled);
    key(out, "running");
    boolean(out, s.running);
    key(out, "emergency_stopped");
    boolean(out, s.emergency_stopped);
    key(out, "started_at");
    time_or_null(out, s.started_at);
    key(out, "uptime_s");
    append_integer(out, s.uptime_s);
    key(out, "open_positions");
    append_integer(out, s.open_positions);
    key(out, "config");
    append_json(out, s.config);
    key(out, "exchange");
    out.push_back('{');
    key(out, "connected");
    boolean(out, s.exchange.connected);
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
        append_decimal(out, u.amount);
        key(out, "entry_price");
        append_decimal(out, u.entry_price);
        key(out, "entries_blocked");
        out += "true";  // no new entry on this symbol until it is closed (UNTRACKED_POSITION)
        out.push_back('}');
    }
    out.push_back(']');
}

void reopen_with_key(std::string& out, std::string_view k) {
    out.pop_back();  // the object's '}'
    key(out, k);
}

void append_detail(std::string& out, std::string_view detail) {
    if (detail.empty()) return;
    reopen_with_key(out, "detail");
    append_quoted(out, detail);
    out.push_back('}');
}

void append_notification_data(std::string& out, const engine::notification& n) {
    std::visit(
        [&out](const auto& payload) {
            using T = std::decay_t<decltype(payload)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                out += "{}";
            else if constexpr (std::is_same_v<T, engine::position_ref>)
                append_json(out, *payload.pos);
            else if constexpr (std::is_same_v<T, engine::trade_ref>)
                append_json(out, engine::trade_of(*payload.pos));
            else
                append_json(out, payload);
        },
        n.payload);
    append_detail(out, n.detail);
}

}  // namespace traded::api
