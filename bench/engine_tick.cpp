// Benchmark: engine::engine market_tick throughput with 0, 20 and 100 open positions.
//
// Each configuration runs the same prebuilt cycle of ticks round-robin over 100 symbols, so with
// P open positions P% of the ticks reach a position (revalue + "position_updated" notification)
// and every tick walks the position map. The baseline, measured in the same run, is the same loop
// that only copies the tick into an engine::event (the copy the real loop also makes) and hands
// it to an optimisation barrier. Prices stay within +-0.5 of the entry so no position ever
// reaches the profit floor (pnl stays < $1): the figure is the steady "just revalue" path.
//
// Run: build-bench/bench/bench_engine_tick   (bounded: about 5-15 s)

#include "engine/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

using traded::decimal;
using namespace traded::engine;
using bench_clock = std::chrono::steady_clock;

namespace {

/// Keeps the compiler from proving a value unused.
template <class T>
inline void do_not_optimize(const T& v) {
    asm volatile("" : : "r,m"(v) : "memory");
}

decimal dec(const std::string& s) {
    auto v = decimal::parse(s);
    if (!v) {
        std::fprintf(stderr, "bad decimal %s\n", s.c_str());
        std::exit(2);
    }
    return *v;
}

constexpr int symbol_count = 100;  // symbols the ticks cycle over
constexpr int listed_symbols = 200;  // 100..199 hold the positions of the "other symbols" case
constexpr millis t0 = 1'732'363'200'000;  // 2024-11-23 12:00 UTC: no daily rollover during the run

std::string symbol_name(int i) { return fmt::format("S{:03}USDT", i); }

std::vector<symbol_info> make_symbols() {
    std::vector<symbol_info> v;
    for (int i = 0; i < listed_symbols; ++i)
        v.push_back({symbol_name(i), dec("0.01"), dec("0.001"), dec("0.001"), dec("5")});
    return v;
}

quote make_quote(int cents_offset, millis ts) {
    // bid 100.00 + offset, ask one tick higher; mark = mid.
    const std::int64_t bid_raw = std::int64_t{10'000 + cents_offset} * 1'000'000;  // cents -> 1e-8 units
    quote q;
    q.bid = decimal::from_raw(bid_raw);
    q.ask = decimal::from_raw(bid_raw + 1'000'000);
    q.mark = decimal::from_raw(bid_raw + 500'000);
    q.ts = ts;
    return q;
}

/// Plays the exchange by hand: entry MARKET orders fill at the ask, conditional orders are
/// accepted and rest. Loops until the engine asks for nothing more.
void settle(engine& eng, output first, millis now, int& next_trade) {
    std::deque<action> todo(first.actions.begin(), first.actions.end());
    for (int guard = 0; !todo.empty(); ++guard) {
        if (guard > 1000) {
            std::fprintf(stderr, "settle: no quiescence\n");
            std::exit(2);
        }
        action a = todo.front();
        todo.pop_front();
        std::vector<event> answers;
        if (const auto* po = std::get_if<place_order>(&a)) {
            const order_record& o = po->order;
            answers.emplace_back(order_accepted{o.client_id, "ex-" + o.client_id});
            if (o.type == order_type::market) {
                order_fill f;
                f.client_id = o.client_id;
                f.exchange_id = "ex-" + o.client_id;
                f.trade_id = fmt::format("T{}", next_trade++);
                f.qty = o.qty;
                f.price = eng.quotes().at(o.symbol).ask;
                f.fee = f.price * f.qty * dec("0.0004");
                f.order_done = true;
                answers.emplace_back(std::move(f));
            }
        } else if (const auto* qp = std::get_if<query_position>(&a)) {
            std::fprintf(stderr, "unexpected query_position for %s\n", qp->symbol.c_str());
            std::exit(2);
        }
        for (const event& ev : answers) {
            output o = eng.handle(ev, now);
            todo.insert(todo.end(), o.actions.begin(), o.actions.end());
        }
    }
}

/// An engine with `open_positions` OPEN positions (entry filled, TP/SL resting).
engine make_engine(int open_positions, int first_symbol) {
    engine_config cfg;
    cfg.engine_mode = mode::paper;
    cfg.max_positions = 1000;
    engine eng(cfg, make_symbols());
    millis now = t0;
    output started = eng.handle(start_request{}, now);
    if (!started.result.ok()) {
        std::fprintf(stderr, "start failed: %s\n", started.result.message.c_str());
        std::exit(2);
    }
    int next_trade = 1;
    for (int i = 0; i < listed_symbols; ++i) eng.handle(market_tick{symbol_name(i), make_quote(0, now)}, now);
    for (int i = first_symbol; i < first_symbol + open_positions; ++i) {
        ++now;
        opportunity opp{symbol_name(i), i % 2 == 0 ? side::long_side : side::short_side, 1.0, "bench", now, "exchange"};
        output o = eng.handle(open_request{opp}, now);
        if (!o.result.ok()) {
            std::fprintf(stderr, "open %d refused: %s %s\n", i, o.result.code.c_str(), o.result.message.c_str());
            std::exit(2);
        }
        const std::string id = o.result.position_id;
        settle(eng, std::move(o), now, next_trade);
        const position* p = eng.find_position(id);
        if (p == nullptr || p->status != position_status::open) {
            std::fprintf(stderr, "position %s did not open\n", id.c_str());
            std::exit(2);
        }
    }
    int open = 0;
    for (const auto& [id, p] : eng.positions()) open += p.status == position_status::open ? 1 : 0;
    if (open != open_positions) {
        std::fprintf(stderr, "expected %d open positions, have %d\n", open_positions, open);
        std::exit(2);
    }
    return eng;
}

/// The tick cycle: 10 ticks per symbol, prices walking -50..+45 cents around the entry.
std::vector<market_tick> make_ticks() {
    std::vector<market_tick> v;
    for (int round = 0; round < 10; ++round)
        for (int i = 0; i < symbol_count; ++i)
            v.push_back(market_tick{symbol_name(i), make_quote((round * 37 + i) % 20 * 5 - 50, t0)});
    return v;
}

struct result {
    double median_ns = 0;
    double best_ns = 0;
};

/// CPU time of this thread: on a shared machine wall time mostly measures the other processes.
double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <class F>
result measure(std::size_t ticks_per_rep, int reps, F&& body) {
    std::vector<double> per_tick;
    for (int r = 0; r < reps; ++r) {
        const double start = thread_cpu_ns();
        body(ticks_per_rep);
        const double elapsed = thread_cpu_ns() - start;
        per_tick.push_back(elapsed / static_cast<double>(ticks_per_rep));
    }
    std::sort(per_tick.begin(), per_tick.end());
    return {per_tick[per_tick.size() / 2], per_tick.front()};
}

}  // namespace

int main() {
    constexpr std::size_t ticks_per_rep = 200'000;
    constexpr int reps = 7;
    const std::vector<market_tick> ticks = make_ticks();

    std::printf("engine market_tick: %zu ticks per repetition, %d repetitions (median and best; thread CPU time),\n"
                "ticks round-robin over %d symbols; P open positions => P%% of ticks hit a position\n\n",
                ticks_per_rep, reps, symbol_count);
    std::printf("%-38s %14s %14s %14s %16s\n", "case", "median ns/tick", "best ns/tick", "minus baseline",
                "ticks/s (median)");

    // Baseline: copy the tick into an event, nothing else.
    const result base = measure(ticks_per_rep, reps, [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            event ev{ticks[i % ticks.size()]};
            do_not_optimize(ev);
        }
    });
    std::printf("%-38s %14.1f %14.1f %14s %16.0f\n", "baseline (copy tick into event)", base.median_ns,
                base.best_ns, "-", 1e9 / base.median_ns);

    struct scenario {
        int positions;
        int first_symbol;
        const char* label;
    };
    for (const scenario& sc : {scenario{0, 0, "engine, 0 open positions"},
                               scenario{100, symbol_count, "100 positions, ticks on other symbols"},
                               scenario{20, 0, "engine, 20 open positions"},
                               scenario{100, 0, "engine, 100 positions on 100 symbols"}}) {
        const int positions = sc.positions;
        engine eng = make_engine(positions, sc.first_symbol);
        millis now = t0 + 1'000;
        std::size_t notifications = 0;
        output out;  // reused across ticks, as the engine runner's drain does
        const result r = measure(ticks_per_rep, reps, [&](std::size_t n) {
            for (std::size_t i = 0; i < n; ++i) {
                event ev{ticks[i % ticks.size()]};
                eng.handle(ev, now, out);
                notifications += out.notifications.size();
                do_not_optimize(out);
            }
            ++now;
        });
        // Sanity: nothing may have closed or hit the floor (the figure would mean something else).
        int open = 0;
        for (const auto& [id, p] : eng.positions())
            open += p.status == position_status::open && !p.profit_floor_activated ? 1 : 0;
        if (open != positions) {
            std::fprintf(stderr, "positions changed during the run: %d of %d still plain OPEN\n", open, positions);
            for (const auto& [id, p] : eng.positions())
                std::fprintf(stderr, "  %s %s %s entry %s mark %s pnl %s floor %d\n", id.c_str(), std::string(to_string(p.pos_side)).c_str(),
                             std::string(to_string(p.status)).c_str(), p.entry_price.to_string().c_str(),
                             p.mark_price.to_string().c_str(), p.pnl.to_string().c_str(), p.profit_floor_activated ? 1 : 0);
            return 2;
        }
        std::printf("%-38s %14.1f %14.1f %14.1f %16.0f\n", sc.label, r.median_ns, r.best_ns,
                    r.median_ns - base.median_ns, 1e9 / r.median_ns);
        std::printf("%-38s   (notifications per tick: %.2f)\n", "",
                    static_cast<double>(notifications) / static_cast<double>(ticks_per_rep * reps));
    }
    return 0;
}
