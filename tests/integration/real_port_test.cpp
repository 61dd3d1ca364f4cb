// The Binance port's connection behaviour end to end (issue 11): the real `traded` against the
// real `traded-sim` on loopback, with the simulator's request faults (hold, drop_request,
// unknown_503_unexecuted, err_1125, rotate_streams). Every scenario is bounded to seconds.

#include "sim_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace traded::test;

namespace {

const std::string rt = "/api/v1/real-trading/";

void set_prices(sim_fixture& sim) {
    sim.set_price("BTCUSDT", "50000.0", "50000.1", "50000.0");
    sim.set_price("ETHUSDT", "3000.00", "3000.01", "3000.00");
    sim.set_price("SOLUSDT", "150.00", "150.01", "150.00");
}

bool market_connected(daemon_fixture& d) {
    auto st = d.data(rt + "status");
    const auto& ms = st.at("exchange").at("market_stream");
    return ms.is_bool() ? ms.as_bool() : ms == "connected";
}

/// The daemon and the simulator with real trading started and quotes flowing.
struct port_env {
    explicit port_env(const std::string& real_yaml = "", const std::string& exchange_yaml = "")
        : d(make_real_daemon(sim, real_yaml, exchange_yaml)) {
        auto a = start_real(*d);
        INFO("start -> " << a.status << " " << a.body << "\nlog:\n" << d->proc().log());
        REQUIRE(a.status == 200);
        bool quoted = eventually(
            [&] {
                set_prices(sim);
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                return market_connected(*d);
            },
            std::chrono::milliseconds(15000));
        REQUIRE(quoted);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        set_prices(sim);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    sim_fixture sim;
    std::unique_ptr<daemon_fixture> d;
};

std::string open_real(daemon_fixture& d, const std::string& symbol, const std::string& side) {
    auto a = d.post("/api/v1/opportunities",
                    R"({"symbol":")" + symbol + R"(","side":")" + side + R"(","mode":"real-trading","reason":"test"})");
    INFO(a.body);
    REQUIRE(a.status == 200);
    auto results = a.json().at("data").at("results").as_array();
    REQUIRE(results.size() == 1);
    INFO(json::serialize(results[0]));
    REQUIRE(results[0].at("accepted").as_bool());
    return std::string(results[0].at("position").at("position_id").as_string());
}

/// orderLog rows (POST) for a client id.
std::vector<json::object> posts_for(sim_fixture& sim, const std::string& cid) {
    std::vector<json::object> out;
    const auto st = sim.state();
    for (auto& e : st.at("orderLog").as_array())
        if (e.at("clientId").as_string() == cid && e.at("method").as_string() == "POST") out.push_back(e.as_object());
    return out;
}

std::optional<json::object> position_by_id(daemon_fixture& d, const std::string& id) {
    const auto all = d.data(rt + "positions");
    for (auto& p : all.as_array())
        if (p.at("position_id").as_string() == id) return p.as_object();
    return std::nullopt;
}

/// The simulator's (only) account, as GET /admin/state shows it.
json::object sim_account(sim_fixture& sim) { return sim.state().at("accounts").at(0).as_object(); }

std::int64_t count_of(const json::object& o, const char* key) { return o.at(key).to_number<std::int64_t>(); }

bool protected_open(daemon_fixture& d, const std::string& id) {
    auto p = position_by_id(d, id);
    return p && p->at("status").as_string() == "OPEN" && p->at("tp_order_id").is_string() &&
           !p->at("tp_order_id").as_string().empty() && p->at("sl_order_id").is_string() &&
           !p->at("sl_order_id").as_string().empty();
}

}  // namespace

TEST_CASE("real port: a request held 8 s by the exchange does not delay another position's TP/SL",
          "[integration][real][port]") {
    port_env e;
    auto& d = *e.d;
    // The next order request is held by the exchange for 8 s, then executed and answered (the
    // daemon's request timeout is 10 s).
    e.sim.admin("/admin/fault", R"({"kind":"hold","ms":8000,"count":1,"path":"/fapi/v1/order"})");
    const auto btc = open_real(d, "BTCUSDT", "LONG");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto t_eth = std::chrono::steady_clock::now();
    const auto eth = open_real(d, "ETHUSDT", "LONG");
    // The position shows its TP/SL ids once they are sent; wait for the exchange to have them too.
    bool eth_ok = eventually(
        [&] {
            return protected_open(d, eth) && !posts_for(e.sim, eth + "-TP").empty() &&
                   !posts_for(e.sim, eth + "-SL").empty();
        },
        std::chrono::milliseconds(6000));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t_eth);
    INFO("log:\n" << d.proc().log());
    REQUIRE(eth_ok);
    // ETH's entry, TP and SL all went through while BTC's entry was still held.
    auto eth_e = posts_for(e.sim, eth + "-E");
    auto eth_tp = posts_for(e.sim, eth + "-TP");
    auto eth_sl = posts_for(e.sim, eth + "-SL");
    REQUIRE(eth_e.size() == 1);
    REQUIRE(eth_tp.size() == 1);
    REQUIRE(eth_sl.size() == 1);
    CHECK(posts_for(e.sim, btc + "-E").empty());  // still held
    const auto entry_at = eth_e[0].at("time").to_number<std::int64_t>();
    const auto sl_at = eth_sl[0].at("time").to_number<std::int64_t>();
    const auto tp_at = eth_tp[0].at("time").to_number<std::int64_t>();
    CHECK(sl_at - entry_at < 1000);
    CHECK(tp_at - entry_at < 1000);
    CHECK(took.count() < 3000);
    // The held entry is processed afterwards and its position protected as usual.
    bool btc_ok = eventually([&] { return protected_open(d, btc); }, std::chrono::milliseconds(15000));
    CHECK(btc_ok);
    auto btc_e = posts_for(e.sim, btc + "-E");
    INFO(json::serialize(e.sim.state().at("orderLog")) << "\nlog:\n" << d.proc().log());
    // Executed after the hold, once: exactly one BTC entry exists.
    REQUIRE_FALSE(btc_e.empty());
    CHECK(btc_e[0].at("fault").as_string() == "hold");
    CHECK(btc_e[0].at("time").to_number<std::int64_t>() > sl_at);
    std::size_t accepted = 0;
    for (const auto& r : btc_e) accepted += r.at("httpStatus").to_number<int>() == 200 ? 1 : 0;
    CHECK(accepted == 1);
}

