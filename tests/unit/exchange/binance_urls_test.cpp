// Stream URLs from the configured roots.
#include "exchange/binance/urls.hpp"

#include <catch2/catch.hpp>

using namespace traded::binance;

TEST_CASE("split layout: book tickers on /public, mark price and trades on /market", "[binance][urls]") {
    stream_roots roots{"wss://fstream.binance.com/public", "wss://fstream.binance.com/market",
                       "wss://fstream.binance.com/private"};
    CHECK_FALSE(legacy_layout(roots));
    auto conns = market_connections(roots, {"BTCUSDT", "ETHUSDT"}, {true, true, true});
    REQUIRE(conns.size() == 2);
    CHECK(conns[0].root_name == "public");
    CHECK(conns[0].url == "wss://fstream.binance.com/public/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker");
    CHECK(conns[1].root_name == "market");
    CHECK(conns[1].url ==
          "wss://fstream.binance.com/market/stream?streams=btcusdt@markPrice@1s/btcusdt@aggTrade/"
          "ethusdt@markPrice@1s/ethusdt@aggTrade");
    CHECK(user_stream_url(roots.private_root, "abcKEY") ==
          "wss://fstream.binance.com/private/ws?listenKey=abcKEY&events=ORDER_TRADE_UPDATE/ALGO_UPDATE/ACCOUNT_UPDATE/"
          "listenKeyExpired");
}

TEST_CASE("legacy layout: all roots equal, one connection for market data", "[binance][urls]") {
    stream_roots roots{"wss://fstream.binance.com", "wss://fstream.binance.com/", "wss://fstream.binance.com"};
    CHECK(legacy_layout(roots));
    auto conns = market_connections(roots, {"SOLUSDT"});
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].root_name == "legacy");
    CHECK(conns[0].url == "wss://fstream.binance.com/stream?streams=solusdt@bookTicker/solusdt@markPrice@1s");
    CHECK(user_stream_url(roots.private_root, "k") == "wss://fstream.binance.com/ws/k");
}

TEST_CASE("stream names are lowercase; duplicates and empty symbols dropped", "[binance][urls]") {
    CHECK(book_ticker_stream("BTCUSDT") == "btcusdt@bookTicker");
    CHECK(mark_price_stream("BTCUSDT") == "btcusdt@markPrice@1s");
    CHECK(mark_price_stream("BTCUSDT", false) == "btcusdt@markPrice");
    CHECK(agg_trade_stream("1000PEPEUSDT") == "1000pepeusdt@aggTrade");
    stream_roots roots{"ws://127.0.0.1:9000/public", "ws://127.0.0.1:9000/market", "ws://127.0.0.1:9000/private"};
    auto conns = market_connections(roots, {"BTCUSDT", "", "BTCUSDT"}, {true, false, false});
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].streams == std::vector<std::string>{"btcusdt@bookTicker"});
    CHECK(raw_stream_url("ws://127.0.0.1:9000/market/", "btcusdt@aggTrade") ==
          "ws://127.0.0.1:9000/market/ws/btcusdt@aggTrade");
}

TEST_CASE("at most max_streams per connection", "[binance][urls]") {
    stream_roots roots{"ws://h/public", "ws://h/market", "ws://h/private"};
    std::vector<std::string> symbols;
    for (int i = 0; i < 5; ++i) symbols.push_back(std::string("S").append(std::to_string(i)).append("USDT"));
    auto conns = market_connections(roots, symbols, {true, false, false}, 2);
    REQUIRE(conns.size() == 3);
    CHECK(conns[0].streams.size() == 2);
    CHECK(conns[2].streams.size() == 1);
    CHECK(conns[2].url == "ws://h/public/stream?streams=s4usdt@bookTicker");
    CHECK(market_connections(roots, {}).empty());
}
