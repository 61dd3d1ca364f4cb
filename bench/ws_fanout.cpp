// Benchmark: WebSocket fan-out of api::server to N = 1, 100, 1000 subscribed clients.
//
// The real api::server runs in-process on 127.0.0.1 (ephemeral port) with its io_context on its
// own thread. N Beast async clients run on a second io_context driven by the main thread; each
// authenticates with "Authorization: Bearer <token>" and subscribes to positions/paper-trading.
// One round = one handler on the server thread publishes K events through hub().publish(); we
// measure
//   (a) the time from posting that handler until every client has read all K events, and
//   (b) event-loop lag during the fan-out: a steady_timer on the server's io_context re-armed
//       for 1 ms after each run records how late it fires (max and p99 over the fan-out windows).
// Baseline (same run): the lag probe with no clients, while the same K-event publish runs every
// 20 ms for one second. A control row (BENCH_WS_UNBOUNDED=1) repeats N = 1000 with the hub's fan-out slice
// unbounded, which shows what the 64-session slicing buys. The floor row sends the same bytes
// with raw send() to 1000 loopback TCP connections read by epoll (run_send_floor).
//
// Run: build-bench/bench/bench_ws_fanout   (bounded: about 10-60 s; aborts after 150 s).
// BENCH_WS_UNBOUNDED=1 adds the unbounded-slice control row.

#include "api/json_text.hpp"
#include "api/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = net::ip::tcp;
using bench_clock = std::chrono::steady_clock;
using traded::engine::channel;
using traded::engine::mode;

namespace {

constexpr const char* token = "bench-token-0123456789";
constexpr int events_per_round = 100;  // K
const auto run_deadline = bench_clock::now() + std::chrono::seconds(150);

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "bench_ws_fanout: %s\n", why.c_str());
    std::exit(2);
}

/// Server thread on CPU 0, clients on CPU 1 (best effort: a one-CPU machine keeps both on one).
void pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// Answers everything with an empty success; snapshots are a small fixed object.
struct bench_backend : traded::api::backend {
    traded::api::reply execute(const traded::api::command&) override { return traded::api::reply::ok(json::object{}); }
    std::string snapshot(channel, mode) override { return R"({"positions":[]})"; }
    std::string metrics_text() override { return {}; }
};

/// Measures how late a 1 ms timer fires on the io_context it lives on (that thread only).
struct lag_probe {
    net::steady_timer timer;
    bool recording = false;
    bool stopped = false;
    std::vector<double> samples_us;

    explicit lag_probe(net::io_context& ioc) : timer(ioc) {}
    void arm() {
        timer.expires_after(std::chrono::milliseconds(1));
        timer.async_wait([this](const beast::error_code& ec) {
            if (ec || stopped) return;
            const auto late = bench_clock::now() - timer.expiry();
            if (recording) samples_us.push_back(std::chrono::duration<double, std::micro>(late).count());
            arm();
        });
    }
};

/// The server under test with its io_context on a thread.
struct server_side {
    bench_backend be;
    net::io_context ioc;
    std::optional<traded::api::server> srv;
    lag_probe probe{ioc};
    std::thread thread;

