#pragma once
// Helpers shared by the Binance adapter tests.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace traded::binance::test {

/// Contents of tests/fixtures/binance/<name>; throws (failing the test) when missing.
inline std::string fixture(std::string_view name) {
    std::string path = std::string(TRADED_FIXTURES) + "/binance/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace traded::binance::test
