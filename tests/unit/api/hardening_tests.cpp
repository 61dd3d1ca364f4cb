// Issue 10: the server's pre-auth defences, each tried the way an attacker on the same host
// would (127.0.0.1 only). Every test here failed on the server before these defences existed.

#include "api/guard.hpp"
#include "server_test_util.hpp"

#include <fmt/format.h>

namespace {

/// A raw TCP client with a deadline on every operation: what a hostile client sends is not
/// always HTTP a Beast client would write.
struct raw_client {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;

    explicit raw_client(std::uint16_t port) { stream.connect(local(port)); }

    /// Writes `text`; a server that already answered and closed may refuse the rest.
    void write(const std::string& text) {
        stream.expires_after(std::chrono::seconds(5));
        beast::error_code ec;
        net::write(stream, net::buffer(text), ec);
    }
    /// Reads one response within the deadline; status 0 when none arrived.
    response read(std::chrono::milliseconds within = std::chrono::seconds(5)) {
        stream.expires_after(within);
        response r;
        beast::error_code ec;
        http::read(stream, buffer, r, ec);
        if (ec) return response{};
        return r;
    }
    /// True when the server closed the connection within `within`.
    bool closed_within(std::chrono::milliseconds within) {
        stream.expires_after(within);
        char c;
        beast::error_code ec;
        stream.read_some(net::buffer(&c, 1), ec);
        return ec && ec != beast::error::timeout;
    }
};

std::string chunked_head(std::uint16_t port) {
    return "POST /api/v1/paper-trading/start HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
}

std::size_t refused_count(running_server& s, const std::string& reason) {
    std::size_t n = 0;
    s.run_on([&] {
        auto st = s.srv->stats();
        auto it = st.refused.find(reason);
        n = it == st.refused.end() ? 0 : it->second;
    });
    return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bounded reads (finding 1)
// ---------------------------------------------------------------------------------------------

TEST_CASE("hardening: chunk extensions and trailers are bounded: 413, no token needed to get it", "[server][hardening]") {
    watchdog w(std::chrono::seconds(30));
    running_server s;
    {  // one chunk-size line with an endless extension (the 300 MiB attack, cut short)
        raw_client c(s.port());
        c.write(chunked_head(s.port()) + "1;");
        c.write(std::string(256 * 1024, 'a'));
        auto r = c.read();
        CHECK(r.result_int() == 413);
    }
    {  // many small extensions, each harmless alone
        raw_client c(s.port());
        std::string body;
        for (int i = 0; i < 40; ++i) body += "1;ext=" + std::string(100, 'b') + "\r\nx\r\n";
        c.write(chunked_head(s.port()) + body);
        CHECK(c.read().result_int() == 413);
    }
    {  // many one-byte chunks
        raw_client c(s.port());
        std::string body;
        for (int i = 0; i < 2000; ++i) body += "1\r\nx\r\n";
        c.write(chunked_head(s.port()) + body);
        CHECK(c.read().result_int() == 413);
    }
    {  // endless trailers after the last chunk
        raw_client c(s.port());
        c.write(chunked_head(s.port()) + "0\r\nX-Trailer: ");
        c.write(std::string(256 * 1024, 't'));
        CHECK(c.read().result_int() == 413);
    }
    {  // an ordinary chunked body still works
        raw_client c(s.port());
        std::string json = R"({"clear_emergency":false})";
        c.write("POST /api/v1/paper-trading/start HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                std::string(token) + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", json.size(), json));
        CHECK(c.read().result_int() == 200);
    }
    {  // and so does a body close to the limit sent with Content-Length
        http_client c(s.port());
        auto r = c.request(http::verb::put, "/api/v1/paper-trading/safety-limits", token,
                           R"({"stake_usd":1,"pad":")" + std::string(60 * 1024, 'x') + "\"}");
        CHECK(r.result_int() == 400);  // read whole, refused by the router for the unknown field
        CHECK(body_json(r).at("error").at("message") == "pad: unknown field");
    }
    CHECK(refused_count(s, "payload_too_large") == 4);
}

