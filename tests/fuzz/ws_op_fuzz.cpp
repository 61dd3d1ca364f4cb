// libFuzzer entry: see router_fuzz_target.hpp for the input format and invariants, scripts/fuzz to run it.
#include "tests/fuzz/router_fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (const char* broken = traded::fuzz::check_ws(data, size)) {
        std::fprintf(stderr, "invariant broken: %s\n", broken);
        std::abort();
    }
    return 0;
}
