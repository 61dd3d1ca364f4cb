// kill -9 at randomized points of the position lifecycle, restart on the same data dir, and check
// that nothing acknowledged was lost or doubled: paper trading (SQLite durability, WS seq, the
// emergency latch) and real trading against traded-sim (reconciliation: stops re-placed, closes
// made while the daemon was down recorded once with the right exit reason, no client order id
// reused with a different intent).

#include "harness.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace traded::test;

namespace {

using namespace std::chrono_literals;

const std::string paper = "/api/v1/paper-trading/";
const std::string real = "/api/v1/real-trading/";

double num(const json::value& v) {
    if (v.is_null()) return 0.0;
    return v.is_double() ? v.as_double() : v.to_number<double>();
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

/// The seed of the kill points: TRADED_CRASH_SEED when set, else a fixed one, so a failure replays.
std::uint32_t crash_seed() {
    if (const char* s = std::getenv("TRADED_CRASH_SEED")) return static_cast<std::uint32_t>(std::strtoul(s, nullptr, 10));
    return 20261124u;
}

/// `data` of a success envelope, or null (no assertion: safe on any thread).
json::value envelope_data(const http_answer& a) {
    if (a.status != 200) return nullptr;
    auto v = a.json();
    if (!v.is_object() || !v.as_object().contains("success") || !v.at("success").as_bool()) return nullptr;
    return v.at("data");
}

/// The `seq` of the positions snapshot of `mode` right after subscribing.
std::int64_t ws_positions_seq(unsigned short port, const std::string& token, const std::string& mode) {
    ws_client ws;
    const std::string err = ws.connect(port, "/api/v1/ws?access_token=" + token);
    INFO(err);
    REQUIRE(err.empty());
    ws.send(R"({"op":"subscribe","id":1,"channels":["positions"],"modes":[")" + mode + R"("]})");
    for (int i = 0; i < 20; ++i) {
        auto m = ws.receive_json(3000ms);
        if (!m) break;
        if (!m->is_object()) continue;
        const auto& o = m->as_object();
        if (o.contains("type") && str(o.at("type")) == "snapshot" && str(o.at("channel")) == "positions" &&
            str(o.at("mode")) == mode)
            return o.at("seq").to_number<std::int64_t>();
    }
    FAIL("no positions snapshot on the WebSocket");
    return -1;
}

// ---------------------------------------------------------------------------------------------
// Paper trading

/// A position as acknowledged OPEN to a client.
struct acked_position {
    std::string id, symbol;
    double entry = 0, qty = 0, tp = 0, sl = 0;
};

acked_position to_acked(const json::value& p) {
    return {str(p.at("position_id")), str(p.at("symbol")), num(p.at("entry_price")), num(p.at("qty")),
            num(p.at("tp_price")),    num(p.at("sl_price"))};
}

/// One request of a burst and what its answer acknowledged.
struct op {
    enum kind_t { do_open, do_close, do_emergency } kind = do_open;
    std::string symbol, side, id;  // open: symbol/side; close: id
    bool acked = false;
    json::value answer;  // `data` when acked
};

http_answer send_op(unsigned short port, const std::string& token, const op& o) {
    switch (o.kind) {
        case op::do_open:
            return http("POST", port, "/api/v1/opportunities",
                        R"({"symbol":")" + o.symbol + R"(","side":")" + o.side + R"(","mode":"paper-trading","reason":"crash"})",
                        token);
        case op::do_close: return http("POST", port, paper + "close-position/" + o.id, "", token);
        case op::do_emergency: return http("POST", port, paper + "emergency-stop", "", token);
    }
    return {};
}

/// What the client has been told so far.
struct paper_model {
    std::map<std::string, acked_position> open;  // acknowledged OPEN and not acknowledged closed
    std::set<std::string> trade_ids;             // acknowledged trades
    bool emergency = false;                      // acknowledged latch
    std::int64_t seq = 0;                        // last WS seq seen
    bool changed = false;                        // an acknowledged transition since `seq` was read
    std::set<std::string> occupied;              // symbols with a not-yet-closed position (any status)
};

void apply(paper_model& m, const op& o) {
    if (!o.acked) return;
    m.changed = true;
    if (o.kind == op::do_open) {
        const auto& r = o.answer.at("results").at(0);
        if (!r.at("accepted").as_bool()) return;
        const auto& p = r.at("position");
        if (str(p.at("status")) == "OPEN") m.open[str(p.at("position_id"))] = to_acked(p);
    } else if (o.kind == op::do_close) {
        if (str(o.answer.at("status")) != "CLOSED") return;
        m.open.erase(o.id);
        if (const auto* t = o.answer.as_object().if_contains("trade"); t && t->is_object())
            m.trade_ids.insert(str(t->at("trade_id")));
    } else {
        m.emergency = true;
    }
}

op run_sync(daemon_fixture& d, op o) {
    auto a = send_op(d.port(), d.token(), o);
    o.answer = envelope_data(a);
    o.acked = !o.answer.is_null();
    return o;
}

const std::vector<std::string> paper_symbols{"BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "DOGEUSDT"};

std::vector<std::string> free_symbols(const paper_model& m) {
    std::set<std::string> used = m.occupied;
    for (const auto& [id, p] : m.open) used.insert(p.symbol);
    std::vector<std::string> out;
    for (const auto& s : paper_symbols)
        if (!used.count(s)) out.push_back(s);
    return out;
}

/// After a restart: everything acknowledged is still there, then the model becomes what the daemon
/// now says (reads are acknowledgements too).
void verify_paper(daemon_fixture& d, paper_model& m, const std::set<std::string>& close_in_flight,
                  bool emergency_in_flight, int kill_no) {
    INFO("kill point #" << kill_no);
    const auto status = d.data(paper + "status");
    if (m.emergency) CHECK(status.at("emergency_stopped").as_bool());

    const auto positions = d.data(paper + "positions").as_array();
    const auto trades = d.data(paper + "trades?limit=1000").as_array();

    std::map<std::string, json::object> by_pos;
    std::map<std::string, int> trade_count, pos_trade_count;
    for (const auto& t : trades) {
        const std::string tid = str(t.at("trade_id"));
        const std::string pid = str(t.at("position_id"));
        ++trade_count[tid];
        ++pos_trade_count[pid];
        by_pos[pid] = t.as_object();
    }
    for (const auto& [tid, n] : trade_count) {
        INFO("trade " << tid);
        CHECK(n == 1);
    }
    for (const auto& [pid, n] : pos_trade_count) {
        INFO("position " << pid << " has " << n << " trades");
        CHECK(n == 1);
    }
    for (const auto& tid : m.trade_ids) {
        INFO("acknowledged trade " << tid << " lost");
        CHECK(trade_count.count(tid) == 1);
    }
    std::map<std::string, json::object> open_now;
    for (const auto& p : positions) open_now[str(p.at("position_id"))] = p.as_object();

    for (const auto& [id, a] : m.open) {
        INFO("acknowledged OPEN position " << id);
        auto it = open_now.find(id);
        const bool request_in_flight = close_in_flight.count(id) != 0 || emergency_in_flight;
        if (it != open_now.end() && str(it->second.at("status")) == "CLOSING" && request_in_flight) {
            // Killed during its close: CLOSING was committed. The restart must finish the close
            // (or revert to OPEN), never leave it CLOSING for good.
            bool resolved = eventually(
                [&] {
                    const json::value now_positions = d.data(paper + "positions");
                    for (const auto& p : now_positions.as_array())
                        if (str(p.at("position_id")) == id) return str(p.at("status")) != "CLOSING";
                    return true;
                },
                3000ms);
            INFO("position still CLOSING 3 s after the restart (kill during its close/emergency stop)");
            CHECK(resolved);
            continue;
        }
        if (it != open_now.end()) {
            const auto& p = it->second;
            CHECK(str(p.at("status")) == "OPEN");
            CHECK(str(p.at("symbol")) == a.symbol);
            CHECK(num(p.at("entry_price")) == Approx(a.entry).epsilon(1e-12));
            CHECK(num(p.at("qty")) == Approx(a.qty).epsilon(1e-12));
            CHECK(num(p.at("tp_price")) == Approx(a.tp).epsilon(1e-12));
            if (!p.at("profit_floor_activated").as_bool()) CHECK(num(p.at("sl_price")) == Approx(a.sl).epsilon(1e-12));
        } else {
            auto t = by_pos.find(id);
            REQUIRE(t != by_pos.end());  // neither open nor traded: lost
            const std::string why = str(t->second.at("exit_reason"));
            INFO("exit_reason " << why);
            const bool own_exit = why == "TAKE_PROFIT" || why == "STOP_LOSS" || why == "PROFIT_FLOOR";
            const bool by_request = (why == "MANUAL" && close_in_flight.count(id)) ||
                                    (why == "EMERGENCY" && (emergency_in_flight || m.emergency));
            CHECK((own_exit || by_request));
        }
    }

    const std::int64_t seq = ws_positions_seq(d.port(), d.token(), "paper-trading");
    INFO("seq before " << m.seq << " after " << seq);
    if (m.changed) CHECK(seq > m.seq);
    else CHECK(seq >= m.seq);

    m.seq = seq;
    m.changed = false;
    m.open.clear();
    m.occupied.clear();
    const json::value positions_now = d.data(paper + "positions");
    for (const auto& p : positions_now.as_array()) {
        m.occupied.insert(str(p.at("symbol")));
        if (str(p.at("status")) == "OPEN") m.open[str(p.at("position_id"))] = to_acked(p);
    }
    const auto trades_now = d.data(paper + "trades?limit=1000");
    for (const auto& t : trades_now.as_array()) trade_count[str(t.at("trade_id"))] += 0;
    m.trade_ids.clear();
    for (const auto& [tid, n] : trade_count) m.trade_ids.insert(tid);
    m.emergency = status.at("emergency_stopped").as_bool();
}

// ---------------------------------------------------------------------------------------------
// Real trading against traded-sim

const char* sim_key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const char* sim_secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

/// traded-sim on a free port with static prices (they move only through /admin/price).
struct sim_exchange {
    std::string dir;
    process proc;
    unsigned short port = 0;

    sim_exchange() {
        dir = make_temp_dir("traded-crash-sim");
        write_file(dir + "/sim.yaml", "listen: {host: 127.0.0.1, port: 0}\nprices: {source: static}\n");
        proc = process::spawn({TRADED_SIM_BIN, "--config", dir + "/sim.yaml"}, dir + "/sim.log");
        const bool up = eventually(
            [&] {
                const std::string log = proc.log();
                const auto at = log.find("listening on 127.0.0.1:");
                if (at == std::string::npos) return !proc.running();
                port = static_cast<unsigned short>(std::stoi(log.substr(at + 23)));
                return true;
            },
            10000ms);
        if (!up || port == 0) FAIL("traded-sim did not start:\n" << proc.log());
    }
    ~sim_exchange() {
        proc.stop(3000ms);
        remove_tree(dir);
    }
    json::value admin(const std::string& method, const std::string& path, const std::string& body = "") {
        auto a = http(method, port, path, body);
        INFO(method << " " << path << " " << body << " -> " << a.status << " " << a.body);
        REQUIRE(a.status == 200);
        return a.json();
    }
    void price(const std::string& symbol, const std::string& mark) {
        admin("POST", "/admin/price", R"({"symbol":")" + symbol + R"(","mark":")" + mark + R"("})");
    }
    json::object state() { return admin("GET", "/admin/state").as_object(); }
};

std::string fmt_price(double p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", p);
    return buf;
}

/// Exchange positions without a NEW STOP_MARKET algo order for their symbol and full quantity.
std::vector<std::string> unprotected(const json::object& st) {
    std::vector<std::string> out;
    const auto& acct = st.at("accounts").at(0);
    for (const auto& p : acct.at("positions").as_array()) {
        const std::string sym = str(p.at("symbol"));
        const double amt = std::abs(std::stod(str(p.at("positionAmt"))));
        bool stop = false;
        for (const auto& a : acct.at("algoOrders").as_array())
            if (str(a.at("symbol")) == sym && str(a.at("orderType")) == "STOP_MARKET" && str(a.at("algoStatus")) == "NEW" &&
                (a.at("closePosition").as_bool() || std::abs(std::stod(str(a.at("quantity"))) - amt) < 1e-9))
                stop = true;
        if (!stop) out.push_back(sym);
    }
    return out;
}

bool has_position(const json::object& st, const std::string& symbol) {
    for (const auto& p : st.at("accounts").at(0).at("positions").as_array())
        if (str(p.at("symbol")) == symbol) return true;
    return false;
}

int open_algos(const json::object& st, const std::string& symbol) {
    int n = 0;
    for (const auto& a : st.at("accounts").at(0).at("algoOrders").as_array())
        if (str(a.at("symbol")) == symbol && str(a.at("algoStatus")) == "NEW") ++n;
    return n;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

/// Every position on the exchange has a stop: wait for reconciliation, then assert.
void check_protected(sim_exchange& sim, const std::string& when) {
    INFO(when);
    std::vector<std::string> bad;
    eventually([&] {
        bad = unprotected(sim.state());
        return bad.empty();
    },
               20000ms);
    INFO("exchange positions without a stop: " << join(bad));
    CHECK(bad.empty());
}

/// No client order id was sent twice with a different intent.
void check_order_log(sim_exchange& sim) {
    struct intent {
        std::string side, type, qty, trigger;
        bool reduce = false;
    };
    std::map<std::string, intent> seen;
    const auto st = sim.state();
    for (const auto& e : st.at("orderLog").as_array()) {
        if (str(e.at("method")) != "POST") continue;
        const std::string id = str(e.at("clientId"));
        if (id.empty()) continue;
        intent now{str(e.at("side")), str(e.at("type")), str(e.at("quantity")), str(e.at("triggerPrice")),
                   e.at("reduceOnly").as_bool()};
        auto [it, fresh] = seen.emplace(id, now);
        if (fresh) continue;
        INFO("client order id " << id << " sent twice: " << it->second.side << "/" << it->second.type << "/"
                                << it->second.qty << "/" << it->second.trigger << " then " << now.side << "/" << now.type
                                << "/" << now.qty << "/" << now.trigger);
        CHECK(it->second.side == now.side);
        CHECK(it->second.type == now.type);
        CHECK(it->second.qty == now.qty);
        CHECK(it->second.trigger == now.trigger);
        CHECK(it->second.reduce == now.reduce);
    }
}

/// Trades of `position_id` in the real-trading trade list.
std::vector<json::object> real_trades_of(daemon_fixture& d, const std::string& position_id) {
    std::vector<json::object> out;
    const json::value all = d.data(real + "trades?limit=1000");
    for (const auto& t : all.as_array())
        if (str(t.at("position_id")) == position_id) out.push_back(t.as_object());
    return out;
}

void check_real_trades_unique(daemon_fixture& d) {
    std::map<std::string, int> by_trade, by_pos;
    const json::value all = d.data(real + "trades?limit=1000");
    for (const auto& t : all.as_array()) {
        ++by_trade[str(t.at("trade_id"))];
        ++by_pos[str(t.at("position_id"))];
    }
    for (const auto& [id, n] : by_trade) {
        INFO("trade " << id);
        CHECK(n == 1);
    }
    for (const auto& [id, n] : by_pos) {
        INFO("position " << id << " has " << n << " trades");
        CHECK(n == 1);
    }
}

/// Waits until `position_id` has exactly one trade; returns its exit reason ("" if none in time).
std::string wait_trade(daemon_fixture& d, const std::string& position_id) {
    std::vector<json::object> ts;
    eventually([&] {
        ts = real_trades_of(d, position_id);
        return !ts.empty();
    },
               20000ms);
    INFO("trades of " << position_id);
    CHECK(ts.size() == 1);
    return ts.empty() ? std::string() : str(ts[0].at("exit_reason"));
}

json::object real_position(daemon_fixture& d, const std::string& id) {
    const json::value all = d.data(real + "positions");
    for (const auto& p : all.as_array())
        if (str(p.at("position_id")) == id) return p.as_object();
    return {};
}

/// Opens a real position (retrying while market data is not there yet); returns its id.
std::string real_open(daemon_fixture& d, sim_exchange& sim, const std::string& symbol, const std::string& side,
                      const std::string& mark) {
    std::string id, last;
    eventually([&] {
        sim.price(symbol, mark);  // static prices: a quote reaches the daemon only when one is set
        auto a = d.post("/api/v1/opportunities",
                        R"({"symbol":")" + symbol + R"(","side":")" + side + R"(","mode":"real-trading","reason":"crash"})");
        last = a.body;
        auto data = envelope_data(a);
        if (data.is_null()) return false;
        const auto& r = data.at("results").at(0);
        if (!r.at("accepted").as_bool()) return false;
        id = str(r.at("position").at("position_id"));
        return true;
    },
               10000ms);
    INFO("open " << symbol << ": " << last);
    REQUIRE(!id.empty());
    return id;
}

/// Waits until the daemon shows `id` OPEN with both exit orders.
void wait_open_protected(daemon_fixture& d, const std::string& id) {
    json::object p;
    const bool ok = eventually([&] {
        p = real_position(d, id);
        return !p.empty() && str(p.at("status")) == "OPEN" && !p.at("tp_order_id").is_null() &&
               !p.at("sl_order_id").is_null();
    },
                               15000ms);
    INFO(id << ": " << json::serialize(p));
    REQUIRE(ok);
}

}  // namespace

TEST_CASE("paper trading survives kill -9 at randomized points", "[integration][crash]") {
    const std::uint32_t seed = crash_seed();
    std::cout << "[crash] paper kill-point seed " << seed << " (set TRADED_CRASH_SEED to replay)" << std::endl;
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    daemon_fixture d("opportunities:\n  strategy: none\n"
                     "market:\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT, BNBUSDT, XRPUSDT, DOGEUSDT]\n");
    paper_model m;
    m.seq = ws_positions_seq(d.port(), d.token(), "paper-trading");

    const int kills = 32;
    // The kind of every kill point comes from its own generator, so the plan replays exactly
    // whatever the timing; the delays come from `rng`.
    std::vector<int> plan;
    {
        std::mt19937 plan_rng(seed);
        for (int k = 0; k < kills; ++k) plan.push_back(k < 4 ? k : std::uniform_int_distribution<int>(0, 3)(plan_rng));
    }
    int by_kind[4] = {0, 0, 0, 0};
    for (int k = 0; k < kills; ++k) {
        const int kind = plan[static_cast<std::size_t>(k)];
        ++by_kind[kind];
        std::set<std::string> close_in_flight;
        bool emergency_in_flight = false;
        auto side = [&] { return uniform(0, 1) ? std::string("LONG") : std::string("SHORT"); };
        auto ensure_open = [&](std::size_t n) {
            for (const auto& s : free_symbols(m)) {
                if (m.open.size() >= n) break;
                op o;
                o.symbol = s;
                o.side = side();
                apply(m, run_sync(d, o));
            }
        };

        if (kind == 0) {
            // Right after an open was acknowledged.
            if (free_symbols(m).empty() && !m.open.empty()) {
                op c;
                c.kind = op::do_close;
                c.id = m.open.begin()->first;
                apply(m, run_sync(d, c));
            }
            const auto fs = free_symbols(m);
            if (fs.empty()) {
                WARN("no symbol left to open a position on (positions stuck CLOSING, reported above)");
            } else {
                op o;
                o.symbol = fs[static_cast<std::size_t>(uniform(0, static_cast<int>(fs.size()) - 1))];
                o.side = side();
                o = run_sync(d, o);
                INFO(json::serialize(o.answer));
                CHECK(o.acked);
                apply(m, o);
            }
            d.kill9();
        } else {
            // A request (or a burst of them) in flight on another thread while the process dies.
            std::vector<op> ops;
            int delay_ms = 0;
            if (kind == 1) {
                std::vector<std::string> fs = free_symbols(m);
                std::vector<std::string> ids;
                for (const auto& [id, p] : m.open) ids.push_back(id);
                const int n = uniform(4, 10);
                for (int i = 0; i < n; ++i) {
                    op o;
                    if ((uniform(0, 1) || ids.empty()) && !fs.empty()) {
                        o.symbol = fs.back();
                        fs.pop_back();
                        o.side = side();
                    } else if (!ids.empty()) {
                        o.kind = op::do_close;
                        o.id = ids.back();
                        ids.pop_back();
                        close_in_flight.insert(o.id);
                    } else {
                        break;
                    }
                    ops.push_back(o);
                }
                delay_ms = uniform(0, 60);
            } else if (kind == 2) {
                ensure_open(1);
                if (m.open.empty()) WARN("no symbol left to open a position on (positions stuck CLOSING, reported above)");
            }
            if (kind == 2 && !m.open.empty()) {
                auto it = m.open.begin();
                std::advance(it, uniform(0, static_cast<int>(m.open.size()) - 1));
                op c;
                c.kind = op::do_close;
                c.id = it->first;
                close_in_flight.insert(c.id);
                ops.push_back(c);
                delay_ms = uniform(0, 6);
            } else if (kind == 3) {
                ensure_open(static_cast<std::size_t>(uniform(1, 3)));
                op e;
                e.kind = op::do_emergency;
                emergency_in_flight = true;
                ops.push_back(e);
                delay_ms = uniform(0, 8);
            }
            const unsigned short port = d.port();
            const std::string token = d.token();
            std::thread client([&ops, port, token] {
                for (auto& o : ops) {
                    auto a = send_op(port, token, o);
                    o.answer = envelope_data(a);
                    o.acked = !o.answer.is_null();
                }
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            d.kill9();
            client.join();
            for (const auto& o : ops) apply(m, o);
        }

        d.restart();
        verify_paper(d, m, close_in_flight, emergency_in_flight, k);
        if (m.emergency) {
            // The latch survived (checked above); a start without clearing it is refused.
            auto s = d.post(paper + "start");
            CHECK(s.status == 409);
            auto c = d.post(paper + "start", R"({"clear_emergency": true})");
            INFO(c.body);
            REQUIRE(c.status == 200);
            m.emergency = false;
            m.changed = true;
        }
    }
    std::cout << "[crash] paper: " << kills << " kills (after open " << by_kind[0] << ", mid-burst " << by_kind[1]
              << ", during close " << by_kind[2] << ", during emergency stop " << by_kind[3] << ")" << std::endl;
}

TEST_CASE("real trading against traded-sim survives kill -9", "[integration][crash]") {
    const std::uint32_t seed = crash_seed();
    std::cout << "[crash] real kill-point seed " << seed << std::endl;
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    setenv("SIM_API_KEY", sim_key, 1);
    setenv("SIM_API_SECRET", sim_secret, 1);
    sim_exchange sim;
    sim.price("BTCUSDT", "95000");
    sim.price("ETHUSDT", "3500");
    sim.price("SOLUSDT", "200");
    const std::string url = "127.0.0.1:" + std::to_string(sim.port);
    daemon_fixture d("exchange:\n"
                     "  rest_url: http://" + url + "\n"
                     "  ws_public_url: ws://" + url + "/public\n"
                     "  ws_market_url: ws://" + url + "/market\n"
                     "  ws_private_url: ws://" + url + "/private\n"
                     "  api_key_env: SIM_API_KEY\n"
                     "  api_secret_env: SIM_API_SECRET\n"
                     "market:\n  source: exchange\n  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]\n"
                     "real_trading:\n  enabled: true\n  stake_usd: 200.0\n  max_positions: 3\n  leverage: 3\n"
                     "opportunities:\n  strategy: none\n");
    {
        http_answer s;
        eventually([&] {
            s = d.post(real + "start");
            return s.status == 200;
        },
                   15000ms);
        INFO(s.body);
        REQUIRE(s.status == 200);
    }

    SECTION("kill at every step; the exchange moves while the daemon is down") {
        // 1. Right after the open request is acknowledged: entry sent, TP/SL maybe not.
        const std::string btc = real_open(d, sim, "BTCUSDT", "LONG", "95000");
        d.kill9();
        d.restart();
        check_protected(sim, "after a kill right after the open of " + btc);
        wait_open_protected(d, btc);

        // 2. TP/SL in flight: the first algo order's answer is held 3 s, kill meanwhile.
        sim.admin("POST", "/admin/fault", R"({"kind":"timeout","path":"/fapi/v1/algoOrder","count":1,"ms":3000})");
        const std::string eth = real_open(d, sim, "ETHUSDT", "SHORT", "3500");
        const bool sent = eventually([&] {
            const json::object st = sim.state();
            for (const auto& e : st.at("orderLog").as_array())
                if (str(e.at("clientId")).rfind(eth, 0) == 0 && str(e.at("fault")).find("timeout") != std::string::npos)
                    return true;
            return false;
        },
                                     10000ms);
        CHECK(sent);
        std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, 1500)));
        d.kill9();
        d.restart();
        check_protected(sim, "after a kill with TP/SL of " + eth + " in flight");
        wait_open_protected(d, eth);

        // 3. TP hit while down.
        const double btc_tp = num(real_position(d, btc).at("tp_price"));
        REQUIRE(btc_tp > 95000);
        d.kill9();
        sim.price("BTCUSDT", fmt_price(btc_tp + 50));
        CHECK(eventually([&] { return !has_position(sim.state(), "BTCUSDT"); }, 10000ms));
        sim.price("BTCUSDT", fmt_price(btc_tp + 40));  // the market keeps moving
        d.restart();
        CHECK(wait_trade(d, btc) == "TAKE_PROFIT");
        CHECK(eventually([&] { return open_algos(sim.state(), "BTCUSDT") == 0; }, 10000ms));

        // 4. Closed by hand on the exchange while down.
        d.kill9();
        sim.admin("POST", "/admin/close-position", R"({"symbol":"ETHUSDT"})");
        d.restart();
        CHECK(wait_trade(d, eth) == "EXTERNAL");
        CHECK(eventually([&] { return open_algos(sim.state(), "ETHUSDT") == 0; }, 10000ms));
        check_protected(sim, "after the closes made while down");

        // 5. During a close.
        const std::string sol = real_open(d, sim, "SOLUSDT", "LONG", "200");
        wait_open_protected(d, sol);
        {
            const unsigned short port = d.port();
            const std::string token = d.token();
            std::thread client([port, token, sol] { http("POST", port, real + "close-position/" + sol, "", token); });
            std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, 10)));
            d.kill9();
            client.join();
        }
        d.restart();
        check_protected(sim, "after a kill during the close of " + sol);
        // Either the close went through (MANUAL, flat) or the position is still protected; finish it.
        auto c = d.post(real + "close-position/" + sol);
        INFO(c.body);
        CHECK(c.status == 200);
        CHECK(wait_trade(d, sol) == "MANUAL");
        CHECK(eventually([&] { return !has_position(sim.state(), "SOLUSDT"); }, 10000ms));

