// The order placement state machine stepped by hand: no sockets, no clock. Every branch named in
// issue 11 ("503 unknown -> looked up -> not found -> sent once more", bans) has a case here.
#include "exchange/binance/order_fsm.hpp"

#include <catch2/catch.hpp>

using namespace traded::binance;
namespace in = traded::binance::order_input;
namespace act = traded::binance::order_action;

namespace {

template <class A>
const A* find(const order_actions& actions) {
    for (const auto& a : actions)
        if (const auto* p = std::get_if<A>(&a)) return p;
    return nullptr;
}

constexpr millis t0 = 1'700'000'000'000;

order_settings settings() {
    order_settings s;
    s.recv_window_ms = 5'000;
    s.clock_offset_ms = -300;
    s.not_found_margin_ms = 1'000;
    return s;
}

in::sent answer(placement_answer a, millis sent_at, int code = 0, std::string msg = {}) {
    in::sent s;
    s.answer = a;
    s.sent_at = sent_at;
    s.code = code;
    s.message = std::move(msg);
    return s;
}

}  // namespace

TEST_CASE("not found is final only after recvWindow + |clock offset| + margin", "[binance][order_fsm]") {
    order_settings s = settings();
    CHECK(s.not_found_final_at(t0) == t0 + 5'000 + 300 + 1'000);
    s.clock_offset_ms = 700;
    CHECK(s.not_found_final_at(t0) == t0 + 6'700);
}

TEST_CASE("classify_placement: answers by status and code", "[binance][order_fsm]") {
    CHECK(classify_placement(200, 0, "{}") == placement_answer::placed);
    CHECK(classify_placement(400, -2021, "{\"code\":-2021}") == placement_answer::refused);
    CHECK(classify_placement(400, -4164, "") == placement_answer::refused);
    CHECK(classify_placement(503, -1008, "") == placement_answer::busy);
    CHECK(classify_placement(503, 0, "Service Unavailable.") == placement_answer::busy);
    CHECK(classify_placement(503, 0, "Unknown error, please check your request or try again later.") ==
          placement_answer::unknown);
    CHECK(classify_placement(500, -1006, "") == placement_answer::unknown);
    CHECK(classify_placement(408, 0, "") == placement_answer::unknown);
    CHECK(classify_placement(429, -1003, "") == placement_answer::busy);
    CHECK(classify_placement(502, 0, "<html>Bad Gateway</html>") == placement_answer::unknown);
    CHECK(classify_placement(400, -2022, R"({"code":-2022,"msg":"ReduceOnly Order is rejected."})") ==
          placement_answer::refused);
    CHECK(classify_placement(503, -1000, R"({"code":-1000,"msg":"An unknown error occured"})") ==
          placement_answer::unknown);
}

TEST_CASE("placed: one send, done", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    auto a = m.step(in::start{}, t0);
    REQUIRE(find<act::send>(a));
    CHECK(find<act::send>(a)->attempt == 0);
    CHECK_FALSE(find<act::send>(a)->resend);
    CHECK(find<act::send>(a)->max_wait_ms == settings().protective_max_wait_ms);
    a = m.step(answer(placement_answer::placed, t0), t0 + 50);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::placed);
    CHECK(m.done());
    // Anything later is ignored.
    CHECK(m.step(answer(placement_answer::unknown, t0), t0 + 60).empty());
    CHECK(m.step(in::timer_fired{}, t0 + 70).empty());
}

TEST_CASE("refused: rejected with the exchange's code, no retry", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::refused, t0, -2021, "Order would immediately trigger."), t0 + 40);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
    CHECK(find<act::finish>(a)->code == -2021);
    CHECK(find<act::finish>(a)->reason == "Order would immediately trigger.");
    CHECK_FALSE(find<act::send>(a));
}

TEST_CASE("503 unknown -> looked up -> not found -> sent once more -> placed", "[binance][order_fsm]") {
    const order_settings s = settings();
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::unknown, t0 + 10, 0, "HTTP 503 Unknown error"), t0 + 900);
    CHECK(m.outcome_unknown());
    REQUIRE(find<act::lookup>(a));  // looked up at once: found early is resolved early
    CHECK_FALSE(find<act::send>(a));
    // Not found yet, but the request may still be inside the exchange: wait, never resend now.
    a = m.step(in::looked_up{lookup_answer::not_found, {}}, t0 + 1'000);
    CHECK_FALSE(find<act::send>(a));
    REQUIRE(find<act::arm_timer>(a));
    const millis final_at = s.not_found_final_at(t0 + 10);
    CHECK(find<act::arm_timer>(a)->at == final_at);
    CHECK(m.step(in::timer_fired{}, final_at - 1).empty());  // an early timer does nothing
    a = m.step(in::timer_fired{}, final_at);
    REQUIRE(find<act::lookup>(a));
    a = m.step(in::looked_up{lookup_answer::not_found, {}}, final_at + 30);
    REQUIRE(find<act::send>(a));
    CHECK(find<act::send>(a)->resend);
    CHECK(find<act::send>(a)->attempt == 1);
    CHECK(m.resends() == 1);
    a = m.step(answer(placement_answer::placed, final_at + 40), final_at + 80);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::placed);
}

