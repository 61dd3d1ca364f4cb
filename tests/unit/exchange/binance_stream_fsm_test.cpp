// The stream state machine stepped by hand: no sockets, no clock.
#include "exchange/binance/stream_fsm.hpp"

#include <catch2/catch.hpp>

using namespace traded::binance;
namespace in = traded::binance::stream_input;
namespace act = traded::binance::stream_action;

namespace {

template <class A>
const A* find(const stream_actions& actions) {
    for (const auto& a : actions)
        if (const auto* p = std::get_if<A>(&a)) return p;
    return nullptr;
}

template <class A>
int count(const stream_actions& actions) {
    int n = 0;
    for (const auto& a : actions) n += std::holds_alternative<A>(a) ? 1 : 0;
    return n;
}

/// Index of the first action of type A, or -1.
template <class A>
int index_of(const stream_actions& actions) {
    for (std::size_t i = 0; i < actions.size(); ++i)
        if (std::holds_alternative<A>(actions[i])) return static_cast<int>(i);
    return -1;
}

stream_config market_cfg() {
    stream_config c;
    c.kind = stream_kind::market;
    c.url = "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker";
    c.silence_timeout_ms = 60'000;
    c.jitter_seed = 42;
    return c;
}

stream_config user_cfg() {
    stream_config c;
    c.kind = stream_kind::user;
    c.url = "ws://127.0.0.1:9000/private";
    c.silence_timeout_ms = 600'000;
    c.jitter_seed = 7;
    return c;
}

constexpr millis t0 = 1'700'000'000'000;

}  // namespace

TEST_CASE("market stream: start, connect, trusted on connect", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    CHECK(fsm.state() == stream_state::stopped);
    auto a = fsm.step(in::start{}, t0);
    const auto* c = find<act::connect>(a);
    REQUIRE(c);
    CHECK(c->url == "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker");
    CHECK(c->connection == 1);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 15'000);  // connect timeout
    CHECK(fsm.state() == stream_state::connecting);
    CHECK_FALSE(fsm.trusted());

    a = fsm.step(in::connected{1}, t0 + 200);
    CHECK(find<act::mark_trusted>(a));
    CHECK(find<act::reconcile>(a) == nullptr);
    CHECK(fsm.state() == stream_state::live);
    CHECK(fsm.trusted());
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 200 + 60'000);  // silence check
}

