#include "engine/decimal.hpp"

#include <catch2/catch.hpp>

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
    CHECK(d("1") / d("0") == d("0"));
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
