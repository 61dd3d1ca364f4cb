// Fault soak: the real `traded` daemon trading for real against the real `traded-sim` on loopback,
// while a seeded random driver submits opportunities, closes positions through the API and by hand
// on the exchange, moves prices, and makes the exchange misbehave (dropped streams, expired
// listenKeys, 429/418/503, slow answers, slow/duplicated/reordered user events). Invariants are
// checked all along (see invariants.hpp), then once more after the faults stop and the daemon has
// had time to settle, and again after every position is closed.
//
// Not part of ctest: scripts/soak [seconds] [seed] runs it (CI: 120 s). A failure prints the seed;
// the same seed replays the same sequence of actions (timing, and so the daemon's exact
// interleaving, still varies from run to run).

#include "tests/integration/sim_fixture.hpp"
#include "tests/soak/invariants.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace traded::test;
using namespace traded::soak;
using namespace std::chrono_literals;

namespace {

const std::string rt = "/api/v1/real-trading/";
const std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT", "SOLUSDT"};
const std::vector<double> base_price{50000.0, 3000.0, 150.0};
const std::vector<int> price_decimals{1, 2, 2};

long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

/// Resident set size of a process in KiB (0 when unreadable).
long rss_kib(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
}

/// Reads every WebSocket push on its own thread and checks `seq` and trade_recorded as they come.
class ws_watcher {
public:
    explicit ws_watcher(daemon_fixture& d) {
        const auto err = ws_.connect(d.port(), "/api/v1/ws?access_token=" + d.token());
        INFO("ws connect: " << err);
        REQUIRE(err.empty());
        ws_.send(R"({"op":"subscribe","id":1,"channels":["positions","trades","safety","account","status"],"modes":["real-trading"]})");
        // TRADED_SOAK_TRACE=<file>: every push, one per line, for reading a failure afterwards.
        if (const char* t = std::getenv("TRADED_SOAK_TRACE"); t != nullptr && *t != '\0')
            trace_ = std::make_unique<std::ofstream>(t);
        thread_ = std::thread([this] { run(); });
    }
    ~ws_watcher() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        ws_.close();
    }
    /// Violations seen so far, and what the stream saw.
    std::vector<std::string> violations() {
        std::lock_guard<std::mutex> l(mu_);
        return seq_.violations();
    }
    std::size_t events() {
        std::lock_guard<std::mutex> l(mu_);
        return seq_.events();
    }
    bool closed() const { return closed_; }
    std::set<std::string> closed_positions() {
        std::lock_guard<std::mutex> l(mu_);
        return seq_.closed_positions();
    }

private:
    void run() {
        while (!stop_) {
            auto m = ws_.receive(500ms);
            if (!m) {
                if (ws_.close_code() != 0) {
                    std::lock_guard<std::mutex> l(mu_);
                    seq_.note(fmt::format("the daemon closed the soak's WebSocket (code {})", ws_.close_code()));
                    closed_ = true;
                    return;
                }
                continue;
            }
            if (trace_) *trace_ << *m << '\n';
            boost::system::error_code ec;
            auto v = json::parse(*m, ec);
            std::lock_guard<std::mutex> l(mu_);
            if (ec || !v.is_object()) {
                seq_.note("a WebSocket message is not a JSON object: " + m->substr(0, 200));
                continue;
            }
            seq_.on_message(v.as_object());
        }
    }
    ws_client ws_;
    std::unique_ptr<std::ofstream> trace_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> closed_{false};
    std::mutex mu_;
    stream_checker seq_;
};

/// The seeded random driver.
struct driver {
    driver(sim_fixture& s, daemon_fixture& dd, std::uint64_t seed) : sim(s), d(dd), rng(seed) {
        for (std::size_t i = 0; i < symbols.size(); ++i) price.push_back(base_price[i]);
    }

    sim_fixture& sim;
    daemon_fixture& d;
    std::mt19937_64 rng;
    std::vector<double> price;
    std::map<std::string, int> counts;
    bool streams_delayed = false;
    int fault_pct = 8;  // share of steps that inject a fault (TRADED_SOAK_FAULT_PCT)

