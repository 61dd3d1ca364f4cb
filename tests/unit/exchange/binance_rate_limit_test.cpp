// The rate-limit governor fed with response headers and statuses.
#include "exchange/binance/rate_limit.hpp"

#include <catch2/catch.hpp>

using namespace traded::binance;

namespace {
constexpr millis minute = 60'000;
constexpr millis t0 = 1'700'000'040'000;  // 40 s into a minute
constexpr millis next_minute = (t0 / minute + 1) * minute;
}  // namespace

TEST_CASE("weight near the limit waits for the next minute; orders still go", "[binance][ratelimit]") {
    rate_governor g;
    CHECK(g.can_send(t0, 5, false).ok());
    for (int i = 0; i < 460; ++i) g.on_sent(t0, 5, false);  // 2300 = 2400 - reserve
    CHECK(g.used_weight(t0) == 2300);
    auto d = g.can_send(t0 + 1, 5, false);
    CHECK(d.kind == send_decision::verdict::wait);
    CHECK(d.until == next_minute);
    // New orders weigh 0 on the IP limit: a protective close is not held back by polling.
    CHECK(g.can_send(t0 + 1, 0, true).ok());
    CHECK(g.can_send(next_minute, 5, false).ok());
    CHECK(g.used_weight(next_minute) == 0);
}

TEST_CASE("the server's used-weight header raises the local count", "[binance][ratelimit]") {
    rate_governor g;
    response_meta m;
    m.http_status = 200;
    m.add_header("X-MBX-USED-WEIGHT-1M", "2350");
    g.on_response(t0, m);
    CHECK(g.used_weight(t0) == 2350);
    CHECK(g.can_send(t0, 1, false).kind == send_decision::verdict::wait);
    // A lower figure (sent before our in-flight requests were counted) does not lower it.
    response_meta low;
    low.add_header("x-mbx-used-weight-1m", "10");
    g.on_response(t0 + 10, low);
    CHECK(g.used_weight(t0 + 10) == 2350);
}

TEST_CASE("429 backs off for Retry-After seconds", "[binance][ratelimit]") {
    rate_governor g;
    response_meta m;
    m.http_status = 429;
    m.add_header("Retry-After", "7");
    g.on_response(t0, m);
    auto d = g.can_send(t0 + 1000, 1, false);
    CHECK(d.kind == send_decision::verdict::wait);
    CHECK(d.until == t0 + 7000);
    CHECK(g.can_send(t0 + 1000, 0, true).kind == send_decision::verdict::wait);
    CHECK(g.can_send(t0 + 7000, 1, false).ok());
}

TEST_CASE("429 without Retry-After waits for the next minute", "[binance][ratelimit]") {
    rate_governor g;
    response_meta m;
    m.http_status = 429;
    g.on_response(t0, m);
    CHECK(g.can_send(t0, 1, false).until == next_minute);
    CHECK(g.can_send(next_minute, 1, false).ok());
}

TEST_CASE("418 stops every request until the ban ends", "[binance][ratelimit]") {
    rate_governor g;
    response_meta m;
    m.http_status = 418;
    m.add_header("retry-after", "300");
    g.on_response(t0, m);
    auto d = g.can_send(t0 + 1, 0, true);
    CHECK(d.kind == send_decision::verdict::banned);
    CHECK(d.until == t0 + 300'000);
    CHECK(g.can_send(t0 + 299'999, 1, false).kind == send_decision::verdict::banned);
    CHECK(g.can_send(t0 + 300'000, 1, false).ok());
    CHECK(g.banned_until() == t0 + 300'000);
}

TEST_CASE("418 without Retry-After: 2 minutes, doubling while repeated", "[binance][ratelimit]") {
    rate_governor g;
    response_meta ban;
    ban.http_status = 418;
    g.on_response(t0, ban);
    CHECK(g.banned_until() == t0 + 120'000);
    g.on_response(t0 + 120'000, ban);
    CHECK(g.banned_until() == t0 + 120'000 + 240'000);
    response_meta ok;
    ok.http_status = 200;
    g.on_response(t0 + 400'000, ok);
    g.on_response(t0 + 500'000, ban);
    CHECK(g.banned_until() == t0 + 500'000 + 120'000);
}

TEST_CASE("order counters: 10 s and 1 min windows, limits from exchangeInfo", "[binance][ratelimit]") {
    rate_governor g;
    g.apply_limits({{"REQUEST_WEIGHT", "MINUTE", 1, 2400}, {"ORDERS", "SECOND", 10, 3}, {"ORDERS", "MINUTE", 1, 5}});
    CHECK(g.config().order_limit_10s == 3);
    millis t = 1'699'999'980'000;  // on a 10 s and minute boundary
    REQUIRE(t % 60'000 == 0);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(g.can_send(t, 0, true).ok());
        g.on_sent(t, 0, true);
    }
    auto d = g.can_send(t + 5, 0, true);
    CHECK(d.kind == send_decision::verdict::wait);
    CHECK(d.until == t + 10'000);
    CHECK(g.can_send(t + 5, 1, false).ok());  // non-orders unaffected
    for (int i = 0; i < 2; ++i) {
        REQUIRE(g.can_send(t + 10'000, 0, true).ok());
        g.on_sent(t + 10'000, 0, true);
    }
    CHECK(g.can_send(t + 10'000, 0, true).until == t + 60'000);  // the minute budget is spent
    response_meta m;
    m.add_header("X-MBX-ORDER-COUNT-10S", "3");
    g.on_response(t + 20'000, m);
    CHECK(g.can_send(t + 20'000, 0, true).kind == send_decision::verdict::wait);
}

TEST_CASE("malformed or unknown headers are ignored", "[binance][ratelimit]") {
    response_meta m;
    m.add_header("X-MBX-USED-WEIGHT-1M", "abc");
    m.add_header("Retry-After", "-5");
    m.add_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    m.add_header("Content-Type", "application/json");
    CHECK_FALSE(m.used_weight_1m);
    CHECK_FALSE(m.retry_after_s);
    m.add_header("x-mbx-order-count-1m", " 12 ");
    CHECK(*m.order_count_1m == 12);
}
