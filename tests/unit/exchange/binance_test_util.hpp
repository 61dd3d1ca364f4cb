#pragma once
// Helpers shared by the Binance adapter tests.

#include "exchange/binance/stream_events.hpp"

#include <catch2/catch.hpp>

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

/// The event's T alternative; fails the test (naming the error or the ignored type) otherwise.
template <class T, class V>
const T& as(const V& v) {
    if (const auto* e = std::get_if<stream_error>(&v)) FAIL("stream_error: " << e->message);
    if (const auto* i = std::get_if<ignored_event>(&v)) FAIL("ignored: " << i->event_type);
    REQUIRE(std::holds_alternative<T>(v));
    return std::get<T>(v);
}

/// Every field of the documented bookTicker example (fixtures book_ticker*.json).
inline void check_doc_book_ticker(const market_event& ev) {
    const auto dec = [](std::string_view s) { return *decimal::parse(s); };
    const auto& t = as<book_ticker>(ev);
    CHECK(t.symbol == "BNBUSDT");
    CHECK(t.update_id == 400900217);
    CHECK(t.event_time == 1568014460893);
    CHECK(t.transaction_time == 1568014460891);
    CHECK(t.bid_price == dec("25.3519"));
    CHECK(t.bid_qty == dec("31.21"));
    CHECK(t.ask_price == dec("25.3652"));
    CHECK(t.ask_qty == dec("40.66"));
}

}  // namespace traded::binance::test
