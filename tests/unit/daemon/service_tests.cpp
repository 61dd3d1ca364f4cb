// The pure parts of running as a service (SPEC §9): $NOTIFY_SOCKET and $WATCHDOG_USEC parsing,
// the reload plan (what a SIGHUP applies and what needs a restart), journald log lines and the
// redacted configuration view.

#include "daemon/config_view.hpp"
#include "daemon/service/reload_plan.hpp"
#include "daemon/service/sd_notify.hpp"
#include "log/log.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace svc = traded::daemon::service;
namespace cfg = traded::config;
namespace tlog = traded::log;
using traded::decimal;

TEST_CASE("NOTIFY_SOCKET: unset, path, abstract, and values that cannot be an address") {
    CHECK(std::holds_alternative<std::monostate>(svc::parse_notify_socket(nullptr)));
    CHECK(std::holds_alternative<std::monostate>(svc::parse_notify_socket("")));

    auto path = svc::parse_notify_socket("/run/systemd/notify");
    REQUIRE(std::holds_alternative<svc::notify_address>(path));
    const auto& p = std::get<svc::notify_address>(path);
    CHECK(std::string(p.addr.sun_path) == "/run/systemd/notify");
    CHECK(p.len == offsetof(sockaddr_un, sun_path) + std::strlen("/run/systemd/notify") + 1);

    auto abstract = svc::parse_notify_socket("@traded/test");
    REQUIRE(std::holds_alternative<svc::notify_address>(abstract));
    const auto& a = std::get<svc::notify_address>(abstract);
    CHECK(a.addr.sun_path[0] == '\0');
    CHECK(std::string(a.addr.sun_path + 1, 11) == "traded/test");
    CHECK(a.len == offsetof(sockaddr_un, sun_path) + 12);  // no terminating NUL for abstract names

    auto relative = svc::parse_notify_socket("run/notify");
    REQUIRE(std::holds_alternative<std::string>(relative));
    CHECK(std::get<std::string>(relative).find("absolute path") != std::string::npos);
    auto too_long = svc::parse_notify_socket(("/" + std::string(200, 'x')).c_str());
    CHECK(std::holds_alternative<std::string>(too_long));
}

TEST_CASE("watchdog: half of WATCHDOG_USEC, only for the process WATCHDOG_PID names") {
    using us = std::chrono::microseconds;
    CHECK_FALSE(svc::watchdog_interval(nullptr, nullptr, 10));
    CHECK(svc::watchdog_interval("30000000", nullptr, 10) == us(15'000'000));
    CHECK(svc::watchdog_interval("30000000", "10", 10) == us(15'000'000));
    CHECK_FALSE(svc::watchdog_interval("30000000", "11", 10));
    CHECK_FALSE(svc::watchdog_interval("abc", nullptr, 10));
    CHECK_FALSE(svc::watchdog_interval("0", nullptr, 10));
    CHECK_FALSE(svc::watchdog_interval("-5", nullptr, 10));
}

TEST_CASE("STATUS= lines never break into a second assignment") {
    CHECK(svc::status_line("paper running\nREADY=1") == "paper running READY=1");
}

TEST_CASE("notify_socket: sends a datagram to a real socket; a missing socket is an error, not a crash") {
    char dir_tpl[] = "/tmp/traded-sdnotify-XXXXXX";
    REQUIRE(::mkdtemp(dir_tpl) != nullptr);
    const std::string path = std::string(dir_tpl) + "/notify";
    int rx = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);

    auto parsed = svc::parse_notify_socket(path.c_str());
    svc::notify_socket tx(std::get<svc::notify_address>(parsed));
    REQUIRE(tx.enabled());
    CHECK(tx.send("READY=1\nSTATUS=ok").empty());
    char buf[256];
    auto n = ::recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
    REQUIRE(n > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(n)) == "READY=1\nSTATUS=ok");

    ::close(rx);
    ::unlink(path.c_str());
    auto err = tx.send("WATCHDOG=1");
    CHECK(err.find("NOTIFY_SOCKET") != std::string::npos);
    ::rmdir(dir_tpl);

    svc::notify_socket off(std::nullopt);
    CHECK_FALSE(off.enabled());
    CHECK(off.send("READY=1").empty());
}

TEST_CASE("reload plan: reloadable keys apply, the others are named as needing a restart") {
    cfg::config running;
    cfg::config next = running;
    CHECK_FALSE(svc::plan_reload(running, next).changed());

    next.log.level = "debug";
    next.opportunities.threshold_bps = 12;
    next.paper_trading.stake_usd = decimal::from_int(150);
    next.real_trading.max_daily_loss = decimal::from_int(90);
    next.notifications.min_interval_ms = 5000;
    next.server.port = 9001;
    next.paper_trading.leverage = 5;
    next.real_trading.enabled = true;
    next.market.symbols = {"BTCUSDT"};
    next.server.api_token = "new-token-value";
    auto plan = svc::plan_reload(running, next);
    using Catch::Matchers::UnorderedEquals;
    CHECK_THAT(plan.apply, UnorderedEquals(std::vector<std::string>{
                               "log.level", "opportunities.params.threshold_bps", "paper_trading.stake_usd",
                               "real_trading.max_daily_loss", "notifications.min_interval_ms"}));
    CHECK_THAT(plan.restart, UnorderedEquals(std::vector<std::string>{"server.port", "paper_trading.leverage",
                                                                      "real_trading.enabled", "market.symbols",
                                                                      "server.api_token"}));
    // A key's name is what the log shows; never its value.
    for (const auto& k : plan.restart) CHECK(k.find("new-token-value") == std::string::npos);

    auto after = svc::reloaded(running, next);
    CHECK(after.log.level == "debug");
    CHECK(after.opportunities.threshold_bps == 12);
    CHECK(after.paper_trading.stake_usd == decimal::from_int(150));
    CHECK(after.real_trading.max_daily_loss == decimal::from_int(90));
    CHECK(after.notifications.min_interval_ms == 5000);
    // Restart-only keys keep their running values.
    CHECK(after.server.port == running.server.port);
    CHECK(after.paper_trading.leverage == running.paper_trading.leverage);
    CHECK(after.real_trading.enabled == running.real_trading.enabled);
    CHECK(after.market.symbols == running.market.symbols);
    CHECK(after.server.api_token.empty());
}

