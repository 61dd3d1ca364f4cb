// The real Binance port: the user-data stream (stream_fsm performed by stream_driver) and what its
// events mean for the engine.

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

void binance_port::impl::start_user_stream() {
    bn::stream_config sc;
    sc.kind = bn::stream_kind::user;
    sc.url = opts.exchange.ws_private_url;
    sc.rotate_after_ms = rotate_after_ms;
    sc.keepalive_interval_ms = opts.exchange.listen_key_keepalive_ms;
    sc.jitter_seed = rng();
    xio::stream_callbacks cb;
    auto w = weak_from_this();
    cb.on_frame = [w](std::string_view frame) {
        if (auto self = w.lock()) self->on_user_frame(frame);
    };
    cb.on_reconcile = [w]() {
        auto self = w.lock();
        if (!self) return;
        const bool first = !self->user_ever_connected;
        self->user_ever_connected = true;
        log::info(component, "user-data stream connected");
        // Events arriving from here on are applied at once; the sweep delivers what the gap
        // hid, and only then is the stream trusted again.
        self->stream_sweep_wanted = true;
        self->request_reconcile(first ? "start" : "user-data stream reconnected");
    };
    cb.on_trusted = [w]() {
        auto self = w.lock();
        if (!self) return;
        self->user_trusted = true;
        self->update_connected();
    };
    cb.on_untrusted = [w](const std::string& why) {
        auto self = w.lock();
        if (!self || self->stopped) return;
        self->user_trusted = false;
        if (self->user_ever_connected) {
            self->count_of(metrics::names::stream_reconnects, "user").inc();
            log::warn(component, "user-data stream: {}", why);
        }
        self->update_connected();
    };
    cb.on_note = [](bool warning, const std::string& text) {
        if (warning) log::warn(component, "user-data stream: {}", text);
        else log::info(component, "user-data stream: {}", text);
    };
    user_driver = std::make_shared<xio::stream_driver>(io, std::move(sc), xio::ws_options{}, ws_tls, rest, std::move(cb));
    user_driver->start();
}

void binance_port::impl::on_user_frame(std::string_view frame) {
    auto ev = bn::parse_user_event(frame, user_parser);
    const engine::millis t = now();
    if (const auto* u = std::get_if<bn::order_trade_update>(&ev)) {
        if (u->client_order_id.rfind("autoclose-", 0) == 0 || u->client_order_id == "adl_autoclose")
            log::error(component, "{}: the exchange is force-closing the position ({} {}, order {})", u->symbol,
                       u->client_order_id.rfind("adl", 0) == 0 ? "ADL" : "liquidation", u->order_status, u->order_id);
        deliver(tracker.on_order_update(*u, t));
        if (!tracker.held_fill_symbols().empty()) schedule_foreign_release();
    } else if (const auto* a = std::get_if<bn::algo_update>(&ev)) {
        if (!a->reason.empty() && (a->status == bn::algo_status::rejected || a->status == bn::algo_status::expired))
            log::warn(component, "{}: algo order {}: {}", a->client_algo_id, a->status_text, a->reason);
        deliver(tracker.on_algo_update(*a));
    } else if (const auto* acc = std::get_if<bn::account_update>(&ev)) {
        // The exchange's own wallet figure at once (balance_updated); the rest (available,
        // unrealized) follows from the REST refresh.
        for (const auto& b : acc->balances)
            if (b.asset == "USDT") {
                balance_snapshot s = bal.value_or(balance_snapshot{});
                s.wallet_balance = b.wallet_balance;
                s.margin_balance = b.wallet_balance + s.unrealized_pnl;
                s.updated_at = t;
                bal = s;
                if (on_balance) on_balance();
            }
        schedule_balance_refresh();  // positions are derived from fills
        // A position of ours reported flat may have been closed outside traded: check it now
        // rather than at the next periodic sweep (our own fills arrive first; the check still
        // needs two flat readings, so an in-flight fill of ours is never mistaken for it).
        // A position on a symbol where nothing of ours is live is someone else's (or a late
        // entry of ours): read positions now, so entries there are blocked (or the position
        // revived) within seconds rather than at the next periodic reading.
        for (const auto& ap : acc->positions)
            if (ap.amount.is_zero() || !owns_symbol(ap.symbol)) schedule_position_check();
    } else if (const auto* x = std::get_if<bn::listen_key_expired>(&ev)) {
        log::warn(component, "listenKey expired: reconnecting with a new one");
        if (user_driver) user_driver->listen_key_expired(x->listen_key);
    } else if (const auto* m = std::get_if<bn::margin_call>(&ev)) {
        for (const auto& p : m->positions)
            log::error(component, "MARGIN CALL on {}: position {} at mark {}", p.symbol, p.amount.to_string(),
                       p.mark_price.to_string());
    } else if (const auto* err = std::get_if<bn::stream_error>(&ev)) {
        log::warn(component, "user-data stream: ignoring a malformed message: {}", err->message);
    }
}

}  // namespace traded::binance