        // 6. During an emergency stop.
        const std::string btc2 = real_open(d, sim, "BTCUSDT", "SHORT", "95000");
        const std::string eth2 = real_open(d, sim, "ETHUSDT", "LONG", "3500");
        wait_open_protected(d, btc2);
        wait_open_protected(d, eth2);
        bool acked = false;
        {
            const unsigned short port = d.port();
            const std::string token = d.token();
            std::thread client([&acked, port, token] {
                acked = http("POST", port, real + "emergency-stop", "", token).status == 200;
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, 10)));
            d.kill9();
            client.join();
        }
        d.restart();
        check_protected(sim, "after a kill during an emergency stop");
        if (acked) CHECK(d.data(real + "status").at("emergency_stopped").as_bool());
        auto em = d.post(real + "emergency-stop");
        INFO(em.body);
        CHECK(em.status == 200);
        CHECK(eventually([&] {
            const auto st = sim.state();
            return !has_position(st, "BTCUSDT") && !has_position(st, "ETHUSDT");
        },
                         15000ms));
        for (const auto& id : {btc2, eth2}) {
            INFO(id);
            CHECK(wait_trade(d, id) == "EMERGENCY");
        }
        d.restart();
        CHECK(d.data(real + "status").at("emergency_stopped").as_bool());
        CHECK(d.data(real + "positions").as_array().empty());

        check_real_trades_unique(d);
        check_order_log(sim);
    }
}