TEST_CASE("real port: the exchange closing the streams every 2 s (24 h limit, compressed) loses nothing",
          "[integration][real][port]") {
    port_env e;
    auto& d = *e.d;
    e.sim.admin("/admin/fault", R"({"kind":"rotate_streams","ms":2000})");
    const auto id = open_real(d, "BTCUSDT", "LONG");
    REQUIRE(eventually([&] { return protected_open(d, id); }, std::chrono::milliseconds(15000)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // at least one rotation
    auto p = position_by_id(d, id);
    REQUIRE(p);
    const auto& tpv = p->at("tp_price");
    const double tp = tpv.is_string() ? std::stod(std::string(tpv.as_string())) : tpv.to_number<double>();
    e.sim.set_price("BTCUSDT", std::to_string(tp + 100.0));
    std::optional<json::object> trade;
    bool done = eventually(
        [&] {
            const json::value all = d.data(rt + "trades");
            for (const auto& t : all.as_array())
                if (t.at("position_id").as_string() == id) trade = t.as_object();
            return trade.has_value();
        },
        std::chrono::milliseconds(30000));
    INFO("log:\n" << d.proc().log());
    REQUIRE(done);
    CHECK(trade->at("exit_reason").as_string() == "TAKE_PROFIT");
    e.sim.admin("/admin/fault", R"({"kind":"rotate_streams","ms":0})");
    // The user stream comes back and is trusted again (reconciled after each reconnect).
    CHECK(eventually([&] { return d.data(rt + "status").at("exchange").at("user_stream") == "connected"; },
                     std::chrono::milliseconds(15000)));
}

TEST_CASE("real port: a TP/SL answered 503 unknown is looked up, not found, and sent once more",
          "[integration][real][port]") {
    port_env e;
    auto& d = *e.d;
    // The first TP/SL request gets Binance's "execution status unknown" 503 without being placed;
    // the next lost one is dropped unanswered (connection closed before the exchange read it).
    e.sim.admin("/admin/fault", R"({"kind":"unknown_503_unexecuted","count":1,"path":"/fapi/v1/algoOrder"})");
    const auto id = open_real(d, "BTCUSDT", "LONG");
    // recvWindow (5 s) + clock offset + 1 s must pass before "not found" is believed.
    std::vector<json::object> tp, sl;
    const bool resent = eventually(
        [&] {
            tp = posts_for(e.sim, id + "-TP");
            sl = posts_for(e.sim, id + "-SL");
            return tp.size() + sl.size() >= 3;
        },
        std::chrono::milliseconds(20000));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the resend's answer is applied
    const std::string log = d.proc().log();
    INFO("log:\n" << log << "\norderLog: " << json::serialize(e.sim.state().at("orderLog")));
    REQUIRE(resent);
    CHECK(protected_open(d, id));
    // One of TP/SL got the 503: logged as unknown, looked up, then sent once more with the same id.
    const auto& lost = tp.size() == 2 ? tp : sl;
    REQUIRE(lost.size() == 2);
    CHECK(lost[0].at("fault").as_string() == "unknown_503_unexecuted");
    CHECK(lost[1].at("httpStatus").to_number<int>() == 200);
    CHECK((tp.size() == 2 ? sl : tp).size() == 1);
    const std::string cid = std::string(lost[0].at("clientId").as_string());
    CHECK(log.find(cid + ": HTTP 503") != std::string::npos);
    CHECK(log.find(cid + ": not on the exchange; sending it once more with the same client id") != std::string::npos);
    // The resend waited until the first request could no longer execute (its recvWindow).
    CHECK(lost[1].at("time").to_number<std::int64_t>() - lost[0].at("time").to_number<std::int64_t>() >= 5000);
    // Exactly one TP and one SL rest on the exchange.
    std::size_t open_algos = 0;
    const json::object account = sim_account(e.sim);
    for (const auto& a : account.at("algoOrders").as_array())
        if (a.at("symbol").as_string() == "BTCUSDT" && a.at("algoStatus").as_string() == "NEW") ++open_algos;
    CHECK(open_algos == 2);
}

TEST_CASE("real port: the listenKey is kept alive, and a -1125 answer re-creates it and reconnects",
          "[integration][real][port]") {
    // A 1 s keep-alive period (30 min by default) so the test sees several.
    port_env e("", "  listen_key_keepalive_ms: 1000\n");
    auto& d = *e.d;
    const auto creates = count_of(sim_account(e.sim), "listenKeyCreates");
    const auto keepalives = count_of(sim_account(e.sim), "listenKeyKeepalives");
    REQUIRE(eventually([&] { return count_of(sim_account(e.sim), "listenKeyKeepalives") >= keepalives + 2; },
                       std::chrono::milliseconds(6000)));
    CHECK(count_of(sim_account(e.sim), "listenKeyCreates") == creates);  // kept, not re-created
    // The exchange forgets the key: the next keep-alive answers -1125, and the daemon creates a new
    // key, reconnects the user stream and reconciles before trusting it again.
    e.sim.admin("/admin/fault", R"({"kind":"err_1125","count":1,"path":"/fapi/v1/listenKey"})");
    const bool recreated = eventually(
        [&] {
            return count_of(sim_account(e.sim), "listenKeyCreates") > creates &&
                   d.data(rt + "status").at("exchange").at("user_stream") == "connected";
        },
        std::chrono::milliseconds(10000));
    INFO("log:\n" << d.proc().log());
    REQUIRE(recreated);
    CHECK(d.proc().log().find("listenKey keep-alive: ") != std::string::npos);
    CHECK(d.proc().log().find("; creating a new key") != std::string::npos);
    // The new stream carries fills: a position opens and is protected.
    const auto id = open_real(d, "ETHUSDT", "LONG");
    CHECK(eventually([&] { return protected_open(d, id); }, std::chrono::milliseconds(10000)));
}
