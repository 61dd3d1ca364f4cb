// The simulator's request rules (exchange/sim/protocol.*) against the Binance docs' vectors
// (binance-usdm.md §2): which bytes a signature covers, case-insensitive comparison, the timestamp
// window, form parsing, client-id and decimal syntax.
//
// exchange_tests links only traded_exchange, so unless the sim core library is linked
// (TRADED_SIM_CORE_TESTS), the pure, std-only protocol.cpp is compiled into this test directly.

#ifndef TRADED_SIM_CORE_TESTS
#include "exchange/sim/protocol.cpp"  // NOLINT(bugprone-suspicious-include)
#else
#include "exchange/sim/protocol.hpp"
#endif

#include "exchange/binance/sign.hpp"

#include <catch2/catch.hpp>

using namespace traded::sim;

namespace {
constexpr const char* secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

/// What the simulator does with a request: recompute the HMAC over the split payload and compare.
bool accepted(std::string_view query, std::string_view body) {
    auto s = split_signature(query, body);
    return s.signature && s.last &&
           signature_matches(traded::binance::hmac_sha256_hex(secret, s.payload), *s.signature);
}
}  // namespace

TEST_CASE("sim: the official query-string example is accepted, any other signature is not", "[sim][signature]") {
    const std::string params =
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    const std::string sig = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9";

    auto split = split_signature(params + "&signature=" + sig, "");
    CHECK(split.payload == params);
    REQUIRE(split.signature);
    CHECK(*split.signature == sig);
    CHECK(accepted(params + "&signature=" + sig, ""));

    SECTION("the signature is not case sensitive") {
        std::string upper = sig;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        CHECK(accepted(params + "&signature=" + upper, ""));
    }
    SECTION("one changed parameter byte breaks it") {
        std::string tampered = params;
        tampered.replace(tampered.find("quantity=1"), 10, "quantity=2");
        CHECK_FALSE(accepted(tampered + "&signature=" + sig, ""));
    }
    SECTION("the same payload in the body is accepted too") { CHECK(accepted("", params + "&signature=" + sig)); }
    SECTION("a signature that is not the last parameter is rejected") {
        CHECK_FALSE(accepted("signature=" + sig + "&" + params, ""));
    }
    SECTION("a truncated signature is rejected") { CHECK_FALSE(accepted(params + "&signature=" + sig.substr(1), "")); }
}

TEST_CASE("sim: query and body are concatenated without '&' (doc example 3, no-space value)", "[sim][signature]") {
    const std::string query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    const std::string body = "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943";
    const std::string sig = "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4";
    auto split = split_signature(query, body + "&signature=" + sig);
    CHECK(split.payload == query + body);
    CHECK(accepted(query, body + "&signature=" + sig));
    // A client that inserted '&' between the parts signed different bytes.
    const std::string with_amp = traded::binance::hmac_sha256_hex(secret, query + "&" + body);
    CHECK_FALSE(accepted(query, body + "&signature=" + with_amp));
}

TEST_CASE("sim: the signature covers the bytes on the wire, percent-encoding included", "[sim][signature]") {
    const std::string wire =
        "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&reduceOnly=true&newClientOrderId=my%3Aid%2F1&timestamp="
        "1591702613943";
    CHECK(accepted(wire + "&signature=63e811e72226e0837b46e2d3ed06b9833093fd2f24907e1798a6856cfc10f198", ""));
    auto form = parse_form(wire);
    REQUIRE(form.code == 0);
    REQUIRE(form.params.size() == 7);
    CHECK(form.params[5].key == "newClientOrderId");
    CHECK(form.params[5].value == "my:id/1");
    // Signing the decoded form instead is a different payload.
    const std::string decoded_sig = traded::binance::hmac_sha256_hex(
        secret,
        "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&reduceOnly=true&newClientOrderId=my:id/1&timestamp=1591702613943");
    CHECK_FALSE(accepted(wire + "&signature=" + decoded_sig, ""));
}

TEST_CASE("sim: timestamp window is exactly the documented rule", "[sim][timestamp]") {
    const std::int64_t server = 1'700'000'000'000;
    CHECK(check_timestamp(server, server, 5000) == timestamp_verdict::ok);
    CHECK(check_timestamp(server + 999, server, 5000) == timestamp_verdict::ok);
    CHECK(check_timestamp(server + 1000, server, 5000) == timestamp_verdict::ahead);
    CHECK(check_timestamp(server - 5000, server, 5000) == timestamp_verdict::ok);
    CHECK(check_timestamp(server - 5001, server, 5000) == timestamp_verdict::outside_window);
    CHECK(check_timestamp(server - 5001, server, 10000) == timestamp_verdict::ok);
}

TEST_CASE("sim: form parsing refuses duplicates and broken escapes", "[sim][form]") {
    CHECK(parse_form("a=1&a=2").code == -1101);
    CHECK(parse_form("a=%4").code == -1100);
    CHECK(parse_form("a=%zz").code == -1100);
    auto ok = parse_form("a=1&&b=x+y&c=");
    REQUIRE(ok.code == 0);
    REQUIRE(ok.params.size() == 3);
    CHECK(ok.params[1].value == "x y");
    CHECK(ok.params[2].value.empty());
}

TEST_CASE("sim: client ids and decimals follow Binance's patterns", "[sim][syntax]") {
    CHECK(client_id_chars_ok("paper_1700000000000_BTCUSDT-TP"));
    CHECK(client_id_chars_ok("a.b:c/d_e-f"));
    CHECK_FALSE(client_id_chars_ok("has space"));
    CHECK_FALSE(client_id_chars_ok("x#1"));

    CHECK(decimal_syntax_ok("0.001"));
    CHECK(decimal_syntax_ok("95000"));
    CHECK_FALSE(decimal_syntax_ok("1e-3"));
    CHECK_FALSE(decimal_syntax_ok("-1"));
    CHECK_FALSE(decimal_syntax_ok("1."));
    CHECK_FALSE(decimal_syntax_ok(".5"));
    CHECK_FALSE(decimal_syntax_ok(""));

    CHECK(parse_long("1591702613943") == 1591702613943);
    CHECK_FALSE(parse_long("12a"));
    CHECK_FALSE(parse_long(""));
}
