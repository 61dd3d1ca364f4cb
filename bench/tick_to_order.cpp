// B2 tick -> order, paper trading in-process: a market price moving through a position's
// take-profit, delivered as the daemon delivers it (the paper port sees the quote first and
// triggers the resting TP; its fill goes to the engine; the engine's answer - cancel the SL - goes
// back to the port; then the tick itself goes to the engine), timed until nothing is left to do.
// Baseline in the same run: the same delivery of a quote that triggers nothing.
//
// Burst: 656 Binance market messages (the busiest published crypto-feed burst per millisecond)
// through the codec, the port and the engine back to back, one of them crossing a TP; the time
// until the burst is drained is how long its last message queued. Every burst must close the
// position it crosses ("misses no exit").
//
// Latencies are wall clock (steady_clock) per sample on a shared machine: p99/p99.9 include
// preemption by other processes; the baseline suffers the same. Beside them, the thread's CPU
// time per sample (CLOCK_THREAD_CPUTIME_ID, which a preemption does not advance; one clock read
// costs a few hundred ns, the same in both rows).
//
// Run: build/bench/bench_tick_to_order   (a few seconds)
//      build/bench/bench_tick_to_order --exits-only   (no burst: for perf record of the exit path)

#include "daemon/paper_port.hpp"
#include "engine/engine.hpp"
#include "exchange/binance/stream_events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <vector>

using traded::decimal;
using namespace traded::engine;
namespace bn = traded::binance;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr int symbol_count = 20;
constexpr millis t0 = 1'732'363'200'000;

decimal dec(std::string_view s) { return *decimal::parse(s); }
std::string symbol_name(int i) { return fmt::format("S{:03}USDT", i); }

struct rig {
    engine eng;
    traded::daemon::paper_port port;
    std::deque<event> pending;
    output out;  // reused across steps, as the engine runner's drain does
    millis now = t0;

    rig()
        : eng(config(), symbols()),
          port(traded::paper::account_config{decimal::from_int(1'000'000), 0.0004, 0.0, 3}, symbols()) {
        port.set_sink([this](event e) { pending.push_back(std::move(e)); });
    }
    static engine_config config() {
        engine_config c;
        c.max_positions = 1000;
        c.trades_kept = 1000;  // as the daemon (storage.trades_in_memory default)
        return c;
    }
    static std::vector<symbol_info> symbols() {
        std::vector<symbol_info> v;
        for (int i = 0; i < symbol_count; ++i) v.push_back({symbol_name(i), dec("0.01"), dec("0.001"), dec("0.001"), dec("5")});
        return v;
    }
    /// One engine step and everything it causes, as the engine runner does it.
    void process(const event& ev) {
        pending.push_back(ev);
        while (!pending.empty()) {
            event e = std::move(pending.front());
            pending.pop_front();
            eng.handle(e, now, out);
            for (const auto& a : out.actions) port.execute(a);
        }
    }
    /// A quote as the daemon delivers it: execution first, then market data.
    void quote_in(const std::string& sym, const quote& q) {
        port.set_now(now);
        port.on_quote(sym, q, now);
        while (!pending.empty()) {
            event e = std::move(pending.front());
            pending.pop_front();
            eng.handle(e, now, out);
            for (const auto& a : out.actions) port.execute(a);
        }
        process(market_tick{sym, q});
    }
    quote at(std::string_view bid) {
        const decimal b = dec(bid);
        return quote{b, b + dec("0.01"), b + dec("0.005"), now};
    }
    const position* live(const std::string& sym) const {
        for (const auto& [id, p] : eng.positions())
            if (p.symbol == sym && p.status == position_status::open) return &p;
        return nullptr;
    }
    void open(const std::string& sym) {
        quote_in(sym, at("100"));
        process(open_request{opportunity{sym, side::long_side, 1, "bench", now}});
        if (live(sym) == nullptr) {
            std::fprintf(stderr, "position on %s did not open\n", sym.c_str());
            std::exit(2);
        }
    }
};

double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct pct {
    double p50, p99, p999, max;
};
pct percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
    return {at(0.50), at(0.99), at(0.999), v.back()};
}

std::string book_ticker(const std::string& sym, std::string_view bid, std::string_view ask, millis e) {
    std::string lower = sym;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return fmt::format(
        R"({{"stream":"{}@bookTicker","data":{{"e":"bookTicker","u":1,"E":{},"T":{},"s":"{}","b":"{}","B":"31.21000000","a":"{}","A":"40.66000000"}}}})",
        lower, e, e, sym, bid, ask);
}
std::string mark_price(const std::string& sym, std::string_view p, millis e) {
    std::string lower = sym;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return fmt::format(
        R"({{"stream":"{}@markPrice@1s","data":{{"e":"markPriceUpdate","E":{},"s":"{}","p":"{}","i":"{}","P":"{}","r":"0.00038167","T":1562306400000}}}})",
        lower, e, sym, p, p, p);
}

}  // namespace

