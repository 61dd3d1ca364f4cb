// The `market` channel (SPEC §3): quotes without seq, only to sessions subscribed to it, always a
// snapshot on subscribe (also on resume: quotes are never replayed), coalesced per symbol for a
// slow session; market_feed keeps the newest quote per symbol and a bounded history.

#include "api/hub.hpp"
#include "api/market_feed.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace traded;
using namespace traded::api;
namespace json = boost::json;
using engine::channel;
using engine::mode;

namespace {

decimal d(const char* s) { return *decimal::parse(s); }

struct feed_backend : backend {
    market_feed feed;
    reply execute(const command&) override { return reply::ok(nullptr); }
    std::string snapshot(channel ch, mode m) override {
        if (ch == channel::market) return feed.snapshot(m);
        return "{}";
    }
    std::string metrics_text() override { return {}; }
};

struct keyed_recorder : subscriber {
    std::vector<json::value> got;
    std::vector<std::string> texts;
    std::vector<std::string> keys;
    void deliver(const std::shared_ptr<const std::string>& msg, std::string_view key) override {
        got.push_back(json::parse(*msg));
        texts.push_back(*msg);
        keys.emplace_back(key);
    }
};

std::string text_of(const market_quote& x) {
    std::string out;
    append_json(out, x);
    return out;
}

market_quote q(const char* sym, const char* mark, engine::millis ts) {
    return {sym, d(mark) - d("0.1"), d(mark) + d("0.1"), d(mark), {}, "synthetic", ts};
}

}  // namespace

TEST_CASE("market_feed: newest quote per symbol, changed ones once, bounded history", "[market]") {
    market_feed f(3, 1000);
    f.on_quote(mode::paper, q("BTCUSDT", "100", 1000));
    f.on_quote(mode::paper, q("BTCUSDT", "101", 1500));  // same history step: replaces the point
    f.on_quote(mode::paper, q("ETHUSDT", "50", 1600));
    f.on_quote(mode::real, q("BTCUSDT", "99", 1700));
    auto changed = f.take_changed(mode::paper);
    REQUIRE(changed.size() == 2);
    CHECK(changed[0].symbol == "BTCUSDT");
    CHECK(changed[0].mark == d("101"));
    CHECK(f.take_changed(mode::paper).empty());
    CHECK(f.take_changed(mode::real).size() == 1);
    for (int i = 1; i <= 5; ++i) f.on_quote(mode::paper, q("BTCUSDT", "102", 1000 + i * 1000));
    auto snap = json::parse(f.snapshot(mode::paper));
    CHECK(snap.at("quotes").at("BTCUSDT").at("mark").to_number<double>() == 102);
    CHECK(snap.at("quotes").at("BTCUSDT").at("last").is_null());
    CHECK(snap.at("quotes").at("BTCUSDT").at("source") == "synthetic");
    const auto& h = snap.at("history").at("BTCUSDT").as_array();
    CHECK(h.size() == 3);
    CHECK(h.back().as_array()[0].as_int64() == 6000);
    CHECK(!snap.at("quotes").as_object().contains("XRPUSDT"));
    CHECK(json::parse(f.snapshot(mode::real)).at("quotes").at("BTCUSDT").at("mark").to_number<double>() == 99);
}

TEST_CASE("hub: quotes reach market subscribers only, without seq, coalesced per symbol", "[market]") {
    boost::asio::io_context ioc;
    feed_backend be;
    be.feed.on_quote(mode::paper, q("BTCUSDT", "100", 1000));
    hub h(ioc, be);
    h.set_last_seq(mode::paper, 7);
    auto m = std::make_shared<keyed_recorder>();
    auto other = std::make_shared<keyed_recorder>();
    h.subscribe(h.attach(m), {channel::market}, {mode::paper}, {});
    h.subscribe(h.attach(other), {channel::positions}, {mode::paper}, {});
    REQUIRE(m->got.size() == 1);
    CHECK(m->got[0].at("type") == "snapshot");
    CHECK(m->got[0].at("channel") == "market");
    CHECK(m->got[0].at("data").at("quotes").at("BTCUSDT").at("mark").to_number<double>() == 100);

    h.publish_quote(mode::paper, "BTCUSDT", 2000, text_of(q("BTCUSDT", "101", 2000)));
    h.publish_quote(mode::real, "BTCUSDT", 2000, text_of(q("BTCUSDT", "99", 2000)));  // other mode
    ioc.poll();
    REQUIRE(m->got.size() == 2);
    const auto& ev = m->got[1];
    CHECK(ev.at("type") == "event");
    CHECK(ev.at("channel") == "market");
    CHECK(ev.at("event") == "quote");
    CHECK(ev.at("mode") == "paper-trading");
    CHECK(!ev.as_object().contains("seq"));
    CHECK(ev.at("data").at("mark").to_number<double>() == 101);
    CHECK(m->keys[1] == "quote:paper-trading:BTCUSDT");  // a slow session keeps the newest only
    CHECK(other->got.size() == 1);  // its positions snapshot, no quote
    CHECK(h.log_size(mode::paper) == 0);  // never logged, never replayed

    // A resume with since_seq replays events but still starts the market channel from a snapshot.
    auto r = std::make_shared<keyed_recorder>();
    h.subscribe(h.attach(r), {channel::positions, channel::market}, {mode::paper}, {{mode::paper, 7}});
    REQUIRE(r->got.size() == 1);
    CHECK(r->got[0].at("channel") == "market");
    CHECK(r->got[0].at("type") == "snapshot");
}

TEST_CASE("market channel: bid, ask, mark, last and history go out as the decimal's exact text", "[market]") {
    // 16-17 significant digits: through a double (to_double) the ask would come out as
    // 123456789.1234568.
    market_quote x{"BTCUSDT", d("12345678.12345678"), d("123456789.12345679"), d("98765432.1"),
                   d("0.00000001"), "exchange", 5000};
    const std::string t = text_of(x);
    CHECK(t == R"({"symbol":"BTCUSDT","bid":12345678.12345678,"ask":123456789.12345679,"mark":98765432.1,)"
               R"("last":0.00000001,"source":"exchange","ts":5000})");

    market_feed f;
    f.on_quote(mode::paper, x);
    const std::string snap = f.snapshot(mode::paper);
    INFO(snap);
    CHECK(snap.find(R"("bid":12345678.12345678,"ask":123456789.12345679,)") != std::string::npos);
    CHECK(snap.find(R"("history":{"BTCUSDT":[[5000,98765432.1]]})") != std::string::npos);
    CHECK_NOTHROW(json::parse(snap));

    boost::asio::io_context ioc;
    feed_backend be;
    hub h(ioc, be);
    auto m = std::make_shared<keyed_recorder>();
    h.subscribe(h.attach(m), {channel::market}, {mode::paper}, {});
    h.publish_quote(mode::paper, "BTCUSDT", 5000, t);
    ioc.poll();
    REQUIRE(m->texts.size() == 2);
    CHECK(m->texts[1].find(R"("data":{"symbol":"BTCUSDT","bid":12345678.12345678,"ask":123456789.12345679,)") !=
          std::string::npos);
}
