#include "backtest/cli.hpp"

#include "backtest/backtest.hpp"
#include "engine/performance.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace traded::backtest {

namespace {

constexpr std::string_view usage = R"(usage: traded backtest --config FILE --replay PATH... [--out DIR]

Runs the paper engine, the paper matching model and the configured strategy over recorded or
downloaded market data as fast as possible, with time taken from the events.

  --config FILE   the daemon's YAML config (paper_trading, opportunities, market.symbols)
  --replay PATH   a recording (*.jsonl), a Binance USD-M bookTicker/aggTrades file (.csv or the
                  published .zip), a directory of them or a glob; repeat or list several
  --out DIR       where report.json and trades.csv go (default: ./backtest-results)

Exit code 0 when done, 2 on bad input (the reason, naming file and line, on stderr).
)";

int bad(const std::string& msg) {
    std::fprintf(stderr, "traded backtest: %s\n", msg.c_str());
    return 2;
}

bool write_file(const std::filesystem::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    return static_cast<bool>(out);
}

}  // namespace

int cli_main(int argc, char** argv) {
    std::string config_file;
    std::string out_dir = "backtest-results";
    std::vector<std::string> replay;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fwrite(usage.data(), 1, usage.size(), stdout);
            return 0;
        }
        if (a == "--config" || a == "--out") {
            if (i + 1 >= argc) return bad(std::string(a) + " needs a value");
            (a == "--config" ? config_file : out_dir) = argv[++i];
        } else if (a == "--replay") {
            // Several paths may follow one --replay (a shell glob expands to many).
            if (i + 1 >= argc || std::string_view(argv[i + 1]).rfind("--", 0) == 0) return bad("--replay needs a path");
            while (i + 1 < argc && std::string_view(argv[i + 1]).rfind("--", 0) != 0) replay.emplace_back(argv[++i]);
        } else {
            return bad("unknown option " + std::string(a) + " (see traded backtest --help)");
        }
    }
    if (config_file.empty()) return bad("--config FILE is required");
    if (replay.empty()) return bad("--replay PATH is required");

    auto loaded = config::load_file(config_file);
    if (!loaded) {
        std::fprintf(stderr, "traded backtest: invalid configuration in %s:\n", config_file.c_str());
        for (const auto& e : loaded.error()) std::fprintf(stderr, "  %s\n", e.c_str());
        return 2;
    }
    const auto& cfg = *loaded;
    std::string why;
    const auto files = market::expand_replay_paths(replay, why);
    if (!why.empty()) return bad(why);
    const std::set<std::string> symbols(cfg.market.symbols.begin(), cfg.market.symbols.end());
    market::replay_stream stream(files, symbols);

    const bool tty = ::isatty(STDERR_FILENO) == 1;
    auto last_print = std::chrono::steady_clock::now();
    const auto started = std::chrono::steady_clock::now();
    auto show = [&](const progress& p) {
        if (!tty) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_print < std::chrono::milliseconds(200) && p.bytes_read < p.bytes_total) return;
        last_print = now;
        const double pct = p.bytes_total > 0 ? 100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(p.bytes_total) : 0;
        std::fprintf(stderr, "\rbacktest: %5.1f%%  %llu events", pct > 100 ? 100.0 : pct,
                     static_cast<unsigned long long>(p.events));
        std::fflush(stderr);
    };
    auto r = run(cfg, stream, show);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (!r.ok()) return bad(r.error + " (nothing written)");

    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    const std::filesystem::path dir(out_dir);
    if (ec || !write_file(dir / "trades.csv", trades_csv(r.trades)) ||
        !write_file(dir / "report.json", report_json(r, files, elapsed))) {
        std::fprintf(stderr, "traded backtest: cannot write the results to %s\n", out_dir.c_str());
        return 1;
    }
    const auto& p = r.performance;
    std::printf("backtest: %llu events from %zu file(s), %s to %s (UTC)\n", static_cast<unsigned long long>(r.events),
                files.size(), r.events ? engine::utc_date(r.first_event).c_str() : "-",
                r.events ? engine::utc_date(r.last_event).c_str() : "-");
    std::printf("  trades %d (won %d, lost %d, win rate %.1f%%), total PnL %s USDT, max drawdown %s%s\n",
                p.total_trades, p.winning_trades, p.losing_trades, p.win_rate, p.total_pnl.to_string().c_str(),
                p.max_drawdown.to_string().c_str(),
                r.closed_at_end ? (", " + std::to_string(r.closed_at_end) + " closed at the end (STOP)").c_str() : "");
    std::printf("  %.2f s, %.0f events/s; results in %s/report.json and %s/trades.csv\n", elapsed,
                elapsed > 0 ? static_cast<double>(r.events) / elapsed : 0.0, out_dir.c_str(), out_dir.c_str());
    return 0;
}

}  // namespace traded::backtest