int main(int argc, char** argv) {
    const bool exits_only = argc > 1 && std::strcmp(argv[1], "--exits-only") == 0;
    rig r;
    r.process(start_request{});
    for (int i = 0; i < symbol_count; ++i) r.open(symbol_name(i));

    // Tick -> TP executed, and the baseline quote that triggers nothing.
    constexpr int samples = 3000;
    std::vector<double> exit_us, base_us, exit_cpu, base_cpu;
    for (int k = 0; k < samples; ++k) {
        const std::string sym = symbol_name(k % symbol_count);
        ++r.now;
        const quote calm = r.at(k % 2 == 0 ? "100.20" : "100.30");
        double c = thread_cpu_us();
        auto t = bench_clock::now();
        r.quote_in(sym, calm);
        base_us.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - t).count());
        base_cpu.push_back(thread_cpu_us() - c);

        const position* p = r.live(sym);
        const std::string id = p->position_id;
        const decimal through = p->tp_price + dec("0.50");
        const quote q{through, through + dec("0.01"), through, r.now};
        c = thread_cpu_us();
        t = bench_clock::now();
        r.quote_in(sym, q);
        exit_us.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - t).count());
        exit_cpu.push_back(thread_cpu_us() - c);
        const position* after = r.eng.find_position(id);
        if (after == nullptr || after->status != position_status::closed || after->reason != exit_reason::take_profit) {
            std::fprintf(stderr, "sample %d: %s did not close on its take-profit\n", k, id.c_str());
            return 2;
        }
        ++r.now;
        r.open(sym);  // not timed
    }

    // Burst: 656 messages back to back, one crossing a TP.
    constexpr int burst = 656;
    const int bursts = exits_only ? 1 : 300;
    bn::json_parser parser;
    std::vector<double> drain_us;
    int exits = 0;
    for (int b = 0; b < bursts; ++b) {
        const int target = b % symbol_count;
        const std::string tsym = symbol_name(target);
        const position* p = r.live(tsym);
        const std::string id = p->position_id;
        const std::string tp_cross = (p->tp_price + dec("0.50")).to_string();
        std::vector<std::string> frames;
        frames.reserve(burst);
        for (int k = 0; k < burst; ++k) {
            const std::string sym = symbol_name(k % symbol_count);
            if (k == burst / 2) {
                frames.push_back(mark_price(tsym, tp_cross, r.now));
            } else if (k % 10 == 9) {
                frames.push_back(mark_price(sym, k % 2 ? "100.105" : "100.205", r.now));
            } else if (sym == tsym && k > burst / 2) {
                continue;  // after the exit the target symbol stays quiet (its position is closed)
            } else {
                frames.push_back(book_ticker(sym, k % 2 ? "100.10" : "100.20", k % 2 ? "100.11" : "100.21", r.now));
            }
        }
        ++r.now;
        const auto t = bench_clock::now();
        for (const auto& f : frames) {
            auto ev = bn::parse_market_event(f, parser);
            std::string sym;
            quote q;
            if (const auto* bt = std::get_if<bn::book_ticker>(&ev)) {
                sym = bt->symbol;
                q = r.eng.quotes().at(sym);
                q.bid = bt->bid_price;
                q.ask = bt->ask_price;
            } else if (const auto* m = std::get_if<bn::mark_price_update>(&ev)) {
                sym = m->symbol;
                q = r.eng.quotes().at(sym);
                q.mark = m->mark_price;
            } else {
                continue;
            }
            q.ts = r.now;
            r.quote_in(sym, q);
        }
        drain_us.push_back(std::chrono::duration<double, std::micro>(bench_clock::now() - t).count());
        const position* after = r.eng.find_position(id);
        if (after != nullptr && after->status == position_status::closed) ++exits;
        ++r.now;
        r.open(tsym);
    }

    const pct e = percentiles(exit_us), bl = percentiles(base_us), d = percentiles(drain_us);
    const pct ec = percentiles(exit_cpu), bc = percentiles(base_cpu);
    std::printf("B2 tick -> order, paper in-process (%d samples, %d positions open; wall clock us)\n\n", samples,
                symbol_count);
    std::printf("| case | p50 us | p99 us | p99.9 us | max us |\n|---|---:|---:|---:|---:|\n");
    std::printf("| baseline: quote that triggers nothing (port + engine) | %.2f | %.2f | %.2f | %.1f |\n", bl.p50, bl.p99,
                bl.p999, bl.max);
    std::printf("| quote through TP -> TP filled, SL cancelled, position CLOSED | %.2f | %.2f | %.2f | %.1f |\n", e.p50,
                e.p99, e.p999, e.max);
    std::printf("\nThe same samples in thread CPU time (not advanced while preempted):\n\n");
    std::printf("| case | cpu p50 us | cpu p99 us | cpu p99.9 us | cpu max us |\n|---|---:|---:|---:|---:|\n");
    std::printf("| baseline: quote that triggers nothing | %.2f | %.2f | %.2f | %.1f |\n", bc.p50, bc.p99, bc.p999, bc.max);
    std::printf("| quote through TP until CLOSED | %.2f | %.2f | %.2f | %.1f |\n", ec.p50, ec.p99, ec.p999, ec.max);
    std::printf("\nBurst: %d messages (codec + port + engine) back to back, %d bursts; drain time = queueing of the "
                "last message\n\n",
                burst, bursts);
    std::printf("| drain p50 us | p99 us | max us (~p99.7) | exits taken |\n|---:|---:|---:|---:|\n");
    std::printf("| %.0f | %.0f | %.0f | %d of %d |\n", d.p50, d.p99, d.max, exits, bursts);
    return exits == bursts ? 0 : 1;
}
