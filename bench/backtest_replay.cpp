// Benchmark: `traded backtest` end to end (read + parse + quote merge + strategy + engine +
// paper matching) over a Binance bookTicker CSV, beside a parse-only pass (read + parse, the
// same replay_stream) over the same file in the same run.
//
// The file is generated first: a seeded random walk of BTCUSDT best bid/ask, one row per ~10 ms,
// in Binance's published format (header included). With the default momentum strategy the walk
// produces a steady stream of entries, TP/SL fills and floor moves, so the engine path is real.
// Passes alternate (parse, backtest, parse, ...) so machine load hits both alike.
//
// Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): the goal is per core, and on a
// shared machine wall time mostly measures the other processes. Wall medians are printed too.
//
// Run: build/bench/bench_backtest_replay [rows] [repetitions] [only]   (default 2000000 rows,
//      5 reps; the file goes to $TMPDIR or /tmp and is removed at the end). `only` = "parse" or
//      "backtest" runs just that pass, for a profiler (`perf record`, `perf stat -e instructions`);
//      the ratio is then meaningless.

#include "backtest/backtest.hpp"
#include "exchange/market/replay_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <vector>

using namespace traded;
using bench_clock = std::chrono::steady_clock;

namespace {

double cpu_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// CPU and wall seconds of one pass.
struct timing {
    double cpu = 0;
    double wall = 0;
};

std::string make_file(const std::string& dir, long rows) {
    const auto path = dir + "/BTCUSDT-bookTicker-2026-01-15.csv";
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(2);
    }
    std::fprintf(f, "%s\n", std::string(market::book_ticker_header).c_str());
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0, 1.0);
    std::uniform_int_distribution<int> gap(1, 19);
    long long bid_ticks = 970'000;  // 97000.0 in 0.1 ticks
    long long t = 1'768'435'200'000;
    for (long i = 0; i < rows; ++i) {
        bid_ticks += static_cast<long long>(std::lround(step(rng) * 10));
        const int spread = 1 + (i % 7 == 0);
        t += gap(rng);
        std::fprintf(f, "%ld,%lld.%lld,%d.%03d,%lld.%lld,%d.%03d,%lld,%lld\n", 9'000'000'000L + i, bid_ticks / 10,
                     bid_ticks % 10, 1 + static_cast<int>(i % 5), static_cast<int>(i % 997), (bid_ticks + spread) / 10,
                     (bid_ticks + spread) % 10, 2 + static_cast<int>(i % 3), static_cast<int>(i % 991), t - 2, t);
    }
    std::fclose(f);
    return path;
}

timing parse_only(const std::string& file, const std::set<std::string>& symbols, std::uint64_t& events) {
    const auto t0 = bench_clock::now();
    const double c0 = cpu_now();
    market::replay_stream s({file}, symbols);
    market::quote_update u;
    events = 0;
    std::int64_t check = 0;
    while (s.next(u) == market::read_status::update) {
        ++events;
        check += u.bid.raw();
    }
    if (!s.error().empty() || check == 0) {
        std::fprintf(stderr, "parse failed: %s\n", s.error().c_str());
        std::exit(2);
    }
    return {cpu_now() - c0, std::chrono::duration<double>(bench_clock::now() - t0).count()};
}

timing end_to_end(const std::string& file, const config::config& cfg, const std::set<std::string>& symbols,
                  backtest::result& r) {
    const auto t0 = bench_clock::now();
    const double c0 = cpu_now();
    market::replay_stream s({file}, symbols);
    r = backtest::run(cfg, s);
    if (!r.ok()) {
        std::fprintf(stderr, "backtest failed: %s\n", r.error.c_str());
        std::exit(2);
    }
    return {cpu_now() - c0, std::chrono::duration<double>(bench_clock::now() - t0).count()};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const long rows = argc > 1 ? std::atol(argv[1]) : 2'000'000;
    const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
    const std::string only = argc > 3 ? argv[3] : "";
    if (!only.empty() && only != "parse" && only != "backtest") {
        std::fprintf(stderr, "third argument: parse or backtest\n");
        return 2;
    }
    const char* tmp = std::getenv("TMPDIR");
    const auto dir = std::string(tmp ? tmp : "/tmp") + "/traded-bench-backtest-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const auto file = make_file(dir, rows);
    const auto bytes = std::filesystem::file_size(file);

    // The default config (momentum strategy, BTCUSDT among the symbols) with targets scaled to a
    // few hours of BTC: stake 2000 USDT (0.02 BTC), TP +2 USDT (~100 USD move), floor 1.4 USDT,
    // stop 0.1 %, momentum 1 bp over 20 updates, 60 s cooldown: a trade every few minutes.
    config::config cfg;
    cfg.paper_trading.stake_usd = decimal::from_int(2000);
    cfg.paper_trading.primary_target_dollars = decimal::from_int(2);
    cfg.paper_trading.absolute_floor_dollars = *decimal::parse("1.4");
    cfg.paper_trading.stop_loss_percent = *decimal::parse("0.1");
    cfg.opportunities.threshold_bps = 1;
    cfg.opportunities.cooldown_ms = 60000;
    const std::set<std::string> symbols(cfg.market.symbols.begin(), cfg.market.symbols.end());

    std::vector<double> parse_s, full_s, parse_w, full_w;
    std::uint64_t events = 0;
    backtest::result r;
    for (int i = 0; i < reps; ++i) {
        const auto p = only == "backtest" ? timing{} : parse_only(file, symbols, events);
        const auto f = only == "parse" ? timing{} : end_to_end(file, cfg, symbols, r);
        if (only == "backtest") events = r.events;
        parse_s.push_back(p.cpu);
        parse_w.push_back(p.wall);
        full_s.push_back(f.cpu);
        full_w.push_back(f.wall);
    }
    std::filesystem::remove_all(dir);

    const double mp = median(parse_s), mf = median(full_s);
    const double bp = *std::min_element(parse_s.begin(), parse_s.end());
    const double bf = *std::min_element(full_s.begin(), full_s.end());
    const double wp = *std::max_element(parse_s.begin(), parse_s.end());
    const double wf = *std::max_element(full_s.begin(), full_s.end());
    const double ev = static_cast<double>(events);
    fmt::print("backtest over a bookTicker CSV: {} rows ({:.1f} MB), {} repetitions, thread CPU time\n", events,
               static_cast<double>(bytes) / 1e6, reps);
    fmt::print("end-to-end run: {} trades, {} opportunities, total PnL {} USDT\n\n", r.trades.size(), r.opportunities,
               r.performance.total_pnl.to_string());
    fmt::print("{:<28}{:>10}{:>10}{:>10}{:>15}{:>15}{:>15}{:>10}{:>10}\n", "pass", "median s", "min s", "max s",
               "events/s med", "events/s min", "events/s max", "vs parse", "wall s");
    auto row = [&](const char* name, double med, double best, double worst, double wall, double ratio) {
        fmt::print("{:<28}{:>10.3f}{:>10.3f}{:>10.3f}{:>15.0f}{:>15.0f}{:>15.0f}{:>9.2f}x{:>10.3f}\n", name, med, best,
                   worst, ev / med, ev / worst, ev / best, ratio, wall);
    };
    row("parse only (read + parse)", mp, bp, wp, median(parse_w), 1.0);
    row("backtest end to end", mf, bf, wf, median(full_w), mf / mp);
    return 0;
}
