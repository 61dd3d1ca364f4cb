// The replay source on a real io_context: delivers every update in event-time order at the
// configured pace, and delivers nothing from a file with a bad row (status names file:line).

#include "exchange/market/replay_source.hpp"
#include "tests/unit/market/test_files.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <chrono>

using namespace traded::market;
using market_test::temp_dir;
using market_test::write_file;

namespace {
traded::engine::millis steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
std::string rows(int n, long long t0, long long step) {
    std::string s = std::string(book_ticker_header) + "\n";
    for (int i = 0; i < n; ++i)
        s += std::to_string(i) + ",100." + std::to_string(i % 10) + ",1,101,1,0," + std::to_string(t0 + i * step) + "\n";
    return s;
}
}  // namespace

TEST_CASE("replay pacing maps event time to wall time at the speed", "[replay]") {
    replay_pacer x1(1.0);
    CHECK(x1.due(5000, 100) == 100);
    CHECK(x1.due(6000, 150) == 1100);
    replay_pacer x10(10.0);
    CHECK(x10.due(5000, 100) == 100);
    CHECK(x10.due(6000, 100) == 200);
    replay_pacer fast(0);
    CHECK(fast.due(5000, 100) == 100);
    CHECK(fast.due(9'000'000, 120) == 120);
}

TEST_CASE("the replay source delivers every update in order, paced", "[replay]") {
    temp_dir t;
    auto a = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), rows(30, 1000, 10));  // 290 ms of data
    auto b = write_file(t.file("ETHUSDT-bookTicker-2026-01-15.csv"), rows(5, 1005, 50));
    boost::asio::io_context io;
    replay_source src(io, {t.path.string()}, {"BTCUSDT", "ETHUSDT"}, 2.0, steady_ms);  // 145 ms at 2x
    CHECK(src.kind() == source_kind::replay);
    std::vector<quote_update> got;
    std::vector<source_status> states;
    const auto t0 = steady_ms();
    src.start({[&](const quote_update& u) { got.push_back(u); }, [&](const source_status& s) { states.push_back(s); }, {}});
    io.run_for(std::chrono::seconds(5));
    const auto took = steady_ms() - t0;
    REQUIRE(got.size() == 35);
    for (std::size_t i = 1; i < got.size(); ++i) CHECK(got[i - 1].event_time <= got[i].event_time);
    CHECK(took >= 140);  // paced, not all at once
    REQUIRE(!states.empty());
    CHECK(states.back().detail == "replay finished: 35 updates");
    CHECK(src.status().last_update_ms > 0);
}

TEST_CASE("a replay file with a bad row replays nothing and says where", "[replay]") {
    temp_dir t;
    auto good = write_file(t.file("ETHUSDT-bookTicker-2026-01-15.csv"), rows(10, 1000, 10));
    auto bad = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), rows(100, 1000, 10) + "x,1,1,1,1,1,1\n");
    boost::asio::io_context io;
    replay_source src(io, {good, bad}, {"BTCUSDT", "ETHUSDT"}, 0, steady_ms);
    int delivered = 0;
    src.start({[&](const quote_update&) { ++delivered; }, {}, {}});
    io.run_for(std::chrono::seconds(2));
    CHECK(delivered == 0);
    CHECK(!src.status().connected);
    CHECK(src.status().detail == "replay error: " + bad + ":102: update_id: expected an integer");

    replay_source missing(io, {t.file("nope.jsonl")}, {"BTCUSDT"}, 0, steady_ms);
    missing.start({});
    CHECK(missing.status().detail == "replay error: " + t.file("nope.jsonl") + ": no such file");
}

TEST_CASE("the replay source delivers one event time per loop turn, at any speed", "[replay]") {
    // What the market hub coalesces (one flush per turn) must be exactly what arrived together
    // live: updates with the same event time share a turn, updates with different ones never do.
    temp_dir t;
    std::string csv = std::string(book_ticker_header) + "\n";
    const long long times[] = {1000, 1000, 1000, 1001, 1002, 1002, 5000};
    for (int i = 0; i < 7; ++i) csv += std::to_string(i) + ",100." + std::to_string(i) + ",1,101,1,0," + std::to_string(times[i]) + "\n";
    write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), csv);
    for (double speed : {0.0, 1000.0}) {
        boost::asio::io_context io;
        replay_source src(io, {t.path.string()}, {"BTCUSDT"}, speed, steady_ms);
        int turn = 0;
        bool probe_posted = false;
        std::vector<std::pair<traded::engine::millis, int>> got;  // (event time, turn)
        src.start({[&](const quote_update& u) {
                       got.emplace_back(u.event_time, turn);
                       if (!probe_posted) {
                           probe_posted = true;  // runs when this turn is over, like the hub's flush
                           boost::asio::post(io, [&] {
                               ++turn;
                               probe_posted = false;
                           });
                       }
                   },
                   {}, {}});
        io.run_for(std::chrono::seconds(2));
        INFO("speed " << speed);
        REQUIRE(got.size() == 7);
        for (std::size_t i = 1; i < got.size(); ++i) {
            if (got[i].first == got[i - 1].first)
                CHECK(got[i].second == got[i - 1].second);
            else
                CHECK(got[i].second > got[i - 1].second);
        }
    }
}
