// Bounded in-memory trades (issue 10): the engine keeps only its most recent trades; the older
// ones are folded into running totals, so performance and the realized PnL never change when a
// trade leaves memory.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
/// `n` trades alternating wins (TP) and losses (SL), with a UTC midnight after trade `n / 2`, so
/// some trades that leave memory closed "today" and some yesterday.
void trade_many(sim& s, int n) {
    s.start();
    for (int i = 0; i < n; ++i) {
        s.now += i == n / 2 ? day_ms / 2 : 1000;
        s.tick("BTCUSDT", "49990", "50000");
        const std::string id = s.open("BTCUSDT", side::long_side);
        s.trigger(id + (i % 3 == 0 ? "-SL" : "-TP"));
    }
}

void check_same(const performance_stats& a, const performance_stats& b) {
    CHECK(a.total_trades == b.total_trades);
    CHECK(a.winning_trades == b.winning_trades);
    CHECK(a.losing_trades == b.losing_trades);
    CHECK(a.win_rate == b.win_rate);
    CHECK(a.total_pnl == b.total_pnl);
    CHECK(a.avg_pnl == b.avg_pnl);
    CHECK(a.best_trade == b.best_trade);
    CHECK(a.worst_trade == b.worst_trade);
    CHECK(a.profit_factor == b.profit_factor);
    CHECK(a.daily_pnl == b.daily_pnl);
    CHECK(a.max_drawdown == b.max_drawdown);
}

bool same_trade(const trade& a, const trade& b) {
    return a.trade_id == b.trade_id && a.pnl == b.pnl && a.closed_at == b.closed_at && a.reason == b.reason;
}
}  // namespace

TEST_CASE("only the most recent trades stay in memory; performance still covers all of them",
          "[engine][trades]") {
    engine_config bounded = paper_config();
    bounded.trades_kept = 5;
    sim all;  // trades_kept 0: every trade in memory, the reference
    sim few(bounded);
    trade_many(all, 23);
    trade_many(few, 23);

    REQUIRE(all.eng.trades().size() == 23);
    REQUIRE(few.eng.trades().size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(same_trade(few.eng.trades()[i], all.eng.trades()[18 + i]));
    CHECK(few.eng.trade_count() == 23);
    CHECK(few.eng.earlier_trades().count == 18);
    CHECK(few.eng.realized_pnl_total() == all.eng.realized_pnl_total());

    const performance_stats ref = all.eng.performance(all.now);
    REQUIRE(ref.winning_trades > 0);
    REQUIRE(ref.losing_trades > 0);
    REQUIRE(ref.daily_pnl != ref.total_pnl);  // the midnight split the history
    check_same(few.eng.performance(few.now), ref);
    // A later day: nothing closed today, in memory or folded.
    check_same(few.eng.performance(few.now + day_ms), all.eng.performance(all.now + day_ms));

    SECTION("a restart from the store's recent trades plus totals gives the same statistics") {
        engine_snapshot snap{few.eng.state(), {}, {}, {few.eng.trades().begin(), few.eng.trades().end()}, few.eng.earlier_trades()};
        sim back(bounded);
        back.eng.restore(snap);
        CHECK(back.eng.trades().size() == 5);
        CHECK(back.eng.trade_count() == 23);
        check_same(back.eng.performance(few.now), ref);
    }
    SECTION("restoring more trades than the window folds the excess") {
        engine_snapshot snap{all.eng.state(), {}, {}, {all.eng.trades().begin(), all.eng.trades().end()}, {}};
        sim back(bounded);
        back.eng.restore(snap);
        CHECK(back.eng.trades().size() == 5);
        CHECK(same_trade(back.eng.trades().back(), all.eng.trades().back()));
        check_same(back.eng.performance(all.now), ref);
    }
}

TEST_CASE("a correction of a trade that already left memory corrects the totals", "[performance][trades]") {
    auto t = [](const char* id, const char* pnl, millis at) {
        trade x;
        x.trade_id = id;
        x.pnl = d(pnl);
        x.closed_at = at;
        return x;
    };
    const millis day = t0 - t0 % day_ms;
    const trade a = t("a", "5", day + 1), b = t("b", "-2", day + 2), b2 = t("b", "3", day + 2), c = t("c", "1", day + 3);
    trade_totals folded;
    folded.add(a);
    folded.add(b);
    folded.add(c);
    folded.replace(b, b2);
    const performance_stats got = compute_performance(folded, {}, day + 10);
    const performance_stats want = compute_performance({a, b2, c}, day + 10);
    CHECK(got.total_trades == 3);
    CHECK(got.winning_trades == want.winning_trades);
    CHECK(got.losing_trades == want.losing_trades);
    CHECK(got.total_pnl == want.total_pnl);
    CHECK(got.daily_pnl == want.daily_pnl);
    CHECK(got.best_trade == want.best_trade);
    CHECK(got.profit_factor == want.profit_factor);
}