TEST_CASE("reload plan: a changed notification target list is reloadable and compares whole") {
    cfg::config running;
    cfg::config next = running;
    cfg::notification_target_config t;
    t.type = "webhook";
    t.url = "http://127.0.0.1:9/hook";
    next.notifications.targets.push_back(t);
    auto plan = svc::plan_reload(running, next);
    CHECK(plan.apply == std::vector<std::string>{"notifications.targets"});
    CHECK(plan.restart.empty());
}

TEST_CASE("log lines: journald priority prefixes, JSON structured fields") {
    const tlog::fields none{};
    CHECK(tlog::format_line(tlog::level::error, "daemon", "x", none, false, true, 0).substr(0, 3) == "<3>");
    CHECK(tlog::format_line(tlog::level::warn, "real", "x", none, false, true, 0).substr(0, 3) == "<4>");
    CHECK(tlog::format_line(tlog::level::info, "api", "x", none, false, true, 0).substr(0, 3) == "<6>");
    CHECK(tlog::format_line(tlog::level::debug, "api", "x", none, false, true, 0).substr(0, 3) == "<7>");
    CHECK(tlog::format_line(tlog::level::warn, "real", "x", none, false, false, 0).substr(0, 4) == "1970");
    // One entry per line: a message line break would split it (and lose the priority).
    auto two = tlog::format_line(tlog::level::warn, "real", "a\nb", none, false, true, 0);
    CHECK(two.find('\n') == two.size() - 1);

    const tlog::fields f{"real", "live_1_BTCUSDT", "BTCUSDT", "live_1_BTCUSDT-E"};
    auto line = tlog::format_line(tlog::level::warn, "real", "ENTRY filled", f, true, false, 1700000000000);
    auto v = boost::json::parse(line).as_object();
    CHECK(v.at("level") == "warn");
    CHECK(v.at("mode") == "real");
    CHECK(v.at("position_id") == "live_1_BTCUSDT");
    CHECK(v.at("symbol") == "BTCUSDT");
    CHECK(v.at("client_order_id") == "live_1_BTCUSDT-E");
    CHECK(v.at("msg") == "ENTRY filled");
    // Empty fields are left out, not written as "".
    auto plain = boost::json::parse(tlog::format_line(tlog::level::info, "api", "m", none, true, false, 0)).as_object();
    CHECK_FALSE(plain.contains("position_id"));
    // JSON under journald: prefix, then the JSON object.
    auto jj = tlog::format_line(tlog::level::warn, "real", "m", f, true, true, 0);
    CHECK(jj.substr(0, 4) == "<4>{");
}

TEST_CASE("JOURNAL_STREAM must name the file stderr is open on") {
    char tpl[] = "/tmp/traded-journal-XXXXXX";
    int fd = ::mkstemp(tpl);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    const auto match = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    CHECK(tlog::journal_stream_matches(match.c_str(), fd));
    CHECK_FALSE(tlog::journal_stream_matches((std::to_string(st.st_dev) + ":1").c_str(), fd));
    CHECK_FALSE(tlog::journal_stream_matches("garbage", fd));
    CHECK_FALSE(tlog::journal_stream_matches(nullptr, fd));
    ::close(fd);
    ::unlink(tpl);
}

TEST_CASE("config view: every secret redacted, the rest as in force") {
    cfg::config c;
    c.server.api_token = "full-secret-token";
    c.server.read_token = "read-secret-token";
    cfg::notification_target_config t;
    t.type = "webhook";
    t.url = "https://hooks.example/path/secret-hook-id?key=secret-query";
    t.headers["Authorization"] = "Bearer secret-header";
    c.notifications.targets.push_back(t);
    c.server.port = 8123;

    auto v = traded::daemon::config_json(c);
    const auto text = boost::json::serialize(v);
    for (const char* secret : {"full-secret-token", "read-secret-token", "secret-hook-id", "secret-query", "secret-header"})
        CHECK(text.find(secret) == std::string::npos);
    const auto& server = v.at("server").as_object();
    CHECK(server.at("api_token") == "<redacted>");
    CHECK(server.at("read_token") == "<redacted>");
    CHECK(server.at("port") == 8123);
    CHECK(v.at("paper_trading").at("stake_usd") == 200);
    CHECK(v.at("paper_trading").at("stop_loss_percent") == 0.5);
    CHECK(v.at("market").at("symbols").at(0) == "BTCUSDT");
    CHECK(v.at("real_trading").at("enabled") == false);

    cfg::config none;
    CHECK(traded::daemon::config_json(none).at("server").at("api_token") == "");

    const auto yaml = traded::daemon::config_yaml(c);
    for (const char* secret : {"full-secret-token", "read-secret-token", "secret-hook-id", "secret-header"})
        CHECK(yaml.find(secret) == std::string::npos);
    CHECK(yaml.find("<redacted>") != std::string::npos);
}
