// traded: the trading daemon. Parses the command line, loads the config and runs everything on
// one io_context on the main thread until SIGINT or SIGTERM.

#include "config/config.hpp"
#include "daemon/app.hpp"
#include "log/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include <sys/resource.h>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = R"(usage: traded [options]

Trading daemon for USD-M perpetual futures: paper trading on a built-in market by default,
real trading on Binance USD-M when enabled in the config. API and dashboard on
http://127.0.0.1:8000/ unless configured otherwise.

options:
  --config FILE         load the YAML config (default: built-in defaults, no file needed)
  --check-config FILE   validate FILE and exit (0 valid, 1 invalid, errors on stderr)
  --data-dir DIR        state directory (overrides storage.data_dir)
  --port N              API port (overrides server.port)
  --version             print the version and exit
  --help                print this help and exit
)";

/// Descriptors kept for everything that is not an API client: the database and its WAL, the
/// lock, the log, exchange and notification connections, epoll and timers.
constexpr rlim_t reserved_descriptors = 64;

/// Raises the soft NOFILE limit to the hard one, then keeps server.max_connections below it.
/// A cap at or above the descriptor limit never triggers: accept fails with EMFILE instead,
/// nobody gets a 429, and the API (emergency stop included) is out of reach.
void fit_connections_to_nofile(traded::config::config& cfg) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(lim.rlim_cur, 65536) : lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    if (lim.rlim_cur == RLIM_INFINITY) return;
    const rlim_t room = lim.rlim_cur > 2 * reserved_descriptors ? lim.rlim_cur - reserved_descriptors : lim.rlim_cur / 2;
    const auto wanted = static_cast<rlim_t>(cfg.server.max_connections);
    if (wanted <= room) return;
    cfg.server.max_connections = static_cast<int>(std::max<rlim_t>(room, 1));
    traded::log::warn("daemon",
                      "server.max_connections {} lowered to {}: the open-file limit is {} and {} descriptors are kept "
                      "for the daemon itself (raise it with ulimit -n or LimitNOFILE=)",
                      wanted, cfg.server.max_connections, lim.rlim_cur, lim.rlim_cur - room);
}

int fail_config(const std::vector<std::string>& errors, const std::string& file) {
    std::fprintf(stderr, "traded: invalid configuration%s%s:\n", file.empty() ? "" : " in ", file.c_str());
    for (const auto& e : errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_file;
    std::string data_dir;
    std::string port;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "traded: %s needs a value\n", argv[i]);
                return false;
            }
            out = argv[++i];
            return true;
        };
        if (a == "--help" || a == "-h") {
            std::fwrite(usage.data(), 1, usage.size(), stdout);
            return 0;
        } else if (a == "--version") {
            std::printf("traded %s\n", TRADED_VERSION);
            return 0;
        } else if (a == "--check-config") {
            std::string f;
            if (!value(f)) return 2;
            auto r = traded::config::load_file(f);
            if (!r.ok()) return fail_config(r.errors, f);
            std::printf("%s: ok\n", f.c_str());
            return 0;
        } else if (a == "--config") {
            if (!value(config_file)) return 2;
        } else if (a == "--data-dir") {
            if (!value(data_dir)) return 2;
        } else if (a == "--port") {
            if (!value(port)) return 2;
        } else {
            std::fprintf(stderr, "traded: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }

    traded::config::config cfg;
    if (!config_file.empty()) {
        auto r = traded::config::load_file(config_file);
        if (!r.ok()) return fail_config(r.errors, config_file);
        cfg = std::move(r.cfg);
    }
    if (!data_dir.empty()) cfg.storage.data_dir = data_dir;
    if (!port.empty()) {
        char* end = nullptr;
        long p = std::strtol(port.c_str(), &end, 10);
        if (!end || *end != '\0' || p < 0 || p > 65535) {
            std::fprintf(stderr, "traded: --port: expected an integer 0-65535, got \"%s\"\n", port.c_str());
            return 2;
        }
        cfg.server.port = static_cast<std::uint16_t>(p);
    }
    traded::log::configure(cfg.log.level, cfg.log.format);
    // Everything the daemon creates (database, WAL, token, lock) is for its own user only.
    ::umask(077);
    fit_connections_to_nofile(cfg);

    boost::asio::io_context io(1);
    traded::daemon::app application(io, cfg);
    if (auto err = application.start(); !err.empty()) {
        traded::log::error("daemon", "cannot start: {}", err);
        return 1;
    }

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        traded::log::info("daemon", "signal {}: shutting down (exchange-side TP/SL stay in place)", sig);
        application.stop();
        io.stop();
    });
    io.run();
    traded::log::info("daemon", "stopped");
    return 0;
}
