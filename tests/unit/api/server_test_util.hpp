#pragma once
// Shared by the server test files: the real server on 127.0.0.1 (ephemeral port) with a fake
// backend and its io_context on a thread, synchronous Beast clients, and a watchdog that turns
// a hang into a failure. Everything is in an unnamed namespace: each test file has its own copy.

#include "api/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <unistd.h>

using namespace traded;
using namespace traded::api;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;
using engine::channel;
using engine::mode;

namespace {

constexpr const char* token = "test-token-123";

/// Aborts the test run if a test takes longer than it may (a blocking client never returns).
class watchdog {
public:
    explicit watchdog(std::chrono::seconds limit) {
        thread_ = std::thread([this, limit] {
            std::unique_lock lock(mutex_);
            if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
                std::fprintf(stderr, "watchdog: test exceeded %llds\n", static_cast<long long>(limit.count()));
                std::_Exit(3);
            }
        });
    }
    ~watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

/// Echoes what it was asked, so tests see exactly which command the server built.
struct fake_backend : backend {
    std::vector<command> seen;  // io thread only
    reply execute(const command& c) override {
        seen.push_back(c);
        if (c.name == op::close_position && std::get<close_params>(c.args).position_id == "missing")
            return reply::error(404, "POSITION_NOT_FOUND", "no such position");
        if (c.name == op::performance) throw std::runtime_error("backend bug");
        json::object o;
        o["op"] = to_string(c.name);
        if (c.mode) o["mode"] = engine::to_string(*c.mode);
        o["remote"] = c.from.remote;
        o["transport"] = c.from.transport;
        return reply::ok(o);
    }
    std::string snapshot(channel ch, mode m) override {
        return R"({"snapshot_of":")" + std::string(engine::to_string(ch)) + "/" + std::string(engine::to_string(m)) +
               R"("})";
    }
    std::string metrics_text() override { return "# TYPE fake_up gauge\nfake_up 1\n"; }
};

inline std::optional<asset> test_assets(std::string_view path) {
    if (path == "/" || path == "/paper-trading" || path == "/real-trading")
        return asset{"text/html; charset=utf-8", "<!doctype html><title>traded</title>"};
    if (path == "/assets/app.js") return asset{"text/javascript", "console.log('traded')"};
    return std::nullopt;
}

inline server_options test_options() {
    server_options o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.token = token;
    return o;
}

/// The server under test with its io_context on a thread.
struct running_server {
    fake_backend be;
    net::io_context ioc;
    std::optional<server> srv;
    std::thread thread;

    explicit running_server(server_options o = test_options()) {
        srv.emplace(ioc, std::move(o), be, test_assets);
        auto err = srv->start();
        if (err) FAIL("start: " << *err);
        thread = std::thread([this] { ioc.run(); });
    }
    ~running_server() {
        run_on([this] { srv->stop(); });
        ioc.stop();
        thread.join();
        srv.reset();
    }
    /// Runs f on the io thread and waits for it (the server is single-threaded by design).
    template <class F>
    void run_on(F f) {
        std::promise<void> done;
        net::post(ioc, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }
    std::uint16_t port() const { return srv->port(); }
    void publish(mode m, channel ch, std::string event, std::int64_t from, std::int64_t to, std::size_t pad = 0) {
        run_on([&] {
            for (auto seq = from; seq <= to; ++seq) {
                std::string d = R"({"n":)" + std::to_string(seq);
                if (pad) d += R"(,"pad":")" + std::string(pad, 'x') + '"';
                d.push_back('}');
                srv->hub().publish(m, ch, event, seq, 1732400000000 + seq, d);
            }
        });
    }
};

inline tcp::endpoint local(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

using response = http::response<http::string_body>;

/// A keep-alive HTTP/1.1 client.
struct http_client {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
    std::uint16_t port;

    explicit http_client(std::uint16_t p) : port(p) { stream.connect(local(p)); }

    response send(http::request<http::string_body> req) {
        if (req[http::field::host].empty()) req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
        req.prepare_payload();
        http::write(stream, req);
        response res;
        http::read(stream, buffer, res);
        return res;
    }
    response request(http::verb v, std::string target, const char* tok = token, std::string body = {}) {
        http::request<http::string_body> req{v, target, 11};
        if (tok) req.set(http::field::authorization, std::string("Bearer ") + tok);
        if (!body.empty()) req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
        return send(std::move(req));
    }
};

inline json::value body_json(const response& r) { return json::parse(r.body()); }

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A WebSocket client over any stream (plain or TLS).
template <class Next>
struct basic_ws_client {
    websocket::stream<Next> ws;
    beast::flat_buffer buffer;

    template <class... Args>
    explicit basic_ws_client(Args&&... args) : ws(std::forward<Args>(args)...) {}

    /// Handshake; returns the HTTP status of the answer (101 on success).
    unsigned handshake(std::uint16_t port, const std::string& target, header_list headers = {}) {
        ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
            for (const auto& [k, v] : headers) req.set(k, v);
        }));
        websocket::response_type res;
        beast::error_code ec;
        ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
        return res.result_int();
    }
    void send(const std::string& text) {
        ws.text(true);
        ws.write(net::buffer(text));
    }
    json::value read() {
        buffer.clear();
        ws.read(buffer);
        return json::parse(beast::buffers_to_string(buffer.data()));
    }
    /// Reads until the server closes; returns the close code (0 when the connection just dropped).
    int read_until_close(std::vector<std::int64_t>* seqs = nullptr) {
        for (;;) {
            buffer.clear();
            beast::error_code ec;
            ws.read(buffer, ec);
            if (ec == websocket::error::closed) return static_cast<int>(ws.reason().code);
            if (ec) {
                // A server failing the connection (e.g. 1009) sends its close frame and does not
                // wait for our reply: the reply then fails, but the frame was read.
                if (ws.reason().code != websocket::close_code::none) return static_cast<int>(ws.reason().code);
                UNSCOPED_INFO("connection ended without a close frame: " << ec.message());
                return 0;
            }
            if (seqs) {
                auto v = json::parse(beast::buffers_to_string(buffer.data()));
                if (v.at("type") == "event") seqs->push_back(v.at("seq").as_int64());
            }
        }
    }
};

/// Synchronous clients never run their io_context; one shared context is enough for them.
inline net::io_context& client_ioc() {
    static net::io_context io;
    return io;
}

struct ws_client : basic_ws_client<beast::tcp_stream> {
    ws_client() : basic_ws_client<beast::tcp_stream>(client_ioc()) {}
    void connect(std::uint16_t port, std::size_t receive_buffer = 0) {
        auto& sock = beast::get_lowest_layer(ws).socket();
        sock.open(tcp::v4());
        if (receive_buffer) sock.set_option(net::socket_base::receive_buffer_size(static_cast<int>(receive_buffer)));
        sock.connect(local(port));
    }
    /// Connects with the token in the Authorization header.
    void open(std::uint16_t port) {
        connect(port);
        REQUIRE(handshake(port, "/api/v1/ws", {{"Authorization", std::string("Bearer ") + token}}) == 101);
    }
};

inline std::string subscribe_msg(int id, const std::string& channels, const std::string& modes, std::string extra = {}) {
    return R"({"op":"subscribe","id":)" + std::to_string(id) + R"(,"channels":)" + channels + R"(,"modes":)" + modes +
           extra + "}";
}

inline void expect_success(const json::value& answer, std::int64_t id) {
    INFO(json::serialize(answer));
    CHECK(answer.at("id").as_int64() == id);
    CHECK(answer.at("success") == true);
}

}  // namespace
