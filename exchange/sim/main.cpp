// traded-sim: a local Binance USD-M exchange on loopback, for tests and rehearsals.
//
//   traded-sim [--config FILE] [--port N]
//
// Prints "listening on <host>:<port>" on stdout once it accepts connections (with --port 0 the
// port is chosen by the system, and this line is how a test learns it). API secrets are never
// printed; the built-in account's key and secret are documented in config/sim-exchange.yaml.

#include "log/log.hpp"
#include "exchange/sim/server.hpp"
#include "exchange/sim/sim_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#ifndef TRADED_VERSION
#define TRADED_VERSION "0.1.0"
#endif

namespace {

constexpr const char* usage =
    "usage: traded-sim [--config FILE] [--port N] [--help] [--version]\n"
    "\n"
    "A local exchange speaking the Binance USD-M futures protocol subset (REST, market streams,\n"
    "user-data stream) on loopback, with an admin API for prices and fault injection.\n"
    "\n"
    "  --config FILE  simulator config (see config/sim-exchange.yaml); without it a built-in\n"
    "                 config is used: one account with the documented test key, BTCUSDT,\n"
    "                 ETHUSDT, SOLUSDT, synthetic prices, port 18080\n"
    "  --port N       listen on port N instead of the configured one (0: any free port)\n"
    "  --help         this text\n"
    "  --version      print the version\n"
    "\n"
    "Once listening it prints \"listening on <host>:<port>\" on stdout.\n";

int fail(const std::string& msg) {
    std::fprintf(stderr, "traded-sim: %s\n", msg.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    std::optional<long> port;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&](const char* name) -> std::optional<std::string> {
            if (i + 1 >= argc) return std::nullopt;
            (void)name;
            return std::string(argv[++i]);
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(usage, stdout);
            return 0;
        }
        if (arg == "--version") {
            std::printf("traded-sim %s\n", TRADED_VERSION);
            return 0;
        }
        if (arg == "--config") {
            auto v = value("--config");
            if (!v) return fail("--config needs a file name");
            config_path = *v;
        } else if (arg == "--port") {
            auto v = value("--port");
            if (!v) return fail("--port needs a number");
            char* end = nullptr;
            const long p = std::strtol(v->c_str(), &end, 10);
            if (v->empty() || *end != '\0' || p < 0 || p > 65535) return fail("--port: expected 0..65535, got " + *v);
            port = p;
        } else {
            return fail("unknown argument '" + std::string(arg) + "' (try --help)");
        }
    }

    traded::sim::sim_config cfg = traded::sim::default_sim_config();
    if (!config_path.empty()) {
        auto loaded = traded::sim::load_sim_config_file(config_path);
        if (!loaded) return fail(loaded.error().message);
        cfg = *loaded;
    }
    if (port) cfg.port = static_cast<std::uint16_t>(*port);
    traded::log::configure(cfg.log_level, "text");

    try {
        boost::asio::io_context ioc;
        traded::sim::server srv(ioc, cfg);
        const auto bound = srv.start();
        boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            traded::log::info("sim", "signal received: stopping");
            srv.stop();
            ioc.stop();
        });
        traded::log::info("sim", "{} account(s), {} symbol(s), prices {}, TLS {}", cfg.accounts.size(), cfg.symbols.size(),
                          cfg.prices.source, cfg.tls_enabled() ? "on (same port)" : "off");
        std::printf("listening on %s:%u\n", cfg.host.c_str(), static_cast<unsigned>(bound));
        std::fflush(stdout);
        ioc.run();
    } catch (const std::exception& e) {
        return fail(std::string("cannot start: ") + e.what());
    }
    return 0;
}
