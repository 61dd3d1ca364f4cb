// Safety controls: daily loss limit and UTC rollover, emergency latch, stop, limits, start.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;
using traded::decimal;

namespace {
open_request opp(const std::string& symbol, side s = side::long_side) {
    return open_request{opportunity{symbol, s, 1.0, "", t0, "exchange"}};
}
set_limits_request limits(std::optional<decimal> stake, std::optional<int> max_pos,
                          std::optional<decimal> loss) {
    return set_limits_request{safety_limits_update{stake, max_pos, loss}};
}
}  // namespace

TEST_CASE("daily loss limit stops new entries; open positions keep TP/SL; 00:00 UTC resets",
          "[engine][safety]") {
    sim s;
    s.start();
    REQUIRE(s.run(limits(std::nullopt, std::nullopt, d("1"))).result.ok());
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    const std::string btc = s.open("BTCUSDT", side::long_side);
    const std::string eth = s.open("ETHUSDT", side::long_side);

    output sl = s.trigger(btc + "-SL");  // -1.1596
    CHECK(s.eng.state().daily_loss_limit_hit);
    CHECK(sl.state_changed);
    REQUIRE(has_event(sl, "daily_loss_limit_hit"));
    for (const auto& n : sl.notifications)
        if (n.event_name == "daily_loss_limit_hit") CHECK(n.ch == channel::safety);
    // Only the BTC TP is cancelled; ETH keeps its protection.
    for (const auto& c : cancels(sl)) CHECK(c.client_id.find("ETHUSDT") == std::string::npos);
    CHECK(s.resting.count(eth + "-TP") == 1);
    CHECK(s.resting.count(eth + "-SL") == 1);
    CHECK(s.pos(eth).status == position_status::open);

    s.tick("SOLUSDT", "149.99", "150");
    output refused = s.run(opp("SOLUSDT"));
    CHECK(refused.result.code == "DAILY_LOSS_LIMIT_HIT");
    CHECK(refused.result.http_status == 409);
    safety_status st = s.eng.safety(s.now);
    CHECK(st.daily_loss_limit_hit);
    CHECK_FALSE(st.can_open_new);
    CHECK(contains(st.blocked_reasons, "DAILY_LOSS_LIMIT_HIT"));
    CHECK(st.daily_realized_pnl == d("-1.1596"));
    CHECK(st.daily_loss_remaining == d("0"));
    CHECK(st.trading_day == "2024-11-23");

    // Before midnight nothing changes; the wake-up is the next 00:00 UTC.
    const millis midnight = utc_day_start(t0) + day_ms;
    REQUIRE(s.eng.next_wakeup() == midnight);
    s.now = midnight - 1;
    CHECK_FALSE(s.run(timer_fired{}).state_changed);
    CHECK(s.eng.state().daily_loss_limit_hit);

    s.now = midnight;
    output roll = s.run(timer_fired{});
    CHECK(roll.state_changed);
    CHECK_FALSE(s.eng.state().daily_loss_limit_hit);
    CHECK(s.eng.state().daily_realized_pnl == d("0"));
    CHECK(s.eng.state().trading_day_start == midnight);
    CHECK(s.eng.next_wakeup() == midnight + day_ms);
    CHECK(s.eng.safety(s.now).trading_day == "2024-11-24");
    CHECK(s.run(opp("SOLUSDT")).result.ok());
}

TEST_CASE("the rollover happens on any event, and safety() already shows the new day", "[engine][safety]") {
    sim s;
    s.start();
    REQUIRE(s.run(limits(std::nullopt, std::nullopt, d("1"))).result.ok());
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.open("BTCUSDT", side::long_side);
    s.trigger(id + "-SL");
    REQUIRE(s.eng.state().daily_loss_limit_hit);
    s.now = utc_day_start(t0) + day_ms + 5;
    CHECK(s.eng.safety(s.now).can_open_new);  // not yet rolled over, but it is a new day
    CHECK(s.eng.safety(s.now).daily_realized_pnl == d("0"));
    output o = s.tick("BTCUSDT", "49990", "50000");
    CHECK(o.state_changed);
    CHECK(has_event(o, "safety_changed"));
    CHECK_FALSE(s.eng.state().daily_loss_limit_hit);
}

