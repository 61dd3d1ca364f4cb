// traded: the trading daemon. Parses the command line, loads the config and runs everything on
// one io_context on the main thread; as a systemd service it speaks the notify protocol, reloads
// on SIGHUP and stops gracefully on SIGTERM/SIGINT (daemon/service/).

#include "backtest/cli.hpp"
#include "config/config.hpp"
#include "daemon/app.hpp"
#include "daemon/config_view.hpp"
#include "daemon/data_dir.hpp"
#include "daemon/service/backup.hpp"
#include "daemon/service/supervisor.hpp"
#include "log/log.hpp"

#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sys/resource.h>
#include <sys/stat.h>

namespace {

constexpr std::string_view usage = R"(usage: traded [options]
       traded token [--config FILE] [--data-dir DIR]
       traded backup [--config FILE] [--data-dir DIR] DEST
       traded backtest --config FILE --replay PATH... [--out DIR]   (see traded backtest --help)

Trading daemon for USD-M perpetual futures: paper trading on a built-in market by default,
real trading on Binance USD-M when enabled in the config. API and dashboard on
http://127.0.0.1:8000/ unless configured otherwise.

options:
  --config FILE         load the YAML config (default: built-in defaults, no file needed)
  --check-config [FILE] validate FILE (or the --config file) and exit (0 valid, 1 invalid)
  --show-config         print the effective configuration (secrets redacted) and exit
  --data-dir DIR        state directory (overrides storage.data_dir)
  --port N              API port (overrides server.port)
  --version             print the version and exit
  --help                print this help and exit

commands:
  token                 print the dashboard URL with the API token (reads the token file in the
                        data directory; run it as the user the daemon runs as)
  backup DEST           copy the store (traded.db) to the new file DEST while the daemon runs
                        (SQLite online backup, integrity-checked)

signals: SIGHUP reloads the config file (invalid: nothing changes), SIGTERM/SIGINT stop.
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

struct cli {
    std::string config_file;
    std::string data_dir;
    std::string port;
    bool check = false;
    std::string check_file;
    bool show = false;
    bool token = false;
    bool backup = false;
    std::string backup_dest;
};

/// The command-line overrides on top of a loaded config (also re-applied at every reload, so
/// they never read as "changed, needs a restart").
bool apply_overrides(const cli& c, traded::config::config& cfg) {
    if (!c.data_dir.empty()) cfg.storage.data_dir = c.data_dir;
    if (!c.port.empty()) {
        char* end = nullptr;
        long p = std::strtol(c.port.c_str(), &end, 10);
        if (!end || *end != '\0' || p < 0 || p > 65535) {
            std::fprintf(stderr, "traded: --port: expected an integer 0-65535, got \"%s\"\n", c.port.c_str());
            return false;
        }
        cfg.server.port = static_cast<std::uint16_t>(p);
    }
    return true;
}

/// `traded token`: the URL the first start logged (or, under journald, did not log).
int print_token(const traded::config::config& cfg) {
    std::string token = cfg.server.api_token;
    std::string source = "server.api_token";
    if (token.empty()) {
        std::string path = cfg.server.api_token_file;
        if (path.empty()) {
            const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
            if (creds != nullptr && *creds != '\0' && ::access((std::string(creds) + "/api_token").c_str(), F_OK) == 0)
                path = std::string(creds) + "/api_token";
            else
                path = cfg.storage.data_dir + "/api_token";
        }
        auto r = traded::daemon::read_token_file(path);
        if (!r) {
            std::fprintf(stderr, "traded: %s (the daemon creates it on first start; run this as its user)\n",
                         r.error().c_str());
            return 1;
        }
        token = r->token;
    }
    const bool tls = !cfg.server.tls.cert_file.empty();
    const std::string host = cfg.server.bind == "0.0.0.0" || cfg.server.bind == "::" ? "127.0.0.1" : cfg.server.bind;
    std::printf("%s://%s:%u/#access_token=%s\n", tls ? "https" : "http", host.c_str(),
                static_cast<unsigned>(cfg.server.port), token.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "backtest") return traded::backtest::cli_main(argc - 1, argv + 1);
    cli c;
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
            c.check = true;
            // The file is optional: `ExecStartPre=traded --check-config --config FILE` reads well too.
            if (i + 1 < argc && argv[i + 1][0] != '-') c.check_file = argv[++i];
        } else if (a == "--show-config") {
            c.show = true;
        } else if (a == "token" && i == 1) {
            c.token = true;
        } else if (a == "backup" && i == 1) {
            c.backup = true;
        } else if (c.backup && c.backup_dest.empty() && !a.empty() && a[0] != '-') {
            c.backup_dest = argv[i];
        } else if (a == "--config") {
            if (!value(c.config_file)) return 2;
        } else if (a == "--data-dir") {
            if (!value(c.data_dir)) return 2;
        } else if (a == "--port") {
            if (!value(c.port)) return 2;
        } else {
            std::fprintf(stderr, "traded: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }

    if (c.check) {
        const std::string f = c.check_file.empty() ? c.config_file : c.check_file;
        if (f.empty()) {
            std::fprintf(stderr, "traded: --check-config needs a file (or --config FILE)\n");
            return 2;
        }
        auto r = traded::config::load_file(f);
        if (!r) return fail_config(r.error(), f);
        std::printf("%s: ok\n", f.c_str());
        return 0;
    }

    traded::config::config cfg;
    if (!c.config_file.empty()) {
        auto r = traded::config::load_file(c.config_file);
        if (!r) return fail_config(r.error(), c.config_file);
        cfg = std::move(*r);
    }
    if (!apply_overrides(c, cfg)) return 2;
    if (c.show) {
        const auto text = traded::daemon::config_yaml(cfg);
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    if (c.token) return print_token(cfg);
    if (c.backup) {
        if (c.backup_dest.empty()) {
            std::fprintf(stderr, "traded: backup needs a destination file (see --help)\n");
            return 2;
        }
        auto r = traded::daemon::service::backup_store(cfg.storage.data_dir, c.backup_dest);
        if (!r.error.empty()) {
            std::fprintf(stderr, "traded: backup: %s\n", r.error.c_str());
            return 1;
        }
        std::printf("%s: %s\n", c.backup_dest.c_str(), r.summary.c_str());
        return 0;
    }
    traded::log::configure(cfg.log.level, cfg.log.format);
    // Everything the daemon creates (database, WAL, token, lock) is for its own user only.
    ::umask(077);
    // A file-size limit (systemd LimitFSIZE=, ulimit -f) must not kill the daemon with SIGXFSZ:
    // ignored, the write fails with EFBIG like a full disk, the store reports it
    // (STORAGE_UNAVAILABLE, /readyz) and open positions stay protected.
    std::signal(SIGXFSZ, SIG_IGN);
    fit_connections_to_nofile(cfg);

    boost::asio::io_context io(1);
    traded::daemon::app application(io, cfg);

    namespace svc = traded::daemon::service;
    svc::supervisor_hooks hooks;
    hooks.status = [&] { return application.status_summary(); };
    hooks.stop = [&] { application.stop(); };
    hooks.reload = [&] {
        if (c.config_file.empty()) {
            traded::log::warn("daemon", "reload: started without --config; there is no file to re-read");
            return;
        }
        auto r = traded::config::load_file(c.config_file);
        if (!r) {
            traded::log::error("daemon", "reload refused, nothing changed: invalid configuration in {}:", c.config_file);
            for (const auto& e : r.error()) traded::log::error("daemon", "  {}", e);
            return;
        }
        if (!apply_overrides(c, *r)) return;
        application.reload(*r);
    };
    svc::supervisor sup(io, svc::notify_socket::from_environment(), svc::supervisor::options_from_environment(),
                        std::move(hooks));

    if (auto err = application.start(); !err.empty()) {
        traded::log::error("daemon", "cannot start: {}", err);
        sup.failed(err);
        return 1;
    }
    sup.ready();
    io.run();
    traded::log::info("daemon", "stopped");
    return 0;
}
