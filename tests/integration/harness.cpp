#include "harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace traded::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

unsigned short free_port() {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

std::string make_temp_dir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) FAIL("mkdtemp failed");
    return std::string(buf.data());
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---------------------------------------------------------------------------------------------

process::process(process&& o) noexcept : pid_(o.pid_), log_(std::move(o.log_)) { o.pid_ = -1; }
process& process::operator=(process&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) kill9();
        pid_ = o.pid_;
        log_ = std::move(o.log_);
        o.pid_ = -1;
    }
    return *this;
}
process::~process() {
    if (pid_ > 0) stop(std::chrono::milliseconds(3000));
}

process process::spawn(const std::vector<std::string>& argv, const std::string& log_file) {
    process p;
    p.log_ = log_file;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) FAIL("cannot spawn " << argv[0] << ": " << rc);
    p.pid_ = pid;
    return p;
}

bool process::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

int process::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill9();
    return -1;
}

void process::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::string process::log() const { return read_file(log_); }

// ---------------------------------------------------------------------------------------------

json::value http_answer::json() const {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    return ec ? json::value(nullptr) : v;
}

http_answer http(const std::string& method, unsigned short port, const std::string& target, const std::string& body,
                 const std::string& token, const std::map<std::string, std::string>& extra_headers) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(15));
    boost::system::error_code ec;
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return {0, "connect: " + ec.message(), {}};
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
    if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
    for (const auto& [k, v] : extra_headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT") {
        req.set(bhttp::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
    }
    bhttp::write(stream, req, ec);
    if (ec) return {0, "write: " + ec.message(), {}};
    beast::flat_buffer buf;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(stream, buf, parser, ec);
    if (ec) return {0, "read: " + ec.message(), {}};
    http_answer a;
    a.status = static_cast<int>(parser.get().result_int());
    a.body = parser.get().body();
    for (const auto& f : parser.get()) a.headers[std::string(f.name_string())] = std::string(f.value());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return a;
}

// ---------------------------------------------------------------------------------------------

struct ws_client::impl {
    net::io_context io;
    websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buf;
    bool open = false;
    int close_code = 0;
};

ws_client::ws_client() : impl_(new impl) {}
ws_client::~ws_client() {
    close();
    delete impl_;
}

std::string ws_client::connect(unsigned short port, const std::string& target,
                               const std::map<std::string, std::string>& headers) {
    boost::system::error_code ec;
    beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(impl_->ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return "connect: " + ec.message();
    impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
        for (const auto& [k, v] : headers) req.set(k, v);
    }));
    websocket::response_type res;
    impl_->ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
    if (ec) return "handshake: " + ec.message() + " (HTTP " + std::to_string(res.result_int()) + ")";
    beast::get_lowest_layer(impl_->ws).expires_never();
    impl_->open = true;
    return {};
}

void ws_client::send(const std::string& text) {
    boost::system::error_code ec;
    beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(10));
    impl_->ws.text(true);
    impl_->ws.write(net::buffer(text), ec);
}

std::optional<std::string> ws_client::receive(std::chrono::milliseconds timeout) {
    if (!impl_->open) return std::nullopt;
    beast::get_lowest_layer(impl_->ws).expires_after(timeout);
    boost::system::error_code ec;
    impl_->buf.clear();
    impl_->ws.read(impl_->buf, ec);
    if (ec) {
        if (ec == websocket::error::closed) {
            impl_->close_code = impl_->ws.reason().code;
            impl_->open = false;
        } else if (ec != beast::error::timeout) {
            impl_->open = false;
        }
        if (ec == beast::error::timeout) {
            // A timed-out tcp_stream is closed by Beast: the client is done.
            impl_->open = false;
        }
        return std::nullopt;
    }
    return beast::buffers_to_string(impl_->buf.data());
}

std::optional<json::value> ws_client::receive_json(std::chrono::milliseconds timeout) {
    auto s = receive(timeout);
    if (!s) return std::nullopt;
    boost::system::error_code ec;
    auto v = json::parse(*s, ec);
    if (ec) return std::nullopt;
    return v;
}

int ws_client::close_code() const { return impl_->close_code; }

void ws_client::close() {
    if (!impl_->open) return;
    boost::system::error_code ec;
    beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(2));
    impl_->ws.close(websocket::close_code::normal, ec);
    impl_->open = false;
}

// ---------------------------------------------------------------------------------------------

daemon_fixture::daemon_fixture(const std::string& extra_yaml, std::string data_dir) : yaml_(extra_yaml) {
    static int counter = 0;
    name_ = "traded" + std::to_string(++counter);
    root_ = make_temp_dir("traded-it");
    if (data_dir.empty()) {
        data_dir_ = root_ + "/data";
    } else {
        data_dir_ = std::move(data_dir);
        own_dir_ = false;
    }
    port_ = free_port();
    launch();
}

daemon_fixture::~daemon_fixture() {
    proc_.stop(std::chrono::milliseconds(5000));
    remove_tree(root_);
}

void daemon_fixture::launch() {
    std::string cfg = "server:\n  bind: 127.0.0.1\n  port: " + std::to_string(port_) + "\n  api_token: \"" + token_ +
                      "\"\n" + yaml_;
    const std::string path = root_ + "/traded.yaml";
    write_file(path, cfg);
    proc_ = process::spawn({TRADED_BIN, "--config", path, "--data-dir", data_dir_}, root_ + "/traded.log");
    bool up = eventually(
        [&] {
            if (!proc_.running()) return true;
            return http("GET", port_, "/healthz").status == 200;
        },
        std::chrono::milliseconds(20000));
    if (!up || !proc_.running()) FAIL("traded did not start; log:\n" << proc_.log());
}

void daemon_fixture::restart() {
    if (proc_.running()) proc_.stop();
    launch();
}

json::value daemon_fixture::data(const std::string& target) {
    auto a = get(target);
    INFO(target << " -> " << a.status << " " << a.body);
    REQUIRE(a.status == 200);
    auto v = a.json();
    REQUIRE(v.is_object());
    REQUIRE(v.as_object().at("success").as_bool());
    return v.as_object().at("data");
}

}  // namespace traded::test
