#include "notify/note.hpp"

#include <fmt/format.h>

namespace traded::notify {

namespace {

note position_note(std::string event, engine::mode m, engine::millis ts, const engine::position& p) {
    note n;
    n.event = std::move(event);
    n.mode = m;
    n.ts = ts;
    n.symbol = p.symbol;
    n.side = std::string(engine::to_string(p.pos_side));
    n.position_id = p.position_id;
    n.qty = p.qty;
    n.entry_price = p.entry_price;
    return n;
}

std::string signed_usdt(decimal v) { return (v.is_negative() ? "" : "+") + v.to_string_fixed(2) + " USDT"; }

}  // namespace

std::optional<note> from_engine(engine::mode m, const engine::notification& n, engine::millis ts) {
    const auto* ref = std::get_if<engine::position_ref>(&n.payload);
    const engine::position* p = ref != nullptr ? ref->pos : nullptr;
    if (n.event_name == "position_opened" && p != nullptr) {
        auto out = position_note("position_opened", m, ts, *p);
        if (p->tp_price.is_positive()) out.tp_price = p->tp_price;
        if (p->sl_price.is_positive()) out.sl_price = p->sl_price;
        out.detail = n.detail;
        return out;
    }
    if (n.event_name == "position_closed" && p != nullptr) {
        // A FAILED entry never held a position: nothing was traded, nothing to tell.
        if (p->status != engine::position_status::closed) return std::nullopt;
        auto out = position_note("position_closed", m, ts, *p);
        out.exit_price = p->exit_price;
        out.pnl = p->pnl;
        out.exit_reason = std::string(engine::to_string(p->reason));
        out.detail = n.detail;
        return out;
    }
    if (n.event_name == "stop_moved" && p != nullptr) {
        auto out = position_note("profit_floor", m, ts, *p);
        out.sl_price = p->sl_price;
        out.pnl = p->highest_profit_ever;
        out.detail = n.detail;
        return out;
    }
    if (n.event_name == "emergency_stop" || n.event_name == "daily_loss_limit_hit" ||
        n.event_name == "exchange_disconnected")
        return daemon_note(std::string(n.event_name), m, ts, n.detail);
    return std::nullopt;
}

note daemon_note(std::string event, engine::mode m, engine::millis ts, std::string detail) {
    note n;
    n.event = std::move(event);
    n.mode = m;
    n.ts = ts;
    n.detail = std::move(detail);
    return n;
}

std::string text(const note& n) {
    std::string s = n.mode == engine::mode::real ? "[REAL MONEY] " : "[paper] ";
    s += engine::to_string(n.mode);
    s += ": ";
    if (n.event == "position_opened") {
        s += fmt::format("position opened {} {}", n.symbol, n.side);
        if (n.qty) s += " qty " + n.qty->to_string();
        if (n.entry_price) s += " @ " + n.entry_price->to_string();
        if (n.tp_price) s += ", TP " + n.tp_price->to_string();
        if (n.sl_price) s += ", SL " + n.sl_price->to_string();
    } else if (n.event == "position_closed") {
        s += fmt::format("position closed {} {}", n.symbol, n.side);
        if (n.qty) s += " qty " + n.qty->to_string();
        if (n.entry_price) s += " entry " + n.entry_price->to_string();
        if (n.exit_price) s += " exit " + n.exit_price->to_string();
        if (n.pnl) s += ", PnL " + signed_usdt(*n.pnl);
        if (!n.exit_reason.empty()) s += " (" + n.exit_reason + ")";
    } else if (n.event == "profit_floor") {
        s += fmt::format("profit floor reached on {} {}", n.symbol, n.side);
        if (n.sl_price) s += ": stop moved to " + n.sl_price->to_string();
        if (n.entry_price) s += " (entry " + n.entry_price->to_string() + ")";
        if (n.pnl) s += ", best PnL " + signed_usdt(*n.pnl);
    } else if (n.event == "emergency_stop") {
        s += "EMERGENCY STOP";
    } else if (n.event == "daily_loss_limit_hit") {
        s += "daily loss limit hit, new entries stopped";
    } else if (n.event == "exchange_disconnected") {
        s += "exchange disconnected";
    } else if (n.event == "reconciliation_fixed") {
        s += "reconciliation corrected the local state";
    } else if (n.event == "storage_unavailable") {
        s += "storage unavailable, new entries blocked";
    } else {
        s += n.event;
    }
    if (!n.detail.empty()) s += " — " + n.detail;
    if (!n.position_id.empty()) s += " [" + n.position_id + "]";
    return s;
}

boost::json::object to_json(const note& n) {
    boost::json::object o;
    o["event"] = n.event;
    o["mode"] = std::string(engine::to_string(n.mode));
    o["real_money"] = n.mode == engine::mode::real;
    o["ts"] = n.ts;
    auto opt_str = [&o](const char* key, const std::string& v) {
        if (!v.empty()) o[key] = v;
    };
    auto opt_dec = [&o](const char* key, const std::optional<decimal>& v) {
        if (v) o[key] = v->to_string();
    };
    opt_str("symbol", n.symbol);
    opt_str("side", n.side);
    opt_str("position_id", n.position_id);
    opt_dec("qty", n.qty);
    opt_dec("entry_price", n.entry_price);
    opt_dec("exit_price", n.exit_price);
    opt_dec("tp_price", n.tp_price);
    opt_dec("sl_price", n.sl_price);
    opt_dec("pnl", n.pnl);
    opt_str("exit_reason", n.exit_reason);
    opt_str("detail", n.detail);
    o["text"] = text(n);
    return o;
}

}  // namespace traded::notify