// ---------------------------------------------------------------------------------------------
// Host allow-list and Origin (finding 4)
// ---------------------------------------------------------------------------------------------

TEST_CASE("hardening: a Host that is not a loopback name or a configured one gets 421", "[server][hardening]") {
    watchdog w(std::chrono::seconds(20));
    auto o = test_options();
    o.hostnames = {"ops.example.com"};
    running_server s(o);
    auto with_host = [&](const std::string& host, const char* target = "/api/v1/paper-trading/status") {
        http_client c(s.port());
        http::request<http::string_body> req{http::verb::get, target, 11};
        req.set(http::field::authorization, std::string("Bearer ") + token);
        req.set(http::field::host, host);
        return c.send(std::move(req));
    };
    auto r = with_host("rebind.evil.example:" + std::to_string(s.port()));
    CHECK(r.result_int() == 421);
    CHECK(body_json(r).at("error").at("code") == "MISDIRECTED_REQUEST");
    CHECK(with_host("rebind.evil.example", "/").result_int() == 421);  // the dashboard too
    CHECK(with_host("127.0.0.1:" + std::to_string(s.port())).result_int() == 200);
    CHECK(with_host("localhost:" + std::to_string(s.port())).result_int() == 200);
    CHECK(with_host("LOCALHOST").result_int() == 200);
    CHECK(with_host("[::1]:" + std::to_string(s.port())).result_int() == 200);
    CHECK(with_host("ops.example.com:443").result_int() == 200);
    CHECK(with_host("ops.example.com.evil.example").result_int() == 421);
    raw_client no_host(s.port());
    no_host.write("GET /healthz HTTP/1.1\r\n\r\n");
    CHECK(no_host.read().result_int() == 421);
    CHECK(refused_count(s, "host") == 4);
}

TEST_CASE("hardening: a rebound page cannot open the WebSocket", "[server][hardening][ws]") {
    watchdog w(std::chrono::seconds(20));
    running_server s;
    const auto port = s.port();
    auto upgrade = [&](const std::string& host, const std::string& origin) {
        ws_client c;
        c.connect(port);
        c.ws.set_option(websocket::stream_base::decorator([origin](websocket::request_type& req) {
            req.set(http::field::origin, origin);
        }));
        websocket::response_type res;
        beast::error_code ec;
        c.ws.handshake(res, host, "/api/v1/ws", ec);
        return res.result_int();
    };
    const std::string evil = "rebind.evil.example:" + std::to_string(port);
    CHECK(upgrade(evil, "http://" + evil) == 421);  // the same-origin trick of the old check
    CHECK(upgrade("127.0.0.1:" + std::to_string(port), "http://" + evil) == 403);
    CHECK(upgrade("localhost:" + std::to_string(port), "http://localhost:" + std::to_string(port)) == 101);
}

TEST_CASE("hardening: every answer carries a Content-Security-Policy", "[server][hardening]") {
    watchdog w(std::chrono::seconds(20));
    running_server s;
    http_client c(s.port());
    auto page = c.request(http::verb::get, "/", nullptr);
    REQUIRE(page.result_int() == 200);
    std::string csp(page["Content-Security-Policy"]);
    INFO(csp);
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("connect-src 'self' ws://127.0.0.1:" + std::to_string(s.port())) != std::string::npos);
    CHECK(!c.request(http::verb::get, "/api/v1/paper-trading/status")["Content-Security-Policy"].empty());
}

// ---------------------------------------------------------------------------------------------
// Failed-auth throttling (finding 6)
// ---------------------------------------------------------------------------------------------

