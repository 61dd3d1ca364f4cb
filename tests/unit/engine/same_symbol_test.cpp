// same_symbol, the name check of the per-tick caches: it compares names by machine words, so
// every length and every position of a difference is tried against std::string's ==.
#include "engine/types.hpp"

#include <catch2/catch.hpp>

#include <string>

using traded::engine::same_symbol;

TEST_CASE("same_symbol agrees with == for every length and every differing position", "[engine][symbol]") {
    for (std::size_t n = 0; n <= 24; ++n) {
        std::string a;
        for (std::size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('A' + i % 26));
        const std::string copy = a;  // equal content, another buffer
        CHECK(same_symbol(a, copy));
        CHECK(same_symbol(a, a));
        for (std::size_t i = 0; i < n; ++i) {
            std::string b = a;
            b[i] = static_cast<char>(b[i] + 1);
            INFO("length " << n << ", difference at " << i);
            CHECK_FALSE(same_symbol(a, b));
            CHECK_FALSE(same_symbol(b, a));
        }
        CHECK_FALSE(same_symbol(a, a + "X"));    // a prefix is not the same name
        CHECK_FALSE(same_symbol(a + "X", a));
    }
    CHECK(same_symbol("BTCUSDT", "BTCUSDT"));
    CHECK_FALSE(same_symbol("BTCUSDT", "ETHUSDT"));
    CHECK_FALSE(same_symbol("1000PEPEUSDT", "1000SHIBUSDT"));
}