TEST_CASE("emergency stop latches, closes everything, and start needs clear_emergency", "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    const std::string btc = s.open("BTCUSDT", side::long_side);
    s.auto_exchange = false;
    const std::string eth = s.step(opp("ETHUSDT")).result.position_id;  // OPENING
    REQUIRE(s.pos(eth).status == position_status::opening);

    output em = s.step(emergency_stop_request{});
    CHECK(em.result.ok());
    CHECK(em.state_changed);
    CHECK(s.eng.state().emergency_stopped);
    CHECK_FALSE(s.eng.state().running);
    CHECK(event_names(em) == std::vector<std::string>{"position_updated", "position_updated",
                                                      "emergency_stop", "engine_stopped"});
    CHECK(em.notifications[2].ch == channel::safety);
    CHECK(em.notifications[3].ch == channel::status);
    auto c = cancels(em);
    REQUIRE(c.size() == 1);
    CHECK(c[0].client_id == eth + "-E");  // the pending entry
    auto q = queries(em);
    REQUIRE(q.size() == 1);
    CHECK(q[0].position_id == btc);
    CHECK(placed(em).empty());  // the close goes through query -> one -X
    CHECK(s.pos(btc).status == position_status::closing);
    CHECK(s.pos(eth).status == position_status::closing);

    // Idempotent: a second emergency stop sends nothing new.
    output again = s.step(emergency_stop_request{});
    CHECK(again.result.ok());
    CHECK(again.actions.empty());

    // Finish the closes through the fake exchange.
    s.auto_exchange = true;
    output done = s.run(position_report{"BTCUSDT", s.amount["BTCUSDT"], {}, btc});
    CHECK(s.pos(btc).status == position_status::closed);
    CHECK(s.pos(btc).reason == exit_reason::emergency);
    s.run(order_canceled{eth + "-E"});
    CHECK(s.pos(eth).status == position_status::failed);

    output refused = s.run(start_request{});
    CHECK(refused.result.code == "EMERGENCY_LATCHED");
    CHECK(refused.result.http_status == 409);
    CHECK_FALSE(s.eng.state().running);
    CHECK(s.run(opp("BTCUSDT")).result.code == "EMERGENCY_LATCHED");
    CHECK(contains(s.eng.safety(s.now).blocked_reasons, "EMERGENCY_STOPPED"));

    output ok = s.run(start_request{true});
    CHECK(ok.result.ok());
    CHECK(ok.state_changed);
    CHECK_FALSE(s.eng.state().emergency_stopped);
    CHECK(s.eng.state().running);
    CHECK(has_event(ok, "engine_started"));
    CHECK(s.run(opp("BTCUSDT")).result.ok());
}

TEST_CASE("an entry that fills after the emergency stop is closed, not protected", "[engine][safety]") {
    sim s;
    s.auto_exchange = false;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.step(opp("BTCUSDT")).result.position_id;
    s.step(emergency_stop_request{});
    output f = s.step(order_fill{id + "-E", "1", "e1", d("0.004"), d("50000"), d("0.08"), true});
    CHECK(placed(f).empty());
    REQUIRE(queries(f).size() == 1);
    output r = s.step(position_report{"BTCUSDT", d("0.004"), {}, id});
    REQUIRE(placed(r, order_kind::close).size() == 1);
    s.step(order_fill{id + "-X", "2", "x1", d("0.004"), d("49990"), d("0.08"), true});
    CHECK(s.pos(id).reason == exit_reason::emergency);
}