TEST_CASE("hardening: wrong tokens are throttled per peer, then the peer recovers", "[server][hardening]") {
    watchdog w(std::chrono::seconds(20));
    auto o = test_options();
    o.auth_fail_burst = 5;
    o.auth_fail_per_second = 4;
    running_server s(o);
    http_client c(s.port());
    int unauthorized = 0;
    for (int i = 0; i < 5; ++i)
        unauthorized += c.request(http::verb::get, "/api/v1/paper-trading/status", "wrong-guess").result_int() == 401;
    CHECK(unauthorized == 5);
    auto r = c.request(http::verb::get, "/api/v1/paper-trading/status", "wrong-guess");
    CHECK(r.result_int() == 429);
    CHECK(body_json(r).at("error").at("code") == "TOO_MANY_AUTH_FAILURES");
    CHECK(r[http::field::retry_after] == "1");
    // While throttled even the right token is not checked: guessing learns nothing.
    CHECK(c.request(http::verb::get, "/api/v1/paper-trading/status").result_int() == 429);
    // The WebSocket auth op shares the budget.
    {
        ws_client ws;
        ws.connect(s.port());
        REQUIRE(ws.handshake(s.port(), "/api/v1/ws") == 101);
        ws.send(std::string(R"({"op":"auth","id":1,"token":")") + token + "\"}");
        CHECK(ws.read().at("error").at("code") == "TOO_MANY_AUTH_FAILURES");
    }
    // No token at all is not a guess: healthz and the dashboard are unaffected.
    CHECK(c.request(http::verb::get, "/healthz", nullptr).result_int() == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    CHECK(c.request(http::verb::get, "/api/v1/paper-trading/status").result_int() == 200);
    CHECK(refused_count(s, "auth_throttled") == 3);
    CHECK(refused_count(s, "unauthorized") == 5);
}

// ---------------------------------------------------------------------------------------------
// Pre-auth WebSocket (findings 2 and 3)
// ---------------------------------------------------------------------------------------------

TEST_CASE("hardening: before auth a WebSocket gets one answer to anything but auth, then 1008", "[server][hardening][ws]") {
    watchdog w(std::chrono::seconds(20));
    running_server s;
    {
        ws_client c;
        c.connect(s.port());
        REQUIRE(c.handshake(s.port(), "/api/v1/ws") == 101);
        c.send(R"({"op":"status","id":1,"mode":"real-trading"})");
        CHECK(c.read().at("error").at("code") == "UNAUTHORIZED");
        CHECK(c.read_until_close() == 1008);
    }
    {  // garbage is not answered at length either
        ws_client c;
        c.connect(s.port());
        REQUIRE(c.handshake(s.port(), "/api/v1/ws") == 101);
        c.send("{\"" + std::string(500, 'k') + "\":1}");
        auto a = c.read();
        CHECK(a.at("error").at("code") == "UNAUTHORIZED");
        CHECK(c.read_until_close() == 1008);
    }
    {  // a message bigger than an auth op can be is refused by size: 1009
        ws_client c;
        c.connect(s.port());
        REQUIRE(c.handshake(s.port(), "/api/v1/ws") == 101);
        beast::error_code ec;
        c.ws.write(net::buffer(R"({"op":"auth","token":")" + std::string(4096, 'x') + "\"}"), ec);
        // 1009, or the connection cut while we were still writing: never an answer.
        auto code = c.read_until_close();
        CHECK((code == 1009 || code == 0));
    }
    {  // after auth the full size applies
        ws_client c;
        c.open(s.port());
        c.send(R"({"op":"status","id":"pad)" + std::string(50, 'p') + R"(","mode":"real-trading"})");
        CHECK(c.read().at("success") == true);
    }
    CHECK(refused_count(s, "ws_pre_auth") == 2);
}

// ---------------------------------------------------------------------------------------------
// Connection budgets and deadlines (finding 5)
// ---------------------------------------------------------------------------------------------

