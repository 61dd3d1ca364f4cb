// request_retry stepped by hand: every branch of retry_step, and the port's rules reproduce the
// numbers the hand-written loops used (cancel 500 ms << n x5 then look up, lookups 1 s << n up to
// 30 s x10, userTrades 1 s << n x6, positionRisk 1 s << min(n, 5) up to 30 s).
#include "exchange/binance/request_retry.hpp"

#include <catch2/catch.hpp>

using namespace traded::binance;

namespace {

const attempt_outcome ok{attempt_outcome::ok};
const attempt_outcome pending{attempt_outcome::pending};
const attempt_outcome transport{attempt_outcome::transport};
const attempt_outcome timeout{attempt_outcome::timeout};

attempt_outcome answered(int status, int code = 0) { return {attempt_outcome::answered, status, code}; }

}  // namespace

TEST_CASE("request_retry: success is done at any attempt") {
    for (int n : {0, 3, 100}) CHECK(retry_step(retry_rules::cancel(), ok, n).kind == retry_decision::done);
    CHECK(retry_step(retry_rules::position(true), ok, 0).wait_ms == 0);
}

TEST_CASE("request_retry: busy answers, transport errors and timeouts retry with the doubling backoff") {
    const auto rule = retry_rules::cancel();
    for (const auto& o : {answered(503), answered(500), answered(408), answered(429), answered(418), transport, timeout}) {
        const auto d = retry_step(rule, o, 2);
        CHECK(d.kind == retry_decision::retry);
        CHECK(d.wait_ms == 2'000);
    }
    CHECK(retryable_status(502));
    CHECK_FALSE(retryable_status(400));
    CHECK_FALSE(retryable_status(200));  // 200 with an error body is an answer, not busy
}

TEST_CASE("request_retry: cancel refused (-2011 unknown order) looks the order up at once") {
    const auto d = retry_step(retry_rules::cancel(), answered(400, -2011), 0);
    CHECK(d.kind == retry_decision::look_up);
    CHECK(d.wait_ms == 0);
    CHECK(d.reason.find("400") != std::string::npos);
}

TEST_CASE("request_retry: cancel keeps its numbers: 500 ms << n for 5 attempts, then waits and looks up") {
    const auto rule = retry_rules::cancel();
    for (int n = 0; n < 4; ++n) {
        const auto d = retry_step(rule, timeout, n);
        CHECK(d.kind == retry_decision::retry);
        CHECK(d.wait_ms == (500LL << n));
    }
    const auto last = retry_step(rule, timeout, 4);
    CHECK(last.kind == retry_decision::look_up);
    CHECK(last.wait_ms == 8'000);
}

TEST_CASE("request_retry: cancel lookups: 1 s << n up to 30 s, still open waits 2 s, give up after 10") {
    const auto rule = retry_rules::cancel_lookup();
    CHECK(retry_step(rule, transport, 0).wait_ms == 1'000);
    CHECK(retry_step(rule, transport, 4).wait_ms == 16'000);
    CHECK(retry_step(rule, transport, 5).wait_ms == 30'000);
    CHECK(retry_step(rule, transport, 8).kind == retry_decision::retry);
    const auto open = retry_step(rule, pending, 3);
    CHECK(open.kind == retry_decision::retry);
    CHECK(open.wait_ms == 2'000);
    const auto last = retry_step(rule, pending, 9);
    CHECK(last.kind == retry_decision::give_up);
    CHECK(last.wait_ms == 2'000);  // the port still cancels once more after it
    CHECK(retry_step(rule, transport, 9).wait_ms == 30'000);
}

TEST_CASE("request_retry: userTrades retries refusals too, 1 s << n for 6 attempts") {
    const auto rule = retry_rules::user_trades();
    CHECK(retry_step(rule, answered(400, -1102), 0) == retry_decision{retry_decision::retry, 1'000, {}});
    CHECK(retry_step(rule, pending, 4) == retry_decision{retry_decision::retry, 16'000, {}});
    const auto last = retry_step(rule, pending, 5);
    CHECK(last.kind == retry_decision::give_up);
    CHECK(last.wait_ms == 32'000);
}

TEST_CASE("request_retry: positionRisk asks while the engine waits, 11 times without one") {
    const auto waits = retry_rules::position(true);
    CHECK(retry_step(waits, transport, 0).wait_ms == 1'000);
    CHECK(retry_step(waits, transport, 4).wait_ms == 16'000);
    CHECK(retry_step(waits, transport, 5).wait_ms == 30'000);
    const auto far = retry_step(waits, answered(400), 10'000);  // never gives up, shift capped
    CHECK(far.kind == retry_decision::retry);
    CHECK(far.wait_ms == 30'000);
    const auto alone = retry_rules::position(false);
    CHECK(retry_step(alone, transport, 9).kind == retry_decision::retry);
    const auto last = retry_step(alone, transport, 10);
    CHECK(last.kind == retry_decision::give_up);
    CHECK(last.wait_ms == 0);
}

TEST_CASE("request_retry: a refusal may give up at once, and the backoff never overflows") {
    retry_settings s;
    s.on_refusal = retry_fallback::give_up;
    s.max_attempts = 0;
    const auto d = retry_step(s, answered(401, -2015), 0);
    CHECK(d.kind == retry_decision::give_up);
    s.max_shift = 1'000;
    s.base_backoff_ms = 1;
    s.max_backoff_ms = 1'000'000;
    CHECK(retry_backoff(s, 1'000) == 1'000'000);
    CHECK(retry_backoff(s, -5) == 1);
}
