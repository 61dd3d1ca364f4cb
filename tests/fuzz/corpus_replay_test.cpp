// Replays the committed libFuzzer seed corpus (tests/fuzz/corpus/<target>/, which also holds
// every input a fuzzer ever crashed on) through the same target functions the fuzzers run, so
// each CI pass re-checks old findings without clang. scripts/fuzz does the actual fuzzing.

#include "tests/fuzz/binance_fuzz_target.hpp"
#include "tests/fuzz/config_fuzz_target.hpp"
#include "tests/fuzz/decimal_fuzz_target.hpp"
#include "tests/fuzz/router_fuzz_target.hpp"
#if TRADED_FUZZ_REPLAY
#include "tests/fuzz/replay_fuzz_target.hpp"
#endif

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using check_fn = const char* (*)(const std::uint8_t*, std::size_t);

/// Runs every file of `dir` through `check`; returns how many files there were.
std::size_t replay(const std::string& dir, check_fn check) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string bytes = ss.str();
        const char* broken = check(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        INFO(f.string());
        CHECK(broken == nullptr);
        if (broken) UNSCOPED_INFO(broken);
    }
    return files.size();
}

std::string corpus(const char* target) {
    return std::string(TRADED_FUZZ_CORPUS) + "/" + target;
}

}  // namespace

TEST_CASE("fuzz corpus: Binance codec", "[fuzz]") {
    CHECK(replay(corpus("binance"), traded::binance::fuzz::check_one) > 0);
    CHECK(replay(std::string(TRADED_FIXTURES) + "/binance", traded::binance::fuzz::check_one) > 10);
}

TEST_CASE("fuzz corpus: HTTP router", "[fuzz]") {
    CHECK(replay(corpus("router_http"), traded::fuzz::check_http) > 0);
}

TEST_CASE("fuzz corpus: WebSocket op decoder", "[fuzz]") {
    CHECK(replay(corpus("ws_op"), traded::fuzz::check_ws) > 0);
}

TEST_CASE("fuzz corpus: config loader", "[fuzz]") {
    CHECK(replay(corpus("config"), traded::fuzz::check_config) > 0);
}

TEST_CASE("fuzz corpus: decimal parser", "[fuzz]") {
    CHECK(replay(corpus("decimal"), traded::fuzz::check_decimal) > 0);
}

#if TRADED_FUZZ_REPLAY
TEST_CASE("fuzz corpus: replay files (recordings, Binance public-data CSV)", "[fuzz]") {
    CHECK(replay(corpus("replay"), traded::fuzz::check_replay) > 0);
}
#endif

TEST_CASE("fuzz findings stay fixed", "[fuzz]") {
    // Each was a fuzzer crash; the files are in the corpus too, these name what they were.
    SECTION("a request target with invalid UTF-8 is echoed as valid JSON") {
        const std::string in = std::string(1, '\0') + "/api/v1/paper-t\x72\x61\x9c\x96\x91\x8e/performance\n";
        CHECK(traded::fuzz::check_http(reinterpret_cast<const std::uint8_t*>(in.data()), in.size()) == nullptr);
    }
    SECTION("a config string with invalid UTF-8 is refused (to_yaml could not write it back)") {
        auto r = traded::config::load_string("server:\n  api_token: \"abc\xee\x6e\x67\"\n");
        REQUIRE_FALSE(r.has_value());
        REQUIRE(r.error().size() == 1);
        CHECK(r.error()[0] == "server.api_token: expected UTF-8 text");
        CHECK(traded::config::load_string("storage:\n  data_dir: \"./caf\xc3\xa9\"\n").error().empty());
    }
}
