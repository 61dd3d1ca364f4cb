// Malformed input never crashes a parser and always yields an error naming the problem; plus
// 20,000 deterministic mutations of the fixtures through the fuzz target.
#include "exchange/binance/codec.hpp"

#include "tests/fuzz/binance_fuzz_target.hpp"
#include "tests/unit/exchange/binance_test_util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

using namespace traded;
using namespace traded::binance;
using traded::binance::test::fixture;

namespace {

template <class V>
std::string error_of(const V& v) {
    if (const auto* e = std::get_if<stream_error>(&v)) return e->message;
    return {};
}

/// Every *.json fixture, sorted (directory order is not deterministic).
std::vector<std::string> fixture_names() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(TRADED_FIXTURES) + "/binance")) {
        if (entry.path().extension() == ".json") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("every prefix of a stream payload is an error, never a half-read event", "[binance][robust]") {
    json_parser p;
    for (auto name : {"order_trade_update_market_fill.json", "algo_update.json", "account_update.json",
                      "listen_key_expired.json", "trade_lite.json", "margin_call.json"}) {
        std::string full = fixture(name);
        while (!full.empty() && (full.back() == '\n' || full.back() == ' ')) full.pop_back();
        REQUIRE(error_of(parse_user_event(full, p)).empty());
        for (std::size_t n = 0; n < full.size(); ++n) {
            auto ev = parse_user_event(std::string_view(full).substr(0, n), p);
            INFO(name << " truncated to " << n);
            CHECK(std::holds_alternative<stream_error>(ev));
        }
    }
    for (auto name : {"book_ticker.json", "book_ticker_combined.json", "mark_price_update.json", "agg_trade.json"}) {
        std::string full = fixture(name);
        while (!full.empty() && (full.back() == '\n' || full.back() == ' ')) full.pop_back();
        for (std::size_t n = 0; n < full.size(); ++n) {
            auto ev = parse_market_event(std::string_view(full).substr(0, n), p);
            INFO(name << " truncated to " << n);
            CHECK(std::holds_alternative<stream_error>(ev));
        }
    }
}

TEST_CASE("truncated REST bodies fail", "[binance][robust]") {
    json_parser p;
    std::string info = fixture("exchange_info.json");
    for (std::size_t n = 0; n + 2 < info.size(); n += 7) CHECK_FALSE(parse_exchange_info(info.substr(0, n), p).has_value());
    std::string order = fixture("order_new_doc.json");
    for (std::size_t n = 0; n + 2 < order.size(); n += 3) CHECK_FALSE(parse_order(order.substr(0, n), p).has_value());
    std::string bal = fixture("balance.json");
    for (std::size_t n = 0; n + 2 < bal.size(); n += 3) CHECK_FALSE(parse_balances(bal.substr(0, n), p).has_value());
}

TEST_CASE("missing essential fields are errors naming the field", "[binance][robust]") {
    CHECK(error_of(parse_user_event(R"({"e":"ORDER_TRADE_UPDATE","E":1})")).find("field o: missing") != std::string::npos);
    // A fill without its trade id could not be deduplicated.
    auto no_t = parse_user_event(
        R"({"e":"ORDER_TRADE_UPDATE","o":{"s":"X","c":"c","S":"BUY","x":"TRADE","X":"FILLED","i":1,"l":"1","L":"2"}})");
    CHECK(error_of(no_t).find("o.t") != std::string::npos);
    auto no_x = parse_user_event(R"({"e":"ORDER_TRADE_UPDATE","o":{"s":"X","c":"c","S":"BUY","X":"FILLED","i":1}})");
    CHECK(error_of(no_x).find("o.x") != std::string::npos);
    CHECK(error_of(parse_user_event(R"({"e":"ALGO_UPDATE","o":{"caid":"a","X":"NEW","s":"X"}})")).find("o.aid") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"bookTicker","s":"X","b":"1","B":"1","a":"1"})")).find("field A") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"s":"X"})")).find("field e: missing") != std::string::npos);
    auto o = parse_order(R"({"symbol":"BTCUSDT","orderId":1,"status":"NEW"})");
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error().message.find("clientOrderId") != std::string::npos);
    auto b = parse_balances(R"([{"asset":"USDT"}])");
    REQUIRE_FALSE(b.has_value());
    CHECK(b.error().message.find("balance[0]") != std::string::npos);
    auto pr = parse_position_risk(R"([{"symbol":"A","positionAmt":"1"},{"symbol":"B"}])");
    REQUIRE_FALSE(pr.has_value());
    CHECK(pr.error().message.find("positionRisk[1]: field positionAmt") != std::string::npos);
    CHECK(error_of(parse_user_event(R"({"e":"ACCOUNT_UPDATE","a":{"B":[{"wb":"1"}]}})")).find("a.B[].a") !=
          std::string::npos);
}

