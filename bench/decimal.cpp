// Benchmark: traded::decimal parse + to_string of exchange price strings, against a baseline of
// strtod + snprintf("%.8g") on the same strings in the same run.
//
// The strings are the shapes Binance USD-M sends (prices, quantities, commissions, tiny and large).
// Both loops do the round trip string -> number -> string and fold the output into a checksum so
// nothing is optimised away. The baseline is not a drop-in replacement (doubles are not exact and
// "%.8g" loses digits on prices like 97123.456789): it is only the cost reference.
//
// Run: build-bench/bench/bench_decimal   (bounded: a few seconds)

#include "engine/decimal.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using bench_clock = std::chrono::steady_clock;

namespace {

template <class T>
inline void do_not_optimize(const T& v) {
    asm volatile("" : : "r,m"(v) : "memory");
}

const std::vector<std::string> samples = {
    "97123.40",    "97123.50",   "3412.57",     "3412.58",   "184.2150",   "0.62340",  "0.00001234",
    "1.2345",      "0.1",        "250.000",     "0.001",     "12.345",     "-0.00417", "64000",
    "0.07911",     "42.10000000", "108652.10",  "0.00000100", "2.500",     "-153.82901234",
};

struct result {
    double median_ns = 0;
    double best_ns = 0;
};

template <class F>
result measure(std::size_t rounds, int reps, F&& body) {
    std::vector<double> per_op;
    for (int r = 0; r < reps; ++r) {
        const auto start = bench_clock::now();
        body(rounds);
        const double elapsed = std::chrono::duration<double, std::nano>(bench_clock::now() - start).count();
        per_op.push_back(elapsed / static_cast<double>(rounds * samples.size()));
    }
    std::sort(per_op.begin(), per_op.end());
    return {per_op[per_op.size() / 2], per_op.front()};
}

void row(const char* label, result r, double base) {
    std::printf("%-40s %14.1f %12.1f %10.2fx\n", label, r.median_ns, r.best_ns, r.median_ns / base);
}

}  // namespace

int main() {
    constexpr std::size_t rounds = 100'000;  // x 20 strings = 2M ops per repetition
    constexpr int reps = 7;

    // Correctness first: every sample must round-trip exactly through decimal.
    for (const auto& s : samples) {
        auto d = traded::decimal::parse(s);
        if (!d) {
            std::fprintf(stderr, "decimal::parse refused %s\n", s.c_str());
            return 2;
        }
        auto again = traded::decimal::parse(d->to_string());
        if (!again || *again != *d) {
            std::fprintf(stderr, "round trip changed %s -> %s\n", s.c_str(), d->to_string().c_str());
            return 2;
        }
    }

    std::printf("decimal: %zu strings x %zu rounds per repetition, %d repetitions (median and best)\n\n",
                samples.size(), rounds, reps);
    std::printf("%-40s %14s %12s %11s\n", "case", "median ns/op", "best ns/op", "vs baseline");

    std::size_t sink = 0;
    const result base = measure(rounds, reps, [&](std::size_t n) {
        char buf[64];
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& s : samples) {
                const double v = std::strtod(s.c_str(), nullptr);
                const int len = std::snprintf(buf, sizeof buf, "%.8g", v);
                sink += static_cast<std::size_t>(len) + static_cast<unsigned char>(buf[0]);
                do_not_optimize(buf);
            }
    });
    const result parse_only = measure(rounds, reps, [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& s : samples) {
                auto d = traded::decimal::parse(s);
                sink += static_cast<std::size_t>(d->raw());
                do_not_optimize(d);
            }
    });
    const result strtod_only = measure(rounds, reps, [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& s : samples) {
                const double v = std::strtod(s.c_str(), nullptr);
                do_not_optimize(v);
                sink += v > 0 ? 1u : 0u;
            }
    });
    const result round_trip = measure(rounds, reps, [&](std::size_t n) {
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& s : samples) {
                auto d = traded::decimal::parse(s);
                std::string out = d->to_string();
                sink += out.size() + static_cast<unsigned char>(out[0]);
                do_not_optimize(out);
            }
    });

    row("baseline: strtod + snprintf(\"%.8g\")", base, base.median_ns);
    row("decimal::parse + to_string", round_trip, base.median_ns);
    std::printf("\n%-40s %14s %12s %11s\n", "parse only", "median ns/op", "best ns/op", "vs strtod");
    row("strtod", strtod_only, strtod_only.median_ns);
    row("decimal::parse", parse_only, strtod_only.median_ns);
    std::printf("\n(checksum %zu)\n", sink);
    return 0;
}
