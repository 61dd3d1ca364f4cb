// Issue 10, load: the real traded daemon (paper trading on the synthetic market, loopback only)
// with 1,000 idle and 100 hostile connections, against an authenticated client's GET status.
//
// Phases of `phase_s` seconds each: baseline (only the measuring client), then load. Hostile
// connections, each a thread looping for the whole load phase:
//   - slow headers: a header line dribbled one byte per 200 ms (cut by the header deadline)
//   - pre-auth WebSocket floods: upgrade without a token, send a non-auth message, reconnect
//   - oversized chunked bodies: chunk-extension bytes as fast as the socket takes them (413)
// Idle connections: 1,000 keep-alive connections that asked /healthz once and stay silent.
// Printed: p50/p99/max of GET status in each phase, the engine's mean tick-to-decision time from
// /metrics (traded_tick_to_decision_seconds sum/count deltas), and the daemon's RSS.
//
// Usage: bench_api_load [phase_s=10] [path-to-traded]

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

const std::string token = "bench-load-token-0123456789abcdef0123456789abcdef";
unsigned short port = 0;

tcp::endpoint endpoint() { return {net::ip::make_address("127.0.0.1"), port}; }

unsigned short free_port() {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

/// One request on a fresh connection; status or 0.
int get_once(const std::string& target, std::string* body = nullptr) {
    net::io_context io;
    beast::tcp_stream s(io);
    beast::error_code ec;
    s.expires_after(std::chrono::seconds(10));
    s.connect(endpoint(), ec);
    if (ec) return 0;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    http::write(s, req, ec);
    if (ec) return 0;
    beast::flat_buffer b;
    http::response_parser<http::string_body> p;
    p.body_limit(16 * 1024 * 1024);
    http::read(s, b, p, ec);
    if (ec) return 0;
    if (body) *body = p.get().body();
    return static_cast<int>(p.get().result_int());
}

/// sum and count of a histogram family's series with the given label text, from /metrics.
std::pair<double, double> histogram(const std::string& family, const std::string& labels) {
    std::string text;
    get_once("/metrics", &text);
    double sum = 0, count = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(family + "_sum{" + labels + "}", 0) == 0) sum = std::stod(line.substr(line.rfind(' ') + 1));
        if (line.rfind(family + "_count{" + labels + "}", 0) == 0) count = std::stod(line.substr(line.rfind(' ') + 1));
    }
    return {sum, count};
}