TEST_CASE("wrong types are errors naming the field", "[binance][robust]") {
    auto ev = parse_user_event(
        R"({"e":"ORDER_TRADE_UPDATE","o":{"s":"X","c":"c","S":"BUY","x":"TRADE","X":"FILLED","i":1,"l":true,"L":"2","t":1}})");
    CHECK(error_of(ev).find("o.l") != std::string::npos);
    CHECK(error_of(parse_user_event(R"({"e":"ORDER_TRADE_UPDATE","o":[1,2]})")).find("field o: expected an object") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"aggTrade","s":"X","p":"1","q":"1","m":"maybe"})")).find("field m") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"bookTicker","s":"X","b":{},"B":"1","a":"1","A":"1"})")).find("field b") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":7})")).find("field e") == std::string::npos);  // a number token is text
    CHECK_FALSE(parse_orders(R"({"not":"an array"})").has_value());
    CHECK_FALSE(parse_order(R"([1,2,3])").has_value());
    CHECK_FALSE(parse_server_time(R"({"serverTime":"soon"})").has_value());
    CHECK_FALSE(parse_server_time(R"({"serverTime":1.5})").has_value());
    CHECK(std::holds_alternative<stream_error>(parse_user_event("42")));
    CHECK(std::holds_alternative<stream_error>(parse_user_event("\"ORDER_TRADE_UPDATE\"")));
}

TEST_CASE("empty strings and nulls", "[binance][robust]") {
    CHECK(std::holds_alternative<stream_error>(parse_user_event("")));
    CHECK(std::holds_alternative<stream_error>(parse_market_event("")));
    CHECK_FALSE(parse_order("").has_value());
    CHECK(error_of(parse_market_event(R"({"e":"bookTicker","s":"X","b":"","B":"1","a":"1","A":"1"})")).find("field b") !=
          std::string::npos);
    CHECK(error_of(parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":null})")).find("field p") !=
          std::string::npos);
    // Optional fields may be empty or null: activatePrice "" and icebergQuantity null in the doc.
    auto m = parse_market_event(R"({"e":"markPriceUpdate","s":"X","p":"1","i":"","r":null})");
    REQUIRE(std::holds_alternative<mark_price_update>(m));
    CHECK_FALSE(std::get<mark_price_update>(m).index_price.has_value());
}

TEST_CASE("huge numbers are refused, not wrapped", "[binance][robust]") {
    std::string fill_prefix = R"({"e":"ORDER_TRADE_UPDATE","o":{"s":"X","c":"c","S":"BUY","x":"TRADE","X":"FILLED",)";
    CHECK(error_of(parse_user_event(fill_prefix + R"("i":99999999999999999999,"l":"1","L":"2","t":1}})")).find("o.i") !=
          std::string::npos);
    CHECK(error_of(parse_user_event(fill_prefix + R"("i":1,"l":"1","L":"99999999999999999999.5","t":1}})"))
              .find("o.L") != std::string::npos);
    CHECK(error_of(parse_user_event(fill_prefix + R"("i":1,"l":"1e5","L":"2","t":1}})")).find("o.l") !=
          std::string::npos);
    CHECK(error_of(parse_user_event(fill_prefix + R"("i":1,"l":1e999,"L":"2","t":1}})")).find("o.l") !=
          std::string::npos);
    CHECK_FALSE(parse_leverage(R"({"leverage":4294967296})").has_value());
    CHECK_FALSE(parse_server_time(R"({"serverTime":-})").has_value());
    std::string deep(100000, '[');
    CHECK(std::holds_alternative<stream_error>(parse_user_event(deep)));
    CHECK_FALSE(parse_exchange_info(deep).has_value());
}

