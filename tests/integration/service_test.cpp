// The daemon as a service (SPEC §9), with the real binary: the systemd notify protocol on a real
// NOTIFY_SOCKET datagram socket (READY, periodic WATCHDOG from the trading loop, a stalled loop
// stops the pings, RELOADING/STOPPING), SIGHUP reload (applied, restart keys named, an invalid
// file changes nothing), SIGTERM/SIGINT within 5 s, /readyz, the read-only token, the redacted
// configuration, journald mode (priority prefixes, no token in the log), `traded token` and
// systemd credentials.

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <csignal>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <string>
#include <vector>

using namespace traded::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// A systemd-style notification socket: an AF_UNIX datagram socket bound in a temp dir.
class notify_receiver {
public:
    notify_receiver() {
        dir_ = make_temp_dir("traded-notify");
        path_ = dir_ + "/notify";
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    }
    ~notify_receiver() {
        ::close(fd_);
        remove_tree(dir_);
    }
    const std::string& path() const { return path_; }

    struct message {
        std::string text;
        steady::time_point at;
    };
    /// The next datagram, or nullopt after `timeout`.
    std::optional<message> next(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) return std::nullopt;
        return message{std::string(buf, static_cast<std::size_t>(n)), steady::now()};
    }
    /// Waits for a datagram containing `what`; the ones before it are dropped.
    std::optional<message> wait_for(const std::string& what, std::chrono::milliseconds timeout) {
        const auto deadline = steady::now() + timeout;
        while (steady::now() < deadline) {
            auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
            if (m && m->text.find(what) != std::string::npos) return m;
        }
        return std::nullopt;
    }

private:
    std::string dir_;
    std::string path_;
    int fd_ = -1;
};

/// Sets environment variables for the daemons started in its scope (the harness spawns with
/// this process's environment), and removes them after.
class scoped_env {
public:
    explicit scoped_env(std::vector<std::pair<std::string, std::string>> vars) : vars_(std::move(vars)) {
        for (const auto& [k, v] : vars_) ::setenv(k.c_str(), v.c_str(), 1);
    }
    ~scoped_env() {
        for (const auto& [k, v] : vars_) ::unsetenv(k.c_str());
    }

private:
    std::vector<std::pair<std::string, std::string>> vars_;
};

int count(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
    return n;
}

