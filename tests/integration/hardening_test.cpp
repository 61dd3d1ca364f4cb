// Issue 10 on the real daemon: start-up checks (token length, file modes, the open-file limit)
// and what a flood of refused clients leaves in the log and in /metrics. Loopback only.

#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <regex>

#include <sys/stat.h>

using namespace traded::test;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

const std::string manual_only = "opportunities:\n  strategy: none\n";

/// Runs traded with `yaml` until it exits (it must refuse to start); returns its output.
std::string refused_start(const std::string& yaml, const std::string& extra_file = "",
                          const std::string& extra_content = "") {
    auto root = make_temp_dir("traded-it-start");
    if (!extra_file.empty()) write_file(root + "/" + extra_file, extra_content);
    std::string cfg = yaml;
    for (std::size_t at; (at = cfg.find("@ROOT@")) != std::string::npos;) cfg.replace(at, 6, root);
    write_file(root + "/traded.yaml", cfg);
    auto p = process::spawn({TRADED_BIN, "--config", root + "/traded.yaml", "--data-dir", root + "/data"},
                            root + "/traded.log");
    bool exited = eventually([&] { return !p.running(); }, std::chrono::milliseconds(10000));
    auto log = p.log();
    remove_tree(root);
    INFO(log);
    REQUIRE(exited);
    return log;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("hardening: a short API token is refused at start with a clear error", "[integration][hardening]") {
    {
        auto log = refused_start("server: {bind: 127.0.0.1, port: 1, api_token: abc}\n");
        CHECK(log.find("server.api_token: must be at least 32 characters") != std::string::npos);
        CHECK(log.find("abc") == std::string::npos);  // the token itself is never repeated
    }
    {
        auto log = refused_start("server: {bind: 127.0.0.1, port: 1, api_token_file: \"@ROOT@/token\"}\n", "token",
                                 "shorttoken-1234\n");
        INFO(log);
        CHECK(log.find("has 15 characters; at least 32 are required") != std::string::npos);
        CHECK(log.find("shorttoken-1234") == std::string::npos);
    }
}

TEST_CASE("hardening: files are created for the owner only; loose modes are warned about", "[integration][hardening]") {
    auto root = make_temp_dir("traded-it-modes");
    const std::string dir = root + "/data";
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);  // whatever the test's own umask
    {
        daemon_fixture d(manual_only, dir);
        CHECK(mode_of(dir + "/traded.db") == 0600);
        CHECK(mode_of(dir + "/traded.lock") == 0600);
        auto log = d.proc().log();
        CHECK(log.find("data directory " + dir + " is accessible by other users (mode 755); chmod 700 it") !=
              std::string::npos);
    }
    {  // a token file other users can read: the daemon starts and says so
        const std::string token_file = root + "/token";
        write_file(token_file, "0123456789abcdef0123456789abcdef-file\n");
        REQUIRE(::chmod(token_file.c_str(), 0644) == 0);
        const std::string cfg_path = root + "/own.yaml";
        auto port = free_port();
        write_file(cfg_path, "server: {bind: 127.0.0.1, port: " + std::to_string(port) + ", api_token_file: \"" +
                                 token_file + "\"}\n" + manual_only);
        auto p = process::spawn({TRADED_BIN, "--config", cfg_path, "--data-dir", root + "/data2"}, root + "/own.log");
        REQUIRE(eventually([&] { return http("GET", port, "/healthz").status == 200 || !p.running(); }));
        CHECK(http("GET", port, "/api/v1/paper-trading/status", "", "0123456789abcdef0123456789abcdef-file").status ==
              200);
        p.stop();
        CHECK(p.log().find("API token file " + token_file + " is readable by other users (mode 644); chmod 600 it") !=
              std::string::npos);
    }
    remove_tree(root);
}

