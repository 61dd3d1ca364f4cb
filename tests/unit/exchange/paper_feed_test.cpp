// The synthetic market: determinism, tick-grid quotes, forced prices.

#include "exchange/paper/matching.hpp"
#include "exchange/paper/synthetic_feed.hpp"

#include <catch2/catch.hpp>

#include <cmath>

namespace Catch {
template <>
struct StringMaker<traded::decimal> {
    static std::string convert(const traded::decimal& d) { return d.to_string(); }
};
}  // namespace Catch

namespace {

using traded::decimal;
namespace paper = traded::paper;

decimal d(const char* s) { return *decimal::parse(s); }

const std::vector<std::string> all_names{"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT", "FOOUSDT"};

bool same(const traded::engine::market_tick& a, const traded::engine::market_tick& b) {
    return a.symbol == b.symbol && a.q.bid == b.q.bid && a.q.ask == b.q.ask && a.q.mark == b.q.mark &&
           a.q.ts == b.q.ts;
}

}  // namespace

TEST_CASE("the same seed replays the same market; another seed does not", "[paper]") {
    paper::synthetic_feed a(42, 5, paper::default_symbols(all_names));
    paper::synthetic_feed b(42, 5, paper::default_symbols(all_names));
    paper::synthetic_feed c(43, 5, paper::default_symbols(all_names));
    bool differs = false;
    for (int i = 0; i < 2000; ++i) {
        auto ta = a.step(1000 + i);
        auto tb = b.step(1000 + i);
        auto tc = c.step(1000 + i);
        REQUIRE(ta.size() == all_names.size());
        REQUIRE(tb.size() == ta.size());
        for (std::size_t k = 0; k < ta.size(); ++k) {
            REQUIRE(same(ta[k], tb[k]));
            if (!same(ta[k], tc[k])) differs = true;
        }
    }
    CHECK(differs);
}

TEST_CASE("a symbol's path does not depend on which other symbols are priced", "[paper]") {
    paper::synthetic_feed alone(7, 5, paper::default_symbols({"ETHUSDT"}));
    paper::synthetic_feed crowd(7, 5, paper::default_symbols({"BTCUSDT", "ETHUSDT", "DOGEUSDT"}));
    for (int i = 0; i < 500; ++i) {
        auto x = alone.step(i);
        auto y = crowd.step(i);
        REQUIRE(same(x.at(0), y.at(1)));
    }
}

TEST_CASE("quotes stay on the tick grid with bid < mark <= ask over 10,000 steps", "[paper]") {
    // A calm market and a wild one: the wild one must still never reach zero or cross the book.
    for (double vol : {5.0, 300.0}) {
        auto syms = paper::default_symbols(all_names);
        paper::synthetic_feed feed(1234, vol, syms);
        std::vector<decimal> first_mid(syms.size());
        std::vector<bool> moved(syms.size(), false);
        for (int i = 0; i < 10000; ++i) {
            const traded::engine::millis now = 1'700'000'000'000 + i * 250;
            auto ticks = feed.step(now);
            REQUIRE(ticks.size() == syms.size());
            for (std::size_t k = 0; k < ticks.size(); ++k) {
                const auto& t = ticks[k];
                const decimal tick = syms[k].tick_size;
                INFO(t.symbol << " step " << i << " bid " << t.q.bid.to_string() << " mark "
                              << t.q.mark.to_string() << " ask " << t.q.ask.to_string());
                REQUIRE(t.symbol == syms[k].symbol);
                REQUIRE(t.q.ts == now);
                REQUIRE(t.q.bid.is_positive());
                REQUIRE(t.q.bid.is_multiple_of(tick));
                REQUIRE(t.q.ask.is_multiple_of(tick));
                REQUIRE(t.q.mark.is_multiple_of(tick));
                REQUIRE(t.q.bid < t.q.mark);
                REQUIRE(t.q.mark <= t.q.ask);
                REQUIRE(t.q.ask - t.q.bid >= tick);
                REQUIRE(t.q.ask - t.q.bid <= tick.mul_int(3));
                if (i == 0) first_mid[k] = t.q.mark;
                else if (t.q.mark != first_mid[k]) moved[k] = true;
                auto cur = feed.current(t.symbol);
                REQUIRE(cur);
                REQUIRE(cur->mark == t.q.mark);
            }
        }
        for (std::size_t k = 0; k < syms.size(); ++k) CHECK(moved[k]);
    }
}