/// Waits for the process to exit; returns the time it took, or nullopt if it was still running.
std::optional<std::chrono::milliseconds> time_exit(process& p, std::chrono::milliseconds limit) {
    const auto t0 = steady::now();
    while (steady::now() - t0 < limit) {
        if (!p.running()) return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
        std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("systemd notify: READY, periodic WATCHDOG from the loop; a stalled loop stops the pings") {
    notify_receiver sd;
    std::optional<daemon_fixture> d;
    {
        // 400 ms watchdog: pings every 200 ms. SIGUSR2 stalls the loop for 1500 ms (test-only hook).
        scoped_env env({{"NOTIFY_SOCKET", sd.path()},
                        {"WATCHDOG_USEC", "400000"},
                        {"TRADED_TEST_STALL_ON_SIGUSR2_MS", "1500"}});
        d.emplace();
    }
    auto ready = sd.wait_for("READY=1", 5000ms);
    REQUIRE(ready);
    INFO(ready->text);
    CHECK(ready->text.find("STATUS=paper running") != std::string::npos);

    // Periodic pings: at least 5 in 1.5 s, none more than ~2 periods apart.
    std::vector<steady::time_point> pings;
    const auto t0 = steady::now();
    while (steady::now() - t0 < 1500ms)
        if (auto m = sd.next(500ms); m && m->text.find("WATCHDOG=1") != std::string::npos) pings.push_back(m->at);
    REQUIRE(pings.size() >= 5);
    for (std::size_t i = 1; i < pings.size(); ++i) CHECK(pings[i] - pings[i - 1] < 450ms);

    // Stall the trading loop: the pings stop for the length of the stall, then resume.
    ::kill(d->proc().pid(), SIGUSR2);
    std::optional<steady::time_point> last_before;
    std::chrono::milliseconds longest_gap{0};
    steady::time_point prev = steady::now();
    const auto t1 = steady::now();
    int after = 0;
    while (steady::now() - t1 < 3000ms) {
        auto m = sd.next(500ms);
        if (!m || m->text.find("WATCHDOG=1") == std::string::npos) continue;
        longest_gap = std::max(longest_gap, std::chrono::duration_cast<std::chrono::milliseconds>(m->at - prev));
        if (longest_gap >= 1200ms) ++after;
        prev = m->at;
    }
    INFO("ready: " << ready->text);
    INFO("longest gap between pings: " << longest_gap.count() << " ms");
    CHECK(longest_gap >= 1200ms);  // a stalled loop does not ping
    CHECK(after >= 2);              // and pings again once it runs
    CHECK(d->get("/healthz").status == 200);

    // SIGHUP without a change: RELOADING=1, then READY=1 again.
    ::kill(d->proc().pid(), SIGHUP);
    auto reloading = sd.wait_for("RELOADING=1", 3000ms);
    REQUIRE(reloading);
    CHECK(reloading->text.find("MONOTONIC_USEC=") != std::string::npos);
    CHECK(sd.wait_for("READY=1", 3000ms));

    // SIGTERM: STOPPING=1 and a clean exit.
    ::kill(d->proc().pid(), SIGTERM);
    CHECK(sd.wait_for("STOPPING=1", 3000ms));
    CHECK(time_exit(d->proc(), 5000ms));
}

TEST_CASE("a NOTIFY_SOCKET that does not exist: one log line, the daemon runs on") {
    std::optional<daemon_fixture> d;
    {
        scoped_env env({{"NOTIFY_SOCKET", "/tmp/traded-no-such-dir/notify"}, {"WATCHDOG_USEC", "200000"}});
        d.emplace();
    }
    std::this_thread::sleep_for(800ms);  // several pings' worth
    CHECK(d->get("/healthz").status == 200);
    CHECK(d->data("/api/v1/paper-trading/status").at("running") == true);
    const auto log = d->proc().log();
    CHECK(count(log, "send to NOTIFY_SOCKET") == 1);
    CHECK(d->stop() == 0);
}

TEST_CASE("SIGHUP: reloadable keys apply, restart-only keys are named, an invalid file changes nothing") {
    daemon_fixture d("paper_trading:\n  stake_usd: 200\n");
    const auto path = d.config_path();
    REQUIRE(read_file(path).find("stake_usd: 200") != std::string::npos);
    CHECK(d.data("/api/v1/paper-trading/safety-status").at("stake_usd") == 200);

    // A stray HUP no longer kills it, and a valid file applies.
    write_file(path, d.base_yaml() + "paper_trading:\n  stake_usd: 150\n  leverage: 7\nlog:\n  level: debug\n");
    ::kill(d.proc().pid(), SIGHUP);
    CHECK(eventually([&] { return d.data("/api/v1/paper-trading/safety-status").at("stake_usd") == 150; }, 5000ms));
    CHECK(d.proc().running());
    CHECK(eventually([&] { return d.proc().log().find("needing a restart") != std::string::npos; }, 3000ms));
    const auto log = d.proc().log();
    CHECK(log.find("reload: applied") != std::string::npos);
    CHECK(log.find("paper_trading.stake_usd") != std::string::npos);
    CHECK(log.find("paper_trading.leverage") != std::string::npos);  // named as needing a restart
    // The effective config shows what is in force: the new stake, the old leverage.
    auto c = d.data("/api/v1/config");
    CHECK(c.at("paper_trading").at("stake_usd") == 150);
    CHECK(c.at("paper_trading").at("leverage") == 3);
    CHECK(c.at("log").at("level") == "debug");

    // An invalid file: logged, nothing changes, the daemon keeps trading.
    write_file(path, d.base_yaml() + "paper_trading:\n  stake_usd: abc\n");
    ::kill(d.proc().pid(), SIGHUP);
    CHECK(eventually([&] { return d.proc().log().find("reload refused") != std::string::npos; }, 5000ms));
    CHECK(d.proc().log().find("paper_trading.stake_usd: expected a positive number") != std::string::npos);
    CHECK(d.data("/api/v1/paper-trading/safety-status").at("stake_usd") == 150);
    CHECK(d.data("/api/v1/paper-trading/status").at("running") == true);

    // A missing file: the same.
    ::unlink(path.c_str());
    ::kill(d.proc().pid(), SIGHUP);
    CHECK(eventually([&] { return count(d.proc().log(), "reload refused") == 2; }, 5000ms));
    CHECK(d.get("/healthz").status == 200);
}

TEST_CASE("SIGTERM and SIGINT stop gracefully within 5 s, with clients connected") {
    for (int sig : {SIGTERM, SIGINT}) {
        daemon_fixture d;
        ws_client ws;
        REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
        ws.send(R"({"op":"subscribe","id":1,"channels":["positions","market"],"modes":["paper-trading"]})");
        CHECK(ws.receive(3000ms));
        ::kill(d.proc().pid(), sig);
        auto took = time_exit(d.proc(), 5000ms);
        REQUIRE(took);
        INFO("signal " << sig << " exit took " << took->count() << " ms");
        CHECK(*took < 5000ms);
        const auto log = d.proc().log();
        CHECK(log.find("shutting down") != std::string::npos);
        CHECK(log.find("] stopped") != std::string::npos);
        // Everything was committed: a restart on the same data dir comes back as it was.
        d.restart();
        CHECK(d.data("/api/v1/paper-trading/status").at("running") == true);
    }
}

TEST_CASE("/readyz: ready with no auth; not ready while real trading cannot reconcile") {
    daemon_fixture d;
    auto r = http("GET", d.port(), "/readyz");
    CHECK(r.status == 200);
    CHECK(r.json().at("ready") == true);
    CHECK(r.json().at("reasons").as_array().empty());

    // Real trading enabled against an exchange that is not there: reconciliation cannot finish.
    const auto dead = free_port();
    const auto url = "127.0.0.1:" + std::to_string(dead);
    daemon_fixture real("real_trading:\n  enabled: true\nexchange:\n  rest_url: http://" + url +
                        "\n  ws_public_url: ws://" + url + "/public\n  ws_market_url: ws://" + url +
                        "/market\n  ws_private_url: ws://" + url + "/private\n");
    auto nr = http("GET", real.port(), "/readyz");
    CHECK(nr.status == 503);
    const auto body = nr.json();
    INFO(nr.body);
    REQUIRE(body.is_object());
    CHECK(body.at("ready") == false);
    bool reconciling = false;
    for (const auto& reason : body.at("reasons").as_array()) reconciling |= reason == "RECONCILING";
    CHECK(reconciling);
    // Readiness says nothing else (no auth, no details).
    CHECK(body.as_object().size() == 2);
}

TEST_CASE("server.read_token: reads everything, controls nothing") {
    const std::string reader = "read-only-token-0123456789abcdef0123";
    // Indented: continues the fixture's own server block.
    daemon_fixture d("  read_token: " + reader + "\n");
    auto get = [&](const std::string& target) { return http("GET", d.port(), target, "", reader); };
    CHECK(get("/api/v1/paper-trading/status").status == 200);
    CHECK(get("/api/v1/paper-trading/positions").status == 200);
    CHECK(get("/api/v1/config").status == 200);
    auto m = get("/metrics");
    CHECK(m.status == 200);
    CHECK(m.body.find("traded_build_info") != std::string::npos);

    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"POST", "/api/v1/paper-trading/stop", ""},
             {"POST", "/api/v1/paper-trading/emergency-stop", ""},
             {"PUT", "/api/v1/paper-trading/safety-limits", R"({"stake_usd": 10})"},
             {"POST", "/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG"})"}}) {
        auto r = http(method, d.port(), target, body, reader);
        INFO(method << " " << target << " -> " << r.body);
        CHECK(r.status == 403);
        CHECK(r.json().at("error").at("code") == "READ_ONLY_TOKEN");
    }
    CHECK(d.data("/api/v1/paper-trading/status").at("running") == true);
    CHECK(d.data("/api/v1/paper-trading/safety-status").at("stake_usd") == 200);
    CHECK(http("GET", d.port(), "/api/v1/paper-trading/status", "", "wrong-token").status == 401);

    // WebSocket: subscriptions and queries yes, control no.
    ws_client ws;
    REQUIRE(ws.connect(d.port(), "/api/v1/ws").empty());
    ws.send(R"({"op":"auth","id":1,"token":")" + reader + R"("})");
    auto a = ws.receive_json();
    REQUIRE(a);
    CHECK(a->at("success") == true);
    ws.send(R"({"op":"subscribe","id":2,"channels":["positions"],"modes":["paper-trading"]})");
    bool subscribed = false;
    bool refused = false;
    ws.send(R"({"op":"stop","id":3,"mode":"paper-trading"})");
    for (int i = 0; i < 20 && !(subscribed && refused); ++i) {
        auto msg = ws.receive_json(3000ms);
        if (!msg) break;
        const auto& o = msg->as_object();
        if (!o.contains("id")) continue;
        if (o.at("id") == 2) subscribed = o.at("success") == true;
        if (o.at("id") == 3) refused = o.at("success") == false && o.at("error").at("code") == "READ_ONLY_TOKEN";
    }
    CHECK(subscribed);
    CHECK(refused);
    CHECK(d.data("/api/v1/paper-trading/status").at("running") == true);
}

