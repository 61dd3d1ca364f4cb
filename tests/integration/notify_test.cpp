// Notifications end to end: the real daemon trading real money against traded-sim posts to a
// webhook receiver that runs in this test on loopback. The receiver can also hang (accepts, reads,
// never answers) or answer 500; neither may delay trading. The latency of opportunity ->
// position_opened (POST /api/v1/opportunities to the WebSocket event) is measured with and
// without such a receiver and printed.

#include "sim_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace traded::test;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

/// A loopback HTTP receiver on its own thread (a test tool: plain blocking sockets, a mutex for
/// what the test thread reads).
class receiver {
public:
    enum class behaviour { ok, hang, error500 };

    explicit receiver(behaviour b) : behaviour_(b), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this] { run(); });
    }
    ~receiver() {
        stopping_ = true;
        // Unblock accept() with a connection of our own.
        boost::system::error_code ec;
        tcp::socket s(io_);
        s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
        thread_.join();
    }
    unsigned short port() const { return port_; }

    /// Every JSON body received, in arrival order.
    std::vector<json::value> bodies() {
        std::lock_guard<std::mutex> l(m_);
        return bodies_;
    }
    std::size_t requests() {
        std::lock_guard<std::mutex> l(m_);
        return requests_;
    }
    /// The `events` of every body, flattened, in order.
    std::vector<json::object> events() {
        std::vector<json::object> out;
        for (auto& b : bodies())
            for (auto& e : b.at("events").as_array()) out.push_back(e.as_object());
        return out;
    }

private:
    void run() {
        while (!stopping_) {
            tcp::socket s(io_);
            boost::system::error_code ec;
            acceptor_.accept(s, ec);
            if (ec || stopping_) break;
            beast::flat_buffer buf;
            http::request<http::string_body> req;
            http::read(s, buf, req, ec);
            if (ec) continue;
            {
                std::lock_guard<std::mutex> l(m_);
                ++requests_;
                boost::system::error_code jec;
                auto v = json::parse(req.body(), jec);
                if (!jec) bodies_.push_back(v);
            }
            if (behaviour_ == behaviour::hang) {
                held_.push_back(std::move(s));  // never answered; closed when the test ends
                continue;
            }
            http::response<http::string_body> res{behaviour_ == behaviour::ok ? http::status::ok
                                                                                 : http::status::internal_server_error,
                                                  11};
            res.body() = behaviour_ == behaviour::ok ? "{\"ok\":true}" : "{\"error\":\"boom\"}";
            res.prepare_payload();
            http::write(s, res, ec);
        }
    }

    behaviour behaviour_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex m_;
    std::vector<json::value> bodies_;
    std::size_t requests_ = 0;
    std::vector<tcp::socket> held_;
};

std::string notifications_yaml(unsigned short port, int min_interval_ms = 200) {
    return fmt::format(
        "notifications:\n"
        "  targets:\n"
        "    - type: webhook\n"
        "      url: http://127.0.0.1:{}/hook/S3CRET-PATH\n"
        "      headers: {{Authorization: \"Bearer hdr-s3cret\"}}\n"
        "      timeout_ms: 3000\n"
        "  min_interval_ms: {}\n",
        port, min_interval_ms);
}

const std::string rt = "/api/v1/real-trading/";

double num(const json::value& v) {
    if (v.is_string()) return std::stod(std::string(v.as_string()));
    return v.to_number<double>();
}

