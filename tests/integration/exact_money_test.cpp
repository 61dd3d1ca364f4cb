// Money goes out as the decimal's exact text (issue 12): an open position's fees and a trade's
// quantity and prices with 17-18 significant digits (more than a double keeps) are answered
// exactly by GET positions, GET trades, the WebSocket snapshots and pushed events. The real
// daemon; the digits are put into its real store while it is stopped (no order flow produces
// them; fees are what the engine does not reconcile with the paper account on restart).

#include "harness.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

using namespace traded::test;

namespace {

// Manual opportunities only (the synthetic market keeps moving, so open positions are pushed).
const std::string manual_only = "opportunities:\n  strategy: none\nmarket:\n  symbols: [BTCUSDT, DOGEUSDT]\n";

void sql(const std::string& db_path, const std::string& statement) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err);
    INFO(statement << ": " << (err ? err : ""));
    sqlite3_free(err);
    CHECK(sqlite3_changes(db) == 1);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

std::string open_position(daemon_fixture& d, const std::string& symbol) {
    auto a = d.post("/api/v1/opportunities",
                    R"({"symbol":")" + symbol + R"(","side":"LONG","mode":"paper-trading","reason":"test"})");
    INFO(a.body);
    REQUIRE(a.status == 200);
    const auto answer = a.json();
    const auto& r = answer.at("data").at("results").at(0);
    REQUIRE(r.at("accepted").as_bool());
    return std::string(r.at("position").at("position_id").as_string());
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("money with 17-18 significant digits comes out exact in REST, snapshots and pushes",
          "[integration][api][ws]") {
    daemon_fixture d(manual_only);
    const std::string p = "/api/v1/paper-trading/";
    const std::string open_id = open_position(d, "DOGEUSDT");
    const std::string closed_id = open_position(d, "BTCUSDT");
    REQUIRE(d.post(p + "close-position/" + closed_id).status == 200);
    REQUIRE(d.stop() == 0);

    // Through a double these would read 123456789.1234568 and 1234567890.1234567.
    const std::string db = d.data_dir() + "/traded.db";
    sql(db, "UPDATE positions SET fees = '1234567890.12345678' WHERE position_id = '" + open_id + "'");
    sql(db,
        "UPDATE trades SET qty = '123456789.12345679', entry_price = '1234567890.12345678', exit_price = "
        "'1234567890.12345679', pnl_pct = 3.0437999999999996 WHERE position_id = '" +
            closed_id + "'");
    d.restart();

    const std::string fees = R"("fees":1234567890.12345678,)";
    const std::string trade_part = R"("entry_price":1234567890.12345678,"exit_price":1234567890.12345679,)"
                                   R"("qty":123456789.12345679,)";
    const auto positions = d.get(p + "positions").body;
    INFO(positions);
    CHECK(has(positions, fees));
    const auto trades = d.get(p + "trades").body;
    INFO(trades);
    CHECK(has(trades, trade_part));
    CHECK(has(trades, R"("pnl_pct":3.04,)"));

    ws_client ws;
    REQUIRE(ws.connect(d.port(), "/api/v1/ws?access_token=" + d.token()).empty());
    ws.send(R"({"op":"subscribe","id":1,"channels":["positions","trades"],"modes":["paper-trading"]})");
    int snapshots = 0;
    bool pushed = false;
    // Two snapshots, then the open position's revaluation pushes (a quote every 250 ms).
    for (int i = 0; i < 100 && !(snapshots == 2 && pushed); ++i) {
        auto m = ws.receive();
        REQUIRE(m);
        INFO(*m);
        if (has(*m, R"("type":"snapshot","channel":"positions")")) {
            ++snapshots;
            CHECK(has(*m, fees));
        } else if (has(*m, R"("type":"snapshot","channel":"trades")")) {
            ++snapshots;
            CHECK(has(*m, trade_part));
            CHECK(has(*m, R"("pnl_pct":3.04,)"));
        } else if (has(*m, R"("type":"event","channel":"positions")") && has(*m, open_id)) {
            pushed = true;
            CHECK(has(*m, fees));
        }
    }
    CHECK(snapshots == 2);
    CHECK(pushed);
}
