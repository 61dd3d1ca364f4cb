// The notification delivery machine stepped by hand with a chosen clock: batching, the bounded
// queue, retries and their schedule, and what gives up. No sockets.

#include "notify/delivery.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace traded;
using namespace traded::notify;

namespace {

note ev(const std::string& id) {
    note n;
    n.event = "position_opened";
    n.position_id = id;
    return n;
}

std::vector<std::string> ids(const std::vector<note>& b) {
    std::vector<std::string> out;
    for (const auto& n : b) out.push_back(n.position_id);
    return out;
}

delivery_options opts() {
    delivery_options o;
    o.min_interval = 1000;
    o.capacity = 5;
    o.max_batch = 20;
    o.max_attempts = 4;
    o.backoff_base = 1000;
    o.backoff_max = 4000;
    return o;
}

}  // namespace

TEST_CASE("notify: the first event goes at once, a burst within min_interval is one message") {
    delivery_queue q(opts());
    q.push(ev("a"));
    auto b1 = q.take(10'000);
    REQUIRE(b1);
    CHECK(ids(*b1) == std::vector<std::string>{"a"});
    q.done(10'050, classify(200));

    q.push(ev("b"));
    q.push(ev("c"));
    CHECK_FALSE(q.take(10'100));              // within min_interval of the last send
    CHECK(q.next_wakeup() == 11'000);         // when the batch may go
    q.push(ev("d"));
    auto b2 = q.take(11'000);
    REQUIRE(b2);
    CHECK(ids(*b2) == std::vector<std::string>{"b", "c", "d"});  // one message, in order
    q.done(11'020, classify(204));
    CHECK(q.stats().messages_sent == 2);
    CHECK(q.stats().events_sent == 4);
    CHECK_FALSE(q.next_wakeup());  // nothing waits
}

TEST_CASE("notify: one request in flight; events queue behind it") {
    delivery_queue q(opts());
    q.push(ev("a"));
    REQUIRE(q.take(0));
    q.push(ev("b"));
    CHECK(q.in_flight());
    CHECK_FALSE(q.take(5'000));  // still in flight, whatever the time
    CHECK_FALSE(q.next_wakeup());
    q.done(5'000, classify(200));
    auto b = q.take(5'000);
    REQUIRE(b);
    CHECK(ids(*b) == std::vector<std::string>{"b"});
}

TEST_CASE("notify: a full queue drops the oldest and counts it") {
    delivery_queue q(opts());  // capacity 5
    for (int i = 0; i < 8; ++i) q.push(ev(std::to_string(i)));
    CHECK(q.queued() == 5);
    CHECK(q.stats().events_dropped == 3);
    auto b = q.take(0);
    REQUIRE(b);
    CHECK(ids(*b) == std::vector<std::string>{"3", "4", "5", "6", "7"});  // the newest survive
}

TEST_CASE("notify: 5xx and timeouts retry the same batch with exponential backoff, then give up") {
    delivery_queue q(opts());  // 4 attempts, backoff 1 s doubling, capped at 4 s
    q.push(ev("a"));
    REQUIRE(q.take(0));
    q.done(100, classify(500));
    CHECK(q.stats().retries == 1);
    CHECK(q.next_wakeup() == 1'100);  // 1 s
    q.push(ev("b"));                  // arrives meanwhile: waits behind the retried batch
    CHECK_FALSE(q.take(1'099));
    auto again = q.take(1'100);
    REQUIRE(again);
    CHECK(ids(*again) == std::vector<std::string>{"a"});  // the same message, not merged
    q.done(1'200, classify(0, 0, "timeout (read)"));
    CHECK(q.next_wakeup() == 3'200);  // 2 s
    REQUIRE(q.take(3'200));
    q.done(3'300, classify(503));
    CHECK(q.next_wakeup() == 7'300);  // 4 s (capped)
    REQUIRE(q.take(7'300));
    q.done(7'400, classify(502));  // fourth attempt failed: give up
    CHECK(q.stats().messages_failed == 1);
    CHECK(q.stats().events_failed == 1);
    CHECK(q.stats().last_error == "HTTP 502");
    auto next = q.take(8'400);
    REQUIRE(next);
    CHECK(ids(*next) == std::vector<std::string>{"b"});  // later events still go
}

TEST_CASE("notify: a 4xx gives up at once; 429 waits as long as the server asks") {
    delivery_queue q(opts());
    q.push(ev("a"));
    REQUIRE(q.take(0));
    q.done(10, classify(401));
    CHECK(q.stats().messages_failed == 1);
    CHECK(q.stats().retries == 0);

    q.push(ev("b"));
    REQUIRE(q.take(2'000));
    q.done(2'010, classify(429, 30'000));
    CHECK(q.next_wakeup() == 32'010);  // Retry-After beats the 1 s backoff
}

TEST_CASE("notify: classify") {
    CHECK(classify(200).result == attempt_result::delivered);
    CHECK(classify(204).result == attempt_result::delivered);
    CHECK(classify(0).result == attempt_result::retry);
    CHECK(classify(408).result == attempt_result::retry);
    CHECK(classify(429).result == attempt_result::retry);
    CHECK(classify(500).result == attempt_result::retry);
    CHECK(classify(503).result == attempt_result::retry);
    CHECK(classify(400).result == attempt_result::give_up);
    CHECK(classify(403).result == attempt_result::give_up);
    CHECK(classify(404).result == attempt_result::give_up);
    CHECK(classify(302).result == attempt_result::give_up);
}

TEST_CASE("notify: max_batch splits a long backlog into several messages") {
    auto o = opts();
    o.capacity = 100;
    o.max_batch = 3;
    delivery_queue q(o);
    for (int i = 0; i < 7; ++i) q.push(ev(std::to_string(i)));
    auto b1 = q.take(0);
    REQUIRE(b1);
    CHECK(b1->size() == 3);
    q.done(1, classify(200));
    auto b2 = q.take(1'000);
    REQUIRE(b2);
    CHECK(ids(*b2) == std::vector<std::string>{"3", "4", "5"});
}