    int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }

    void set_price(std::size_t i) {
        const std::string px = fmt::format("{:.{}f}", price[i], price_decimals[i]);
        auto a = http("POST", sim.port(), "/admin/price", R"({"symbol":")" + symbols[i] + R"(","price":")" + px + "\"}");
        if (a.status != 200) {
            // mark/bid/ask form, as sim_fixture::set_price sends it.
            http("POST", sim.port(), "/admin/price",
                 R"({"symbol":")" + symbols[i] + R"(","bid":")" + px + R"(","ask":")" + px + R"(","mark":")" + px + "\"}");
        }
    }

    /// A random walk step: mostly small, now and then a jump that crosses a stop or a TP.
    void move_price() {
        const auto i = static_cast<std::size_t>(pick(3));
        std::normal_distribution<double> step(0.0, pick(10) == 0 ? 0.012 : 0.002);
        price[i] *= 1.0 + step(rng);
        price[i] = std::clamp(price[i], base_price[i] * 0.9, base_price[i] * 1.1);
        set_price(i);
        ++counts["price"];
    }

    void open() {
        const auto& s = symbols[static_cast<std::size_t>(pick(3))];
        const char* side = pick(2) ? "LONG" : "SHORT";
        auto a = d.post("/api/v1/opportunities",
                        R"({"symbol":")" + s + R"(","side":")" + side + R"(","mode":"real-trading","reason":"soak"})");
        ++counts["open_sent"];
        if (a.status == 200 && a.json().at("data").at("results").at(0).at("accepted").as_bool()) ++counts["open_accepted"];
    }

    void close_api() {
        auto a = d.get(rt + "positions");
        if (a.status != 200) return;
        const auto body = a.json();
        const auto& ps = body.at("data").as_array();
        if (ps.empty()) return;
        const auto& p = ps[static_cast<std::size_t>(pick(static_cast<int>(ps.size())))];
        d.post(rt + "close-position/" + std::string(p.at("position_id").as_string()));
        ++counts["close_api"];
    }

    void close_by_hand() {
        auto a = http("POST", sim.port(), "/admin/close-position",
                      R"({"symbol":")" + symbols[static_cast<std::size_t>(pick(3))] + "\"}");
        if (a.status == 200) ++counts["close_by_hand"];
    }

    void fault() {
        std::string body;
        switch (pick(10)) {
            case 0: body = R"({"kind":"drop_streams"})"; break;
            case 1: body = R"({"kind":"expire_listen_key"})"; break;
            case 2: body = fmt::format(R"({{"kind":"http_429","count":{},"retry_after_s":1}})", 1 + pick(3)); break;
            case 3: body = R"({"kind":"http_418","count":1,"retry_after_s":1})"; break;
            case 4: body = fmt::format(R"({{"kind":"unknown_503","count":{}}})", 1 + pick(2)); break;
            case 5: body = fmt::format(R"({{"kind":"timeout","count":1,"ms":{}}})", 500 + pick(4000)); break;
            case 6:
                body = fmt::format(R"({{"kind":"delay_streams","ms":{}}})", streams_delayed ? 0 : 50 + pick(700));
                streams_delayed = !streams_delayed;
                break;
            case 7: body = fmt::format(R"({{"kind":"duplicate_user_events","count":{}}})", 1 + pick(3)); break;
            case 8: body = fmt::format(R"({{"kind":"reorder_user_events","count":{}}})", 1 + pick(3)); break;
            default: close_by_hand(); return;
        }
        auto a = http("POST", sim.port(), "/admin/fault", body);
        INFO("fault " << body << " -> " << a.status << " " << a.body);
        REQUIRE(a.status == 200);
        ++counts["fault:" + std::string(a.json().at("kind").as_string())];
    }

    void step() {
        // About four steps a second: by default a fault every 3 s or so, a hand close every 8 s.
        const int r = pick(100);
        if (r >= 100 - fault_pct) fault();
        else if (r < 50) move_price();
        else if (r < 77) open();
        else if (r < 89) close_api();
        else if (r < 92) close_by_hand();
        else move_price();
    }
};