TEST_CASE("hardening: silent connections cannot keep a client with the token out", "[server][hardening]") {
    watchdog w(std::chrono::seconds(20));
    auto o = test_options();
    o.max_connections = 4;  // two for unauthenticated connections
    running_server s(o);
    std::vector<std::unique_ptr<raw_client>> silent;
    for (int i = 0; i < 6; ++i) silent.push_back(std::make_unique<raw_client>(s.port()));
    // Every new connection evicted the oldest silent one; the operator's client still gets in.
    http_client op(s.port());
    CHECK(op.request(http::verb::get, "/api/v1/paper-trading/status").result_int() == 200);
    CHECK(silent.front()->closed_within(std::chrono::seconds(2)));
    // Once it has shown the token its connection is no longer evictable.
    std::vector<std::unique_ptr<raw_client>> more;
    for (int i = 0; i < 6; ++i) more.push_back(std::make_unique<raw_client>(s.port()));
    CHECK(op.request(http::verb::get, "/api/v1/paper-trading/status").result_int() == 200);
    // The kernel completes a connect before the server accepts it: wait for the server's view.
    for (int i = 0; i < 200 && refused_count(s, "evicted") < 10; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(refused_count(s, "evicted") >= 10);
    std::size_t unauth = 0;
    s.run_on([&] { unauth = s.srv->stats().unauthenticated; });
    CHECK(unauth <= 2);
}

TEST_CASE("hardening: the first request's headers have a deadline of their own", "[server][hardening]") {
    watchdog w(std::chrono::seconds(20));
    auto o = test_options();
    o.limits.header_timeout = std::chrono::milliseconds(300);
    running_server s(o);
    raw_client slow(s.port());
    slow.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // and never the blank line
    CHECK(slow.closed_within(std::chrono::seconds(3)));
    raw_client silent(s.port());
    CHECK(silent.closed_within(std::chrono::seconds(3)));
    CHECK(refused_count(s, "timeout") == 2);
}

// ---------------------------------------------------------------------------------------------
// The pure guards
// ---------------------------------------------------------------------------------------------

TEST_CASE("guard: host names", "[guard]") {
    CHECK(host_name("127.0.0.1:8000") == "127.0.0.1");
    CHECK(host_name("[::1]:8000") == "::1");
    CHECK(host_name("Ops.Example.COM.") == "ops.example.com");
    CHECK(host_name("a:b").empty());
    CHECK(host_name("a:8000x").empty());
    CHECK(host_name("evil.example/x").empty());
    CHECK(host_name("user@evil.example").empty());
    CHECK(host_name("").empty());
    CHECK(is_loopback_host("127.3.4.5"));
    CHECK(is_loopback_host("app.localhost"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
    CHECK_FALSE(is_loopback_host("1270.0.0.1"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
    CHECK_FALSE(is_loopback_host("localhost.evil.example"));
    CHECK(host_allowed("box.lan:8000", {"box.lan"}));
    CHECK_FALSE(host_allowed("box.lan:8000", {}));
    CHECK(origin_allowed("http://localhost:8000", "localhost:8000", false, {}, {}));
    CHECK_FALSE(origin_allowed("http://evil.example:8000", "evil.example:8000", false, {}, {}));
    CHECK(origin_allowed("https://ops.example.com", "localhost", false, {"https://ops.example.com"}, {}));
}

TEST_CASE("guard: the failed-auth throttle refills and stays bounded", "[guard]") {
    auth_throttle t(3, 1, 2);
    auto t0 = auth_throttle::clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 3; ++i) {
        CHECK(t.allowed("a", t0));
        t.failed("a", t0);
    }
    CHECK_FALSE(t.allowed("a", t0));
    CHECK(t.allowed("b", t0));  // per peer
    CHECK(t.allowed("a", t0 + std::chrono::milliseconds(1000)));
    CHECK(t.allowed("a", t0 + std::chrono::seconds(10)));
    t.failed("b", t0);
    t.failed("c", t0);
    t.failed("d", t0);
    CHECK(t.peers() <= 2);
}

TEST_CASE("guard: refusal log lines are rate-limited per reason, all counted", "[guard]") {
    refusal_log l(std::chrono::seconds(10));
    auto t0 = refusal_log::clock::time_point{} + std::chrono::hours(1);
    CHECK(l.note("host", t0) == 0);
    CHECK(l.note("host", t0 + std::chrono::seconds(1)) == -1);
    CHECK(l.note("host", t0 + std::chrono::seconds(2)) == -1);
    CHECK(l.note("origin", t0 + std::chrono::seconds(2)) == 0);
    CHECK(l.note("host", t0 + std::chrono::seconds(11)) == 2);
    CHECK(l.totals().at("host") == 4);
}