    explicit server_side(std::size_t slice) {
        traded::api::server_options o;
        o.bind_address = "127.0.0.1";
        o.port = 0;
        o.token = token;
        o.max_connections = 4096;
        o.hub.slice = slice;
        srv.emplace(ioc, std::move(o), be, [](std::string_view) { return std::optional<traded::api::asset>{}; });
        if (auto err = srv->start()) fail("server start: " + *err);
        probe.arm();
        thread = std::thread([this] {
            pin_to(0);
            ioc.run();
        });
    }
    ~server_side() {
        run_on([this] {
            probe.stopped = true;
            probe.timer.cancel();
            srv->stop();
        });
        ioc.stop();
        thread.join();
        srv.reset();
    }
    /// Runs f on the server thread and waits for it.
    template <class F>
    void run_on(F f) {
        std::promise<void> done;
        net::post(ioc, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }
};

/// A realistic position_opened payload (about 450 bytes serialized).
json::object position_payload(std::int64_t seq) {
    return json::object{
        {"position_id", fmt::format("paper_{}_BTCUSDT", 1732363200000 + seq)},
        {"symbol", "BTCUSDT"},
        {"side", "LONG"},
        {"status", "OPEN"},
        {"entry_price", "97123.40"},
        {"qty", "0.002"},
        {"stake_usd", "200"},
        {"leverage", 3},
        {"tp_price", "102123.40"},
        {"sl_price", "96637.80"},
        {"highest_profit_ever", "0"},
        {"profit_floor_activated", false},
        {"mark_price", "97124.10"},
        {"pnl", "0.0014"},
        {"fees", "0.07769872"},
        {"tp_order_id", fmt::format("paper_{}_BTCUSDT-TP", 1732363200000 + seq)},
        {"sl_order_id", fmt::format("paper_{}_BTCUSDT-SL", 1732363200000 + seq)},
        {"opened_at", 1732363200000 + seq},
        {"updated_at", 1732363200000 + seq},
    };
}

/// Intended publish time (steady clock ns) of each paced event, by seq: written on the server
/// thread before the event is published, read on the client thread when it arrives.
constexpr std::size_t max_paced = 8192;
std::array<std::atomic<std::int64_t>, max_paced> intended_ns{};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(bench_clock::now().time_since_epoch()).count();
}

/// Counters shared by all clients (client thread only).
struct client_totals {
    std::size_t ready = 0;    // subscribed and snapshot received
    std::size_t failed = 0;
    std::uint64_t events = 0;
    std::string first_error;
    bool record_latency = false;
    std::vector<float> latency_us;  // paced runs: arrival - intended publish time, every client
    std::int64_t last_arrival_ns = 0;
};

/// One async WebSocket client: connect, handshake, subscribe, then read and count forever.
class ws_client : public std::enable_shared_from_this<ws_client> {
public:
    ws_client(net::io_context& ioc, client_totals& t) : ws_(ioc), totals_(t) {}

    void start(tcp::endpoint ep) {
        port_ = ep.port();
        beast::get_lowest_layer(ws_).async_connect(ep, [self = shared_from_this()](const beast::error_code& ec) {
            if (ec) return self->failed("connect", ec);
            self->on_connect();
        });
    }
    void close() {
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }
    std::uint64_t events() const { return events_; }

private:
    void on_connect() {
        beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
        ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::authorization, std::string("Bearer ") + token);
        }));
        ws_.async_handshake(fmt::format("127.0.0.1:{}", port_), "/api/v1/ws",
                            [self = shared_from_this()](const beast::error_code& ec) {
                                if (ec) return self->failed("handshake", ec);
                                self->ws_.text(true);
                                self->ws_.async_write(net::buffer(subscribe_msg),
                                                      [self](const beast::error_code& wec, std::size_t) {
                                                          if (wec) return self->failed("subscribe", wec);
                                                          self->read();
                                                      });
                            });
    }
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
            if (ec) {
                if (ec != net::error::operation_aborted && ec != net::error::bad_descriptor) self->failed("read", ec);
                return;
            }
            self->on_message(n);
            self->read();
        });
    }
    void on_message(std::size_t n) {
        // Counting, not parsing: the event type is the first member ({"type":"event",...}).
        const auto data = buffer_.cdata();
        std::string_view head(static_cast<const char*>(data.data()), std::min<std::size_t>(data.size(), 24));
        if (head.find(R"("type":"event")") != std::string_view::npos) {
            ++events_;
            ++totals_.events;
            if (totals_.record_latency) record(data);
        } else if (++control_ == 2) {
            ++totals_.ready;  // subscribe answer + one snapshot
        }
        buffer_.consume(n);
    }
    /// Paced runs: the event's seq indexes its intended publish time.
    void record(net::const_buffer data) {
        const std::string_view text(static_cast<const char*>(data.data()), std::min<std::size_t>(data.size(), 96));
        const auto at = text.find(R"("seq":)");
        if (at == std::string_view::npos) return;
        std::size_t seq = 0;
        for (std::size_t i = at + 6; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
            seq = seq * 10 + static_cast<std::size_t>(text[i] - '0');
        if (seq >= max_paced) return;
        const auto t = now_ns();
        totals_.latency_us.push_back(static_cast<float>(t - intended_ns[seq].load(std::memory_order_relaxed)) / 1000.0f);
        totals_.last_arrival_ns = t;
    }
    void failed(const char* what, const beast::error_code& ec) {
        ++totals_.failed;
        if (totals_.first_error.empty()) totals_.first_error = fmt::format("{}: {}", what, ec.message());
    }

    static constexpr std::string_view subscribe_msg =
        R"({"op":"subscribe","id":1,"channels":["positions"],"modes":["paper-trading"]})";
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    client_totals& totals_;
    std::uint16_t port_ = 0;
    int control_ = 0;
    std::uint64_t events_ = 0;
};