TEST_CASE("stop closes open positions with STOP and blocks new entries", "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.open("BTCUSDT", side::long_side);
    output st = s.run(stop_request{});
    CHECK(st.result.ok());
    CHECK(st.state_changed);
    CHECK(has_event(st, "engine_stopped"));
    CHECK_FALSE(s.eng.state().running);
    CHECK(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).reason == exit_reason::stop);
    CHECK(st.new_trades.at(0).reason == exit_reason::stop);
    CHECK(s.resting.empty());
    CHECK(s.run(opp("BTCUSDT")).result.code == "NOT_RUNNING");
    CHECK(contains(s.eng.safety(s.now).blocked_reasons, "NOT_RUNNING"));
}

TEST_CASE("stop keeps TP/SL resting until the close fills", "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.open("BTCUSDT", side::long_side);
    s.auto_exchange = false;
    output st = s.step(stop_request{});
    CHECK(cancels(st).empty());
    CHECK(queries(st).size() == 1);
    CHECK(s.pos(id).status == position_status::closing);
    CHECK(s.pos(id).reason == exit_reason::stop);
}

TEST_CASE("set_limits validates every field before changing anything", "[engine][safety]") {
    sim s;
    s.run(timer_fired{});  // the first step anchors the trading day (a state change of its own)
    const engine_config before = s.eng.effective_config();
    struct bad_case {
        set_limits_request req;
        const char* field;
    };
    std::vector<bad_case> bad{
        {limits(d("0"), 5, std::nullopt), "stake_usd"},
        {limits(d("-5"), std::nullopt, std::nullopt), "stake_usd"},
        {limits(d("1000000.01"), std::nullopt, std::nullopt), "stake_usd"},
        {limits(d("100"), -1, std::nullopt), "max_positions"},
        {limits(d("100"), 1001, std::nullopt), "max_positions"},
        {limits(d("100"), 5, d("0")), "max_daily_loss"},
        {limits(d("100"), 5, d("10000000.5")), "max_daily_loss"},
    };
    for (const auto& b : bad) {
        INFO(b.field);
        output o = s.run(b.req);
        CHECK(o.result.code == "INVALID_LIMITS");
        CHECK(o.result.http_status == 400);
        CHECK(o.result.message.find(b.field) != std::string::npos);
        CHECK_FALSE(o.state_changed);
        CHECK(o.notifications.empty());
    }
    CHECK(s.eng.effective_config().stake_usd == before.stake_usd);
    CHECK(s.eng.effective_config().max_positions == before.max_positions);
    CHECK(s.eng.effective_config().max_daily_loss == before.max_daily_loss);
    CHECK_FALSE(s.eng.state().overrides.stake_usd.has_value());

    output ok = s.run(limits(d("150"), 0, d("1000000")));
    CHECK(ok.result.ok());
    CHECK(ok.state_changed);
    REQUIRE(has_event(ok, "safety_changed"));
    CHECK(ok.notifications[0].ch == channel::safety);
    CHECK(s.eng.effective_config().stake_usd == d("150"));
    CHECK(s.eng.effective_config().max_positions == 0);
    CHECK(s.eng.safety(s.now).stake_usd == d("150"));
    CHECK(s.eng.config().stake_usd == d("200"));  // the config itself is untouched
    // Partial update: only the given field changes.
    REQUIRE(s.run(limits(std::nullopt, 7, std::nullopt)).result.ok());
    CHECK(s.eng.effective_config().stake_usd == d("150"));
    CHECK(s.eng.effective_config().max_positions == 7);
}

