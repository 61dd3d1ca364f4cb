// B1 parse + dispatch: Binance market messages through the real codec and the engine, beside bare
// simdjson On-Demand extracting the same fields from the same buffers.
//
// The message set is a 70/20/10 mix of bookTicker / aggTrade / markPrice in Binance's exact
// shapes, combined-stream wrapped ({"stream":..,"data":{..}}) as the daemon receives them, over
// 100 symbols; the engine holds 20 OPEN positions on 20 of them. "codec + engine" does per
// message what the Binance port's on_market_frame does (parse_market_event, update the
// symbol's latest quote, hand a market_tick to engine::handle; aggTrade is parsed and dropped),
// minus the per-io-turn coalescing (every quote message is dispatched, the worst case).
// Baseline: simdjson On-Demand reading e, s and the price fields as string views (no decimal
// conversion, no engine). Heap allocations are counted by a replaced global operator new.
// Timing is thread CPU time (the machine is shared); median, min and max of 7 repetitions.
//
// Run: build/bench/bench_parse_dispatch   (a few seconds)
//      build/bench/bench_parse_dispatch bare|codec|full [messages]   (one case, to profile it)

#include "engine/engine.hpp"
#include "exchange/binance/stream_events.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <new>
#include <string>
#include <vector>

// ----- allocation counter ----------------------------------------------------------------------

namespace {
std::uint64_t g_allocs = 0;  // single-threaded benchmark
}

void* operator new(std::size_t n) {
    ++g_allocs;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    ++g_allocs;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using traded::decimal;
using namespace traded::engine;
namespace bn = traded::binance;

namespace {

template <class T>
inline void do_not_optimize(const T& v) {
    asm volatile("" : : "r,m"(v) : "memory");
}

double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

constexpr int symbol_count = 100;
constexpr int open_positions = 20;
constexpr millis t0 = 1'732'363'200'000;

std::string symbol_name(int i) { return fmt::format("S{:03}USDT", i); }

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// The message cycle: 1000 messages, 70% bookTicker, 20% aggTrade, 10% markPrice.
std::vector<std::string> make_messages() {
    std::vector<std::string> v;
    for (int k = 0; k < 1000; ++k) {
        const int i = (k * 37) % symbol_count;
        const std::string s = symbol_name(i);
        const int cents = (k * 13) % 80 - 40;  // stays far from TP, SL and the profit floor
        const std::string bid = fmt::format("{}.{:02}000000", 100 + (cents < 0 ? -1 : 0), (cents + 100) % 100);
        const std::string ask = fmt::format("{}.{:02}000000", 100 + (cents + 1 < 0 ? -1 : 0), (cents + 101) % 100);
        const millis e = t0 + k;
        const int kind = k % 10;
        if (kind < 7)
            v.push_back(fmt::format(
                R"({{"stream":"{}@bookTicker","data":{{"e":"bookTicker","u":{},"E":{},"T":{},"s":"{}","b":"{}","B":"31.21000000","a":"{}","A":"40.66000000"}}}})",
                lower(s), 400900217 + k, e, e - 2, s, bid, ask));
        else if (kind < 9)
            v.push_back(fmt::format(
                R"({{"stream":"{}@aggTrade","data":{{"e":"aggTrade","E":{},"s":"{}","a":{},"p":"{}","q":"100","nq":"100","f":100,"l":105,"T":{},"m":true}}}})",
                lower(s), e, s, 5933014 + k, bid, e - 4));
        else
            v.push_back(fmt::format(
                R"({{"stream":"{}@markPrice@1s","data":{{"e":"markPriceUpdate","E":{},"s":"{}","p":"{}","ap":"{}","i":"{}","P":"{}","r":"0.00038167","T":1562306400000}}}})",
                lower(s), e, s, bid, bid, bid, bid));
    }
    return v;
}

void settle(engine& eng, output first, millis now, int& next_trade) {
    std::deque<action> todo(first.actions.begin(), first.actions.end());
    while (!todo.empty()) {
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
                f.order_done = true;
                answers.emplace_back(std::move(f));
            }
        }
        for (const event& ev : answers) {
            output o = eng.handle(ev, now);
            todo.insert(todo.end(), o.actions.begin(), o.actions.end());
        }
    }
}