/// Runs the client io_context until pred() or the deadline.
template <class P>
void pump(net::io_context& ioc, P pred, std::chrono::seconds limit, const char* what) {
    const auto until = std::min(bench_clock::now() + limit, run_deadline);
    while (!pred()) {
        if (bench_clock::now() > until) fail(std::string("timed out waiting for ") + what);
        ioc.run_one_for(std::chrono::milliseconds(10));
        if (ioc.stopped()) ioc.restart();
    }
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

struct scenario_result {
    std::string label;
    std::size_t clients = 0;
    int rounds = 0;
    double deliver_median_ms = 0;
    double deliver_max_ms = 0;
    double msgs_per_s = 0;
    std::size_t lag_samples = 0;
    double lag_p99_us = 0;
    double lag_max_us = 0;
    std::uint64_t dropped = 0;
};

/// Publishes K events in one handler on the server thread (what the daemon does after a step).
void publish_round(server_side& s, std::int64_t& seq) {
    const std::int64_t first = seq;
    seq += events_per_round;
    net::post(s.ioc, [&s, first] {
        s.probe.recording = true;
        for (std::int64_t q = first; q < first + events_per_round; ++q)
            s.srv->hub().publish(mode::paper, channel::positions, "position_opened", q, 1732363200000 + q,
                                 traded::api::to_text(position_payload(q)));
    });
}

scenario_result run_baseline() {
    server_side s(64);
    std::int64_t seq = 1;
    const auto start = bench_clock::now();
    int rounds = 0;
    while (bench_clock::now() - start < std::chrono::seconds(1)) {
        publish_round(s, seq);
        ++rounds;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    scenario_result r;
    r.label = "baseline: no clients";
    r.rounds = rounds;
    s.run_on([&] {
        s.probe.recording = false;
        r.lag_samples = s.probe.samples_us.size();
        r.lag_p99_us = percentile(s.probe.samples_us, 0.99);
        r.lag_max_us = s.probe.samples_us.empty() ? 0 : *std::max_element(s.probe.samples_us.begin(), s.probe.samples_us.end());
    });
    return r;
}

/// Connects n subscribed clients, at most 64 handshakes in flight (kind to the accept backlog).
void connect_clients(server_side& s, net::io_context& cioc, client_totals& totals,
                     std::vector<std::shared_ptr<ws_client>>& clients, std::size_t n) {
    const tcp::endpoint ep{net::ip::make_address("127.0.0.1"), s.srv->port()};
    clients.reserve(n);
    constexpr std::size_t window = 64;
    while (clients.size() < n) {
        while (clients.size() < n && clients.size() - totals.ready - totals.failed < window) {
            clients.push_back(std::make_shared<ws_client>(cioc, totals));
            clients.back()->start(ep);
        }
        pump(cioc, [&] { return totals.failed > 0 || clients.size() - totals.ready - totals.failed < window || totals.ready == n; },
             std::chrono::seconds(30), "connections");
        if (totals.failed > 0) fail("client " + totals.first_error);
    }
    pump(cioc, [&] { return totals.ready + totals.failed == n; }, std::chrono::seconds(30), "subscriptions");
    if (totals.failed > 0) fail("client " + totals.first_error);
}

scenario_result run_scenario(std::size_t n, std::size_t slice, std::string label) {
    server_side s(slice);
    net::io_context cioc;
    client_totals totals;
    std::vector<std::shared_ptr<ws_client>> clients;
    connect_clients(s, cioc, totals, clients, n);

    std::vector<double> deliver_ms;
    std::int64_t seq = 1;
    std::uint64_t expected = 0;
    const auto start = bench_clock::now();
    int rounds = 0;
    while (rounds < 5 || (rounds < 30 && bench_clock::now() - start < std::chrono::seconds(3))) {
        expected += n * events_per_round;
        const auto t0 = bench_clock::now();
        publish_round(s, seq);
        pump(cioc, [&] { return totals.events >= expected || totals.failed > 0; }, std::chrono::seconds(20), "delivery");
        const auto t1 = bench_clock::now();
        if (totals.failed > 0) fail("client " + totals.first_error);
        s.run_on([&] { s.probe.recording = false; });
        deliver_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        ++rounds;
    }

    scenario_result r;
    r.label = std::move(label);
    r.clients = n;
    r.rounds = rounds;
    r.deliver_median_ms = percentile(deliver_ms, 0.5);
    r.deliver_max_ms = *std::max_element(deliver_ms.begin(), deliver_ms.end());
    r.msgs_per_s = static_cast<double>(n * events_per_round) / (r.deliver_median_ms / 1000.0);
    s.run_on([&] {
        r.lag_samples = s.probe.samples_us.size();
        r.lag_p99_us = percentile(s.probe.samples_us, 0.99);
        r.lag_max_us = s.probe.samples_us.empty() ? 0 : *std::max_element(s.probe.samples_us.begin(), s.probe.samples_us.end());
        r.dropped = s.srv->stats().ws_clients_dropped_total;
    });
    // Every client must have every event: a drop or coalescing would make the timing meaningless.
    for (const auto& c : clients)
        if (c->events() != static_cast<std::uint64_t>(rounds) * events_per_round)
            fail(fmt::format("a client got {} events, expected {}", c->events(), rounds * events_per_round));

    for (auto& c : clients) c->close();
    cioc.restart();
    cioc.poll();
    clients.clear();
    return r;
}

/// A ~300-byte event for the paced runs (envelope + a quote-sized payload).
json::object small_payload(std::int64_t seq) {
    return json::object{{"position_id", fmt::format("paper_{}_BTCUSDT", 1732363200000 + seq)},
                        {"symbol", "BTCUSDT"},
                        {"status", "OPEN"},
                        {"mark_price", "97124.10"},
                        {"pnl", "0.0014"},
                        {"highest_profit_ever", "0"},
                        {"updated_at", 1732363200000 + seq}};
}

std::size_t small_event_size() {
    return traded::api::to_text(json::object{{"type", "event"},
                                             {"channel", "positions"},
                                             {"mode", "paper-trading"},
                                             {"seq", 1000},
                                             {"ts", 1732363201000},
                                             {"event", "position_updated_x"},
                                             {"data", small_payload(1000)}})
        .size();
}

/// A client that completes the upgrade and the subscription, then never reads: its receive
/// window fills and the server's writes to it stall. Blocking socket, handshake by hand.
int stalled_client(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("stalled client: connect");
    const std::string req = fmt::format(
        "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {}\r\n\r\n",
        port, token);
    if (::send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) fail("stalled client: send");
    std::string head;
    char c = 0;
    while (head.find("\r\n\r\n") == std::string::npos) {
        if (::recv(fd, &c, 1, 0) != 1) fail("stalled client: handshake");
        head.push_back(c);
    }
    if (head.rfind("HTTP/1.1 101", 0) != 0) fail("stalled client: " + head.substr(0, 40));
    const std::string_view sub = R"({"op":"subscribe","id":1,"channels":["positions"],"modes":["paper-trading"]})";
    std::string frame{static_cast<char>(0x81), static_cast<char>(0x80 | sub.size()), 1, 2, 3, 4};
    for (std::size_t i = 0; i < sub.size(); ++i) frame.push_back(static_cast<char>(sub[i] ^ (1 + i % 4)));
    if (::send(fd, frame.data(), frame.size(), 0) != static_cast<ssize_t>(frame.size())) fail("stalled client: subscribe");
    return fd;
}

struct paced_result {
    std::string label;
    std::size_t clients = 0;
    int rate = 0;
    int events = 0;
    double frames_per_s = 0;
    double lat_p50_us = 0;
    double lat_p99_us = 0;
    double lag_p99_us = 0;
    double lag_max_us = 0;
    std::uint64_t delivered = 0;
    std::uint64_t expected = 0;
    std::uint64_t dropped = 0;
};

/// Open-loop publishing on the server thread: event k is due at start + k / rate (intended time,
/// recorded before it is published); a late timer publishes every event already due, so a slow
/// fan-out does not slow the schedule down (no coordinated omission).
struct pacer {
    server_side& s;
    net::steady_timer timer;
    bench_clock::time_point start;
    std::chrono::nanoseconds period;
    int count;
    int next = 0;
    explicit pacer(server_side& srv, int rate, int n)
        : s(srv), timer(srv.ioc), period(std::chrono::nanoseconds(1'000'000'000 / rate)), count(n) {}
    void begin() {
        start = bench_clock::now() + std::chrono::milliseconds(20);
        s.probe.recording = true;
        arm();
    }
    void arm() {
        timer.expires_at(start + next * period);
        timer.async_wait([this](const beast::error_code& ec) {
            if (ec) return;
            const auto now = bench_clock::now();
            while (next < count && start + next * period <= now) {
                const std::int64_t seq = next + 1;
                intended_ns[static_cast<std::size_t>(seq)].store(
                    std::chrono::duration_cast<std::chrono::nanoseconds>((start + next * period).time_since_epoch()).count(),
                    std::memory_order_relaxed);
                s.srv->hub().publish(mode::paper, channel::positions, "position_updated_x", seq, 1732363200000 + seq,
                                     traded::api::to_text(small_payload(seq)));
                ++next;
            }
            if (next < count) arm();
        });
    }
};

paced_result run_paced(std::size_t n, int rate, double seconds, bool with_stalled, std::string label) {
    server_side s(64);
    net::io_context cioc;
    client_totals totals;
    std::vector<std::shared_ptr<ws_client>> clients;
    connect_clients(s, cioc, totals, clients, n);
    int stalled = -1;
    if (with_stalled) stalled = stalled_client(s.srv->port());
    const int count = std::min<int>(static_cast<int>(rate * seconds), static_cast<int>(max_paced) - 1);
    totals.record_latency = true;
    totals.latency_us.reserve(n * static_cast<std::size_t>(count));
    pacer p(s, rate, count);
    const std::uint64_t expected = n * static_cast<std::uint64_t>(count);
    std::int64_t first_ns = 0;
    s.run_on([&] {
        p.begin();
        first_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(p.start.time_since_epoch()).count();
    });
    const auto limit = bench_clock::now() + std::chrono::duration_cast<bench_clock::duration>(
                                                std::chrono::duration<double>(seconds)) + std::chrono::seconds(40);
    while (totals.events < expected && bench_clock::now() < limit && bench_clock::now() < run_deadline) {
        cioc.run_one_for(std::chrono::milliseconds(10));
        if (cioc.stopped()) cioc.restart();
    }
    paced_result r;
    r.label = std::move(label);
    r.clients = n;
    r.rate = rate;
    r.events = count;
    r.expected = expected;
    r.delivered = totals.events;
    const double span_s = static_cast<double>(totals.last_arrival_ns - first_ns) / 1e9;
    r.frames_per_s = span_s > 0 ? static_cast<double>(totals.events) / span_s : 0;
    std::vector<double> lat(totals.latency_us.begin(), totals.latency_us.end());
    r.lat_p50_us = percentile(lat, 0.5);
    r.lat_p99_us = percentile(lat, 0.99);
    s.run_on([&] {
        s.probe.recording = false;
        p.timer.cancel();
        r.lag_p99_us = percentile(s.probe.samples_us, 0.99);
        r.lag_max_us = s.probe.samples_us.empty() ? 0 : *std::max_element(s.probe.samples_us.begin(), s.probe.samples_us.end());
        r.dropped = s.srv->stats().ws_clients_dropped_total;
    });
    if (stalled >= 0) ::close(stalled);
    for (auto& c : clients) c->close();
    cioc.restart();
    cioc.poll();
    clients.clear();
    return r;
}

void raise_nofile(std::size_t need) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur >= need) return;
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(need));
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
        fail(fmt::format("RLIMIT_NOFILE is {}; need {}", rl.rlim_cur, need));
}

/// Bytes of one published event as the hub writes it (envelope + payload text).
std::size_t to_text_size() {
    const std::int64_t seq = 1000;
    return traded::api::to_text(json::object{{"type", "event"},
                                             {"channel", "positions"},
                                             {"mode", "paper-trading"},
                                             {"seq", seq},
                                             {"ts", 1732363200000 + seq},
                                             {"event", "position_opened"},
                                             {"data", position_payload(seq)}})
        .size();
}

/// The machine's floor for the same traffic: N loopback TCP connections, the server thread
/// send()s the same K frames (same byte size as the WebSocket frames: header + event text) to
/// every connection, the client thread reads them with epoll; time until every byte is read.
/// No WebSocket, no hub, no Asio: what one send() per frame per client costs here.
scenario_result run_send_floor(std::size_t n, std::size_t frame_bytes, int rounds) {
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 4096) != 0 ||
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        fail("floor: listen");
    std::vector<int> clients, servers;
    for (std::size_t i = 0; i < n; ++i) {
        const int c = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("floor: connect");
        const int sfd = ::accept(lfd, nullptr, nullptr);
        if (sfd < 0) fail("floor: accept");
        int one = 1;
        ::setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(c, F_SETFL, O_NONBLOCK);
        clients.push_back(c);
        servers.push_back(sfd);
    }
    ::close(lfd);
    const std::string frame(frame_bytes, 'x');
    const std::size_t per_client = frame_bytes * events_per_round;
    std::vector<double> deliver_ms;
    for (int r = 0; r < rounds; ++r) {
        std::promise<void> done;
        auto finished = done.get_future();
        std::thread reader([&] {
            const int ep = ::epoll_create1(0);
            std::vector<std::size_t> got(n, 0);
            for (std::size_t i = 0; i < n; ++i) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = i;
                ::epoll_ctl(ep, EPOLL_CTL_ADD, clients[i], &ev);
            }
            std::size_t complete = 0;
            std::vector<epoll_event> evs(256);
            char buf[65536];
            while (complete < n) {
                const int k = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 1000);
                if (k < 0) fail("floor: epoll");
                if (bench_clock::now() > run_deadline) fail("floor: deadline");
                for (int j = 0; j < k; ++j) {
                    const auto i = static_cast<std::size_t>(evs[j].data.u64);
                    for (;;) {
                        const ssize_t m = ::recv(clients[i], buf, sizeof buf, 0);
                        if (m <= 0) break;
                        got[i] += static_cast<std::size_t>(m);
                    }
                    if (got[i] >= per_client) {
                        ++complete;
                        ::epoll_ctl(ep, EPOLL_CTL_DEL, clients[i], nullptr);
                    }
                }
            }
            ::close(ep);
            done.set_value();
        });
        const auto start = bench_clock::now();
        for (int k = 0; k < events_per_round; ++k)
            for (int sfd : servers)
                if (::send(sfd, frame.data(), frame.size(), 0) != static_cast<ssize_t>(frame.size())) fail("floor: send");
        finished.wait();
        deliver_ms.push_back(std::chrono::duration<double, std::milli>(bench_clock::now() - start).count());
        reader.join();
    }
    for (int fd : clients) ::close(fd);
    for (int fd : servers) ::close(fd);
    std::sort(deliver_ms.begin(), deliver_ms.end());
    scenario_result res;
    res.label = fmt::format("floor: raw send() N={}", n);
    res.clients = n;
    res.rounds = rounds;
    res.deliver_median_ms = deliver_ms[deliver_ms.size() / 2];
    res.deliver_max_ms = deliver_ms.back();
    res.msgs_per_s = static_cast<double>(n * events_per_round) / (res.deliver_median_ms / 1000.0);
    return res;
}

}  // namespace

