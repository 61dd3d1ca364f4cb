// The one-pass market codec (exchange/binance/market_events.cpp) and its decimal fast path
// (decimal_text.hpp): every market message type, both shapes, field order, unknown, missing and
// bad fields, and the decimal parser held against decimal::parse on random strings.
#include "exchange/binance/decimal_text.hpp"
#include "exchange/binance/stream_events.hpp"

#include "tests/unit/exchange/binance_test_util.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

using namespace traded;
using namespace traded::binance;
using traded::binance::test::as;
using traded::binance::test::fixture;

namespace {

decimal d(std::string_view s) { return *decimal::parse(s); }


std::string error_of(const market_event& v) {
    if (const auto* e = std::get_if<stream_error>(&v)) return e->message;
    return {};
}

std::string wrap(std::string_view stream, std::string_view data) {
    return R"({"stream":")" + std::string(stream) + R"(","data":)" + std::string(data) + "}";
}

const std::string book =
    R"({"e":"bookTicker","u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"})";
const std::string mark =
    R"({"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","ap":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"-0.00038167","T":1562306400000})";
const std::string agg =
    R"({"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true})";

void check_book(const market_event& ev) { test::check_doc_book_ticker(ev); }

void check_mark(const market_event& ev) {
    const auto& m = as<mark_price_update>(ev);
    CHECK(m.symbol == "BTCUSDT");
    CHECK(m.event_time == 1562305380000);
    CHECK(m.mark_price == d("11794.15"));
    REQUIRE(m.index_price.has_value());
    CHECK(*m.index_price == d("11784.62659091"));
    REQUIRE(m.funding_rate.has_value());
    CHECK(*m.funding_rate == d("-0.00038167"));  // funding may be negative
    CHECK(m.next_funding_time == 1562306400000);
}

void check_agg(const market_event& ev) {
    const auto& t = as<agg_trade>(ev);
    CHECK(t.symbol == "BTCUSDT");
    CHECK(t.event_time == 123456789);
    CHECK(t.agg_trade_id == 5933014);
    CHECK(t.price == d("0.001"));
    CHECK(t.qty == d("100"));
    CHECK(t.first_trade_id == 100);
    CHECK(t.last_trade_id == 105);
    CHECK(t.trade_time == 123456785);
    CHECK(t.buyer_is_maker);
}

/// The same object with its fields in reverse order ("e" last).
std::string reversed(std::string_view obj) {
    // Split the flat object's top-level fields (no nested objects or commas in values here).
    std::vector<std::string> fields;
    std::string cur;
    for (char c : obj.substr(1, obj.size() - 2)) {
        if (c == ',') {
            fields.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    fields.push_back(cur);
    std::string out = "{";
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
        if (out.size() > 1) out += ",";
        out += *it;
    }
    return out + "}";
}

/// bookTicker with one field's value replaced (the rest as Binance sends them).
std::string book_with(std::string_view key, std::string_view value_json) {
    std::string s = R"({"e":"bookTicker","u":1,"E":2,"T":3,"s":"XUSDT")";
    for (std::string_view k : {"b", "B", "a", "A"}) {
        s += ",\"" + std::string(k) + "\":";
        s += k == key ? std::string(value_json) : std::string("\"1.5\"");
    }
    return s + "}";
}

}  // namespace

TEST_CASE("market codec: every type, plain and combined-stream wrapped", "[binance][market_codec]") {
    json_parser p;
    check_book(parse_market_event(book, p));
    check_book(parse_market_event(wrap("bnbusdt@bookTicker", book), p));
    check_mark(parse_market_event(mark, p));
    check_mark(parse_market_event(wrap("btcusdt@markPrice@1s", mark), p));
    check_agg(parse_market_event(agg, p));
    check_agg(parse_market_event(wrap("btcusdt@aggTrade", agg), p));
    // The fixtures (Binance's documented examples) too.
    for (auto name : {"book_ticker.json", "book_ticker_combined.json"}) CHECK(as<book_ticker>(parse_market_event(fixture(name), p)).ask_qty == d("40.66"));
    CHECK(as<mark_price_update>(parse_market_event(fixture("mark_price_update.json"), p)).mark_price == d("11794.15"));
    CHECK(as<agg_trade>(parse_market_event(fixture("agg_trade.json"), p)).qty == d("100"));
}

