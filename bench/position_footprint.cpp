// B7 per open position, at unit level: the heap bytes each part of the daemon keeps for one more
// open position, counted by a replaced global operator new/delete (live bytes as malloc hands
// them out, malloc_usable_size, so its rounding counts; its 8-byte chunk headers do not).
//
// An engine snapshot is made as the store's load makes it after a restart (N OPEN positions on
// 100 symbols, each with its filled entry and resting TP and SL orders, ids as the engine makes
// them); then engine::restore, then the paper port's restore (the simulated account places every
// TP and SL again). Reported per position: the slope between N = 1,000 and N = 10,000, so
// one-off costs (symbols, quotes, map roots) drop out, as in B7's RSS slope.
//
// Run: build/bench/bench_position_footprint   (about a second)

#include "daemon/paper_port.hpp"
#include "engine/engine.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {
long long g_live = 0;  // single-threaded
}

void* operator new(std::size_t n) {
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    g_live += static_cast<long long>(malloc_usable_size(p));
    return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept {
    if (p == nullptr) return;
    g_live -= static_cast<long long>(malloc_usable_size(p));
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using traded::decimal;
using namespace traded::engine;

namespace {

constexpr int symbol_count = 100;
constexpr millis t0 = 1'732'363'200'000;

decimal dec(const char* s) { return *decimal::parse(s); }
std::string symbol_name(int i) { return fmt::format("S{:03}USDT", i); }

std::vector<symbol_info> symbols() {
    std::vector<symbol_info> v;
    for (int i = 0; i < symbol_count; ++i) v.push_back({symbol_name(i), dec("0.01"), dec("0.001"), dec("0.001"), dec("5")});
    return v;
}

order_record order(const position& p, order_kind k, order_type t, order_side s, decimal trigger, order_status st,
                   long long exchange_id) {
    order_record o;
    o.client_id = client_order_id(p.position_id, k);
    o.exchange_id = std::to_string(exchange_id);
    o.position_id = p.position_id;
    o.symbol = p.symbol;
    o.kind = k;
    o.type = t;
    o.side = s;
    o.qty = p.qty;
    o.trigger_price = trigger;
    o.status = st;
    if (st == order_status::filled) {
        o.filled_qty = p.qty;
        o.avg_price = p.entry_price;
    }
    o.updated_at = p.opened_at;
    return o;
}

engine_snapshot snapshot(int n) {
    engine_snapshot s;
    s.state.running = true;
    s.state.trading_day_start = t0 - t0 % 86'400'000;
    for (int i = 0; i < n; ++i) {
        position p;
        p.symbol = symbol_name(i % symbol_count);
        p.position_id = make_position_id(mode::paper, t0 + i, p.symbol);
        p.pos_side = side::long_side;
        p.status = position_status::open;
        p.entry_price = dec("100.01");
        p.qty = dec("5.999");
        p.stake_usd = dec("200");
        p.leverage = 3;
        p.tp_order_id = client_order_id(p.position_id, order_kind::take_profit);
        p.sl_order_id = client_order_id(p.position_id, order_kind::stop_loss);
        p.tp_price = dec("101.68");
        p.sl_price = dec("99.51");
        p.mark_price = dec("100.005");
        p.fees = dec("0.2399");
        p.commissions = {{"USDT", dec("0.2399")}};
        p.opened_at = t0 + i;
        p.updated_at = t0 + i;
        s.orders.push_back(order(p, order_kind::entry, order_type::market, order_side::buy, {}, order_status::filled,
                                 1000 + 3LL * i));
        s.orders.push_back(order(p, order_kind::take_profit, order_type::take_profit_market, order_side::sell,
                                 p.tp_price, order_status::accepted, 1001 + 3LL * i));
        s.orders.push_back(order(p, order_kind::stop_loss, order_type::stop_market, order_side::sell, p.sl_price,
                                 order_status::accepted, 1002 + 3LL * i));
        s.positions.push_back(std::move(p));
    }
    return s;
}

struct footprint {
    long long engine = 0;  // engine::restore, the snapshot freed
    long long paper = 0;   // paper_port + its restore
};

footprint measure(int n) {
    footprint f;
    engine_config cfg;
    cfg.max_positions = 100'000;
    cfg.trades_kept = 1000;
    const long long before = g_live;
    auto* eng = new engine(cfg, symbols());
    {
        engine_snapshot s = snapshot(n);
        eng->restore(std::move(s));
    }
    for (int i = 0; i < symbol_count; ++i)
        eng->handle(market_tick{symbol_name(i), quote{dec("100"), dec("100.01"), dec("100.005"), t0}}, t0 + n);
    f.engine = g_live - before;
    const long long before_paper = g_live;
    auto* port = new traded::daemon::paper_port(traded::paper::account_config{}, symbols());
    for (int i = 0; i < symbol_count; ++i)
        port->on_quote(symbol_name(i), quote{dec("100"), dec("100.01"), dec("100.005"), t0}, t0 + n);
    port->restore(*eng, dec("10000"));
    f.paper = g_live - before_paper;
    delete port;
    delete eng;
    return f;
}

}  // namespace

int main() {
    const footprint a = measure(1'000);
    const footprint b = measure(10'000);
    const double span = 9'000;
    std::printf("B7 per open position at unit level: live heap bytes (malloc_usable_size) kept for N OPEN positions\n"
                "on 100 symbols, each with a filled entry and resting TP and SL; slope between N = 1,000 and 10,000\n\n");
    std::printf("| part | N = 1,000 | N = 10,000 | bytes per position |\n|---|---:|---:|---:|\n");
    std::printf("| engine (positions, orders, symbol index) | %lld | %lld | %.0f |\n", a.engine, b.engine,
                static_cast<double>(b.engine - a.engine) / span);
    std::printf("| paper account (restored TP and SL) | %lld | %lld | %.0f |\n", a.paper, b.paper,
                static_cast<double>(b.paper - a.paper) / span);
    std::printf("| both | %lld | %lld | %.0f |\n", a.engine + a.paper, b.engine + b.paper,
                static_cast<double>(b.engine + b.paper - a.engine - a.paper) / span);
    std::printf("\nsizeof: position %zu, order_record %zu, trade %zu, notification %zu\n", sizeof(position),
                sizeof(order_record), sizeof(trade), sizeof(notification));
    return 0;
}
