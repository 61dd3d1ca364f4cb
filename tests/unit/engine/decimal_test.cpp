#include "engine/decimal.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

using traded::decimal;

namespace {
decimal d(const char* s) {
    auto v = decimal::parse(s);
    REQUIRE(v.has_value());
    return *v;
}
}  // namespace

TEST_CASE("decimal parses and formats exchange strings exactly", "[decimal]") {
    for (const char* s :
         {"0", "1", "-1", "0.001", "-12.5", "100", "0.00000001", "65432.1", "92233720368.54775807"}) {
        INFO(s);
        CHECK(d(s).to_string() == s);
    }
    CHECK(d("0.0010").to_string() == "0.001");  // trailing zeros are not significant
    CHECK(d("+3").to_string() == "3");
    CHECK(d("1.").to_string() == "1");
    CHECK(d(".5").to_string() == "0.5");
    CHECK(d("-0").to_string() == "0");
    CHECK(d("43187.00").raw() == 4'318'700'000'000);
    CHECK(d("0.123456780000").to_string() == "0.12345678");  // extra zeros beyond 8 digits are fine
    CHECK(d("65432.1").to_string_fixed(2) == "65432.10");
    CHECK(d("-1.239").to_string_fixed(2) == "-1.23");  // truncates toward zero for requests
}

TEST_CASE("decimal refuses malformed or unrepresentable input", "[decimal]") {
    for (const char* s : {"", "-", ".", "abc", "1.2.3", "1e-3", "1,5", " 1", "1 ", "0x10", "--1", "1-",
                          "0.123456789", "92233720369", "nan", "inf"}) {
        INFO(s);
        CHECK_FALSE(decimal::parse(s).has_value());
    }
}

TEST_CASE("decimal rounds to steps and ticks", "[decimal]") {
    CHECK(d("0.0049").floor_to(d("0.001")) == d("0.004"));
    CHECK(d("0.0041").ceil_to(d("0.001")) == d("0.005"));
    CHECK(d("0.004").ceil_to(d("0.001")) == d("0.004"));
    CHECK(d("-0.0041").floor_to(d("0.001")) == d("-0.005"));
    CHECK(d("-0.0041").ceil_to(d("0.001")) == d("-0.004"));
    CHECK(d("49750.05").round_to(d("0.10")) == d("49750.1"));  // halves away from zero
    CHECK(d("49750.04").round_to(d("0.10")) == d("49750"));
    CHECK(d("-1.25").round_to(d("0.1")) == d("-1.3"));
    CHECK(d("12.30").is_multiple_of(d("0.10")));
    CHECK_FALSE(d("12.35").is_multiple_of(d("0.10")));
    CHECK(d("0.010").fractional_digits() == 2);
    CHECK(d("1").fractional_digits() == 0);
}

TEST_CASE("decimal products and quotients", "[decimal]") {
    CHECK(d("50000") * d("0.004") == d("200"));
    CHECK(d("200") / d("50000") == d("0.004"));
    CHECK(d("1") / d("3") == d("0.33333333"));  // truncated at 8 digits
    CHECK(d("-1") / d("3") == d("-0.33333333"));
    // 128-bit intermediate: a large notional does not overflow.
    CHECK(d("90000000") * d("1000") == d("90000000000"));
    CHECK(d("0.00000001") * d("0.5") == d("0"));
    CHECK(d("2.5").mul_int(4) == d("10"));
    CHECK(-d("1.5") == d("-1.5"));
    CHECK(d("-1.5").abs() == d("1.5"));
    CHECK(d("0.1") + d("0.2") == d("0.3"));  // exact, unlike double
}

// Issue 10: products and quotients narrowed a 128-bit result without a check, so an absurd
// amount wrapped into a plausible one of the other sign. They saturate now, as does rounding
// to a step at the edge of the range.
TEST_CASE("decimal products and quotients saturate instead of wrapping", "[decimal]") {
    const decimal max = decimal::from_raw(INT64_MAX);
    const decimal min = decimal::from_raw(-INT64_MAX);
    const decimal big = d("90000000000");  // 9e10, near the top of the range
    CHECK(big * d("2") == max);
    CHECK(big * d("-2") == min);
    CHECK(d("-90000000000") * d("-90000000000") == max);
    CHECK(big / d("0.0001") == max);
    CHECK(d("-90000000000") / d("0.0001") == min);
    CHECK(max.ceil_to(d("0.3")) == max);
    CHECK(max.round_to(d("50000000000")) == max);
    CHECK(min.floor_to(d("0.3")) == min);
    // Ordinary values are unchanged.
    CHECK(d("12.5") * d("3") == d("37.5"));
    CHECK(d("1") / d("3") == d("0.33333333"));
    CHECK(d("-1") / d("3") == d("-0.33333333"));
}