TEST_CASE("a reused parser recovers after garbage", "[binance][robust]") {
    json_parser p;
    std::string good = fixture("order_trade_update_market_fill.json");
    for (std::string_view bad : {"{", "}", "{\"e\":\"ORDER_TRADE_UPDATE\",\"o\":{", "\xff\xfe", "nul", "[[[[", "{\"a\":\"\\u12\"}"}) {
        CHECK(std::holds_alternative<stream_error>(parse_user_event(bad, p)));
        CHECK(std::holds_alternative<order_trade_update>(parse_user_event(good, p)));
    }
}

TEST_CASE("fuzz target over 20,000 deterministic mutations of the fixtures", "[binance][robust][fuzz]") {
    std::vector<std::string> corpus;
    for (const auto& n : fixture_names()) corpus.push_back(fixture(n));
    REQUIRE(corpus.size() >= 60);
    corpus.push_back(R"({"e":"ALGO_UPDATE","E":"1","o":{"caid":"x","aid":1,"s":"S","X":"TRIGGERED","ai":123}})");
    corpus.push_back(R"({"stream":"k","data":{"e":"ACCOUNT_UPDATE","a":{"m":"ORDER","B":[],"P":[]}}})");
    const std::vector<std::string> tokens{"\"",    "{",     "}",   "[",    "]",   ",",     ":",        "null", "true",
                                          "false", "-",     ".",   "0",    "\"\"", "1e999", "\\u0000", "\\",   " ",
                                          "99999999999999999999999", "-9223372036854775809", "\"e\":\"ORDER_TRADE_UPDATE\"",
                                          "\"data\":", "{\"e\":\"bookTicker\"}", "\xc3", "\x00"};
    std::uint64_t state = 0x5EEDBA5EULL;  // fixed seed: the same 20,000 inputs on every run
    auto next = [&state]() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(next() % n); };

    int failures = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
        std::string s;
        if (iteration % 50 == 0) {
            s.resize(pick(200));
            for (auto& c : s) c = static_cast<char>(next() & 0xff);
        } else {
            s = corpus[pick(corpus.size())];
            int mutations = 1 + static_cast<int>(pick(4));
            for (int m = 0; m < mutations; ++m) {
                std::size_t pos = pick(s.size() + 1);
                switch (pick(8)) {
                    case 0:
                        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
                        break;
                    case 1: s.resize(pos); break;
                    case 2: s.erase(pos, pick(16)); break;
                    case 3: s.insert(pos, tokens[pick(tokens.size())]); break;
                    case 4:
                        if (!s.empty()) s.insert(pos, s.substr(pick(s.size()), pick(32)));
                        break;
                    case 5: {
                        const auto& other = corpus[pick(corpus.size())];
                        s = s.substr(0, pos) + other.substr(pick(other.size() + 1));
                        break;
                    }
                    case 6: {  // replace a quoted value with a token
                        auto q = s.find('"', pos);
                        if (q == std::string::npos) break;
                        auto e = s.find('"', q + 1);
                        if (e == std::string::npos) break;
                        s.replace(q, e - q + 1, tokens[pick(tokens.size())]);
                        break;
                    }
                    default: {  // a digit run becomes huge
                        auto dpos = s.find_first_of("0123456789", pos);
                        if (dpos != std::string::npos) s.insert(dpos, "98765432109876543210");
                        break;
                    }
                }
            }
        }
        const char* problem =
            fuzz::check_one(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
        if (problem != nullptr && failures++ < 5) {
            INFO("iteration " << iteration << ": " << problem << "\ninput: " << s);
            CHECK(problem == nullptr);
        }
    }
    CHECK(failures == 0);
}
