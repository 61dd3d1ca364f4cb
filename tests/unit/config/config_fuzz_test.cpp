// Fuzzing the config loader: mutated YAML gives a config or errors naming what is wrong, never a
// crash or an escaped exception.

#include "config/config.hpp"
#include "tests/fuzz/config_fuzz_target.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

TEST_CASE("mutated YAML never crashes the config loader", "[config][fuzz]") {
    std::ifstream in(std::string(TRADED_FIXTURES) + "/../../config/traded.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string base = ss.str();
    REQUIRE_FALSE(base.empty());
    std::mt19937_64 rng(99);
    int rejected = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string s = base;
        const int n = 1 + static_cast<int>(rng() % 6);
        for (int k = 0; k < n; ++k) {
            const std::size_t pos = rng() % s.size();
            switch (rng() % 4) {
                case 0: s.erase(pos, 1 + rng() % 12); break;
                case 1: s.insert(pos, 1, ":-[]{}&*!|>'\"%@`\t\n 0123456789abc"[rng() % 32]); break;
                case 2: s[pos] = static_cast<char>(rng() % 256); break;
                default: s.insert(pos, "\n  extra_key: 1\n"); break;
            }
        }
        // The invariants are the libFuzzer target's (tests/fuzz/config_fuzz_target.hpp).
        const char* broken = traded::fuzz::check_config_text(s);
        INFO(s);
        REQUIRE(broken == nullptr);
        if (!traded::config::load_string(s).has_value()) ++rejected;
    }
    CHECK(rejected > 0);
}