engine make_engine() {
    engine_config cfg;
    cfg.max_positions = 1000;
    std::vector<symbol_info> syms;
    for (int i = 0; i < symbol_count; ++i)
        syms.push_back({symbol_name(i), *decimal::parse("0.01"), *decimal::parse("0.001"), *decimal::parse("0.001"),
                        *decimal::parse("5")});
    engine eng(cfg, syms);
    millis now = t0;
    eng.handle(start_request{}, now);
    for (int i = 0; i < symbol_count; ++i) {
        quote q{*decimal::parse("100"), *decimal::parse("100.01"), *decimal::parse("100.005"), now};
        eng.handle(market_tick{symbol_name(i), q}, now);
    }
    int next_trade = 1;
    for (int i = 0; i < open_positions; ++i) {
        ++now;
        output o = eng.handle(open_request{opportunity{symbol_name(i * 5), side::long_side, 1, "bench", now}}, now);
        if (!o.result.ok()) {
            std::fprintf(stderr, "open refused: %s\n", o.result.message.c_str());
            std::exit(2);
        }
        settle(eng, std::move(o), now, next_trade);
    }
    return eng;
}

/// What the Binance port keeps between messages.
struct port_state {
    bn::json_parser parser;
    std::map<std::string, quote, std::less<>> quotes;
    std::uint64_t ticks = 0;
    std::uint64_t notifications = 0;
    output out;  // reused across messages, as the engine runner's drain does
};

/// The port's on_market_frame without coalescing: parse, update the quote, dispatch a tick.
void dispatch(engine& eng, port_state& st, std::string_view frame, millis now) {
    auto ev = bn::parse_market_event(frame, st.parser);
    const std::string* sym = nullptr;
    quote* q = nullptr;
    if (const auto* b = std::get_if<bn::book_ticker>(&ev)) {
        if (!b->bid_price.is_positive() || !b->ask_price.is_positive()) return;
        auto it = st.quotes.find(b->symbol);
        if (it == st.quotes.end()) it = st.quotes.emplace(b->symbol, quote{}).first;
        q = &it->second;
        q->bid = b->bid_price;
        q->ask = b->ask_price;
        q->ts = b->event_time;
        sym = &it->first;
    } else if (const auto* m = std::get_if<bn::mark_price_update>(&ev)) {
        if (!m->mark_price.is_positive()) return;
        auto it = st.quotes.find(m->symbol);
        if (it == st.quotes.end()) it = st.quotes.emplace(m->symbol, quote{}).first;
        q = &it->second;
        q->mark = m->mark_price;
        q->ts = m->event_time;
        sym = &it->first;
    } else {
        return;  // aggTrade: parsed, not used for quotes (as in the port)
    }
    eng.handle(market_tick{*sym, *q}, now, st.out);
    ++st.ticks;
    st.notifications += st.out.notifications.size();
    do_not_optimize(st.out);
}

/// Bare simdjson On-Demand: the same fields as string views.
struct bare_fields {
    std::string_view e, s, b, a, p;
    std::int64_t time = 0;
};
bool bare_parse(simdjson::ondemand::parser& parser, const simdjson::padded_string& buf, bare_fields& f) {
    simdjson::ondemand::document doc;
    if (parser.iterate(buf).get(doc)) return false;
    simdjson::ondemand::object data;
    if (doc["data"].get_object().get(data)) return false;
    f = {};
    for (auto field : data) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        if (key == "e") {
            if (field.value().get_string().get(f.e)) return false;
        } else if (key == "s") {
            if (field.value().get_string().get(f.s)) return false;
        } else if (key == "b") {
            if (field.value().get_string().get(f.b)) return false;
        } else if (key == "a" && f.e == "bookTicker") {
            if (field.value().get_string().get(f.a)) return false;
        } else if (key == "p") {
            if (field.value().get_string().get(f.p)) return false;
        } else if (key == "E") {
            if (field.value().get_int64().get(f.time)) return false;
        }
    }
    return true;
}

