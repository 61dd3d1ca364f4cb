// request_retry stepped by hand: every branch of retry_step, and the port's rules reproduce the
// numbers the hand-written loops used (cancel 500 ms << n x5 then look up, lookups 1 s << n up to
// 30 s x10, userTrades 1 s << n x6, positionRisk 1 s << min(n, 5) up to 30 s).
#include "exchange/binance/request_retry.hpp"

#include <catch2/catch.hpp>

#include <vector>

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

// ----- The rules that replaced the port's hand-written waits (each stepped through its first
// wait, growth, cap, give-up and, where it has one, reset).

namespace {

/// Steps a fresh retry_run through `outcomes`; returns every decision.
std::vector<retry_decision> run_through(const retry_settings& s, const std::vector<attempt_outcome>& outcomes) {
    retry_run run(s);
    std::vector<retry_decision> out;
    for (const auto& o : outcomes) out.push_back(run.step(o));
    return out;
}

attempt_outcome pending_for(traded::engine::millis left) { return {attempt_outcome::pending, 0, 0, left}; }

}  // namespace

TEST_CASE("request_retry: watching a MARKET order answered NEW: 1 s for 5 waits, then 5 s, 30 looks") {
    const auto rule = retry_rules::watch_order();
    retry_run run(rule);
    std::vector<traded::engine::millis> waits;
    for (int n = 0; n <= 30; ++n) {
        const auto d = run.step(pending);
        if (n < 30) {
            INFO("attempt " << n);
            REQUIRE(d.kind == retry_decision::retry);
            waits.push_back(d.wait_ms);
        } else {
            CHECK(d.kind == retry_decision::give_up);  // the placement and 30 looks
            CHECK(d.wait_ms == 0);
        }
    }
    REQUIRE(waits.size() == 30);
    for (int i = 0; i < 5; ++i) CHECK(waits[i] == 1'000);   // first wait, and the quick ones
    for (int i = 5; i < 30; ++i) CHECK(waits[i] == 5'000);  // then the slow, constant one
    // Lookup errors wait the same (a poll's pace does not depend on the answer); final stops it.
    CHECK(retry_step(rule, transport, 2).wait_ms == 1'000);
    CHECK(retry_step(rule, answered(503), 7).wait_ms == 5'000);
    CHECK(retry_step(rule, ok, 3).kind == retry_decision::done);
    CHECK(retry_rules::watch_stream_grace == 2);
}

TEST_CASE("request_retry: an entry awaited after a restart: every second, never past its window, failures back off and reset") {
    const auto rule = retry_rules::entry_wait();
    // First wait: a second, or what is left of the recvWindow when that is shorter.
    CHECK(retry_step(rule, pending_for(5'000), 0).wait_ms == 1'000);
    CHECK(retry_step(rule, pending_for(300), 0).wait_ms == 300);
    CHECK(retry_step(rule, pending_for(-20), 0).wait_ms == 0);  // past the window: look now
    // Lookups failing in a row: 2 s, 4 s, 8 s, 16 s, then capped at 30 s, never giving up.
    const auto d = run_through(rule, {pending_for(5'000), transport, transport, transport, transport, transport, transport});
    CHECK(d[0].wait_ms == 1'000);
    CHECK(d[1].wait_ms == 2'000);
    CHECK(d[2].wait_ms == 4'000);
    CHECK(d[3].wait_ms == 8'000);
    CHECK(d[4].wait_ms == 16'000);
    CHECK(d[5].wait_ms == 30'000);
    CHECK(d[6].wait_ms == 30'000);
    for (const auto& x : d) CHECK(x.kind == retry_decision::retry);
    // Reset: an answer (not found yet) starts the count over; the next failure waits 2 s again.
    retry_run run(rule);
    run.step(transport);
    run.step(transport);
    CHECK(run.attempt() == 2);
    CHECK(run.step(pending_for(10'000)).wait_ms == 1'000);
    CHECK(run.attempt() == 0);
    CHECK(run.step(transport).wait_ms == 2'000);
    CHECK(run.step(ok).kind == retry_decision::done);
    CHECK(retry_step(rule, transport, 100'000).kind == retry_decision::retry);  // no give-up
}

TEST_CASE("request_retry: a failed reconciliation sweep runs again every 10 s for as long as it takes") {
    const auto rule = retry_rules::sweep();
    CHECK(retry_step(rule, transport, 0) == retry_decision{retry_decision::retry, 10'000, {}});
    CHECK(retry_step(rule, transport, 1).wait_ms == 10'000);      // no growth
    CHECK(retry_step(rule, transport, 10'000).wait_ms == 10'000);  // no give-up
    CHECK(retry_step(rule, ok, 3).kind == retry_decision::done);
}

TEST_CASE("request_retry: a revived entry's fills are fetched every 100 ms, 100 times at most") {
    const auto rule = retry_rules::revive_fills();
    CHECK(retry_step(rule, pending, 0).wait_ms == 100);
    CHECK(retry_step(rule, pending, 50).wait_ms == 100);
    CHECK(retry_step(rule, pending, 98).kind == retry_decision::retry);
    const auto last = retry_step(rule, pending, 99);
    CHECK(last.kind == retry_decision::give_up);
    CHECK(last.wait_ms == 0);
}

TEST_CASE("request_retry: a position check reads positionRisk 5 times, 1.5 s apart") {
    const auto d = run_through(retry_rules::position_check(), std::vector<attempt_outcome>(6, pending));
    for (int i = 0; i < 5; ++i) CHECK(d[i] == retry_decision{retry_decision::retry, 1'500, {}});
    CHECK(d[5].kind == retry_decision::give_up);  // the doubt and 5 readings
    CHECK(d[5].wait_ms == 0);
}

TEST_CASE("request_retry: start-up looks at the clock every 250 ms and loads exchangeInfo every 5 s; the REST clock retries in 5 s") {
    for (int n : {0, 1, 1'000}) {
        CHECK(retry_step(retry_rules::startup_clock(), pending, n) == retry_decision{retry_decision::retry, 250, {}});
        CHECK(retry_step(retry_rules::exchange_info(), transport, n) == retry_decision{retry_decision::retry, 5'000, {}});
        CHECK(retry_step(retry_rules::exchange_info(), answered(400), n).kind == retry_decision::retry);
        CHECK(retry_step(retry_rules::time_sync(), timeout, n) == retry_decision{retry_decision::retry, 5'000, {}});
    }
    CHECK(retry_step(retry_rules::startup_clock(), ok, 0).kind == retry_decision::done);
    CHECK(retry_step(retry_rules::time_sync(), ok, 7).kind == retry_decision::done);
}

TEST_CASE("request_retry: a retry_run without pending_resets counts every attempt towards the last") {
    retry_run run(retry_rules::user_trades());
    for (int i = 0; i < 5; ++i) CHECK(run.step(i % 2 == 0 ? pending : transport).kind == retry_decision::retry);
    CHECK(run.attempt() == 5);
    const auto last = run.step(pending);
    CHECK(last.kind == retry_decision::give_up);
    CHECK(last.wait_ms == 32'000);
}

TEST_CASE("request_retry: the REST client sends a request at most 4 times: 429/418 again, -1021 resynced once") {
    const auto rule = retry_rules::rest_send();
    CHECK(rest_resend_step(rule, 200, 0, 0, false) == resend_verdict::answer);
    CHECK(rest_resend_step(rule, 503, 0, 0, false) == resend_verdict::answer);  // unknown: the caller's rule
    CHECK(rest_resend_step(rule, 400, -2011, 0, false) == resend_verdict::answer);
    // -1021: re-measure the clock and send again, once per request.
    CHECK(rest_resend_step(rule, 400, -1021, 0, false) == resend_verdict::resync_then_send);
    CHECK(rest_resend_step(rule, 400, -1021, 1, true) == resend_verdict::answer);
    // 429 / 418: again (after the governor's wait) until the fourth send, whose answer is final.
    for (int n = 0; n < 3; ++n) {
        CHECK(rest_resend_step(rule, 429, 0, n, false) == resend_verdict::send_again);
        CHECK(rest_resend_step(rule, 418, 0, n, true) == resend_verdict::send_again);
    }
    CHECK(rest_resend_step(rule, 429, 0, 3, false) == resend_verdict::answer);
    CHECK(rest_resend_step(rule, 400, -1021, 3, false) == resend_verdict::answer);
}