TEST_CASE("unknown -> found by the lookup: never sent twice", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    m.step(answer(placement_answer::unknown, t0, 0, "timeout"), t0 + 10'000);
    auto a = m.step(in::looked_up{lookup_answer::found, {}}, t0 + 10'050);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::found);
    CHECK(m.resends() == 0);
}

TEST_CASE("unknown, resend also unknown and not found: gives up with a reason", "[binance][order_fsm]") {
    const order_settings s = settings();
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    m.step(answer(placement_answer::unknown, t0, 0, "timeout"), t0 + 10'000);
    // The first lookup is already past the final time: not found is final, resend.
    auto a = m.step(in::looked_up{lookup_answer::not_found, {}}, t0 + 10'100);
    REQUIRE(find<act::send>(a));
    const millis resent_at = t0 + 10'110;
    m.step(answer(placement_answer::unknown, resent_at, 0, "timeout"), resent_at + 10'000);
    a = m.step(in::looked_up{lookup_answer::not_found, {}}, resent_at + 10'100);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::gave_up);
    CHECK(find<act::finish>(a)->reason.find("not found") != std::string::npos);
    CHECK(m.resends() == 1);
}

TEST_CASE("unknown + the engine cancels meanwhile + not found: ends without a resend", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    m.step(answer(placement_answer::unknown, t0, 0, "timeout"), t0 + 10'000);
    m.step(in::cancel_wanted{}, t0 + 10'010);
    auto a = m.step(in::looked_up{lookup_answer::not_found, {}}, t0 + 10'100);
    CHECK_FALSE(find<act::send>(a));
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::not_placed);
}

TEST_CASE("unknown, then the stream shows the order: found without waiting", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    m.step(answer(placement_answer::unknown, t0, 0, "HTTP 503"), t0 + 100);
    m.step(in::looked_up{lookup_answer::not_found, {}}, t0 + 200);
    auto a = m.step(in::seen_on_exchange{}, t0 + 300);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::found);
}

TEST_CASE("failed lookups back off, then leave the order to reconciliation", "[binance][order_fsm]") {
    order_settings s = settings();
    s.max_lookup_errors = 3;
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    m.step(answer(placement_answer::unknown, t0, 0, "timeout"), t0 + 10'000);
    auto a = m.step(in::looked_up{lookup_answer::error, "HTTP 502"}, t0 + 10'100);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 10'100 + s.lookup_backoff_ms);
    a = m.step(in::timer_fired{}, t0 + 11'100);
    REQUIRE(find<act::lookup>(a));
    a = m.step(in::looked_up{lookup_answer::error, "HTTP 502"}, t0 + 11'200);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 11'200 + 2 * s.lookup_backoff_ms);  // doubled
    m.step(in::timer_fired{}, t0 + 13'200);
    a = m.step(in::looked_up{lookup_answer::error, "HTTP 502"}, t0 + 13'300);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::unresolved);
    CHECK(m.outcome_unknown());  // still possibly on the exchange
}

TEST_CASE("busy answers are retried with backoff, then rejected", "[binance][order_fsm]") {
    order_settings s = settings();
    s.max_busy_retries = 2;
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::busy, t0, -1008, "throttled"), t0 + 10);
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 10 + s.busy_backoff_ms);
    a = m.step(in::timer_fired{}, t0 + 10 + s.busy_backoff_ms);
    REQUIRE(find<act::send>(a));
    CHECK_FALSE(find<act::send>(a)->resend);
    a = m.step(answer(placement_answer::busy, t0, -1008, "throttled"), t0 + 500);
    CHECK(find<act::arm_timer>(a)->at == t0 + 500 + 2 * s.busy_backoff_ms);
    m.step(in::timer_fired{}, t0 + 500 + 2 * s.busy_backoff_ms);
    a = m.step(answer(placement_answer::busy, t0, -1008, "throttled"), t0 + 2'000);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
    CHECK(find<act::finish>(a)->code == -1008);
}

TEST_CASE("a ban never rejects a protective order: it is sent when the ban ends", "[binance][order_fsm]") {
    order_settings s = settings();
    s.ban_recheck_max_ms = 60'000;
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    in::sent banned = answer(placement_answer::not_sent, 0, 0, "IP banned (418)");
    banned.ban_until = t0 + 150'000;  // longer than a minute
    auto a = m.step(banned, t0 + 5);
    CHECK_FALSE(find<act::finish>(a));
    CHECK(m.waiting_for_ban());
    REQUIRE(find<act::arm_timer>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 5 + 60'000);  // rechecked at most every minute
    a = m.step(in::timer_fired{}, t0 + 60'005);
    REQUIRE(find<act::send>(a));
    a = m.step(banned, t0 + 60'010);  // still banned
    CHECK_FALSE(find<act::finish>(a));
    CHECK(find<act::arm_timer>(a)->at == t0 + 120'010);
    m.step(in::timer_fired{}, t0 + 120'010);
    a = m.step(banned, t0 + 120'020);
    CHECK(find<act::arm_timer>(a)->at == t0 + 150'000);  // the ban's end
    a = m.step(in::timer_fired{}, t0 + 150'000);
    REQUIRE(find<act::send>(a));
    CHECK_FALSE(m.waiting_for_ban());
    a = m.step(answer(placement_answer::placed, t0 + 150'001), t0 + 150'050);
    CHECK(find<act::finish>(a)->outcome == order_outcome::placed);
}

TEST_CASE("a ban on a protective order of a position with no stop resting escalates", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    in::sent banned = answer(placement_answer::not_sent, 0, 0, "IP banned (418)");
    banned.ban_until = t0 + 150'000;
    banned.unprotected = true;  // nothing rests on the exchange: waiting would leave it bare
    auto a = m.step(banned, t0 + 5);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
    CHECK(find<act::finish>(a)->code == -1003);
    CHECK(find<act::finish>(a)->reason == "IP banned (418); no stop on the exchange");
    CHECK_FALSE(m.waiting_for_ban());
}

TEST_CASE("an entry with an unknown outcome not found is given up, never sent twice", "[binance][order_fsm]") {
    const order_settings s = settings();
    order_fsm m(s, true);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::unknown, t0 + 10, 0, "connection lost"), t0 + 500);
    REQUIRE(find<act::lookup>(a));
    const millis final_at = s.not_found_final_at(t0 + 10);
    a = m.step(in::looked_up{lookup_answer::not_found, {}}, t0 + 600);
    CHECK(find<act::arm_timer>(a)->at == final_at);  // may still appear until then
    a = m.step(in::timer_fired{}, final_at);
    REQUIRE(find<act::lookup>(a));
    a = m.step(in::looked_up{lookup_answer::not_found, {}}, final_at + 20);
    CHECK_FALSE(find<act::send>(a));
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::gave_up);
    CHECK(find<act::finish>(a)->code == -2013);
    CHECK(find<act::finish>(a)->reason ==
          "entry outcome unknown and not found on the exchange within its recvWindow; not sent again");
    CHECK(m.resends() == 0);
}

TEST_CASE("entries fail fast: a ban or a connect failure rejects them at once", "[binance][order_fsm]") {
    {
        order_fsm m(settings(), true);
        auto a = m.step(in::start{}, t0);
        CHECK(find<act::send>(a)->max_wait_ms == settings().entry_max_wait_ms);
        in::sent banned = answer(placement_answer::not_sent, 0, 0, "rate limited");
        banned.ban_until = t0 + 30'000;
        a = m.step(banned, t0 + 5);
        REQUIRE(find<act::finish>(a));
        CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
        CHECK(find<act::finish>(a)->code == -1003);
    }
    {
        order_fsm m(settings(), true);
        m.step(in::start{}, t0);
        auto a = m.step(answer(placement_answer::not_sent, 0, 0, "connect refused"), t0 + 5);
        REQUIRE(find<act::finish>(a));
        CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
    }
}

TEST_CASE("protective orders retry a connect failure a few times", "[binance][order_fsm]") {
    order_settings s = settings();
    s.max_not_sent_retries = 1;
    order_fsm m(s, false);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::not_sent, 0, 0, "connect refused"), t0 + 5);
    REQUIRE(find<act::arm_timer>(a));
    a = m.step(in::timer_fired{}, t0 + 5 + s.not_sent_backoff_ms);
    REQUIRE(find<act::send>(a));
    a = m.step(answer(placement_answer::not_sent, 0, 0, "connect refused"), t0 + 2'000);
    REQUIRE(find<act::finish>(a));
    CHECK(find<act::finish>(a)->outcome == order_outcome::rejected);
}

TEST_CASE("an unreadable 2xx is looked up at once", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    m.step(in::start{}, t0);
    auto a = m.step(answer(placement_answer::unreadable, t0, 0, "truncated body"), t0 + 30);
    REQUIRE(find<act::lookup>(a));
    a = m.step(in::looked_up{lookup_answer::found, {}}, t0 + 60);
    CHECK(find<act::finish>(a)->outcome == order_outcome::found);
}

TEST_CASE("out-of-order and duplicate inputs change nothing", "[binance][order_fsm]") {
    order_fsm m(settings(), false);
    CHECK(m.step(answer(placement_answer::placed, t0), t0).empty());  // before start
    CHECK(m.step(in::looked_up{lookup_answer::found, {}}, t0).empty());
    m.step(in::start{}, t0);
    CHECK(m.step(in::start{}, t0 + 1).empty());                             // duplicate start
    CHECK(m.step(in::looked_up{lookup_answer::found, {}}, t0 + 2).empty());  // no lookup asked
    CHECK(m.step(in::seen_on_exchange{}, t0 + 3).empty());  // the send's answer says more
    CHECK(m.state() == order_state::sending);
}