int main() {
    raise_nofile(2 * 1000 + 256);
    pin_to(1);
    std::printf("ws fan-out: K = %d position_opened events (~%zu bytes each) published in one handler per round;\n"
                "clients on a second thread; lag = lateness of a 1 ms timer on the server io_context\n\n",
                events_per_round, json::serialize(position_payload(1)).size() + 120);

    std::vector<scenario_result> results;
    results.push_back(run_baseline());
    for (std::size_t n : {1u, 100u, 1000u})
        results.push_back(run_scenario(n, 64, fmt::format("N={} (slice 64)", n)));
    if (std::getenv("BENCH_WS_UNBOUNDED") != nullptr)  // control row: what the 64-session slicing buys
        results.push_back(run_scenario(1000, std::numeric_limits<std::size_t>::max(), "N=1000 (slice unbounded)"));
    // A WebSocket frame of this size carries a 4-byte header (126-byte-length form) before the text.
    const std::size_t frame_bytes = to_text_size() + 4;
    results.push_back(run_send_floor(1000, frame_bytes, 5));

    std::printf("%-26s %6s %14s %12s %14s %8s %12s %12s %7s\n", "case", "rounds", "deliver med ms",
                "deliver max", "msgs/s (med)", "lag n", "lag p99 us", "lag max us", "drops");
    for (const auto& r : results) {
        if (r.clients == 0)
            std::printf("%-26s %6d %14s %12s %14s %8zu %12.0f %12.0f %7s\n", r.label.c_str(), r.rounds, "-", "-", "-",
                        r.lag_samples, r.lag_p99_us, r.lag_max_us, "-");
        else
            std::printf("%-26s %6d %14.2f %12.2f %14.0f %8zu %12.0f %12.0f %7llu\n", r.label.c_str(), r.rounds,
                        r.deliver_median_ms, r.deliver_max_ms, r.msgs_per_s, r.lag_samples, r.lag_p99_us,
                        r.lag_max_us, static_cast<unsigned long long>(r.dropped));
    }

    std::printf("\npaced fan-out: one ~%zu-byte event at a time at R events/s (open loop, latency from the intended\n"
                "publish time to each client's read), server thread on CPU 0, clients on CPU 1\n\n",
                small_event_size() + 4);
    std::vector<paced_result> paced;
    paced.push_back(run_paced(1000, 10, 3.0, false, "1000 clients, 10/s"));
    paced.push_back(run_paced(1000, 100, 2.0, false, "1000 clients, 100/s"));
    paced.push_back(run_paced(1000, 1000, 1.0, false, "1000 clients, 1000/s"));
    paced.push_back(run_paced(1000, 10, 3.0, true, "same 10/s + 1 stalled client"));
    std::printf("%-32s %7s %12s %12s %12s %11s %11s %12s %7s\n", "case", "events", "delivered", "frames/s",
                "lat p50 us", "lat p99 us", "lag p99 us", "lag max us", "drops");
    for (const auto& r : paced)
        std::printf("%-32s %7d %5llu/%-6llu %12.0f %12.0f %11.0f %11.0f %12.0f %7llu\n", r.label.c_str(), r.events,
                    static_cast<unsigned long long>(r.delivered / std::max<std::size_t>(r.clients, 1)),
                    static_cast<unsigned long long>(r.expected / std::max<std::size_t>(r.clients, 1)), r.frames_per_s,
                    r.lat_p50_us, r.lat_p99_us, r.lag_p99_us, r.lag_max_us, static_cast<unsigned long long>(r.dropped));
    const auto& base = paced[0];  // the stall is compared where the fan-out keeps up (10/s)
    const auto& st = paced[3];
    std::printf("\nstalled client: others' latency p50 %+.0f%%, p99 %+.0f%% vs the same run without it (goal within 10%%)\n",
                100.0 * (st.lat_p50_us / base.lat_p50_us - 1.0), 100.0 * (st.lat_p99_us / base.lat_p99_us - 1.0));
    const auto& floor = results.back();
    const auto& n1000 = results[results.size() - 2];
    std::printf("one broadcast (K=%d events) to 1000 clients: %.2fx the raw send() floor (goal <= 1.2x)\n",
                events_per_round, n1000.deliver_median_ms / floor.deliver_median_ms);
    return 0;
}