/// Real trading started against the simulator, with quotes for every symbol.
struct real_setup {
    explicit real_setup(const std::string& extra_yaml) : d(make_real_daemon(sim, extra_yaml)) {
        auto a = start_real(*d);
        INFO(a.body << "\n" << d->proc().log());
        REQUIRE(a.status == 200);
        bool quoted = eventually(
            [&] {
                sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
                sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
                sim.set_price("SOLUSDT", "150.00", "150.01", "150.00");
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                auto st = d->data(rt + "status");
                return st.at("exchange").at("market_stream") == "connected";
            },
            std::chrono::milliseconds(15000));
        REQUIRE(quoted);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
        sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    sim_fixture sim;
    std::unique_ptr<daemon_fixture> d;
};

std::string open_real(daemon_fixture& d, const std::string& symbol) {
    auto a = d.post("/api/v1/opportunities",
                    R"({"symbol":")" + symbol + R"(","side":"LONG","mode":"real-trading","reason":"test"})");
    INFO(a.body);
    REQUIRE(a.status == 200);
    auto r = a.json().at("data").at("results").at(0);
    REQUIRE(r.at("accepted").as_bool());
    return std::string(r.at("position").at("position_id").as_string());
}

std::optional<json::object> position(daemon_fixture& d, const std::string& id) {
    const auto all = d.data(rt + "positions");
    for (auto& p : all.as_array())
        if (p.at("position_id").as_string() == id) return p.as_object();
    return std::nullopt;
}

/// "type" of a pushed message ("" for command answers, which have none).
std::string type_of(const json::value& m) {
    const auto* t = m.is_object() ? m.as_object().if_contains("type") : nullptr;
    return t != nullptr && t->is_string() ? std::string(t->as_string()) : std::string();
}

/// Opportunity -> position_opened latencies (ms) over `n` open/close cycles, timed from just
/// before the POST to the WebSocket event's arrival.
std::vector<double> open_latencies(daemon_fixture& d, int n) {
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        // A fresh subscription per cycle (a timed-out read ends the test client's session), read
        // up to its snapshot so only this cycle's events follow.
        ws_client ws;
        REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
        ws.send(R"({"op":"subscribe","id":1,"channels":["positions"],"modes":["real-trading"]})");
        for (;;) {
            auto m = ws.receive_json(std::chrono::milliseconds(5000));
            REQUIRE(m);
            if (type_of(*m) == "snapshot") break;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const auto id = open_real(d, "BTCUSDT");
        bool opened = false;
        while (!opened) {
            auto m = ws.receive_json(std::chrono::milliseconds(10000));
            REQUIRE(m);
            opened = type_of(*m) == "event" && m->at("event") == "position_opened" &&
                     m->at("data").at("position_id").as_string() == id;
        }
        out.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        // Wait for TP/SL, then close, so the next cycle can open BTCUSDT again.
        REQUIRE(eventually([&] {
            auto p = position(d, id);
            return p && p->at("status") == "OPEN" && num(p->at("sl_price")) > 0 && !p->at("sl_order_id").is_null();
        }));
        REQUIRE(d.post(rt + "close-position/" + id).status == 200);
        REQUIRE(eventually([&] {
            auto p = position(d, id);
            return !p || p->at("status") == "CLOSED";
        }));
    }
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}
double maximum(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

}  // namespace

TEST_CASE("notify: open, TP close and emergency stop reach a webhook in order, marked REAL MONEY",
          "[integration][notify][real]") {
    receiver rx(receiver::behaviour::ok);
    real_setup e(notifications_yaml(rx.port()));
    auto& d = *e.d;

    const auto id = open_real(d, "BTCUSDT");
    std::optional<json::object> p;
    REQUIRE(eventually([&] {
        p = position(d, id);
        return p && p->at("status") == "OPEN" && num(p->at("tp_price")) > 0 && !p->at("sl_order_id").is_null();
    }));
    // Through the take profit.
    e.sim.set_price("BTCUSDT", fmt::format("{:.1f}", num(p->at("tp_price")) + 100.0));
    REQUIRE(eventually([&] {
        const auto trades = d.data(rt + "trades");
        for (auto& t : trades.as_array())
            if (t.at("position_id").as_string() == id) return true;
        return false;
    }));
    REQUIRE(d.post(rt + "emergency-stop").status == 200);

    std::vector<json::object> got;
    const bool all = eventually(
        [&] {
            got.clear();
            for (auto& ev : rx.events())
                if (ev.at("event") == "position_opened" || ev.at("event") == "position_closed" ||
                    ev.at("event") == "emergency_stop")
                    got.push_back(ev);
            return got.size() >= 3;
        },
        std::chrono::milliseconds(10000));
    INFO("received: " << json::serialize(json::value_from(rx.bodies())) << "\nlog:\n" << d.proc().log());
    REQUIRE(all);
    REQUIRE(got.size() == 3);
    CHECK(got[0].at("event") == "position_opened");
    CHECK(got[1].at("event") == "position_closed");
    CHECK(got[2].at("event") == "emergency_stop");
    for (auto& ev : got) {
        CHECK(ev.at("mode") == "real-trading");
        CHECK(ev.at("real_money").as_bool());
        CHECK(std::string(ev.at("text").as_string()).rfind("[REAL MONEY] real-trading: ", 0) == 0);
    }
    // What SPEC §10 says a message carries.
    CHECK(got[0].at("position_id").as_string() == id);
    CHECK(got[0].at("symbol") == "BTCUSDT");
    CHECK(got[0].at("side") == "LONG");
    CHECK(num(got[0].at("entry_price")) > 0);
    CHECK(got[1].at("exit_reason") == "TAKE_PROFIT");
    CHECK(num(got[1].at("pnl")) > 0);
    CHECK(num(got[1].at("exit_price")) > num(got[1].at("entry_price")));

    // Delivered, counted, and the secrets in the URL and headers never reach the log or status.
    const auto metrics = d.get("/metrics").body;
    CHECK(metrics.find("traded_notifications_sent_total{target=\"webhook-1\"}") != std::string::npos);
    const auto status = d.get(rt + "status").body;
    CHECK(status.find("\"target\":\"webhook-1\"") != std::string::npos);
    for (const char* secret : {"S3CRET-PATH", "hdr-s3cret"}) {
        CHECK(d.proc().log().find(secret) == std::string::npos);
        CHECK(status.find(secret) == std::string::npos);
        CHECK(metrics.find(secret) == std::string::npos);
    }
    // Every real-money action is in the log at WARN, one line each.
    const auto log = d.proc().log();
    CHECK(log.find("warn  [real-trading] ENTRY sent: position=" + id + " client_order_id=" + id + "-E symbol=BTCUSDT side=BUY") !=
          std::string::npos);
    CHECK(log.find("warn  [real-trading] ENTRY filled: position=" + id) != std::string::npos);
    CHECK(log.find("warn  [real-trading] TAKE_PROFIT placed: position=" + id) != std::string::npos);
    CHECK(log.find("warn  [real-trading] TAKE_PROFIT filled: position=" + id) != std::string::npos);
    CHECK(log.find("warn  [real-trading] STOP_LOSS cancel sent: position=" + id) != std::string::npos);
    CHECK(log.find("warn  [real-trading] EMERGENCY STOP") != std::string::npos);
}

TEST_CASE("notify: a webhook that hangs or answers 500 does not delay trading", "[integration][notify][real]") {
    constexpr int cycles = 6;
    std::vector<double> base;
    {
        real_setup e("");
        base = open_latencies(*e.d, cycles);
    }
    std::vector<double> hang;
    {
        receiver rx(receiver::behaviour::hang);
        real_setup e(notifications_yaml(rx.port(), 0));
        hang = open_latencies(*e.d, cycles);
        CHECK(rx.requests() >= 1);  // it was really tried (and is hanging)
    }
    std::vector<double> err;
    {
        receiver rx(receiver::behaviour::error500);
        real_setup e(notifications_yaml(rx.port(), 0));
        err = open_latencies(*e.d, cycles);
        CHECK(eventually([&] { return rx.requests() >= 2; }));  // retried after the 500
        const auto status = e.d->data(rt + "status");
        INFO(json::serialize(status));
        CHECK(status.at("notifications").at(0).at("last_error") == "HTTP 500");
        CHECK(e.d->get("/metrics").body.find("traded_notifications_retries_total{target=\"webhook-1\"} 0") ==
              std::string::npos);
    }
    const auto line = fmt::format(
        "opportunity -> position_opened over {} cycles (ms): no notifications median {:.1f} max {:.1f}; "
        "hanging webhook median {:.1f} max {:.1f}; webhook answering 500 median {:.1f} max {:.1f}\n",
        cycles, median(base), maximum(base), median(hang), maximum(hang), median(err), maximum(err));
    std::fputs(line.c_str(), stdout);
    INFO(line);
    // The delivery attempt has a 3 s deadline: had it blocked the loop, every open would wait for
    // it. Generous bounds, for a loaded 2-core machine.
    CHECK(median(hang) < median(base) + 100);
    CHECK(median(err) < median(base) + 100);
    CHECK(maximum(hang) < 1500);
    CHECK(maximum(err) < 1500);
}