TEST_CASE("market codec: field order does not matter", "[binance][market_codec]") {
    json_parser p;
    // "e" last (the general path), in both shapes, and "data" before "stream".
    check_book(parse_market_event(reversed(book), p));
    check_book(parse_market_event(wrap("x", reversed(book)), p));
    check_mark(parse_market_event(reversed(mark), p));
    check_agg(parse_market_event(reversed(agg), p));
    check_agg(parse_market_event(R"({"data":)" + reversed(agg) + R"(,"stream":"btcusdt@aggTrade"})", p));
    check_book(parse_market_event(R"({"data":)" + book + R"(,"stream":"bnbusdt@bookTicker"})", p));
    // "e" in the middle.
    check_book(parse_market_event(
        R"({"u":400900217,"E":1568014460893,"T":1568014460891,"s":"BNBUSDT","e":"bookTicker","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"})",
        p));
    // Whitespace between tokens (Binance sends compact JSON, others may not).
    check_agg(parse_market_event(
        "{ \"e\" : \"aggTrade\" , \"E\" : 123456789 , \"s\" : \"BTCUSDT\" , \"a\" : 5933014 , \"p\" : \"0.001\" ,\n"
        " \"q\" : \"100\" , \"f\" : 100 , \"l\" : 105 , \"T\" : 123456785 , \"m\" : true }",
        p));
    // Escaped keys and values mean the same as plain ones.
    auto esc = parse_market_event(
        R"({"\u0065":"book\u0054icker","s":"X\u0055SDT","\u0062":"1\u002e5","B":"2","a":"3","A":"4"})", p);
    const auto& t = as<book_ticker>(esc);
    CHECK(t.symbol == "XUSDT");
    CHECK(t.bid_price == d("1.5"));
    CHECK(t.ask_qty == d("4"));
}

TEST_CASE("market codec: unknown fields and streams are skipped", "[binance][market_codec]") {
    json_parser p;
    auto ev = parse_market_event(
        R"({"stream":"x@bookTicker","extra":{"deep":[1,{"e":"no"}]},"data":{"e":"bookTicker","st":"x","b":"1","zz":[1,2],"B":"2","a":"3","A":"4","s":"XUSDT","ps":"XUSDT","e2":null},"more":true})",
        p);
    const auto& t = as<book_ticker>(ev);
    CHECK(t.bid_price == d("1"));
    CHECK(t.ask_qty == d("4"));
    auto depth = parse_market_event(wrap("btcusdt@depth", fixture("depth_update.json")), p);
    REQUIRE(std::holds_alternative<ignored_event>(depth));
    CHECK(std::get<ignored_event>(depth).event_type == "depthUpdate");
    // An ignored event's own fields are not checked, but its JSON still is.
    CHECK(std::holds_alternative<ignored_event>(parse_market_event(R"({"e":"kline","k":{"x":1}})", p)));
    CHECK(std::holds_alternative<stream_error>(parse_market_event(R"({"e":"kline","k":{"x":1})", p)));
    CHECK(std::holds_alternative<stream_error>(parse_market_event(R"({"stream":"a","data":{"e":"kline","k":[1}})", p)));
}

TEST_CASE("market codec: a parse after an odd payload is unaffected", "[binance][market_codec]") {
    json_parser p;
    for (std::string_view odd : {R"({"e":"bookTicker"})", "{", R"({"data":{"s":"X"}})", "[1,2]",
                                 R"({"e":"bookTicker","e":"aggTrade"})", R"({"result":null,"id":1})"}) {
        (void)parse_market_event(odd, p);
        check_book(parse_market_event(wrap("bnbusdt@bookTicker", book), p));
        check_agg(parse_market_event(agg, p));
    }
}

TEST_CASE("market codec: a repeated e or data keeps the last one, as before", "[binance][market_codec]") {
    json_parser p;
    // The first "e" names a type we read; a later one changes it: the general path decides.
    auto ev = parse_market_event(R"({"e":"aggTrade","s":"X","p":"1","q":"1","e":"depthUpdate"})", p);
    REQUIRE(std::holds_alternative<ignored_event>(ev));
    CHECK(std::get<ignored_event>(ev).event_type == "depthUpdate");
    auto inner = parse_market_event(R"({"e":"kline","data":{"e":"aggTrade","s":"X","p":"1","q":"2"}})", p);
    CHECK(as<agg_trade>(inner).qty == d("2"));
}