TEST_CASE("prices move about as much as the volatility says", "[paper]") {
    // 5 bps per step: over 10,000 steps the mean |log return| per step should be near
    // sigma * sqrt(2/pi) = 4 bps (drift regimes add a little).
    paper::synthetic_feed feed(99, 5, paper::default_symbols({"BTCUSDT"}));
    double prev = feed.current("BTCUSDT")->mark.to_double();
    double sum_abs = 0;
    for (int i = 0; i < 10000; ++i) {
        const double m = feed.step(i).at(0).q.mark.to_double();
        sum_abs += std::fabs(std::log(m / prev));
        prev = m;
    }
    const double mean_bps = sum_abs / 10000 * 1e4;
    CHECK(mean_bps > 3.0);
    CHECK(mean_bps < 6.0);
}

TEST_CASE("start prices: defaults, overrides, and current() before the first step", "[paper]") {
    paper::synthetic_feed feed(1, 5, paper::default_symbols({"BTCUSDT", "XRPUSDT"}), {{"XRPUSDT", d("2.5")}});
    CHECK(feed.current("BTCUSDT")->mark == d("95000"));
    CHECK(feed.current("XRPUSDT")->mark == d("2.5"));
    CHECK_FALSE(feed.current("NOPEUSDT"));
    auto names = feed.symbols();
    REQUIRE(names.size() == 2);
    CHECK(names[0] == "BTCUSDT");
}

TEST_CASE("set_price forces the level and the walk continues from there", "[paper]") {
    paper::synthetic_feed feed(5, 5, paper::default_symbols({"BTCUSDT", "ETHUSDT"}));
    for (int i = 0; i < 100; ++i) feed.step(i);
    REQUIRE(feed.set_price("BTCUSDT", d("50000.04")));
    CHECK(feed.current("BTCUSDT")->mark == d("50000.0"));  // rounded onto the 0.1 grid
    CHECK(feed.current("BTCUSDT")->bid < d("50000.0"));
    auto ticks = feed.step(200);
    const double m = ticks.at(0).q.mark.to_double();
    CHECK(std::fabs(m / 50000.0 - 1.0) < 0.005);  // one step of 5 bps sigma, nowhere near 95000
    CHECK(ticks.at(1).q.mark > d("3000"));           // the other symbol is untouched
    CHECK_FALSE(feed.set_price("NOPEUSDT", d("1")));
    CHECK_FALSE(feed.set_price("BTCUSDT", d("0")));
}

TEST_CASE("feed quotes drive the account: a TP rests, then fills once the mark is pushed through", "[paper]") {
    const auto syms = paper::default_symbols({"BTCUSDT"});
    paper::synthetic_feed feed(11, 5, syms);
    paper::account acct(paper::account_config{}, syms);
    for (const auto& t : feed.step(1)) acct.on_quote(t.symbol, t.q, 1);

    paper::new_order entry;
    entry.client_id = "p-E";
    entry.symbol = "BTCUSDT";
    entry.qty = d("0.010");
    REQUIRE(acct.place(entry, 2).ok());
    const auto q0 = *feed.current("BTCUSDT");
    CHECK(acct.position("BTCUSDT").entry_price >= q0.ask);

    paper::new_order tp;
    tp.client_id = "p-TP";
    tp.symbol = "BTCUSDT";
    tp.side = traded::engine::order_side::sell;
    tp.type = traded::engine::order_type::take_profit_market;
    tp.trigger_price = (q0.mark + d("1000")).round_to(d("0.1"));
    tp.close_position = true;
    REQUIRE(acct.place(tp, 3).ok());

    REQUIRE(feed.set_price("BTCUSDT", q0.mark + d("2000")));
    std::size_t fills = 0;
    for (const auto& t : feed.step(4)) fills += acct.on_quote(t.symbol, t.q, 4).fills.size();
    CHECK(fills == 1);
    CHECK(acct.position("BTCUSDT").amount.is_zero());
    CHECK(acct.find_order("BTCUSDT", "p-TP")->status == traded::engine::order_status::filled);
    CHECK(acct.balance().wallet_balance > d("10015"));  // about +20 USDT less two fees
}