/// Exchange and daemon views for the invariant checks.
snapshot take_snapshot(sim_fixture& sim, daemon_fixture& d) {
    snapshot s;
    // Trades before positions: a close landing between the two reads then shows as a position
    // already closed, never as a trade of a position still held.
    auto st = http("GET", sim.port(), "/admin/state");
    auto tr = d.get(rt + "trades?limit=1000");
    auto ps = d.get(rt + "positions");
    s.ok = st.status == 200 && ps.status == 200 && tr.status == 200;
    if (!s.ok) return s;
    s.exchange = st.json().as_object();
    s.daemon_positions = ps.json().at("data").as_array();
    s.daemon_trades = tr.json().at("data").as_array();
    return s;
}

std::string summary(const std::map<std::string, int>& counts) {
    std::string out;
    for (const auto& [k, v] : counts) out += fmt::format("{}={} ", k, v);
    return out;
}

}  // namespace

TEST_CASE("fault soak: real daemon against traded-sim with injected faults", "[soak]") {
    const long seconds = env_long("TRADED_SOAK_SECONDS", 120);
    const auto seed = static_cast<std::uint64_t>(
        env_long("TRADED_SOAK_SEED", static_cast<long>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007)));
    const long grace_ms = env_long("TRADED_SOAK_GRACE_MS", 15000);
    const long rss_limit_kib = env_long("TRADED_SOAK_RSS_LIMIT_MB", 256) * 1024;
    std::printf("soak: seed %llu, %ld s (replay: scripts/soak %ld %llu)\n", static_cast<unsigned long long>(seed), seconds,
                seconds, static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    INFO("soak seed " << seed << " (replay: scripts/soak " << seconds << " " << seed << ")");

    sim_fixture sim;
    // Room for three positions, a daily loss limit the walk cannot reach, and manual entries only.
    auto d = make_real_daemon(sim, "  max_daily_loss: 100000.0\n");
    {
        auto started = start_real(*d);
        INFO("start -> " << started.status << " " << started.body << "\nlog:\n" << d->proc().log());
        REQUIRE(started.status == 200);
    }

    driver drv(sim, *d, seed);
    drv.fault_pct = static_cast<int>(std::clamp(env_long("TRADED_SOAK_FAULT_PCT", 8), 0L, 100L));
    // The market stream must carry a quote for every symbol before entries are possible.
    bool quoted = eventually(
        [&] {
            for (std::size_t i = 0; i < symbols.size(); ++i) drv.set_price(i);
            std::this_thread::sleep_for(200ms);
            auto st = d->data(rt + "status");
            const auto& ms = st.at("exchange").at("market_stream");
            return ms.is_bool() ? ms.as_bool() : ms == "connected";
        },
        15000ms);
    REQUIRE(quoted);

    ws_watcher watcher(*d);
    invariant_tracker tracker(grace_ms);
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::seconds(seconds);
    auto next_check = t0;
    long rss_first = 0;
    long rss_max = 0;
    std::size_t checks = 0;
    std::size_t stream_reported = 0;  // stream violations already reported

    auto check_now = [&](const char* phase) {
        const auto now = std::chrono::steady_clock::now();
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - t0).count();
        REQUIRE(d->proc().running());
        const long rss = rss_kib(d->proc().pid());
        if (rss_first == 0 && ms > 10000) rss_first = rss;
        rss_max = std::max(rss_max, rss);
        INFO(phase << " at " << ms << " ms; daemon RSS " << rss / 1024 << " MiB");
        CHECK(rss < rss_limit_kib);
        auto snap = take_snapshot(sim, *d);
        if (!snap.ok) return;  // a 503/timeout fault on /admin? no: the daemon may be busy; next round
        ++checks;
        auto broken = tracker.observe(snap, ms);
        for (const auto& b : broken) {
            INFO("daemon log tail:\n" << tail(d->proc().log(), 6000));
            FAIL_CHECK(b);
        }
        const auto stream = watcher.violations();
        for (std::size_t i = stream_reported; i < stream.size(); ++i) FAIL_CHECK(stream[i]);
        stream_reported = stream.size();
    };

    while (std::chrono::steady_clock::now() < end) {
        drv.step();
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + drv.pick(250)));
        if (std::chrono::steady_clock::now() >= next_check) {
            check_now("soak");
            next_check = std::chrono::steady_clock::now() + 1000ms;
        }
    }

    // Quiesce: no more faults, prices still, and time for the daemon to reconcile: twice the grace,
    // and at least 45 s, longer than the daemon's 30 s position reading that catches what a lost
    // stream event hid.
    const auto settle = std::chrono::milliseconds(std::max(grace_ms * 2, 45000L));
    REQUIRE(http("DELETE", sim.port(), "/admin/fault", "").status == 200);
    std::printf("soak: driver %s\n", summary(drv.counts).c_str());
    snapshot settled;
    std::vector<std::string> differences;
    const bool converged = eventually(
        [&] {
            settled = take_snapshot(sim, *d);
            differences = settled.ok ? quiesced_differences(settled) : std::vector<std::string>{"state unavailable"};
            return differences.empty();
        },
        settle);
    {
        INFO("after quiescing: " << (differences.empty() ? "" : differences.front()) << "\nexchange: "
                                 << json::serialize(settled.exchange.at("accounts").at(0).at("positions"))
                                 << "\ndaemon: " << json::serialize(settled.daemon_positions)
                                 << "\ndaemon log tail:\n" << tail(d->proc().log(), 6000));
        CHECK(converged);
    }

    // Close everything through the API; then nothing may be left anywhere and every closed
    // position has exactly one trade.
    for (const auto& p : settled.daemon_positions)
        d->post(rt + "close-position/" + std::string(p.at("position_id").as_string()));
    const bool flat = eventually(
        [&] {
            settled = take_snapshot(sim, *d);
            differences = settled.ok ? flat_differences(settled) : std::vector<std::string>{"state unavailable"};
            return differences.empty();
        },
        settle);
    {
        INFO("after closing everything: " << (differences.empty() ? "" : differences.front())
                                          << "\ndaemon log tail:\n" << tail(d->proc().log(), 6000));
        CHECK(flat);
    }
    // Every position the stream reported closed has its one trade.
    std::map<std::string, int> trade_count;
    for (const auto& t : settled.daemon_trades) ++trade_count[text(t.at("position_id"))];
    for (const auto& id : watcher.closed_positions()) {
        INFO("position " << id << " was reported closed");
        CHECK(trade_count[id] == 1);
    }
    for (const auto& b : hard_violations(settled)) FAIL_CHECK(b);
    const auto stream = watcher.violations();
    for (std::size_t i = stream_reported; i < stream.size(); ++i) FAIL_CHECK(stream[i]);
    CHECK_FALSE(watcher.closed());

    // Logs and the exchange's final state for reading a failure (scripts/soak: build/soak/).
    if (const char* dir = std::getenv("TRADED_SOAK_ARTIFACTS"); dir != nullptr && *dir != '\0') {
        std::filesystem::create_directories(dir);
        std::ofstream(std::string(dir) + "/traded.log") << d->proc().log();
        std::ofstream(std::string(dir) + "/traded-sim.log") << sim.proc().log();
        std::ofstream(std::string(dir) + "/sim-state.json") << http("GET", sim.port(), "/admin/state").body;
        std::printf("soak: logs and the exchange state in %s\n", dir);
    }

    const auto final_rss = rss_kib(d->proc().pid());
    INFO("RSS after warm-up " << rss_first / 1024 << " MiB, at the end " << final_rss / 1024 << " MiB");
    CHECK(final_rss < rss_limit_kib);
    std::printf("soak: %zu invariant checks, %zu WebSocket events, %zu trades, RSS %ld -> %ld MiB (max %ld), seed %llu\n",
                checks, watcher.events(), settled.daemon_trades.size(), rss_first / 1024, final_rss / 1024,
                rss_max / 1024, static_cast<unsigned long long>(seed));
    // The soak exercised something: entries were placed and trades were made.
    CHECK(drv.counts["open_accepted"] > 0);
    CHECK(settled.daemon_trades.size() > 0);
}
