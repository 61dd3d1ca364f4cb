// The market-data layer's pure parts: combined-frame splitting (recording keeps the payload
// byte for byte) and the quote_book merge of book / mark / trade updates into full quotes.
#include "exchange/market/combined_frame.hpp"
#include "exchange/market/quote_update.hpp"

#include <catch2/catch.hpp>

using namespace traded;
using namespace traded::market;

namespace {
decimal d(std::string_view s) { return *decimal::parse(s); }
}  // namespace

TEST_CASE("a combined-stream frame splits into stream name and the exact payload", "[market]") {
    const std::string frame =
        R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"50000.0","B":"1","a":"50000.1","A":"2"}})";
    auto p = split_combined_frame(frame);
    REQUIRE(p);
    CHECK(p->stream == "btcusdt@bookTicker");
    CHECK(p->payload == R"({"e":"bookTicker","u":1,"s":"BTCUSDT","b":"50000.0","B":"1","a":"50000.1","A":"2"})");

    auto spaced = split_combined_frame("{\"stream\":\"x@aggTrade\",\"data\": {\"p\":\"1\"} }\n");
    REQUIRE(spaced);
    CHECK(spaced->payload == "{\"p\":\"1\"}");

    // Not combined: a raw payload, a control answer, truncated or empty input.
    CHECK_FALSE(split_combined_frame(R"({"e":"bookTicker","s":"BTCUSDT"})"));
    CHECK_FALSE(split_combined_frame(R"({"result":null,"id":1})"));
    CHECK_FALSE(split_combined_frame(R"({"stream":"btcusdt@bookTicker","data":)"));
    CHECK_FALSE(split_combined_frame(R"({"stream":"btcusdt@bookTicker)"));
    CHECK_FALSE(split_combined_frame(""));
}

TEST_CASE("quote_book merges book, mark and trade updates per symbol", "[market]") {
    quote_book b;
    quote_update book{"BTCUSDT", update_kind::book, d("100"), d("102"), {}, {}, 1};
    auto q = b.apply(book);
    REQUIRE(q);
    CHECK(q->q.mark == d("101"));  // mid until a real mark arrives
    quote_update mark{"BTCUSDT", update_kind::mark, {}, {}, d("100.5"), {}, 2};
    q = b.apply(mark);
    REQUIRE(q);
    CHECK(q->q.bid == d("100"));
    CHECK(q->q.ask == d("102"));
    CHECK(q->q.mark == d("100.5"));
    CHECK(q->q.ts == 2);
    // After a real mark, a book move no longer drags the mark to the mid.
    q = b.apply(quote_update{"BTCUSDT", update_kind::book, d("110"), d("112"), {}, {}, 3});
    CHECK(q->q.mark == d("100.5"));
    q = b.apply(quote_update{"BTCUSDT", update_kind::trade, {}, {}, {}, d("111"), 4});
    CHECK(q->last == d("111"));

    // A symbol seen only through trades uses the last price for bid, ask and mark.
    q = b.apply(quote_update{"ETHUSDT", update_kind::trade, {}, {}, {}, d("3000"), 5});
    REQUIRE(q);
    CHECK(q->q.bid == d("3000"));
    CHECK(q->q.ask == d("3000"));
    CHECK(q->q.mark == d("3000"));
    CHECK_FALSE(b.latest("SOLUSDT"));
}
