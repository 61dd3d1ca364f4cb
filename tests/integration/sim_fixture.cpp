#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

namespace traded::test {

sim_fixture::sim_fixture(bool tls, bool bnb_fees) : tls_(tls), bnb_fees_(bnb_fees) {
    root_ = make_temp_dir("traded-sim-it");
    std::string tls_yaml;
    if (tls_) {
        cert_ = root_ + "/cert.pem";
        const std::string key = root_ + "/key.pem";
        const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                                "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                                key + " -out " + cert_ + " >" + root_ + "/openssl.log 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
        tls_yaml = "tls:\n  cert_file: " + cert_ + "\n  key_file: " + key + "\n";
    }
    port_ = free_port();
    const std::string cfg = "listen:\n  host: 127.0.0.1\n  port: " + std::to_string(port_) + "\n" + tls_yaml +
                            (bnb_fees_ ? std::string("accounts:\n  - api_key: ") + sim_api_key +
                                             "\n    api_secret: " + sim_api_secret + "\n    commission_asset: BNB\n"
                                       : std::string()) +
                            (bnb_fees_ ? "symbols: [BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT]\n"
                                       : "symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n") +
                            "prices:\n  source: static\n"
                            "log:\n  level: info\n";
    write_file(root_ + "/sim.yaml", cfg);
    launch();
}

void sim_fixture::launch() {
    static int launches = 0;
    const std::string log = root_ + "/sim" + std::to_string(++launches) + ".log";
    proc_ = process::spawn({TRADED_SIM_BIN, "--config", root_ + "/sim.yaml", "--port", std::to_string(port_)}, log);
    bool up = eventually([&] { return !proc_.running() || proc_.log().find("listening on") != std::string::npos; },
                         std::chrono::milliseconds(10000));
    if (!up || !proc_.running()) FAIL("traded-sim did not start; log:\n" << proc_.log());
    // Known, fixed prices for every symbol.
    set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
    set_price("SOLUSDT", "150.00", "150.01", "150.00");
    if (bnb_fees_) set_price("BNBUSDT", bnb_price);
}

void sim_fixture::restart() {
    if (proc_.running()) proc_.stop(std::chrono::milliseconds(3000));
    launch();
}

sim_fixture::~sim_fixture() {
    proc_.stop(std::chrono::milliseconds(3000));
    remove_tree(root_);
}

json::value sim_fixture::admin(const std::string& path, const std::string& body) {
    auto a = http("POST", port_, path, body);
    INFO("sim " << path << " " << body << " -> " << a.status << " " << a.body);
    REQUIRE(a.status == 200);
    return a.json();
}

json::value sim_fixture::state() {
    auto a = http("GET", port_, "/admin/state");
    INFO("sim /admin/state -> " << a.status);
    REQUIRE(a.status == 200);
    return a.json();
}

void sim_fixture::set_price(const std::string& symbol, const std::string& bid, const std::string& ask,
                            const std::string& mark) {
    admin("/admin/price",
          R"({"symbol":")" + symbol + R"(","bid":")" + bid + R"(","ask":")" + ask + R"(","mark":")" + mark + R"("})");
}

std::string sim_fixture::exchange_yaml() const {
    const std::string root = "127.0.0.1:" + std::to_string(port_);
    const std::string h = tls_ ? "https://" : "http://";
    const std::string w = tls_ ? "wss://" : "ws://";
    std::string y = "exchange:\n  rest_url: " + h + root + "\n  ws_public_url: " + w + root +
                    "/public\n  ws_market_url: " + w + root + "/market\n  ws_private_url: " + w + root +
                    "/private\n  api_key_env: SIM_API_KEY\n  api_secret_env: SIM_API_SECRET\n  recv_window_ms: 5000\n";
    if (tls_) y += "  ca_file: " + cert_ + "\n";
    return y;
}

std::unique_ptr<daemon_fixture> make_real_daemon(const sim_fixture& sim, const std::string& real_yaml,
                                                 const std::string& exchange_yaml) {
    // The spawned daemon inherits this process's environment.
    ::setenv("SIM_API_KEY", sim_api_key, 1);
    ::setenv("SIM_API_SECRET", sim_api_secret, 1);
    const std::string yaml = sim.exchange_yaml() + exchange_yaml +
                             "market:\n  source: synthetic\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                             "real_trading:\n  enabled: true\n  stake_usd: 200.0\n  max_positions: 3\n"
                             "  leverage: 3\n  pure_3_rule_mode: true\n  primary_target_dollars: 10.0\n"
                             "  absolute_floor_dollars: 7.0\n  stop_loss_percent: 0.5\n" +
                             (real_yaml.find("max_daily_loss") == std::string::npos ? "  max_daily_loss: 100.0\n" : "") +
                             real_yaml + "opportunities:\n  strategy: none\n";
    return std::make_unique<daemon_fixture>(yaml);
}

http_answer start_real(daemon_fixture& d, std::chrono::milliseconds timeout) {
    http_answer last;
    eventually(
        [&] {
            last = d.post("/api/v1/real-trading/start", "{}");
            return last.status == 200;
        },
        timeout);
    return last;
}

}  // namespace traded::test
