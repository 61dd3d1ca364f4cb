// The real Binance port: its own market streams (only with opts.market_streams; the daemon's
// market data comes from exchange/market).

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

asio::awaitable<void> binance_port::impl::market_loop(bn::stream_connection c) {
    auto self = shared_from_this();
    int failures = 0;
    bool ever = false;
    while (!stopped) {
        market_states[c.root_name] = ever ? "reconnecting" : "connecting";
        xio::ws_options wo;
        wo.idle_timeout = milliseconds(market_silence_ms);
        auto ws = std::make_shared<xio::ws_client>(io, wo, ws_tls);
        market_ws[c.root_name] = ws;
        auto ec = co_await ws->connect(c.url);
        if (stopped) break;
        if (ec) {
            ++failures;
            log::warn(component, "market stream ({}): {}", c.root_name, ws->last_error());
            if (!co_await sleep(backoff(failures))) break;
            continue;
        }
        failures = 0;
        ever = true;
        market_states[c.root_name] = "connected";
        market_last_msg[c.root_name] = now();
        const engine::millis connected_at = now();
        log::info(component, "market stream ({}) connected: {} streams", c.root_name, c.streams.size());
        auto messages = count_of(metrics::names::market_messages, c.root_name);
        for (;;) {
            auto [rec, msg] = co_await ws->read();
            if (rec) break;
            market_last_msg[c.root_name] = now();
            messages.inc();
            on_market_frame(msg);
            if (now() - connected_at > rotate_after_ms) ws->close();
        }
        if (stopped) break;
        market_states[c.root_name] = "reconnecting";
        count_of(metrics::names::stream_reconnects, c.root_name).inc();
        log::warn(component, "market stream ({}) lost: {}", c.root_name, ws->last_error());
        if (!co_await sleep(backoff(1))) break;
    }
}

asio::awaitable<void> binance_port::impl::watchdog_loop() {
    auto self = shared_from_this();
    while (co_await sleep(5'000)) {
        for (auto& [name, ws] : market_ws) {
            if (!ws || !ws->is_open() || !silence_watched.count(name)) continue;
            if (now() - market_last_msg[name] > market_silence_ms) {
                log::warn(component, "market stream ({}) silent for {} s; reconnecting", name, market_silence_ms / 1000);
                ws->close();
            }
        }
    }
}

void binance_port::impl::on_market_frame(std::string_view frame) {
    auto ev = bn::parse_market_event(frame, market_parser);
    std::string sym;
    if (const auto* b = std::get_if<bn::book_ticker>(&ev)) {
        if (!b->bid_price.is_positive() || !b->ask_price.is_positive()) return;
        auto& q = quotes[b->symbol];
        q.bid = b->bid_price;
        q.ask = b->ask_price;
        q.ts = b->event_time > 0 ? b->event_time : now();
        sym = b->symbol;
    } else if (const auto* m = std::get_if<bn::mark_price_update>(&ev)) {
        if (!m->mark_price.is_positive()) return;
        auto& q = quotes[m->symbol];
        q.mark = m->mark_price;
        q.ts = m->event_time > 0 ? m->event_time : now();
        sym = m->symbol;
    } else if (const auto* err = std::get_if<bn::stream_error>(&ev)) {
        log::debug(component, "market stream: ignoring a malformed message: {}", err->message);
        return;
    } else {
        return;
    }
    if (!configured(sym)) return;
    dirty.insert(sym);
    // Coalescing: every message updates the latest quote; the engine sees one tick per
    // symbol per turn of the io_context, after whatever execution events are queued.
    if (!flush_posted) {
        flush_posted = true;
        asio::post(io, [self = shared_from_this()] { self->flush_quotes(); });
    }
}

void binance_port::impl::flush_quotes() {
    flush_posted = false;
    auto syms = std::move(dirty);
    dirty.clear();
    for (const auto& s : syms) {
        const auto& q = quotes[s];
        if (!q.mark.is_positive() && !(q.bid.is_positive() && q.ask.is_positive())) continue;
        emit(engine::market_tick{s, q});
    }
}

}  // namespace traded::binance