TEST_CASE("market stream: frames keep it alive, silence reconnects with backoff", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::connected{1}, t0);
    // Frames do not re-arm the timer (no timer churn per message) ...
    auto a = fsm.step(in::frame_received{}, t0 + 30'000);
    CHECK(a.empty());
    // ... the timer fires at the old deadline, sees the recent frame and re-arms later.
    a = fsm.step(in::timer_fired{}, t0 + 60'000);
    CHECK(find<act::close>(a) == nullptr);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 90'000);
    // Silence: nothing since t0+30s.
    a = fsm.step(in::timer_fired{}, t0 + 90'000);
    REQUIRE(find<act::close>(a));
    CHECK(find<act::close>(a)->connection == 1);
    REQUIRE(find<act::mark_untrusted>(a));
    CHECK(fsm.state() == stream_state::waiting_retry);
    CHECK_FALSE(fsm.trusted());
    REQUIRE(find<act::arm_timer>(a));
    millis retry = find<act::arm_timer>(a)->at;
    CHECK(retry >= t0 + 90'000 + 250);
    CHECK(retry <= t0 + 90'000 + 500);
    // Nothing happens before the retry time.
    a = fsm.step(in::timer_fired{}, retry - 1);
    CHECK(find<act::connect>(a) == nullptr);
    a = fsm.step(in::timer_fired{}, retry);
    REQUIRE(find<act::connect>(a));
    CHECK(find<act::connect>(a)->connection == 2);
}

TEST_CASE("backoff grows exponentially with jitter, capped", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    millis now = t0;
    fsm.step(in::start{}, now);
    millis expected = 500;
    for (int attempt = 0; attempt < 10; ++attempt) {
        auto a = fsm.step(in::connect_failed{fsm.connection(), "refused"}, now);
        REQUIRE(find<act::arm_timer>(a));
        millis delay = find<act::arm_timer>(a)->at - now;
        INFO("attempt " << attempt);
        CHECK(delay >= expected / 2);
        CHECK(delay <= expected);
        CHECK(find<act::close>(a) == nullptr);  // the socket never opened
        now += delay;
        a = fsm.step(in::timer_fired{}, now);
        REQUIRE(find<act::connect>(a));
        expected = std::min<millis>(expected * 2, 30'000);
    }
    CHECK(fsm.attempts() == 10);
}

TEST_CASE("jitter is deterministic per seed and differs across seeds", "[binance][fsm]") {
    auto delays = [](std::uint64_t seed) {
        auto cfg = market_cfg();
        cfg.jitter_seed = seed;
        stream_fsm fsm(cfg);
        std::vector<millis> out;
        millis now = t0;
        fsm.step(in::start{}, now);
        for (int i = 0; i < 6; ++i) {
            auto a = fsm.step(in::connect_failed{fsm.connection(), ""}, now);
            out.push_back(find<act::arm_timer>(a)->at - now);
            now = find<act::arm_timer>(a)->at;
            fsm.step(in::timer_fired{}, now);
        }
        return out;
    };
    CHECK(delays(1) == delays(1));
    CHECK(delays(1) != delays(2));
}

TEST_CASE("late callbacks of an old connection are ignored", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::connect_failed{1, "x"}, t0);
    auto a = fsm.step(in::timer_fired{}, t0 + 1000);
    REQUIRE(find<act::connect>(a));
    REQUIRE(fsm.connection() == 2);
    CHECK(fsm.step(in::connected{1}, t0 + 1001).empty());
    CHECK(fsm.state() == stream_state::connecting);
    fsm.step(in::connected{2}, t0 + 1002);
    CHECK(fsm.state() == stream_state::live);
    CHECK(fsm.step(in::disconnected{1, "old socket closing"}, t0 + 1003).empty());
    CHECK(fsm.state() == stream_state::live);
    CHECK(fsm.trusted());
}

TEST_CASE("connect timeout closes the attempt and retries", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    fsm.step(in::start{}, t0);
    auto a = fsm.step(in::timer_fired{}, t0 + 15'000);
    REQUIRE(find<act::close>(a));
    CHECK(find<act::close>(a)->connection == 1);
    CHECK(fsm.state() == stream_state::waiting_retry);
}

TEST_CASE("rotation before 24 h reconnects at once, without backoff", "[binance][fsm]") {
    auto cfg = market_cfg();
    cfg.silence_timeout_ms = 0;
    stream_fsm fsm(cfg);
    fsm.step(in::start{}, t0);
    auto a = fsm.step(in::connected{1}, t0);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 23LL * 3600 * 1000);
    a = fsm.step(in::timer_fired{}, t0 + 23LL * 3600 * 1000);
    REQUIRE(find<act::close>(a));
    CHECK(find<act::close>(a)->reason == "rotation");
    REQUIRE(find<act::connect>(a));
    CHECK(find<act::connect>(a)->connection == 2);
    CHECK(index_of<act::close>(a) < index_of<act::connect>(a));
    CHECK(find<act::mark_untrusted>(a));
}

TEST_CASE("a stable connection resets the backoff", "[binance][fsm]") {
    stream_fsm fsm(market_cfg());
    millis now = t0;
    fsm.step(in::start{}, now);
    for (int i = 0; i < 5; ++i) {
        auto a = fsm.step(in::connect_failed{fsm.connection(), ""}, now);
        now = find<act::arm_timer>(a)->at;
        fsm.step(in::timer_fired{}, now);
    }
    CHECK(fsm.attempts() == 5);
    fsm.step(in::connected{fsm.connection()}, now);
    for (int i = 1; i <= 4; ++i) fsm.step(in::frame_received{}, now + i * 20'000);
    auto a = fsm.step(in::disconnected{fsm.connection(), "eof"}, now + 80'000);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at - (now + 80'000) <= 500);
    CHECK(fsm.attempts() == 1);
}

TEST_CASE("user stream: listenKey, connect, reconcile BEFORE trusted", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    auto a = fsm.step(in::start{}, t0);
    REQUIRE(find<act::create_listen_key>(a));
    CHECK(find<act::connect>(a) == nullptr);
    CHECK(fsm.state() == stream_state::creating_listen_key);

    a = fsm.step(in::listen_key_created{"abc123"}, t0 + 100);
    REQUIRE(find<act::connect>(a));
    CHECK(find<act::connect>(a)->url == "ws://127.0.0.1:9000/private/ws?listenKey=abc123&events=ORDER_TRADE_UPDATE/ALGO_UPDATE/ACCOUNT_UPDATE/"
                                                   "listenKeyExpired");
    CHECK(fsm.listen_key() == "abc123");

    a = fsm.step(in::connected{1}, t0 + 200);
    CHECK(find<act::reconcile>(a));
    CHECK(find<act::mark_trusted>(a) == nullptr);
    CHECK(fsm.state() == stream_state::reconciling);
    CHECK_FALSE(fsm.trusted());

    // Events during the sweep do not make the stream trusted.
    a = fsm.step(in::frame_received{}, t0 + 300);
    CHECK(find<act::mark_trusted>(a) == nullptr);
    CHECK_FALSE(fsm.trusted());

    a = fsm.step(in::reconcile_done{}, t0 + 900);
    CHECK(find<act::mark_trusted>(a));
    CHECK(fsm.trusted());
    CHECK(fsm.state() == stream_state::live);
}

TEST_CASE("user stream: keep-alive every 30 minutes", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    millis ka = t0 + 30 * 60'000;
    // Keep the stream from going silent.
    for (millis t = t0 + 100'000; t < ka; t += 100'000) fsm.step(in::frame_received{}, t);
    auto a = fsm.step(in::timer_fired{}, ka);
    REQUIRE(find<act::send_keepalive>(a));
    CHECK(find<act::send_keepalive>(a)->listen_key == "k1");
    a = fsm.step(in::keepalive_result{"k1", true, 0}, ka + 50);
    CHECK(fsm.trusted());
    for (millis t = ka + 100'000; t < ka + 30 * 60'000; t += 100'000) {
        auto b = fsm.step(in::frame_received{}, t);
        if (fsm.armed() && *fsm.armed() <= t + 100'000) b = fsm.step(in::timer_fired{}, *fsm.armed());
        CHECK(find<act::send_keepalive>(b) == nullptr);
    }
    a = fsm.step(in::timer_fired{}, ka + 50 + 30 * 60'000);
    CHECK(find<act::send_keepalive>(a));
}

TEST_CASE("user stream: a failed keep-alive is retried; a stale answer is ignored", "[binance][fsm]") {
    auto cfg = user_cfg();
    cfg.silence_timeout_ms = 0;
    stream_fsm fsm(cfg);
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    millis ka = t0 + 30 * 60'000;
    fsm.step(in::timer_fired{}, ka);
    auto a = fsm.step(in::keepalive_result{"k1", false, -1001}, ka + 10);
    CHECK(fsm.trusted());
    REQUIRE(fsm.armed());
    CHECK(*fsm.armed() == ka + 10 + 60'000);
    a = fsm.step(in::keepalive_result{"old-key", false, -1125}, ka + 20);
    CHECK(a.empty());
    CHECK(fsm.trusted());
}

TEST_CASE("user stream: -1125 on keep-alive re-creates the key and reconciles again", "[binance][fsm]") {
    auto cfg = user_cfg();
    cfg.silence_timeout_ms = 0;
    stream_fsm fsm(cfg);
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    fsm.step(in::timer_fired{}, t0 + 30 * 60'000);
    auto a = fsm.step(in::keepalive_result{"k1", false, -1125}, t0 + 30 * 60'000 + 5);
    REQUIRE(find<act::close>(a));
    CHECK(find<act::close>(a)->connection == 1);
    REQUIRE(find<act::mark_untrusted>(a));
    REQUIRE(find<act::create_listen_key>(a));
    CHECK(index_of<act::close>(a) < index_of<act::create_listen_key>(a));
    CHECK_FALSE(fsm.trusted());
    CHECK(fsm.listen_key().empty());

    a = fsm.step(in::listen_key_created{"k2"}, t0 + 30 * 60'000 + 100);
    REQUIRE(find<act::connect>(a));
    CHECK(find<act::connect>(a)->url == "ws://127.0.0.1:9000/private/ws?listenKey=k2&events=ORDER_TRADE_UPDATE/ALGO_UPDATE/ACCOUNT_UPDATE/"
                                                   "listenKeyExpired");
    a = fsm.step(in::connected{2}, t0 + 30 * 60'000 + 200);
    CHECK(find<act::reconcile>(a));
    CHECK_FALSE(fsm.trusted());
    a = fsm.step(in::reconcile_done{}, t0 + 30 * 60'000 + 300);
    CHECK(find<act::mark_trusted>(a));
}

TEST_CASE("user stream: listenKeyExpired re-creates; an event about another key does not", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    CHECK(fsm.step(in::listen_key_expired{"some-old-key"}, t0 + 10).empty());
    CHECK(fsm.trusted());
    auto a = fsm.step(in::listen_key_expired{""}, t0 + 20);  // no listenKey in the event: ours
    CHECK(find<act::close>(a));
    CHECK(find<act::mark_untrusted>(a));
    CHECK(find<act::create_listen_key>(a));
    CHECK(fsm.state() == stream_state::creating_listen_key);
}

TEST_CASE("user stream: every reconnect POSTs the key and reconciles before trust", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    auto a = fsm.step(in::disconnected{1, "eof"}, t0 + 1000);
    CHECK(find<act::mark_untrusted>(a));
    CHECK(find<act::close>(a) == nullptr);
    REQUIRE(fsm.armed());
    a = fsm.step(in::timer_fired{}, *fsm.armed());
    CHECK(find<act::create_listen_key>(a));
    CHECK(find<act::connect>(a) == nullptr);
    a = fsm.step(in::listen_key_created{"k1"}, t0 + 2000);
    a = fsm.step(in::connected{2}, t0 + 2100);
    CHECK(find<act::reconcile>(a));
    CHECK_FALSE(fsm.trusted());
}

TEST_CASE("user stream: failed sweep is retried and the stream stays untrusted", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    auto a = fsm.step(in::reconcile_failed{"503"}, t0 + 100);
    CHECK(find<act::reconcile>(a) == nullptr);
    REQUIRE(fsm.armed());
    millis retry = *fsm.armed();
    CHECK(retry > t0 + 100);
    CHECK(retry <= t0 + 100 + 500);
    a = fsm.step(in::timer_fired{}, retry);
    CHECK(find<act::reconcile>(a));
    CHECK_FALSE(fsm.trusted());
    fsm.step(in::reconcile_done{}, retry + 10);
    CHECK(fsm.trusted());
}

TEST_CASE("user stream: listenKey POST failure backs off and POSTs again", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    auto a = fsm.step(in::listen_key_failed{-2015, "Invalid API-key"}, t0 + 50);
    CHECK(fsm.state() == stream_state::waiting_retry);
    REQUIRE(fsm.armed());
    a = fsm.step(in::timer_fired{}, *fsm.armed());
    CHECK(find<act::create_listen_key>(a));
    // No answer at all: the request times out and is retried.
    a = fsm.step(in::timer_fired{}, *fsm.armed());
    CHECK(fsm.state() == stream_state::waiting_retry);
}

TEST_CASE("stop closes, untrusts, cancels the timer and ignores later inputs", "[binance][fsm]") {
    stream_fsm fsm(user_cfg());
    fsm.step(in::start{}, t0);
    fsm.step(in::listen_key_created{"k1"}, t0);
    fsm.step(in::connected{1}, t0);
    fsm.step(in::reconcile_done{}, t0);
    auto a = fsm.step(in::stop{}, t0 + 5);
    CHECK(find<act::close>(a));
    CHECK(find<act::mark_untrusted>(a));
    CHECK(find<act::cancel_timer>(a));
    CHECK(fsm.state() == stream_state::stopped);
    CHECK(fsm.step(in::disconnected{1, "closed"}, t0 + 6).empty());
    CHECK(fsm.step(in::timer_fired{}, t0 + 60 * 60'000).empty());
    CHECK(fsm.step(in::listen_key_expired{""}, t0 + 7).empty());
    // And it can start again.
    CHECK(find<act::create_listen_key>(fsm.step(in::start{}, t0 + 10)));
    CHECK(to_string(stream_state::reconciling) == "reconciling");
}