TEST_CASE("hardening: under a low open-file limit the cap triggers and the API stays reachable", "[integration][hardening]") {
    auto root = make_temp_dir("traded-it-nofile");
    auto port = free_port();
    const std::string token = "nofile-token-0123456789abcdef0123456789";
    write_file(root + "/traded.yaml", "server: {bind: 127.0.0.1, port: " + std::to_string(port) + ", api_token: " +
                                          token + "}\n" + manual_only);
    // `ulimit -n` in sh sets the soft and the hard limit: the daemon cannot raise it.
    auto p = process::spawn({"/bin/sh", "-c",
                             std::string("ulimit -n 200 && exec ") + TRADED_BIN + " --config " + root +
                                 "/traded.yaml --data-dir " + root + "/data"},
                            root + "/traded.log");
    REQUIRE(eventually([&] { return http("GET", port, "/healthz").status == 200 || !p.running(); }));
    REQUIRE(p.running());

    // 300 silent connections: more than the daemon has descriptors.
    net::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> silent;
    for (int i = 0; i < 300; ++i) {
        auto s = std::make_unique<tcp::socket>(io);
        boost::system::error_code ec;
        s->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
        if (!ec) silent.push_back(std::move(s));
    }
    auto started = std::chrono::steady_clock::now();
    auto status = http("GET", port, "/api/v1/paper-trading/status", "", token);
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(status.status == 200);
    CHECK(took < std::chrono::seconds(5));  // bounded, with room for ASan builds on a busy machine
    CHECK(http("GET", port, "/healthz").status == 200);
    auto metrics = http("GET", port, "/metrics", "", token).body;
    CHECK(metrics.find("traded_api_refused_total{reason=\"evicted\"}") != std::string::npos);
    silent.clear();
    p.stop();
    auto log = p.log();
    INFO(log);
    CHECK(log.find("server.max_connections 1024 lowered to 136: the open-file limit is 200") != std::string::npos);
    CHECK(count(log, "accept: ") == 0);  // never ran out of descriptors
    // Hundreds of evictions, a handful of log lines.
    CHECK(count(log, "(evicted)") <= 3);
    remove_tree(root);
}

TEST_CASE("hardening: refused clients are counted in /metrics, their log lines rate-limited", "[integration][hardening]") {
    daemon_fixture d(manual_only);
    for (int i = 0; i < 50; ++i)
        CHECK(http("GET", d.port(), "/api/v1/paper-trading/status", "", d.token(), {{"Host", "rebind.evil.example"}})
                  .status == 421);
    auto metrics = d.get("/metrics").body;
    CHECK(metrics.find("traded_api_refused_total{reason=\"host\"} 50") != std::string::npos);
    auto log = d.proc().log();
    CHECK(count(log, "(host)") == 1);
    // The answers to a browser carry the policy that keeps injected scripts from running.
    auto page = http("GET", d.port(), "/");
    CHECK(page.headers["Content-Security-Policy"].find("script-src 'self'") != std::string::npos);
}

TEST_CASE("hardening: a bind other than loopback without TLS is warned about; loopback is not",
          "[integration][hardening]") {
    // Listening on the wildcard address only (nothing is contacted); the daemon is stopped at once.
    auto root = make_temp_dir("traded-it-bind");
    const auto port = free_port();
    write_file(root + "/traded.yaml", "server:\n  bind: 0.0.0.0\n  port: " + std::to_string(port) +
                                          "\n  api_token: \"test-token-0123456789abcdef0123456789abcdef\"\n" +
                                          manual_only);
    auto p = process::spawn({TRADED_BIN, "--config", root + "/traded.yaml", "--data-dir", root + "/data"},
                            root + "/traded.log");
    const std::string warning = "listening on 0.0.0.0 without TLS";
    bool warned = eventually([&] { return p.log().find(warning) != std::string::npos || !p.running(); });
    auto log = p.log();
    p.stop();
    remove_tree(root);
    INFO(log);
    CHECK(warned);
    CHECK(log.find(warning) != std::string::npos);
    CHECK(log.find("set server.tls or bind 127.0.0.1") != std::string::npos);

    daemon_fixture d(manual_only);  // 127.0.0.1
    CHECK(d.proc().log().find("without TLS") == std::string::npos);
}

