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