TEST_CASE("market codec: an empty symbol is a missing one, also after a good one (fuzz finding)",
          "[binance][market_codec]") {
    json_parser p;
    // "" counts as absent on both paths: alone it is an error, after a symbol it changes nothing.
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"","p":"1"})", p)).find("field s: missing") !=
          std::string::npos);
    for (const auto* msg : {R"({"e":"markPriceUpdate","s":"BTCUSDT","p":"1","s":""})",
                            R"({"e":"bookTicker","s":"BTCUSDT","s":"","b":"1","B":"1","a":"1","A":"1"})",
                            R"({"e":"aggTrade","s":"BTCUSDT","p":"1","q":"1","s":""})"}) {
        INFO(msg);
        const auto ev = parse_market_event(msg, p);
        CHECK(error_of(ev).empty());
        std::visit(
            [](const auto& e) {
                if constexpr (requires { e.symbol; }) CHECK(e.symbol == "BTCUSDT");
            },
            ev);
    }
}

TEST_CASE("market codec: missing fields are errors naming the field", "[binance][market_codec]") {
    json_parser p;
    CHECK(error_of(parse_market_event(R"({"e":"bookTicker","s":"X","b":"1","B":"1","a":"1"})", p))
              .find("bookTicker: field A: missing") != std::string::npos);
    CHECK(error_of(parse_market_event(wrap("x", R"({"e":"bookTicker","b":"1","B":"1","a":"1","A":"1"})"), p))
              .find("field s: missing") != std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"X","E":1})", p)).find("markPriceUpdate: field p") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":"X","p":"1"})", p)).find("aggTrade: field q") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":"X","p":null,"q":"1"})", p)).find("field p") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"stream":"x","data":{"s":"X"}})", p)).find("field data.e: missing") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"s":"X"})", p)).find("field e: missing") != std::string::npos);
    // Optional fields may be absent, null or "".
    auto m = parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"2","i":null,"r":""})", p);
    CHECK_FALSE(as<mark_price_update>(m).index_price.has_value());
    CHECK_FALSE(as<mark_price_update>(m).funding_rate.has_value());
}

TEST_CASE("market codec: bad numbers are errors naming the field and the reason, never a price",
          "[binance][market_codec]") {
    json_parser p;
    struct bad {
        std::string_view key, value, reason;
    };
    for (const bad& b : std::initializer_list<bad>{
             {"b", R"("1e5")", "exponent"},
             {"b", R"("1.5E-3")", "exponent"},
             {"a", "1e5", "exponent"},  // as a JSON number too
             {"a", R"("25.123456789")", "more than 8 decimal places"},
             {"B", R"("99999999999999999999.5")", "out of range"},
             {"A", R"("92233720368.54775808")", "out of range"},
             {"b", R"("-25.3519")", "negative"},
             {"a", R"("-0")", "negative"},
             {"B", R"("1.2.3")", "expected a decimal"},
             {"b", R"("abc")", "expected a decimal"},
             {"b", R"(" 1")", "expected a decimal"},
             {"b", R"("--1")", "expected a decimal"},
             {"b", R"("+-1")", "expected a decimal"},
             {"b", R"(".")", "expected a decimal"},
             {"b", R"("0x10")", "expected a decimal"},
             {"A", "true", "expected a decimal"},
             {"b", "{}", "expected a scalar"},
             {"a", "[1]", "expected a scalar"},
         }) {
        const std::string msg = book_with(b.key, b.value);
        INFO(msg);
        for (const std::string& frame : {msg, wrap("x@bookTicker", msg), reversed(msg)}) {
            const std::string err = error_of(parse_market_event(frame, p));
            CHECK(err.find("bookTicker: field " + std::string(b.key) + ": ") != std::string::npos);
            CHECK(err.find(b.reason) != std::string::npos);
        }
    }
    // "" is "not applicable": for a required price that is "missing, null or empty".
    CHECK(error_of(parse_market_event(book_with("b", R"("")"), p)).find("field b: missing, null or empty") !=
          std::string::npos);
    // Integers: fractions, exponents, overflow and junk are errors naming the field.
    for (std::string_view e : {"1.5", "1e3", "99999999999999999999", R"("12a")", R"("1.0")", "{}"}) {
        const std::string msg = R"({"e":"aggTrade","s":"X","p":"1","q":"1","E":)" + std::string(e) + "}";
        INFO(msg);
        CHECK(error_of(parse_market_event(msg, p)).find("aggTrade: field E") != std::string::npos);
    }
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":"X","p":"1","q":"1","m":"maybe"})", p)).find("field m") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":"X","p":"1","q":"1","m":1})", p)).find("field m") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":{},"p":"1","q":"1"})", p)).find("field s") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"-1"})", p)).find("field p: negative") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"1","i":"-1"})", p)).find("field i") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"1","r":"1e-4"})", p)).find("field r") !=
          std::string::npos);
}