TEST_CASE("hardening: trades beyond the in-memory window come from the store, same order and stats",
          "[integration][hardening][trades]") {
    daemon_fixture d(manual_only + "storage:\n  trades_in_memory: 3\n");
    const std::string p = "/api/v1/paper-trading/";
    const char* symbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    std::vector<std::string> closed;  // each close's trade, oldest first, as the API wrote it
    for (int i = 0; i < 7; ++i) {
        auto a = d.post("/api/v1/opportunities", std::string(R"({"symbol":")") + symbols[i % 3] +
                                                     R"(","side":")" + (i % 2 ? "SHORT" : "LONG") +
                                                     R"(","mode":"paper-trading"})");
        INFO(a.body);
        REQUIRE(a.status == 200);
        auto res = a.json().at("data").at("results").at(0);
        REQUIRE(res.at("accepted").as_bool());
        const std::string id(res.at("position").at("position_id").as_string());
        auto c = d.post(p + "close-position/" + id);
        INFO(c.body);
        REQUIRE(c.status == 200);
        closed.push_back(json::serialize(c.json().at("data").at("trade")));
    }
    auto list = [&](const std::string& query) {
        std::vector<std::string> out;
        const json::value v = d.data(p + "trades" + query);
        for (const auto& t : v.as_array()) out.push_back(json::serialize(t));
        return out;
    };
    const std::vector<std::string> newest_first(closed.rbegin(), closed.rend());
    CHECK(list("?limit=100") == newest_first);  // 4 of them are only in the store
    CHECK(list("?limit=2") == std::vector<std::string>(newest_first.begin(), newest_first.begin() + 2));
    CHECK(list("?limit=5") == std::vector<std::string>(newest_first.begin(), newest_first.begin() + 5));
    const auto third = json::parse(closed[2]).at("closed_at").to_number<std::int64_t>();
    auto since = list("?limit=100&since=" + std::to_string(third));
    REQUIRE(since.size() >= 5);  // closes within one millisecond may share it
    CHECK(since.back() == closed[7 - since.size()]);

    // Performance covers every trade, not the three in memory.
    auto perf = d.data(p + "performance");
    CHECK(perf.at("total_trades").to_number<int>() == 7);
    double sum = 0;
    for (const auto& t : closed) sum += json::parse(t).at("pnl").to_number<double>();
    CHECK(perf.at("total_pnl").to_number<double>() == Approx(sum).margin(1e-8));
    const auto before = json::serialize(perf);
    auto balance = json::serialize(d.data(p + "account-balance").at("wallet_balance"));

    // After a restart the engine loads only the window (plus totals): the same answers.
    REQUIRE(d.stop() == 0);
    d.restart();
    CHECK(list("?limit=100") == newest_first);
    CHECK(json::serialize(d.data(p + "performance")) == before);
    CHECK(json::serialize(d.data(p + "account-balance").at("wallet_balance")) == balance);
}

TEST_CASE("hardening: closing a position pruned from memory answers already_closed from the store",
          "[integration][hardening][trades]") {
    // trades_in_memory: 2 also bounds the closed positions loaded at start: after a restart the
    // first ones exist only in the store.
    daemon_fixture d(manual_only + "storage:\n  trades_in_memory: 2\n");
    const std::string p = "/api/v1/paper-trading/";
    std::vector<std::string> ids;
    std::vector<double> pnls;
    for (int i = 0; i < 4; ++i) {
        auto a = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"paper-trading"})");
        INFO(a.body);
        REQUIRE(a.status == 200);
        auto res = a.json().at("data").at("results").at(0);
        REQUIRE(res.at("accepted").as_bool());
        ids.emplace_back(res.at("position").at("position_id").as_string());
        auto c = d.post(p + "close-position/" + ids.back());
        INFO(c.body);
        REQUIRE(c.status == 200);
        pnls.push_back(c.json().at("data").at("trade").at("pnl").to_number<double>());
    }
    REQUIRE(d.stop() == 0);
    d.restart();
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto again = d.post(p + "close-position/" + ids[0]);
        INFO(again.body);
        REQUIRE(again.status == 200);
        const auto data = again.json().at("data");
        CHECK(data.at("already_closed").as_bool());
        CHECK(data.at("status").as_string() == "CLOSED");
        CHECK(data.at("exit_reason").as_string() == "MANUAL");
        CHECK(data.at("trade").at("pnl").to_number<double>() == Approx(pnls[0]).margin(1e-9));
    }
    CHECK(d.post(p + "close-position/paper_999_BTCUSDT").status == 404);  // unknown stays unknown
}