TEST_CASE("lowering max_daily_loss below today's loss hits the limit; raising it lifts it",
          "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    const std::string id = s.open("BTCUSDT", side::long_side);
    s.trigger(id + "-SL");  // -1.1596
    REQUIRE_FALSE(s.eng.state().daily_loss_limit_hit);
    output low = s.run(limits(std::nullopt, std::nullopt, d("1")));
    CHECK(s.eng.state().daily_loss_limit_hit);
    CHECK(has_event(low, "daily_loss_limit_hit"));
    output high = s.run(limits(std::nullopt, std::nullopt, d("2")));
    CHECK_FALSE(s.eng.state().daily_loss_limit_hit);
    CHECK(s.eng.safety(s.now).daily_loss_remaining == d("0.8404"));
}

TEST_CASE("start: real mode warns about real money; a second start warns it is running", "[engine][safety]") {
    engine_config c = paper_config();
    c.engine_mode = mode::real;
    sim s(c);
    output o = s.run(start_request{});
    CHECK(o.result.ok());
    CHECK(o.state_changed);
    CHECK(s.eng.state().running);
    CHECK(s.eng.state().started_at == t0);
    CHECK(contains(o.result.warnings, "REAL MONEY: this engine places orders on the exchange"));
    CHECK(has_event(o, "engine_started"));
    s.now += 1000;
    output again = s.run(start_request{});
    CHECK(again.result.ok());
    CHECK(again.result.warnings.size() == 2);
    CHECK_FALSE(has_event(again, "engine_started"));
    CHECK(s.eng.state().started_at == t0);
}

TEST_CASE("exchange connection changes are notified once", "[engine][safety]") {
    sim s;
    output up = s.run(exchange_status{true});
    CHECK(event_names(up) == std::vector<std::string>{"exchange_connected"});
    CHECK(up.notifications[0].ch == channel::status);
    CHECK(s.run(exchange_status{true}).notifications.empty());
    CHECK(event_names(s.run(exchange_status{false})) == std::vector<std::string>{"exchange_disconnected"});
    CHECK(s.eng.last_event_at() == t0);
    CHECK_FALSE(s.eng.exchange_connected());
}

TEST_CASE("performance() reflects the recorded trades", "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    std::string a = s.open("BTCUSDT", side::long_side);
    s.trigger(a + "-TP");  // +9.836
    s.now += 1;
    s.tick("BTCUSDT", "49990", "50000");
    std::string b = s.open("BTCUSDT", side::long_side);
    s.trigger(b + "-SL");  // -1.1596
    performance_stats p = s.eng.performance(s.now);
    CHECK(p.total_trades == 2);
    CHECK(p.winning_trades == 1);
    CHECK(p.total_pnl == d("8.6764"));
    CHECK(p.daily_pnl == d("8.6764"));
    CHECK(p.max_drawdown == d("1.1596"));
    CHECK(p.profit_factor == Approx(9.836 / 1.1596));
}

TEST_CASE("a per-symbol block refuses entries on that symbol only and shows in blocked_reasons",
          "[engine][safety]") {
    sim s;
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    s.tick("ETHUSDT", "2999", "3000");
    s.eng.set_symbol_blocks("UNTRACKED_POSITION", {"ETHUSDT"});
    const output refused = s.run(opp("ETHUSDT"));
    CHECK(refused.result.code == "UNTRACKED_POSITION");
    CHECK(refused.result.http_status == 409);
    CHECK(refused.actions.empty());
    CHECK(refused.dirty_positions.empty());
    const safety_status st = s.eng.safety(s.now);
    CHECK(contains(st.blocked_reasons, "UNTRACKED_POSITION:ETHUSDT"));
    CHECK(st.blocked_symbols.at("ETHUSDT") == "UNTRACKED_POSITION");
    CHECK(st.can_open_new);  // BTCUSDT and the rest stay open
    CHECK(s.run(opp("BTCUSDT")).result.ok());
    // Lifted (the operator closed the foreign position): entries on the symbol are accepted again.
    s.eng.set_symbol_blocks("UNTRACKED_POSITION", {});
    CHECK(s.eng.safety(s.now).blocked_symbols.empty());
    CHECK(s.run(opp("ETHUSDT")).result.ok());
}
