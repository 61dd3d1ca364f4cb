#include "daemon/paper_port.hpp"

#include <string>

namespace traded::daemon {

paper_port::paper_port(paper::account_config cfg, std::vector<engine::symbol_info> symbols)
    : account_(cfg, symbols), symbols_(std::move(symbols)) {}

void paper_port::emit(const paper::sim_events& ev) {
    if (!sink_) return;
    // Fills first: for a triggered TP/SL the engine knows the order by the conditional order's
    // client id, so a child fill is reported under its parent's id.
    for (const auto& f : ev.fills) {
        engine::order_fill fill;
        fill.client_id = f.parent_client_id.empty() ? f.client_id : f.parent_client_id;
        fill.exchange_id = std::to_string(f.parent_order_id != 0 ? f.parent_order_id : f.order_id);
        fill.trade_id = std::to_string(f.trade_id);
        fill.qty = f.qty;
        fill.price = f.price;
        fill.fee = f.fee;
        fill.order_done = f.order_done;
        sink_(fill);
    }
    for (const auto& o : ev.orders) {
        if (o.status == engine::order_status::canceled || o.status == engine::order_status::expired)
            sink_(engine::order_canceled{o.req.client_id});
    }
}

void paper_port::execute(const engine::action& a) {
    if (const auto* p = std::get_if<engine::place_order>(&a)) {
        paper::new_order o;
        o.client_id = p->order.client_id;
        o.symbol = p->order.symbol;
        o.side = p->order.side;
        o.type = p->order.type;
        o.qty = p->order.qty;
        o.trigger_price = p->order.trigger_price;
        o.reduce_only = p->reduce_only;
        auto r = account_.place(o, now_);
        if (!r.ok()) {
            if (sink_) sink_(engine::order_rejected{o.client_id, r.code, r.message});
            return;
        }
        if (sink_ && r.order) sink_(engine::order_accepted{o.client_id, std::to_string(r.order->order_id)});
        emit(r.events);
    } else if (const auto* c = std::get_if<engine::cancel_order>(&a)) {
        auto r = account_.cancel(c->symbol, c->client_id, 0, now_);
        // -2011 (unknown / already finished): the order is gone either way.
        if (sink_) sink_(engine::order_canceled{c->client_id});
        (void)r;
    } else if (const auto* q = std::get_if<engine::query_position>(&a)) {
        auto pos = account_.position(q->symbol);
        if (sink_) sink_(engine::position_report{q->symbol, pos.amount, pos.entry_price, q->position_id});
    }
}

void paper_port::on_quote(const std::string& symbol, const engine::quote& q, engine::millis now) {
    now_ = now;
    last_quote_at_ = now;
    account_.on_quote(symbol, q, now, quote_events_);
    if (quote_events_.empty()) return;
    // Moved out first: the sink may reach this account again before emit is done.
    const paper::sim_events ev = std::move(quote_events_);
    emit(ev);
}

void paper_port::restore(const engine::engine& e, decimal starting_balance) {
    decimal wallet = starting_balance + e.realized_pnl_total();  // net of entry and exit fees
    std::vector<engine::order_rejected> rejected;
    std::vector<engine::query_position> rereads;
    std::vector<std::string> lost_closes;
    for (const auto& [id, p] : e.positions()) {
        using engine::position_status;
        if (p.status == position_status::closed || p.status == position_status::failed) continue;
        if (p.status == position_status::opening) {
            // The entry was committed but never reached the (in-memory) account before the stop.
            rejected.push_back({engine::client_order_id(id, engine::order_kind::entry), 0,
                                "paper account restarted before the entry filled"});
            continue;
        }
        wallet -= p.fees;  // entry fee already paid
        const decimal amount = p.pos_side == engine::side::long_side ? p.qty : -p.qty;
        account_.restore_position(p.symbol, amount, p.entry_price);
        auto protect = [&](const std::string& client_id, decimal trigger, engine::order_type type) {
            if (client_id.empty() || !trigger.is_positive()) return;
            paper::new_order o;
            o.client_id = client_id;
            o.symbol = p.symbol;
            o.side = engine::exit_side(p.pos_side);
            o.type = type;
            o.qty = p.qty;
            o.trigger_price = trigger;
            o.reduce_only = true;
            auto r = account_.place(o, now_);
            if (!r.ok()) rejected.push_back({client_id, r.code, r.message});
        };
        protect(p.tp_order_id, p.tp_price, engine::order_type::take_profit_market);
        protect(p.sl_order_id, p.sl_price, engine::order_type::stop_market);
        if (p.status == position_status::closing) {
            // A close order in flight at the stop never reached the rebuilt account: report it
            // cancelled (the engine then re-reads the position and sends one new close order);
            // with none in flight, resume by re-reading the position.
            const auto x = engine::client_order_id(id, engine::order_kind::close);
            const auto it = e.orders().find(x);
            const bool live = it != e.orders().end() && (it->second.status == engine::order_status::pending ||
                                                          it->second.status == engine::order_status::accepted ||
                                                          it->second.status == engine::order_status::partially_filled);
            if (live)
                lost_closes.push_back(x);
            else
                rereads.push_back({p.symbol, id});
        }
    }
    account_.restore_wallet(wallet);
    if (sink_) {
        for (auto& r : rejected) sink_(std::move(r));
        for (auto& x : lost_closes) sink_(engine::order_canceled{x});
    }
    for (const auto& q : rereads) execute(q);
}

balance_snapshot paper_port::balance() const {
    auto b = account_.balance();
    return {"USDT", b.wallet_balance, b.available_balance, b.unrealized_pnl, b.margin_balance, last_quote_at_};
}

port_status paper_port::status() const { return {true, "synthetic", "in-process", last_quote_at_}; }

}  // namespace traded::daemon
