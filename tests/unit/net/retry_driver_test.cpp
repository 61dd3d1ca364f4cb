// exchange_io::perform_retry, the one loop that performs request_retry's rules: it attempts,
// sleeps exactly the rule's waits, passes the call count, and stops on done / look-up / give-up
// or when the owner's sleep says it stopped. Scripted attempts, a recording sleep; no sockets.
#include "exchange/net/retry_driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <vector>

using namespace traded;
using binance::attempt_outcome;
using binance::retry_decision;

namespace {

struct script {
    explicit script(std::vector<attempt_outcome> o) : outcomes(std::move(o)) {}

    std::vector<attempt_outcome> outcomes;  // what each attempt reports (the last repeats)
    std::vector<int> calls;                 // the n each attempt was given
    std::vector<engine::millis> slept;
    int stop_after_sleeps = -1;  // the owner stops during this sleep (-1: never)

    retry_decision run(binance::retry_settings rule) {
        boost::asio::io_context io;
        std::optional<retry_decision> out;
        exchange_io::attempt_fn attempt = [this](int n) -> boost::asio::awaitable<attempt_outcome> {
            calls.push_back(n);
            co_return outcomes[std::min<std::size_t>(calls.size() - 1, outcomes.size() - 1)];
        };
        exchange_io::sleep_fn sleep = [this](engine::millis ms) -> boost::asio::awaitable<bool> {
            slept.push_back(ms);
            co_return static_cast<int>(slept.size()) != stop_after_sleeps;
        };
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> { out = co_await exchange_io::perform_retry(rule, attempt, sleep); },
            boost::asio::detached);
        io.run();
        REQUIRE(out.has_value());
        return *out;
    }
};

const attempt_outcome ok{attempt_outcome::ok};
const attempt_outcome pending{attempt_outcome::pending};
const attempt_outcome transport{attempt_outcome::transport};

}  // namespace

TEST_CASE("perform_retry: success at once: one attempt, no sleep") {
    script s({ok});
    CHECK(s.run(binance::retry_rules::cancel()).kind == retry_decision::done);
    CHECK(s.calls == std::vector<int>{0});
    CHECK(s.slept.empty());
}

TEST_CASE("perform_retry: sleeps each decided wait, then attempts again, until done") {
    script s({transport, transport, transport, ok});
    CHECK(s.run(binance::retry_rules::cancel()).kind == retry_decision::done);
    CHECK(s.calls == std::vector<int>{0, 1, 2, 3});
    CHECK(s.slept == std::vector<engine::millis>{500, 1'000, 2'000});
}

TEST_CASE("perform_retry: the rule's last wait is slept before its look-up is returned") {
    script s({transport});
    const auto d = s.run(binance::retry_rules::cancel());
    CHECK(d.kind == retry_decision::look_up);
    CHECK(s.calls.size() == 5);
    CHECK(s.slept == std::vector<engine::millis>{500, 1'000, 2'000, 4'000, 8'000});
}

TEST_CASE("perform_retry: a poll that resets passes the call count, not the rule's count") {
    script s({pending, transport, pending, ok});
    CHECK(s.run(binance::retry_rules::entry_wait()).kind == retry_decision::done);
    CHECK(s.calls == std::vector<int>{0, 1, 2, 3});
    CHECK(s.slept == std::vector<engine::millis>{1'000, 2'000, 1'000});
}

TEST_CASE("perform_retry: the owner stopping during a sleep ends it with give_up \"stopped\"") {
    script s({transport});
    s.stop_after_sleeps = 2;
    const auto d = s.run(binance::retry_rules::sweep());
    CHECK(d.kind == retry_decision::give_up);
    CHECK(d.reason == "stopped");
    CHECK(s.calls.size() == 2);
}

TEST_CASE("perform_retry: give-up without a wait does not sleep") {
    script s({pending});
    CHECK(s.run(binance::retry_rules::position_check()).kind == retry_decision::give_up);
    CHECK(s.calls.size() == 6);
    CHECK(s.slept.size() == 5);
}
