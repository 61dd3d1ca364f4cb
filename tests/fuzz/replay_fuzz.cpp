// libFuzzer entry: see replay_fuzz_target.hpp for the input format and invariants, scripts/fuzz to run it.
// Built only when the tree has the market-data layer's replay readers (CMake target traded_market).
#include "tests/fuzz/replay_fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (const char* broken = traded::fuzz::check_replay(data, size)) {
        std::fprintf(stderr, "invariant broken: %s\n", broken);
        std::abort();
    }
    return 0;
}