TEST_CASE("market codec: accepted number spellings", "[binance][market_codec]") {
    json_parser p;
    const auto ev = parse_market_event(
        R"({"e":"bookTicker","u":"7","E":"1568014460893","s":"X","b":25.3519,"B":"+31.21","a":"25.","A":".5"})", p);
    const auto& t = as<book_ticker>(ev);
    CHECK(t.update_id == 7);
    CHECK(t.event_time == 1568014460893);
    CHECK(t.bid_price == d("25.3519"));
    CHECK(t.bid_qty == d("31.21"));
    CHECK(t.ask_price == d("25"));
    CHECK(t.ask_qty == d("0.5"));
    const auto zev = parse_market_event(book_with("b", R"("0.123456780000")"), p);
    CHECK(as<book_ticker>(zev).bid_price == d("0.12345678"));  // extra zeros beyond 8 decimals are exact
    const auto bev = parse_market_event(book_with("A", R"("92233720368.54775807")"), p);
    CHECK(as<book_ticker>(bev).ask_qty.raw() == INT64_MAX);
    CHECK(as<book_ticker>(parse_market_event(book_with("b", R"("0")"), p)).bid_price.is_zero());
    // Informational values with more precision than we keep are left out, not rounded, and do
    // not cost the mark price.
    const auto mev =
        parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"2","i":"1.123456789","r":"0.000381671"})", p);
    const auto& m = as<mark_price_update>(mev);
    CHECK(m.mark_price == d("2"));
    CHECK_FALSE(m.index_price.has_value());
    CHECK_FALSE(m.funding_rate.has_value());
}

TEST_CASE("market codec: truncated and malformed payloads are errors", "[binance][market_codec]") {
    json_parser p;
    for (const std::string& full : {book, wrap("bnbusdt@bookTicker", book), mark, agg, wrap("a@aggTrade", agg),
                                    reversed(book), wrap("x", reversed(agg))}) {
        for (std::size_t n = 0; n < full.size(); ++n) {
            INFO(full.substr(0, n));
            CHECK(std::holds_alternative<stream_error>(parse_market_event(std::string_view(full).substr(0, n), p)));
        }
    }
    CHECK(std::holds_alternative<stream_error>(parse_market_event(R"({"e":"bookTicker","s":"X","b":"1" "B":"1"})", p)));
    CHECK(std::holds_alternative<stream_error>(parse_market_event(R"({"e":"bookTicker","s":"X\q"})", p)));
}

// ----- the decimal fast path -----------------------------------------------------------------

