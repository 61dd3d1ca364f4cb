// Fuzzing the API's parsers: mutated REST requests and WebSocket messages must always produce a
// command or a clear error answer, never a crash or an exception. Deterministic seed, bounded.

#include "api/router.hpp"
#include "tests/fuzz/router_fuzz_target.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace traded::api;

namespace {

const std::vector<std::string> seeds_http_targets{
    "/api/v1/paper-trading/status", "/api/v1/real-trading/trades?limit=10&since=1700000000000",
    "/api/v1/paper-trading/close-position/paper_1732400000000_BTCUSDT", "/api/v1/paper-trading/safety-limits",
    "/api/v1/opportunities", "/api/v1/paper-trading/start", "/healthz"};
const std::vector<std::string> seeds_bodies{
    R"({"stake_usd": 150.5, "max_positions": 3, "max_daily_loss": 200})", R"({"clear_emergency": true})",
    R"({"symbol":"BTCUSDT","side":"LONG","reason":"x","mode":"paper-trading"})", "", "{}", "[]", "null"};
const std::vector<std::string> seeds_ws{
    R"({"op":"subscribe","id":1,"channels":["positions","trades"],"modes":["paper-trading"],"since_seq":12})",
    R"({"op":"close_position","id":3,"mode":"real-trading","params":{"position_id":"live_1_BTCUSDT"}})",
    R"({"op":"set_safety_limits","id":"x","mode":"paper-trading","params":{"stake_usd":1e400}})",
    R"({"op":"auth","token":"abc"})", R"({"op":"unsubscribe","id":2,"channels":["safety"]})"};

std::string mutate(std::string s, std::mt19937_64& rng) {
    std::uniform_int_distribution<int> op(0, 5);
    std::uniform_int_distribution<int> byte(0, 255);
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
        const std::size_t pos = s.empty() ? 0 : rng() % s.size();
        switch (op(rng)) {
            case 0: if (!s.empty()) s.erase(pos, 1 + rng() % 8); break;
            case 1: s.insert(pos, 1, static_cast<char>(byte(rng))); break;
            case 2: if (!s.empty()) s[pos] = static_cast<char>(byte(rng)); break;
            case 3: s.insert(pos, std::string(1 + rng() % 40, "{}[]\":,0-9e."[rng() % 12])); break;
            case 4: s = s.substr(0, pos); break;
            default: s.insert(pos, s.substr(0, std::min<std::size_t>(s.size(), 64))); break;
        }
    }
    return s;
}

}  // namespace

TEST_CASE("mutated REST requests never crash the router", "[api][fuzz]") {
    std::mt19937_64 rng(20261124);
    const std::vector<std::string> methods{"GET", "POST", "PUT", "DELETE", "PATCH", ""};
    int commands = 0;
    int errors = 0;
    for (int i = 0; i < 20000; ++i) {
        http_request r;
        r.method = methods[rng() % methods.size()];
        r.target = mutate(seeds_http_targets[rng() % seeds_http_targets.size()], rng);
        r.body = mutate(seeds_bodies[rng() % seeds_bodies.size()], rng);
        r.content_type = "application/json";
        // The invariants are the libFuzzer target's (tests/fuzz/router_fuzz_target.hpp).
        const char* broken = traded::fuzz::router_detail::check_request(r);
        INFO(r.method << " " << r.target << " " << r.body);
        REQUIRE(broken == nullptr);
        if (std::holds_alternative<command>(parse_http(r))) {
            ++commands;
        } else {
            ++errors;
        }
    }
    CHECK(commands > 0);
    CHECK(errors > 0);
}

TEST_CASE("mutated WebSocket messages never crash the parser", "[api][fuzz]") {
    std::mt19937_64 rng(4242);
    int errors = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::string text = mutate(seeds_ws[rng() % seeds_ws.size()], rng);
        const char* broken = traded::fuzz::check_ws(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
        INFO(text);
        REQUIRE(broken == nullptr);
        if (std::holds_alternative<ws_error>(parse_ws(text))) ++errors;
    }
    CHECK(errors > 0);
}
