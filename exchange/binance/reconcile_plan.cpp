#include "exchange/binance/reconcile_plan.hpp"

#include "exchange/binance/port_logic.hpp"

#include <fmt/format.h>

namespace traded::binance::reconcile {

namespace {

bool is_live(engine::order_status s) {
    return s == engine::order_status::pending || s == engine::order_status::accepted ||
           s == engine::order_status::partially_filled;
}

bool is_terminal(engine::position_status s) {
    return s == engine::position_status::closed || s == engine::position_status::failed;
}

bool is_entry(const std::string& client_id) {
    auto p = engine::split_client_order_id(client_id);
    return p && p->second == engine::order_kind::entry;
}

}  // namespace

decimal amount_of(const std::vector<position_row>& rows, const std::string& symbol) {
    decimal a;
    for (const auto& row : rows)
        if (row.symbol == symbol) a += row.amount;
    return a;
}

bool holds(const engine::position& p, decimal amount) {
    return p.pos_side == engine::side::long_side ? amount.is_positive() : amount.is_negative();
}

std::vector<order_step> plan_orders(const exchange_snapshot& x, const std::map<std::string, engine::order_record>& orders,
                                    const std::set<std::string>& busy) {
    std::vector<order_step> out;
    for (const auto& [cid, o] : orders) {
        if (!is_live(o.status) || busy.count(cid)) continue;
        const bool algo = logic::is_algo_client_id(cid);
        const bool open = algo ? x.open_algos.count(cid) != 0 : x.open_orders.count(cid) != 0;
        out.push_back({open ? order_step::kind::confirm_open : order_step::kind::look_up, cid, o.symbol, algo});
    }
    return out;
}

missing_verdict on_missing(const engine::order_record& o, millis now, millis recv_window_ms, millis clock_offset_ms) {
    missing_verdict v;
    if (!is_entry(o.client_id)) {
        v.what = missing_verdict::kind::canceled;
        v.line = o.client_id + ": not found on the exchange; reported as canceled";
        return v;
    }
    // Not found is final only once the exchange can no longer execute the request: recvWindow
    // after it was written (plus clock offset and margin). Until then the position stays OPENING
    // and the entry is looked up again.
    v.final_at = logic::entry_not_found_final_at(o.updated_at, recv_window_ms, clock_offset_ms);
    if (now < v.final_at) {
        v.what = missing_verdict::kind::await_entry;
        v.line = fmt::format("{}: entry order not on the exchange yet; it may still execute for {} ms: kept OPENING "
                             "and looked up again",
                             o.client_id, v.final_at - now);
        return v;
    }
    v.what = missing_verdict::kind::entry_failed;
    v.line = o.client_id + ": entry order not found on the exchange; the position fails";
    return v;
}

std::string found_line(const std::string& client_id, const std::string& final_status) {
    return client_id + ": " + (final_status.empty() ? std::string("open") : final_status) + " on the exchange";
}

leftover_plan plan_leftovers(const exchange_snapshot& x, const std::map<std::string, engine::position>& positions,
                             const std::map<std::string, engine::order_record>& orders,
                             const std::function<bool(const std::string&)>& own, const std::set<std::string>& busy) {
    leftover_plan plan;
    auto consider = [&](const std::string& cid, const std::string& symbol) {
        if (!own(cid)) return;  // not ours: never touched
        const auto parsed = engine::split_client_order_id(cid);
        const auto pit = parsed ? positions.find(parsed->first) : positions.end();
        if (pit == positions.end()) {
            plan.unknown_positions.push_back(cid);
            return;
        }
        const engine::position& p = pit->second;
        const auto oit = orders.find(cid);
        const bool engine_live = oit != orders.end() && is_live(oit->second.status);
        if (!is_terminal(p.status) && engine_live) return;
        if (busy.count(cid)) return;  // its flow decides
        plan.cancels.push_back({cid, symbol,
                                cid + ": left open on the exchange for a " + std::string(engine::to_string(p.status)) +
                                    " position; canceled"});
    };
    for (const auto& [cid, a] : x.open_algos) consider(cid, a.symbol);
    for (const auto& [cid, o] : x.open_orders) consider(cid, o.symbol);
    return plan;
}

std::vector<position_step> plan_positions(const exchange_snapshot& x, const std::map<std::string, engine::position>& positions,
                                          const std::set<std::string>& busy_symbols) {
    std::vector<position_step> out;
    for (const auto& [id, p] : positions) {
        if (p.status == engine::position_status::closing) {
            out.push_back({position_step::kind::query, id, p.symbol});
            continue;
        }
        if (p.status != engine::position_status::open) continue;
        if (holds(p, amount_of(x.positions, p.symbol)) || busy_symbols.count(p.symbol)) continue;
        out.push_back({position_step::kind::confirm_flat, id, p.symbol});
    }
    return out;
}

std::string closed_outside_line(const std::string& position_id) {
    return position_id + ": flat on the exchange (closed outside traded); closing as EXTERNAL";
}

}  // namespace traded::binance::reconcile