struct stats {
    double median = 0, min = 0, max = 0;
};
stats summarize(std::vector<double> v) {
    if (v.empty()) return {};  // a case not run (profiling one case)
    std::sort(v.begin(), v.end());
    return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string only = argc > 1 ? argv[1] : "";
    auto run = [&](const char* name) { return only.empty() || only == name; };
    constexpr int reps = 7;
    // A second argument shrinks the run (e.g. under callgrind): messages per repetition.
    const std::size_t per_rep = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 300'000;
    const std::vector<std::string> msgs = make_messages();
    std::vector<simdjson::padded_string> padded;
    for (const auto& m : msgs) padded.emplace_back(m);

    // Baseline: bare simdjson On-Demand.
    simdjson::ondemand::parser sj;
    std::vector<double> base_ns;
    std::uint64_t base_allocs = 0;
    std::size_t checksum = 0;
    for (int r = 0; r < (run("bare") ? reps + 1 : 0); ++r) {  // the first repetition warms up and is not counted
        const std::uint64_t a0 = g_allocs;
        const double t = thread_cpu_ns();
        for (std::size_t i = 0; i < per_rep; ++i) {
            bare_fields f;
            if (!bare_parse(sj, padded[i % padded.size()], f)) {
                std::fprintf(stderr, "bare parse failed on %s\n", msgs[i % msgs.size()].c_str());
                return 2;
            }
            checksum += f.s.size() + f.b.size() + f.p.size();
        }
        const double dt = thread_cpu_ns() - t;
        if (r > 0) {
            base_ns.push_back(dt / per_rep);
            base_allocs += g_allocs - a0;
        }
    }

    // Codec + engine.
    engine eng = make_engine();
    port_state st;
    std::vector<double> full_ns;
    std::uint64_t full_allocs = 0;
    millis now = t0 + 10'000;
    for (int r = 0; r < (run("full") ? reps + 1 : 0); ++r) {
        const std::uint64_t a0 = g_allocs;
        const double t = thread_cpu_ns();
        for (std::size_t i = 0; i < per_rep; ++i) dispatch(eng, st, msgs[i % msgs.size()], now);
        const double dt = thread_cpu_ns() - t;
        ++now;
        if (r > 0) {
            full_ns.push_back(dt / per_rep);
            full_allocs += g_allocs - a0;
        }
    }
    // Codec alone (parse_market_event), to split the gap.
    std::vector<double> codec_ns;
    std::uint64_t codec_allocs = 0;
    for (int r = 0; r < (run("codec") ? reps + 1 : 0); ++r) {
        const std::uint64_t a0 = g_allocs;
        const double t = thread_cpu_ns();
        for (std::size_t i = 0; i < per_rep; ++i) {
            auto ev = bn::parse_market_event(msgs[i % msgs.size()], st.parser);
            do_not_optimize(ev);
        }
        const double dt = thread_cpu_ns() - t;
        if (r > 0) {
            codec_ns.push_back(dt / per_rep);
            codec_allocs += g_allocs - a0;
        }
    }
    int still_open = 0;
    for (const auto& [id, p] : eng.positions()) still_open += p.status == position_status::open ? 1 : 0;
    if (still_open != open_positions) {
        std::fprintf(stderr, "positions changed during the run (%d of %d open)\n", still_open, open_positions);
        return 2;
    }

    const stats b = summarize(base_ns), f = summarize(full_ns), c = summarize(codec_ns);
    const double n = static_cast<double>(per_rep) * reps;
    std::printf("B1 parse + dispatch: %zu messages x %d repetitions (70%% bookTicker, 20%% aggTrade, 10%% markPrice,\n"
                "combined-stream wrapped, 100 symbols, 20 OPEN positions); thread CPU ns per message\n\n",
                per_rep, reps);
    std::printf("| case | median ns/msg | min | max | heap allocs/msg | vs bare simdjson |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    std::printf("| bare simdjson On-Demand (same fields, string views) | %.1f | %.1f | %.1f | %.3f | 1.00x |\n", b.median,
                b.min, b.max, static_cast<double>(base_allocs) / n);
    std::printf("| codec only (parse_market_event) | %.1f | %.1f | %.1f | %.3f | %.2fx |\n", c.median, c.min, c.max,
                static_cast<double>(codec_allocs) / n, c.median / b.median);
    std::printf("| codec + quote + engine::handle | %.1f | %.1f | %.1f | %.3f | %.2fx |\n", f.median, f.min, f.max,
                static_cast<double>(full_allocs) / n, f.median / b.median);
    std::printf("\n(ticks dispatched per message %.2f, notifications per message %.3f; checksum %zu)\n",
                static_cast<double>(st.ticks) / static_cast<double>(per_rep * (reps + 1)),
                static_cast<double>(st.notifications) / static_cast<double>(per_rep * (reps + 1)), checksum);
    return 0;
}
