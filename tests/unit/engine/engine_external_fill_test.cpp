// Exits traded did not make (closed by hand on the exchange, liquidation, ADL) recorded from the
// exchange's own fills: external_fill events through the engine's one door.
#include "harness.hpp"

using namespace traded::engine;
using namespace traded::engine::test;

namespace {
std::string open_btc_long(sim& s) {
    s.start();
    s.tick("BTCUSDT", "49990", "50000");
    std::string id = s.open("BTCUSDT", side::long_side);
    s.auto_exchange = false;
    return id;
}
}  // namespace

TEST_CASE("external fills close the position EXTERNAL with the exchange's price and fee", "[engine][external]") {
    sim s;
    const std::string id = open_btc_long(s);
    REQUIRE(s.pos(id).qty == d("0.004"));
    const traded::decimal entry_fee = s.pos(id).fees;
    CHECK(entry_fee == d("0.08"));

    // A web_ order sells 0.001 then 0.003 (two fills, two prices).
    output a = s.step(external_fill{"BTCUSDT", order_side::sell, "BTCUSDT:900", "77", d("0.001"), d("49800"), d("0.01992")});
    CHECK(s.pos(id).status == position_status::open);
    CHECK(has_event(a, "position_updated"));
    output b = s.step(external_fill{"BTCUSDT", order_side::sell, "BTCUSDT:901", "77", d("0.003"), d("49700"), d("0.05964")});
    const position& p = s.pos(id);
    CHECK(p.status == position_status::closed);
    CHECK(p.reason == exit_reason::external);
    CHECK(p.exit_price == d("49725"));  // (49800*1 + 49700*3) / 4
    CHECK(p.fees == d("0.15956"));      // both legs' commissions
    // (49725 - 50000) * 0.004 - 0.15956: the exchange's realized PnL minus both legs' fees.
    CHECK(p.pnl == d("-1.25956"));
    REQUIRE(b.new_trades.size() == 1);
    CHECK(b.new_trades[0].pnl == d("-1.25956"));
    CHECK(b.new_trades[0].reason == exit_reason::external);
    // The resting TP and SL are cancelled.
    CHECK(cancels(b).size() == 2);

    SECTION("a redelivered fill changes nothing") {
        output again = s.step(external_fill{"BTCUSDT", order_side::sell, "BTCUSDT:901", "77", d("0.003"), d("49700"), d("0.05964")});
        CHECK(again.new_trades.empty());
        CHECK(s.pos(id).pnl == d("-1.25956"));
    }
}

TEST_CASE("an external fill on the same side as the position is not an exit", "[engine][external]") {
    sim s;
    const std::string id = open_btc_long(s);
    output o = s.step(external_fill{"BTCUSDT", order_side::buy, "BTCUSDT:902", "78", d("0.004"), d("50100"), d("0.08")});
    CHECK(s.pos(id).status == position_status::open);
    CHECK(o.new_trades.empty());
    output other = s.step(external_fill{"ETHUSDT", order_side::sell, "ETHUSDT:1", "79", d("1"), d("3000"), d("1.2")});
    CHECK(other.new_trades.empty());
}

TEST_CASE("a position closed from a flat reading is corrected by the late external fills", "[engine][external]") {
    sim s;
    const std::string id = open_btc_long(s);
    s.tick("BTCUSDT", "49900", "49910", "49900");
    s.step(close_request{id, exit_reason::external});
    output flat = s.step(position_report{"BTCUSDT", d("0"), {}, id});
    REQUIRE(s.pos(id).status == position_status::closed);
    CHECK(s.pos(id).exit_price == d("49900"));  // the mark: a guess
    output late = s.step(external_fill{"BTCUSDT", order_side::sell, "BTCUSDT:903", "80", d("0.004"), d("49600"), d("0.07936")});
    CHECK(s.pos(id).exit_price == d("49600"));
    CHECK(s.pos(id).fees == d("0.15936"));
    CHECK(s.pos(id).pnl == d("-1.75936"));
    REQUIRE(late.new_trades.size() == 1);
    CHECK(late.new_trades[0].trade_id == id + "-T");
    CHECK(late.new_trades[0].pnl == d("-1.75936"));
    CHECK(s.eng.state().daily_realized_pnl == d("-1.75936"));
}