TEST_CASE("decimal text: reasons", "[binance][market_codec][decimal]") {
    decimal v;
    CHECK(parse_decimal_text("25.35190000", v) == decimal_text_error::none);
    CHECK(v == d("25.3519"));
    CHECK(parse_decimal_text("", v) == decimal_text_error::empty);
    CHECK(parse_decimal_text("1e5", v) == decimal_text_error::exponent);
    CHECK(parse_decimal_text("1.5E-3", v) == decimal_text_error::exponent);
    CHECK(parse_decimal_text("e5", v) == decimal_text_error::malformed);
    CHECK(parse_decimal_text("0.000000001", v) == decimal_text_error::too_precise);
    CHECK(parse_decimal_text("1.12345678912", v) == decimal_text_error::too_precise);
    CHECK(parse_decimal_text("92233720369", v) == decimal_text_error::out_of_range);
    CHECK(parse_decimal_text("92233720368.54775808", v) == decimal_text_error::out_of_range);
    CHECK(parse_decimal_text(std::string(41, '1'), v) == decimal_text_error::out_of_range);
    // decimal::parse's length limit holds even for a value in range: 40 characters pass, 41 do not.
    CHECK(parse_decimal_text("0." + std::string(38, '0'), v) == decimal_text_error::none);
    CHECK(parse_decimal_text("0." + std::string(39, '0'), v) == decimal_text_error::out_of_range);
    CHECK(parse_decimal_text(std::string(39, '0') + "7", v) == decimal_text_error::none);
    CHECK(v == d("7"));
    CHECK(parse_decimal_text("1-", v) == decimal_text_error::malformed);
    CHECK(parse_decimal_text("1.2345678a", v) == decimal_text_error::malformed);  // a non-digit in the 8
    CHECK(parse_decimal_text("1.2345678:", v) == decimal_text_error::malformed);
    CHECK(parse_decimal_text("1.1234567/", v) == decimal_text_error::malformed);
    CHECK(parse_decimal_text("-92233720368.54775807", v) == decimal_text_error::none);
    CHECK(v.raw() == -INT64_MAX);
    CHECK(parse_decimal_text("0.99999999", v) == decimal_text_error::none);
    CHECK(v.raw() == 99'999'999);
    CHECK(parse_decimal_text("12345678.12345678", v) == decimal_text_error::none);
    CHECK(v.raw() == 1'234'567'812'345'678);
}

namespace {

/// A random string near the decimal grammar: digits, points, signs, exponents, junk bytes.
std::string random_decimal_text(std::mt19937_64& rng) {
    static constexpr std::string_view alphabet = "0123456789012345678901234567890123456789..+-eE x/:\\\"";
    std::uniform_int_distribution<int> shape(0, 10);
    std::string s;
    const int kind = shape(rng);
    auto digits = [&](int n) {
        for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    };
    if (kind <= 5) {  // mostly well-formed: [sign] digits [. digits], lengths around the limits
        if (rng() % 6 == 0) s.push_back(rng() % 2 ? '-' : '+');
        digits(static_cast<int>(rng() % 13));
        if (rng() % 4 != 0) {
            s.push_back('.');
            const int n = static_cast<int>(rng() % 12);
            digits(n);
            if (rng() % 3 == 0) s.append(rng() % 6, '0');  // trailing zeros beyond 8 digits
        }
        if (rng() % 10 == 0) {  // then damage it
            const std::size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
            s.insert(at, 1, alphabet[rng() % alphabet.size()]);
        }
    } else if (kind <= 7) {  // near the range limit
        s = rng() % 2 ? "92233720368." : "9223372036.";
        digits(static_cast<int>(rng() % 10));
        if (rng() % 3 == 0) s.insert(0, "-");
    } else if (kind == 8) {  // near the length limit: leading and trailing zeros
        s.assign(30 + rng() % 12, '0');
        s[rng() % s.size()] = static_cast<char>('0' + rng() % 10);
        if (rng() % 2) s.insert(rng() % s.size(), 1, '.');
    } else {  // anything from the alphabet
        const int n = static_cast<int>(rng() % 45);
        for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
    }
    return s;
}

}  // namespace

TEST_CASE("decimal text agrees with decimal::parse on random strings (fixed seeds)", "[binance][market_codec][decimal]") {
    int accepted = 0;
    int refused = 0;
    for (std::uint64_t seed : {1u, 2u, 3u, 20261208u}) {
        std::mt19937_64 rng(seed);
        for (int i = 0; i < 50'000; ++i) {
            const std::string s = random_decimal_text(rng);
            decimal fast;
            const decimal_text_error e = parse_decimal_text(s, fast);
            const std::optional<decimal> ref = decimal::parse(s);
            if (ref.has_value() != (e == decimal_text_error::none) || (ref && *ref != fast)) {
                FAIL("seed " << seed << " input '" << s << "': fast " << describe(e) << " " << fast.to_string()
                             << ", decimal::parse " << (ref ? ref->to_string() : std::string("nullopt")));
            }
            ++(ref ? accepted : refused);
        }
    }
    // Both sides of the grammar were exercised.
    CHECK(accepted > 50'000);
    CHECK(refused > 30'000);
}