long rss_kib(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

struct latencies {
    std::vector<double> ms;
    int errors = 0;
    std::string row(const char* name) {
        std::sort(ms.begin(), ms.end());
        auto at = [&](double q) { return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
        return fmt::format("| {:<24} | {:>6} | {:>8.3f} | {:>8.3f} | {:>8.3f} | {:>6} |", name, ms.size(), at(0.5),
                           at(0.99), ms.empty() ? 0.0 : ms.back(), errors);
    }
};

/// GET status on one keep-alive authenticated connection, every 5 ms, for `d`.
latencies measure(std::chrono::seconds d) {
    latencies out;
    net::io_context io;
    std::unique_ptr<beast::tcp_stream> s;
    beast::flat_buffer b;
    auto end = clock_type::now() + d;
    while (clock_type::now() < end) {
        beast::error_code ec;
        if (!s) {
            s = std::make_unique<beast::tcp_stream>(io);
            s->connect(endpoint(), ec);
            if (ec) { ++out.errors; s.reset(); continue; }
        }
        http::request<http::empty_body> req{http::verb::get, "/api/v1/paper-trading/status", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::authorization, "Bearer " + token);
        auto t0 = clock_type::now();
        s->expires_after(std::chrono::seconds(10));
        http::write(*s, req, ec);
        http::response<http::string_body> res;
        if (!ec) http::read(*s, b, res, ec);
        auto t1 = clock_type::now();
        if (ec || res.result_int() != 200) {
            ++out.errors;
            s.reset();
            b.clear();
        } else {
            out.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return out;
}

std::atomic<bool> stop_hostile{false};
std::atomic<long> hostile_rounds{0};

void slow_headers() {
    net::io_context io;
    while (!stop_hostile) {
        tcp::socket s(io);
        beast::error_code ec;
        s.connect(endpoint(), ec);
        if (ec) { std::this_thread::sleep_for(std::chrono::milliseconds(50)); continue; }
        net::write(s, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")), ec);
        while (!ec && !stop_hostile) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            net::write(s, net::buffer("a", 1), ec);
        }
        ++hostile_rounds;
    }
}

void ws_flood() {
    net::io_context io;
    const std::string junk = R"({"op":"status","id":1,"mode":"real-trading","x":")" + std::string(800, 'j') + "\"}";
    while (!stop_hostile) {
        websocket::stream<tcp::socket> ws(io);
        beast::error_code ec;
        ws.next_layer().connect(endpoint(), ec);
        if (!ec) ws.handshake("127.0.0.1", "/api/v1/ws", ec);
        if (!ec) ws.write(net::buffer(junk), ec);
        beast::flat_buffer b;
        while (!ec) ws.read(b, ec);  // the error answer, then the close
        ++hostile_rounds;
    }
}

void chunked_flood() {
    net::io_context io;
    const std::string ext(16 * 1024, 'e');
    while (!stop_hostile) {
        tcp::socket s(io);
        beast::error_code ec;
        s.connect(endpoint(), ec);
        if (ec) { std::this_thread::sleep_for(std::chrono::milliseconds(50)); continue; }
        net::write(s, net::buffer(std::string("POST /api/v1/paper-trading/start HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Transfer-Encoding: chunked\r\n\r\n1;")), ec);
        for (int i = 0; i < 64 && !ec; ++i) net::write(s, net::buffer(ext), ec);
        char buf[4096];
        while (!ec) s.read_some(net::buffer(buf), ec);
        ++hostile_rounds;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int phase_s = argc > 1 ? std::atoi(argv[1]) : 10;
    std::string bin = argc > 2 ? argv[2] : TRADED_BIN;
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    char dir_template[] = "/tmp/traded-bench-load-XXXXXX";
    std::string dir = mkdtemp(dir_template);
    port = free_port();
    {
        std::ofstream cfg(dir + "/traded.yaml");
        cfg << "server: {bind: 127.0.0.1, port: " << port << ", api_token: " << token
            << ", max_connections: 4096}\nlog: {level: warn}\n";
    }
    std::string log = dir + "/traded.log";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string cfg_path = dir + "/traded.yaml", data = dir + "/data";
    std::vector<char*> args{bin.data(), const_cast<char*>("--config"), cfg_path.data(),
                            const_cast<char*>("--data-dir"), data.data(), nullptr};
    pid_t pid = -1;
    if (posix_spawn(&pid, bin.c_str(), &fa, nullptr, args.data(), environ) != 0) {
        std::fprintf(stderr, "cannot start %s\n", bin.c_str());
        return 1;
    }
    for (int i = 0; i < 200 && get_once("/healthz") != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the engine warms up

    const std::string labels = "mode=\"paper-trading\"";
    auto h0 = histogram("traded_tick_to_decision_seconds", labels);
    auto base = measure(std::chrono::seconds(phase_s));
    auto h1 = histogram("traded_tick_to_decision_seconds", labels);
    long rss_before = rss_kib(pid);

    // 1,000 idle keep-alive connections (each asked /healthz once).
    net::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> idle;
    const std::string hello = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 1000; ++i) {
        auto s = std::make_unique<tcp::socket>(io);
        beast::error_code ec;
        s->connect(endpoint(), ec);
        if (!ec) net::write(*s, net::buffer(hello), ec);
        if (!ec) idle.push_back(std::move(s));
    }
    std::vector<std::thread> hostile;
    for (int i = 0; i < 34; ++i) hostile.emplace_back(slow_headers);
    for (int i = 0; i < 33; ++i) hostile.emplace_back(ws_flood);
    for (int i = 0; i < 33; ++i) hostile.emplace_back(chunked_flood);
    std::this_thread::sleep_for(std::chrono::seconds(1));

    auto h2 = histogram("traded_tick_to_decision_seconds", labels);
    auto loaded = measure(std::chrono::seconds(phase_s));
    auto h3 = histogram("traded_tick_to_decision_seconds", labels);
    long rss_load = rss_kib(pid);
    std::string metrics;
    get_once("/metrics", &metrics);
    stop_hostile = true;
    for (auto& t : hostile) t.join();

    std::printf("GET /api/v1/paper-trading/status on a keep-alive authenticated connection, every 5 ms (ms):\n\n");
    std::printf("| phase                    | n      | p50      | p99      | max      | errors |\n");
    std::printf("|--------------------------|--------|----------|----------|----------|--------|\n");
    std::printf("%s\n", base.row("baseline").c_str());
    std::printf("%s\n", loaded.row("1000 idle + 100 hostile").c_str());
    auto mean_us = [](std::pair<double, double> a, std::pair<double, double> b) {
        return b.second > a.second ? (b.first - a.first) / (b.second - a.second) * 1e6 : 0.0;
    };
    std::printf("\nengine tick-to-decision (mean over the phase, from /metrics): baseline %.2f us over %.0f ticks, "
                "load %.2f us over %.0f ticks\n",
                mean_us(h0, h1), h1.second - h0.second, mean_us(h2, h3), h3.second - h2.second);
    std::printf("daemon RSS: %ld KiB before the load, %ld KiB under it; idle connections held: %zu; hostile "
                "rounds: %ld\n",
                rss_before, rss_load, idle.size(), hostile_rounds.load());
    std::istringstream in(metrics);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("traded_api_refused_total{", 0) == 0 || line.rfind("traded_http_connections ", 0) == 0)
            std::printf("  %s\n", line.c_str());

    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    std::string rm = "rm -rf " + dir;
    return std::system(rm.c_str()) == 0 ? 0 : 0;
}