// Issue 10: sums and differences used plain int64 arithmetic, so a sum past the range wrapped
// (undefined behaviour) into a plausible amount of the other sign. They saturate like products.
TEST_CASE("decimal sums, differences and negation saturate instead of wrapping", "[decimal]") {
    const decimal max = decimal::from_raw(INT64_MAX);
    const decimal min = decimal::from_raw(-INT64_MAX);
    const decimal big = d("90000000000");  // 9e10, near the top of the range
    CHECK(big + big == max);
    CHECK(-big - big == min);
    CHECK(big - -big == max);
    CHECK(-big + -big == min);
    CHECK(max + d("0.00000001") == max);
    CHECK(min - d("0.00000001") == min);
    decimal acc = big;
    acc += big;
    CHECK(acc == max);
    acc -= max;  // saturated values still subtract as numbers
    CHECK(acc.is_zero());
    decimal neg = -big;
    neg -= big;
    CHECK(neg == min);
    // The one raw value without a positive counterpart negates to the largest, not to itself.
    const decimal lowest = decimal::from_raw(INT64_MIN);
    CHECK(-lowest == max);
    CHECK(lowest.abs() == max);
    CHECK(lowest + d("-1") == min);
    CHECK(big.mul_int(3) == max);
    CHECK(big.mul_int(-3) == min);
    CHECK(decimal::from_int(INT64_MAX / 10) == max);
    CHECK(decimal::from_int(-(INT64_MAX / 10)) == min);
    // Ordinary values are unchanged.
    CHECK(d("0.1") + d("0.2") == d("0.3"));
    CHECK(d("0.1") - d("0.2") == d("-0.1"));
    CHECK(d("-2.5").mul_int(4) == d("-10"));
    CHECK(decimal::from_int(-7) == d("-7"));
}

// The 64-bit fast paths of * and / must give exactly the 128-bit result (truncation toward zero,
// both signs) on both sides of where they hand over to the 128-bit division.
TEST_CASE("decimal products and quotients: the fast paths agree with 128-bit arithmetic", "[decimal]") {
    using i128 = __int128;
    const std::int64_t raws[] = {0, 1, -1, 7, 99'999'999, 100'000'000, -100'000'001, 123'456'789'012,
                                 9'700'000'000'000, -9'700'012'345'678, 2'000'000, 4'722'366'482'869,
                                 (std::int64_t{1} << 36) + 12345, -(std::int64_t{1} << 40), 92'233'720'368'547'758,
                                 INT64_MAX, -INT64_MAX};
    auto clamp = [](i128 v) {
        return v > INT64_MAX ? INT64_MAX : v < -static_cast<i128>(INT64_MAX) ? -INT64_MAX : static_cast<std::int64_t>(v);
    };
    for (auto a : raws) {
        for (auto b : raws) {
            const decimal x = decimal::from_raw(a);
            const decimal y = decimal::from_raw(b);
            CHECK((x * y).raw() == clamp(static_cast<i128>(a) * b / decimal::scale));
            if (b != 0) CHECK((x / y).raw() == clamp(static_cast<i128>(a) * decimal::scale / b));
        }
    }
    // A BTC notional (price 97,000 x 0.02), past int64 in the raw product, still exact.
    CHECK(d("97000.1") * d("0.021") == d("2037.0021"));
    CHECK(d("-97000.1") * d("0.021") == d("-2037.0021"));
}

// Issue 11: the checked API reports what the operators would saturate (or abort on).
TEST_CASE("decimal checked arithmetic reports overflow and division by zero", "[decimal]") {
    const decimal big = d("90000000000");
    CHECK(d("1").checked_div(d("0")) == std::nullopt);
    CHECK(d("0").checked_div(d("0")) == std::nullopt);
    CHECK(d("1").checked_div(d("4")) == d("0.25"));
    CHECK(big.checked_mul(d("2")) == std::nullopt);
    CHECK(big.checked_mul(d("-2")) == std::nullopt);
    CHECK(big.checked_mul(d("0.5")) == d("45000000000"));
    CHECK(big.checked_add(big) == std::nullopt);
    CHECK((-big).checked_sub(big) == std::nullopt);
    CHECK(big.checked_sub(big) == d("0"));
    CHECK(big.checked_div(d("0.0001")) == std::nullopt);
    CHECK(d("-1").checked_div(d("3")) == d("-0.33333333"));
}

namespace {
/// Runs `f` in a forked child; returns (terminating signal or -1, what the child wrote to stderr).
template <class F>
std::pair<int, std::string> run_in_child(F f) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        f();
        std::_Exit(0);
    }
    ::close(fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFSIGNALED(status) ? WTERMSIG(status) : -1, err};
}
}  // namespace

// Issue 11: a division by zero used to yield 0 silently; it is a broken invariant now (every
// caller divides by a value it checked positive) and stops the process with a clear message, in
// Release as in Debug. Catch2 has no death tests: the division runs in a forked child.
TEST_CASE("decimal division by zero is a broken invariant: abort with a message", "[decimal]") {
    volatile std::int64_t zero = 0;  // not folded at compile time
    const auto [sig, err] = run_in_child([&] {
        const decimal q = d("1") / decimal::from_raw(zero);
        std::printf("%s\n", q.to_string().c_str());  // not reached
    });
    CHECK(sig == SIGABRT);
    CHECK(err.find("traded: broken invariant at ") != std::string::npos);
    CHECK(err.find("decimal.cpp") != std::string::npos);
    CHECK(err.find("decimal division by zero") != std::string::npos);
    // The same value through the checked API is a reported outcome, not a crash.
    const auto [sig2, err2] = run_in_child([&] { (void)d("1").checked_div(decimal::from_raw(zero)); });
    CHECK(sig2 == -1);
    CHECK(err2.empty());
}