TEST_CASE("GET /api/v1/config and --show-config: the effective configuration, secrets redacted") {
    daemon_fixture d("notifications:\n  targets:\n    - type: webhook\n      url: http://127.0.0.1:9/hook/secret-path\n"
                     "      headers: {Authorization: Bearer secret-header-value}\n");
    auto r = d.get("/api/v1/config");
    REQUIRE(r.status == 200);
    CHECK(r.body.find(d.token()) == std::string::npos);
    CHECK(r.body.find("secret-path") == std::string::npos);
    CHECK(r.body.find("secret-header-value") == std::string::npos);
    auto c = r.json().at("data");
    CHECK(c.at("server").at("api_token") == "<redacted>");
    CHECK(c.at("server").at("port") == d.port());
    CHECK(c.at("storage").at("data_dir").as_string() == d.data_dir().c_str());
    CHECK(http("GET", d.port(), "/api/v1/config").status == 401);

    // The same from the command line, with the --config file and overrides.
    const auto out_file = d.data_dir() + "/../show.txt";
    process p = process::spawn({TRADED_BIN, "--show-config", "--config", d.config_path(), "--port", "9999"}, out_file);
    REQUIRE(time_exit(p, 5000ms));
    const auto text = read_file(out_file);
    CHECK(text.find("port: 9999") != std::string::npos);
    CHECK(text.find("api_token: <redacted>") != std::string::npos);
    CHECK(text.find(d.token()) == std::string::npos);
    CHECK(text.find("secret-header-value") == std::string::npos);
}

