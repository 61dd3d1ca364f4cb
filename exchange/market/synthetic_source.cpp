#include "exchange/market/synthetic_source.hpp"

#include <fmt/format.h>

#include <chrono>

namespace traded::market {

synthetic_source::synthetic_source(boost::asio::io_context& io, synthetic_options opts)
    : timer_(io), opts_(std::move(opts)), feed_(opts_.seed, opts_.volatility_bps, opts_.symbols, opts_.start_prices) {}

synthetic_source::~synthetic_source() { stop(); }

void synthetic_source::start(source_handlers h) {
    if (running_) return;
    handlers_ = std::move(h);
    running_ = true;
    const auto now = opts_.clock();
    std::vector<engine::market_tick> first;
    for (const auto& s : feed_.symbols())
        if (auto q = feed_.current(s)) first.push_back({s, *q});
    deliver(first, now);
    if (handlers_.on_status) handlers_.on_status(status());
    arm();
}

void synthetic_source::stop() {
    if (!running_) return;
    running_ = false;
    timer_.cancel();
    handlers_ = {};
}

source_status synthetic_source::status() const {
    source_status s;
    s.connected = running_;
    s.detail = running_ ? fmt::format("synthetic random walk (seed {}, every {} ms)", opts_.seed, opts_.interval_ms)
                        : "stopped";
    s.last_update_ms = last_update_ms_;
    return s;
}

void synthetic_source::arm() {
    timer_.expires_after(std::chrono::milliseconds(opts_.interval_ms));
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || !running_) return;
        const auto now = opts_.clock();
        deliver(feed_.step(now), now);
        if (running_) arm();
    });
}

void synthetic_source::deliver(const std::vector<engine::market_tick>& ticks, engine::millis now) {
    last_update_ms_ = now;
    for (const auto& t : ticks) {
        if (!handlers_.on_update) return;
        quote_update u;
        u.symbol = t.symbol;
        u.kind = update_kind::full;
        u.bid = t.q.bid;
        u.ask = t.q.ask;
        u.mark = t.q.mark;
        u.event_time = t.q.ts > 0 ? t.q.ts : now;
        handlers_.on_update(u);
    }
}

}  // namespace traded::market
