// libFuzzer entry for the Binance codec and state machines.
//
// Build (clang, from the repository root; simdjson, fmt and OpenSSL from the system):
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. -DSIMDJSON_DEVELOPMENT_CHECKS=1 \
//     tests/fuzz/binance_fuzz.cpp exchange/binance/*.cpp engine/decimal.cpp engine/types.cpp \
//     -lsimdjson -lfmt -lcrypto -o binance_fuzz
//   ./binance_fuzz tests/fixtures/binance/      # the fixtures are the seed corpus
// CI without clang runs the same target over 20,000 mutated fixtures: exchange_tests "[fuzz]".
#include "tests/fuzz/binance_fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (traded::binance::fuzz::check_one(data, size) != nullptr) __builtin_trap();
    return 0;
}