TEST_CASE("under journald: priority prefixes, the generated token never logged; `traded token` prints it") {
    const auto root = make_temp_dir("traded-journal");
    const auto data = root + "/data";
    const auto log_file = root + "/traded.log";
    const auto port = free_port();
    write_file(log_file, "");
    struct stat st {};
    REQUIRE(::stat(log_file.c_str(), &st) == 0);
    // The log file plays the journal: $JOURNAL_STREAM names the file stderr is open on.
    process p;
    {
        scoped_env env({{"JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)}});
        p = process::spawn({TRADED_BIN, "--data-dir", data, "--port", std::to_string(port)}, log_file);
    }
    REQUIRE(eventually([&] { return http("GET", port, "/healthz").status == 200; }, 20000ms));
    const auto token = read_file(data + "/api_token").substr(0, 64);
    REQUIRE(token.size() == 64);
    CHECK(http("GET", port, "/api/v1/paper-trading/status", "", token).status == 200);
    // A warning-level line to check its priority: a refused reload has none to re-read.
    ::kill(p.pid(), SIGHUP);
    REQUIRE(eventually([&] { return read_file(log_file).find("no file to re-read") != std::string::npos; }, 5000ms));
    const auto log = read_file(log_file);
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find("api_token") != std::string::npos);  // where to find it instead
    CHECK(log.find("<6>") != std::string::npos);
    CHECK(log.find("<4>") != std::string::npos);
    std::size_t lines = 0;
    std::size_t prefixed = 0;
    for (std::size_t at = 0; at < log.size();) {
        auto end = log.find('\n', at);
        if (end == std::string::npos) end = log.size();
        if (end > at) {
            ++lines;
            prefixed += log.compare(at, 1, "<") == 0 ? 1 : 0;
        }
        at = end + 1;
    }
    CHECK(lines > 3);
    CHECK(prefixed == lines);

    // `traded token` prints the URL with the token (as the daemon's user, from the data dir).
    const auto out = root + "/token.txt";
    process t = process::spawn({TRADED_BIN, "token", "--data-dir", data, "--port", std::to_string(port)}, out);
    REQUIRE(time_exit(t, 5000ms));
    CHECK(read_file(out) == "http://127.0.0.1:" + std::to_string(port) + "/#access_token=" + token + "\n");
    CHECK(p.stop() == 0);

    // Without journald the first start logs the URL (the old behaviour, for a terminal).
    remove_tree(data);
    const auto log2 = root + "/terminal.log";
    process q = process::spawn({TRADED_BIN, "--data-dir", data, "--port", std::to_string(port)}, log2);
    REQUIRE(eventually([&] { return http("GET", port, "/healthz").status == 200; }, 20000ms));
    CHECK(read_file(log2).find("#access_token=" + read_file(data + "/api_token").substr(0, 64)) != std::string::npos);
    CHECK(read_file(log2).find("<6>") == std::string::npos);
    CHECK(q.stop() == 0);
    remove_tree(root);
}

TEST_CASE("systemd credentials: the API token from $CREDENTIALS_DIRECTORY/api_token") {
    const auto root = make_temp_dir("traded-creds");
    const auto creds = root + "/credentials";
    ::mkdir(creds.c_str(), 0700);
    write_file(creds + "/api_token", "token-from-credentials-0123456789\n");
    ::chmod((creds + "/api_token").c_str(), 0400);
    const auto port = free_port();
    process p;
    {
        scoped_env env({{"CREDENTIALS_DIRECTORY", creds}});
        p = process::spawn({TRADED_BIN, "--data-dir", root + "/data", "--port", std::to_string(port)}, root + "/traded.log");
    }
    REQUIRE(eventually([&] { return http("GET", port, "/healthz").status == 200; }, 20000ms));
    CHECK(http("GET", port, "/api/v1/paper-trading/status", "", "token-from-credentials-0123456789").status == 200);
    // No token generated into the data dir, none logged.
    CHECK(::access((root + "/data/api_token").c_str(), F_OK) != 0);
    CHECK(read_file(root + "/traded.log").find("token-from-credentials") == std::string::npos);
    CHECK(p.stop() == 0);
    remove_tree(root);
}

TEST_CASE("--check-config takes the file after it or from --config (as ExecStartPre uses it)") {
    const auto root = make_temp_dir("traded-check");
    write_file(root + "/good.yaml", "paper_trading:\n  stake_usd: 100\n");
    write_file(root + "/bad.yaml", "paper_trading:\n  stake_usd: -1\n");
    auto run = [&](const std::vector<std::string>& args) {
        std::string cmd = TRADED_BIN;
        for (const auto& a : args) cmd += " '" + a + "'";
        const int status = std::system((cmd + " >" + root + "/out.txt 2>&1").c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    CHECK(run({"--check-config", root + "/good.yaml"}) == 0);
    CHECK(run({"--check-config", "--config", root + "/good.yaml"}) == 0);
    CHECK(run({"--config", root + "/bad.yaml", "--check-config"}) == 1);
    CHECK(read_file(root + "/out.txt").find("paper_trading.stake_usd") != std::string::npos);
    remove_tree(root);
}

TEST_CASE("traded backup: a consistent copy of the store while the daemon trades; it restores") {
    daemon_fixture d;
    auto opened = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"paper-trading"})");
    REQUIRE(opened.status == 200);
    REQUIRE(eventually([&] { return !d.data("/api/v1/paper-trading/positions").as_array().empty(); }, 5000ms));
    const auto positions = d.data("/api/v1/paper-trading/positions").as_array();

    const auto copy = d.data_dir() + "/../backup.db";
    const int rc = std::system((std::string(TRADED_BIN) + " backup --data-dir " + d.data_dir() + " " + copy + " >" +
                                d.data_dir() + "/../backup.out 2>&1")
                                   .c_str());
    INFO(read_file(d.data_dir() + "/../backup.out"));
    REQUIRE(WIFEXITED(rc));
    CHECK(WEXITSTATUS(rc) == 0);
    CHECK(read_file(d.data_dir() + "/../backup.out").find("integrity ok") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat(copy.c_str(), &st) == 0);
    CHECK((st.st_mode & 0077) == 0);
    CHECK(d.get("/healthz").status == 200);  // the daemon never noticed

    // An existing destination is refused, nothing overwritten.
    const int again = std::system((std::string(TRADED_BIN) + " backup --data-dir " + d.data_dir() + " " + copy +
                                   " >/dev/null 2>&1").c_str());
    CHECK(WEXITSTATUS(again) == 1);

    // The copy is a complete store: a daemon started on it has the same position.
    const auto restored_dir = d.data_dir() + "/../restored";
    ::mkdir(restored_dir.c_str(), 0700);
    REQUIRE(std::rename(copy.c_str(), (restored_dir + "/traded.db").c_str()) == 0);
    daemon_fixture r("", restored_dir);
    auto back = r.data("/api/v1/paper-trading/positions").as_array();
    REQUIRE(!back.empty());
    CHECK(back.front().at("position_id") == positions.front().at("position_id"));
}

TEST_CASE("log.format json: trading lines carry mode, position_id, symbol and client_order_id as keys") {
    daemon_fixture d("log:\n  format: json\n");
    auto opened = d.post("/api/v1/opportunities", R"({"symbol":"ETHUSDT","side":"SHORT","mode":"paper-trading"})");
    REQUIRE(opened.status == 200);
    REQUIRE(eventually([&] { return d.proc().log().find("\"client_order_id\":") != std::string::npos; }, 5000ms));
    const auto log = d.proc().log();
    bool entry = false;
    for (std::size_t at = 0; at < log.size();) {
        auto end = log.find('\n', at);
        if (end == std::string::npos) end = log.size();
        const auto line = log.substr(at, end - at);
        at = end + 1;
        if (line.find("\"client_order_id\":") == std::string::npos) continue;
        auto v = boost::json::parse(line).as_object();
        CHECK(v.at("mode") == "paper-trading");
        CHECK(v.at("level") == "info");  // paper at INFO (real money at WARN)
        CHECK(v.at("symbol") == "ETHUSDT");
        CHECK(v.at("position_id").as_string().size() > 0);
        CHECK(v.at("client_order_id").as_string().starts_with(v.at("position_id").as_string()));
        entry = true;
    }
    CHECK(entry);
}
