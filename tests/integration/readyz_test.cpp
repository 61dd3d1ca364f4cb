// Issue 14: /readyz on the real daemon says not-ready, with the reason code, while the store cannot
// write (STORAGE_UNAVAILABLE) and while the market source has stopped (MARKET_DATA_STALE), and
// ready again once the cause is gone. Loopback only.

#include "harness.hpp"
#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <thread>

using namespace traded::test;

namespace {

/// The reason codes of a /readyz answer, "" when ready (200).
std::string not_ready(unsigned short port) {
    auto r = http("GET", port, "/readyz");
    if (r.status == 200) return "";
    std::string reasons = std::to_string(r.status);
    if (r.status == 503) {
        const json::value body = r.json();
        for (const auto& c : body.at("reasons").as_array()) reasons += " " + std::string(c.as_string());
    }
    return reasons;
}

bool has(const std::string& reasons, const std::string& code) { return reasons.find(" " + code) != std::string::npos; }

}  // namespace

TEST_CASE("/readyz: not ready with STORAGE_UNAVAILABLE while the store cannot write, ready after",
          "[integration][readyz]") {
    daemon_fixture d("opportunities:\n  strategy: none\n");
    std::string reasons;
    REQUIRE(eventually([&] { return (reasons = not_ready(d.port())).empty(); }));
    // An open position: every tick changes it, so the store writes all the time.
    auto a = d.post("/api/v1/opportunities", R"({"symbol":"BTCUSDT","side":"LONG","mode":"paper-trading"})");
    INFO(a.body);
    REQUIRE(a.json().at("data").at("results").at(0).at("accepted").as_bool());

    // A file-size limit of one byte on the daemon (ulimit -f, set from outside): every write to
    // the database fails as on a full disk. Works for root too, unlike a read-only directory.
    rlimit old{};
    REQUIRE(::prlimit(d.proc().pid(), RLIMIT_FSIZE, nullptr, &old) == 0);
    rlimit tiny = old;
    tiny.rlim_cur = 1;
    REQUIRE(::prlimit(d.proc().pid(), RLIMIT_FSIZE, &tiny, nullptr) == 0);
    const bool unavailable = eventually([&] { return has(reasons = not_ready(d.port()), "STORAGE_UNAVAILABLE"); });
    ::prlimit(d.proc().pid(), RLIMIT_FSIZE, &old, nullptr);  // before any REQUIRE can leave it set
    INFO("readyz: " << reasons);
    REQUIRE(unavailable);
    CHECK(reasons.rfind("503", 0) == 0);
    CHECK(d.proc().running());  // no SIGXFSZ death
    // Entries are refused meanwhile; the API itself answers.
    CHECK(d.get("/api/v1/paper-trading/status").status == 200);

    // The disk "has space again": the daemon's retry writes the state and it is ready again.
    CHECK(eventually([&] { return (reasons = not_ready(d.port())).empty(); }, std::chrono::milliseconds(15000)));
    INFO("readyz: " << reasons);
    auto positions = d.data("/api/v1/paper-trading/positions").as_array();
    CHECK(positions.size() == 1);
}

TEST_CASE("/readyz: not ready with MARKET_DATA_STALE once the exchange feed stops, ready when it is back",
          "[integration][readyz]") {
    sim_fixture sim;
    // Paper trading on the exchange's prices, real trading disabled (no credentials needed).
    daemon_fixture d(sim.exchange_yaml() +
                     "market:\n  source: exchange\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                     "  max_staleness_ms: 1500\nopportunities:\n  strategy: none\n");
    auto quote_all = [&] {
        sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
        sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
        sim.set_price("SOLUSDT", "150.00", "150.01", "150.00");
    };
    std::string reasons;
    REQUIRE(eventually(
        [&] {
            quote_all();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            return (reasons = not_ready(d.port())).empty();
        },
        std::chrono::milliseconds(15000)));

    sim.proc().stop(std::chrono::milliseconds(3000));
    // Well before the 30 s fallback: max_staleness_ms after the last quote.
    const auto t0 = std::chrono::steady_clock::now();
    const bool stale = eventually([&] { return has(reasons = not_ready(d.port()), "MARKET_DATA_STALE"); },
                                  std::chrono::milliseconds(10000));
    INFO("readyz: " << reasons);
    REQUIRE(stale);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(10000));

    sim.restart();
    CHECK(eventually(
        [&] {
            quote_all();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            return (reasons = not_ready(d.port())).empty();
        },
        std::chrono::milliseconds(20000)));
}
