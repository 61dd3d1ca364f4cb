// The Binance port's I/O-free rules (exchange/binance/port_logic.*): what reaches the engine for
// each thing the exchange says about our orders, fed by hand, event by event; and where the API
// credentials come from.

#include "exchange/binance/port_logic.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace bn = traded::binance;
namespace eng = traded::engine;
using traded::decimal;
using traded::binance::logic::credentials;
using traded::binance::logic::fill_trade_id;
using traded::binance::logic::load_credentials;
using traded::binance::logic::order_tracker;
using traded::binance::logic::parse_credentials_text;

namespace {

decimal d(const char* s) { return *decimal::parse(s); }

const std::string entry_id = "live_1700000000000_BTCUSDT-E";
const std::string tp_id = "live_1700000000000_BTCUSDT-TP";
const std::string sl_id = "live_1700000000000_BTCUSDT-SL";

bn::order_info order(const std::string& cid, std::int64_t id, const char* status, const char* executed) {
    bn::order_info o;
    o.symbol = "BTCUSDT";
    o.order_id = id;
    o.client_order_id = cid;
    o.status = status;
    o.state = bn::to_order_status(status);
    o.executed_qty = d(executed);
    o.orig_qty = d("0.002");
    return o;
}

bn::order_trade_update trade_update(const std::string& cid, std::int64_t order_id, std::int64_t trade_id,
                                    const char* qty, const char* price, const char* status, const char* cum) {
    bn::order_trade_update u;
    u.symbol = "BTCUSDT";
    u.client_order_id = cid;
    u.order_id = order_id;
    u.trade_id = trade_id;
    u.execution_type = "TRADE";
    u.order_status = status;
    u.last_filled_qty = d(qty);
    u.last_filled_price = d(price);
    u.cum_filled_qty = d(cum);
    u.commission = d("0.04");
    u.commission_asset = "USDT";
    return u;
}

bn::algo_update algo(const std::string& caid, std::int64_t aid, bn::algo_status st, const char* actual = "",
                     const char* executed = "0") {
    bn::algo_update a;
    a.client_algo_id = caid;
    a.algo_id = aid;
    a.symbol = "BTCUSDT";
    a.status = st;
    a.status_text = std::string(bn::to_string(st));
    a.qty = d("0.002");
    a.actual_order_id = actual;
    a.executed_qty = d(executed);
    return a;
}

bn::user_trade user_trade(std::int64_t id, std::int64_t order_id, const char* qty, const char* price) {
    bn::user_trade t;
    t.id = id;
    t.order_id = order_id;
    t.symbol = "BTCUSDT";
    t.qty = d(qty);
    t.price = d(price);
    t.commission = d("0.02");
    t.commission_asset = "USDT";
    return t;
}

template <class T>
std::vector<T> all_of(const order_tracker::output& out) {
    std::vector<T> v;
    for (const auto& e : out.events)
        if (const auto* x = std::get_if<T>(&e)) v.push_back(*x);
    return v;
}

}  // namespace

TEST_CASE("a market order's fill reaches the engine once, whether the stream or REST reports it") {
    order_tracker t;
    t.begin(entry_id, "BTCUSDT", false, d("0.002"));

    // RESULT answer: FILLED, but no trade ids in it: the fills must be fetched (or streamed).
    auto placed = t.on_order_info(order(entry_id, 10, "FILLED", "0.002"));
    REQUIRE(all_of<eng::order_accepted>(placed).size() == 1);
    CHECK(all_of<eng::order_fill>(placed).empty());
    CHECK(placed.need_trades == std::vector<std::string>{entry_id});

    auto streamed = t.on_order_update(trade_update(entry_id, 10, 5, "0.002", "50000.1", "FILLED", "0.002"), 1);
    auto fills = all_of<eng::order_fill>(streamed);
    REQUIRE(fills.size() == 1);
    CHECK(fills[0].client_id == entry_id);
    CHECK(fills[0].trade_id == "BTCUSDT:5");
    CHECK(fills[0].qty == d("0.002"));
    CHECK(fills[0].price == d("50000.1"));
    CHECK(fills[0].fee == d("0.04"));
    CHECK(fills[0].order_done);

    // The same trade from GET userTrades, and the stream redelivering it: nothing new.
    CHECK(t.on_trades(entry_id, {user_trade(5, 10, "0.002", "50000.1")}).events.empty());
    CHECK(t.on_order_update(trade_update(entry_id, 10, 5, "0.002", "50000.1", "FILLED", "0.002"), 2).events.empty());
}

TEST_CASE("fills fetched over REST end the order when the exchange said it was filled") {
    order_tracker t;
    t.begin(entry_id, "BTCUSDT", false, d("0.002"));
    t.on_order_info(order(entry_id, 10, "FILLED", "0.002"));
    auto out = t.on_trades(entry_id, {user_trade(7, 10, "0.0015", "100"), user_trade(6, 10, "0.0005", "99")});
    auto fills = all_of<eng::order_fill>(out);
    REQUIRE(fills.size() == 2);
    CHECK(fills[0].trade_id == "BTCUSDT:6");  // in trade order
    CHECK_FALSE(fills[0].order_done);
    CHECK(fills[1].order_done);
    CHECK(all_of<eng::order_canceled>(out).empty());
}

TEST_CASE("an order that expired after a partial fill ends only after that fill was delivered") {
    order_tracker t;
    t.begin(entry_id, "BTCUSDT", false, d("0.002"));
    auto answer = t.on_order_info(order(entry_id, 10, "EXPIRED", "0.001"));
    CHECK(all_of<eng::order_canceled>(answer).empty());  // the fill is not known yet
    CHECK(answer.need_trades == std::vector<std::string>{entry_id});

    auto out = t.on_trades(entry_id, {user_trade(9, 10, "0.001", "100")});
    REQUIRE(out.events.size() == 2);
    CHECK(std::holds_alternative<eng::order_fill>(out.events[0]));
    CHECK(std::holds_alternative<eng::order_canceled>(out.events[1]));
}

TEST_CASE("a triggered take-profit's fills are reported under the algo order's client id") {
    order_tracker t;
    t.begin(tp_id, "BTCUSDT", true, d("0.002"));
    auto acc = t.on_algo_info([] {
        bn::algo_order_info a;
        a.algo_id = 500;
        a.client_algo_id = tp_id;
        a.symbol = "BTCUSDT";
        a.status = bn::algo_status::new_;
        a.quantity = d("0.002");
        return a;
    }());
    REQUIRE(all_of<eng::order_accepted>(acc).size() == 1);
    CHECK(all_of<eng::order_accepted>(acc)[0].exchange_id == "500");

    SECTION("child fill after the ALGO_UPDATE that names the child") {
        CHECK(t.on_algo_update(algo(tp_id, 500, bn::algo_status::triggered, "9001")).events.empty());
        auto out = t.on_order_update(trade_update("exchange-generated-1", 9001, 77, "0.002", "51000", "FILLED", "0.002"), 1);
        auto fills = all_of<eng::order_fill>(out);
        REQUIRE(fills.size() == 1);
        CHECK(fills[0].client_id == tp_id);
        CHECK(fills[0].exchange_id == "500");
        CHECK(fills[0].order_done);
    }
    SECTION("child fill before the ALGO_UPDATE (reordered): held, then delivered") {
        auto early = t.on_order_update(trade_update("exchange-generated-1", 9001, 77, "0.002", "51000", "FILLED", "0.002"), 1);
        CHECK(early.events.empty());
        auto out = t.on_algo_update(algo(tp_id, 500, bn::algo_status::finished, "9001", "0.002"));
        auto fills = all_of<eng::order_fill>(out);
        REQUIRE(fills.size() == 1);
        CHECK(fills[0].client_id == tp_id);
        CHECK(all_of<eng::order_canceled>(out).empty());  // it filled: no cancel after it
    }
    SECTION("FINISHED reported before the child fill: the end waits for the trades") {
        auto out = t.on_algo_update(algo(tp_id, 500, bn::algo_status::finished, "9001", "0.002"));
        CHECK(out.events.empty());
        CHECK(out.need_trades == std::vector<std::string>{tp_id});
        auto fetched = t.on_trades(tp_id, {user_trade(77, 9001, "0.002", "51000")});
        auto fills = all_of<eng::order_fill>(fetched);
        REQUIRE(fills.size() == 1);
        CHECK(fills[0].client_id == tp_id);
        CHECK(fills[0].order_done);
        CHECK(all_of<eng::order_canceled>(fetched).empty());
    }
}

TEST_CASE("events of an earlier incarnation of a client id never end the re-placed order") {
    order_tracker t;
    t.begin(sl_id, "BTCUSDT", true, d("0.002"));
    t.on_algo_update(algo(sl_id, 100, bn::algo_status::new_));
    // Canceled elsewhere, reported, and the engine places it again with the same client id.
    auto canceled = t.on_algo_update(algo(sl_id, 100, bn::algo_status::canceled));
    REQUIRE(all_of<eng::order_canceled>(canceled).size() == 1);
    t.begin(sl_id, "BTCUSDT", true, d("0.002"));

    // A duplicate of the old CANCELED arrives late: it must not cancel the new stop.
    CHECK(t.on_algo_update(algo(sl_id, 100, bn::algo_status::canceled)).events.empty());
    auto acc = t.on_algo_update(algo(sl_id, 200, bn::algo_status::new_));
    REQUIRE(all_of<eng::order_accepted>(acc).size() == 1);
    CHECK(all_of<eng::order_accepted>(acc)[0].exchange_id == "200");
    CHECK(t.on_algo_update(algo(sl_id, 100, bn::algo_status::expired)).events.empty());
    REQUIRE(t.find(sl_id) != nullptr);
    CHECK_FALSE(t.find(sl_id)->final_sent);
}

TEST_CASE("the end of an order is delivered once, however often it is reported") {
    order_tracker t;
    t.begin(sl_id, "BTCUSDT", true, d("0.002"));
    t.on_algo_update(algo(sl_id, 100, bn::algo_status::new_));
    CHECK(all_of<eng::order_canceled>(t.on_gone(sl_id)).size() == 1);
    CHECK(t.on_gone(sl_id).events.empty());
    CHECK(t.on_algo_update(algo(sl_id, 100, bn::algo_status::canceled)).events.empty());
    CHECK(t.on_rejected(sl_id, -2011, "Unknown order sent.").events.empty());
}

TEST_CASE("a refused placement is one order_rejected with the exchange's code") {
    order_tracker t;
    t.begin(tp_id, "BTCUSDT", true, d("0.002"));
    auto out = t.on_rejected(tp_id, -2021, "Order would immediately trigger.");
    auto rej = all_of<eng::order_rejected>(out);
    REQUIRE(rej.size() == 1);
    CHECK(rej[0].code == -2021);
    CHECK(t.on_rejected(tp_id, -2021, "again").events.empty());
}

TEST_CASE("fills of orders that are not ours reach the engine as external fills with the exchange's numbers") {
    order_tracker t;
    SECTION("a liquidation or ADL fill is recorded at once") {
        auto liq = trade_update("autoclose-123", 43, 2, "0.002", "48000", "FILLED", "0.002");
        liq.execution_type = "CALCULATED";
        auto out = t.on_order_update(liq, 1000);
        auto ext = all_of<eng::external_fill>(out);
        REQUIRE(ext.size() == 1);
        CHECK(ext[0].symbol == "BTCUSDT");
        CHECK(ext[0].trade_id == "BTCUSDT:2");
        CHECK(ext[0].exchange_id == "43");
        CHECK(ext[0].qty == d("0.002"));
        CHECK(ext[0].price == d("48000"));
        CHECK(ext[0].fee == d("0.04"));
        CHECK(ext[0].side == eng::order_side::sell);  // trade_update's side defaults to empty: not BUY
        CHECK(all_of<eng::external_fill>(t.on_order_update(trade_update("adl_autoclose", 44, 3, "1", "10", "FILLED", "1"), 1000)).size() == 1);
        CHECK(t.held_fill_symbols().empty());
    }
    SECTION("a manual (web) close is held for a possible ALGO_UPDATE, then recorded") {
        auto u = trade_update("web_manual_1", 42, 1, "0.002", "49900", "FILLED", "0.002");
        u.side = "SELL";
        CHECK(t.on_order_update(u, 1000).events.empty());
        CHECK(t.held_fill_symbols() == std::set<std::string>{"BTCUSDT"});
        CHECK(t.release_foreign(1000 + 399, 400).events.empty());  // still within the hold
        auto out = t.release_foreign(1000 + 400, 400);
        auto ext = all_of<eng::external_fill>(out);
        REQUIRE(ext.size() == 1);
        CHECK(ext[0].price == d("49900"));
        CHECK(ext[0].side == eng::order_side::sell);
        CHECK(t.held_fill_symbols().empty());
        CHECK(t.release_foreign(5000, 400).events.empty());  // once
    }
    SECTION("a held fill claimed by our algo order within the hold is our TP, not a foreign close") {
        t.begin(tp_id, "BTCUSDT", true, d("0.002"));
        CHECK(t.unresolved_algos("BTCUSDT") == std::vector<std::string>{tp_id});
        CHECK(t.on_order_update(trade_update("exchange-generated-1", 9001, 77, "0.002", "51000", "FILLED", "0.002"), 1000)
                  .events.empty());
        auto out = t.on_algo_update(algo(tp_id, 500, bn::algo_status::finished, "9001", "0.002"));
        REQUIRE(all_of<eng::order_fill>(out).size() == 1);
        CHECK(t.release_foreign(5000, 400).events.empty());
        CHECK(t.unresolved_algos("BTCUSDT").empty());
    }
    SECTION("updates without a fill are never delivered and expire") {
        auto u = trade_update("web_manual_2", 45, 0, "0", "0", "NEW", "0");
        u.execution_type = "NEW";
        CHECK(t.on_order_update(u, 1000).events.empty());
        CHECK(t.release_foreign(9000, 400).events.empty());
        CHECK(t.expire_orphans(1000 + 120'001, 120'000) == 1);
    }
    CHECK(t.on_order_info(order("paper_1_BTCUSDT-E", 1, "FILLED", "1")).events.empty());
}

TEST_CASE("BNB commissions are converted at the BNB price once it is known") {
    order_tracker t;
    CHECK(t.usdt_fee("USDT", d("0.08")) == d("0.08"));
    CHECK(t.usdt_fee("", d("0.08")) == d("0.08"));
    CHECK(t.usdt_fee("BNB", d("0.0002")) == decimal{});
    CHECK(t.missing_fee_assets() == std::set<std::string>{"BNB"});
    t.set_fee_price("BNB", d("600"));
    CHECK(t.missing_fee_assets().empty());
    CHECK(t.usdt_fee("BNB", d("0.0002")) == d("0.12"));
}

TEST_CASE("trades a userTrades lookup finds: only those of orders not ours, since the position opened") {
    using traded::binance::logic::foreign_trades;
    auto fee = [](const std::string& asset, decimal n) {
        return traded::binance::logic::fee_paid{asset == "BNB" ? n * d("500") : n, asset, n};
    };
    auto entry = user_trade(10, 100, "0.002", "50000");
    entry.side = "BUY";
    entry.time = 5'000;
    auto before = user_trade(9, 99, "0.002", "49000");
    before.side = "SELL";
    before.time = 1'000;  // before the position opened
    auto manual1 = user_trade(12, 300, "0.001", "50100");
    manual1.side = "SELL";
    manual1.time = 9'000;
    auto manual2 = user_trade(11, 300, "0.001", "50200");
    manual2.side = "SELL";
    manual2.time = 9'000;
    manual2.commission_asset = "BNB";
    manual2.commission = d("0.00004");
    auto out = foreign_trades({manual1, entry, before, manual2}, {100}, 4'000, fee);
    REQUIRE(out.size() == 2);
    CHECK(out[0].trade_id == "BTCUSDT:11");  // in trade order
    CHECK(out[0].fee == d("0.02"));
    CHECK(out[0].fee_asset == "BNB");  // the raw commission travels with the converted one
    CHECK(out[0].fee_amount == d("0.00004"));
    CHECK(out[0].price == d("50200"));
    CHECK(out[1].trade_id == "BTCUSDT:12");
    CHECK(out[1].side == eng::order_side::sell);
    CHECK(out[1].exchange_id == "300");
    CHECK(foreign_trades({entry}, {100}, 0, fee).empty());
}

TEST_CASE("an order of ours unknown to this process (placed before a restart) is adopted") {
    order_tracker t;
    auto out = t.on_order_update(trade_update(entry_id, 10, 5, "0.002", "50000", "FILLED", "0.002"), 1);
    auto fills = all_of<eng::order_fill>(out);
    REQUIRE(fills.size() == 1);
    CHECK(fills[0].client_id == entry_id);
}

TEST_CASE("trade ids are unique across symbols") {
    CHECK(fill_trade_id("BTCUSDT", 12) != fill_trade_id("ETHUSDT", 12));
    CHECK(fill_trade_id("BTCUSDT", 12) == "BTCUSDT:12");
}

TEST_CASE("credentials come from the environment variables the config names") {
    traded::config::exchange_config cfg;
    cfg.api_key_env = "K";
    cfg.api_secret_env = "S";
    std::map<std::string, std::string> env{{"K", "key123"}, {"S", "secret456"}};
    auto reader = [&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    auto c = load_credentials(cfg, reader);
    REQUIRE(c.ok());
    CHECK(c.api_key == "key123");
    CHECK(c.api_secret == "secret456");

    env.erase("S");
    auto missing = load_credentials(cfg, reader);
    CHECK(missing.code == "MISSING_CREDENTIALS");
    CHECK(missing.message.find("S") != std::string::npos);
    CHECK(missing.message.find("key123") == std::string::npos);  // never a secret in a message
}

TEST_CASE("a credentials file must be private and well formed") {
    auto c = parse_credentials_text("# test account\napi_key: \"abc\"  # comment\napi_secret: 'd e f'\n", "f.yaml");
    REQUIRE(c.ok());
    CHECK(c.api_key == "abc");
    CHECK(c.api_secret == "d e f");
    CHECK(parse_credentials_text("api_key: abc\n", "f.yaml").code == "MISSING_CREDENTIALS");
    CHECK(parse_credentials_text("api_key: abc\napi_secret: x\npassword: y\n", "f.yaml").code ==
          "CREDENTIALS_FILE_INVALID");
    // Issue 10: a secret pasted without its key (or with a typo) is never quoted back.
    for (const char* text : {"api_key: k\nAbCdEfSeCrEt0123:xyz\n", "api_secret AbCdEfSeCrEt0123: x\n",
                             "api_key: k\nAbCdEfSeCrEt0123: \"unterminated\n"}) {
        auto bad = parse_credentials_text(text, "f.yaml");
        INFO(bad.message);
        CHECK(bad.code == "CREDENTIALS_FILE_INVALID");
        CHECK(bad.message.find("AbCdEfSeCrEt0123") == std::string::npos);
        CHECK(bad.message.find("f.yaml:") == 0);
    }

    char path[] = "/tmp/traded_creds_XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    {
        std::ofstream f(path);
        f << "api_key: k\napi_secret: s\n";
    }
    traded::config::exchange_config cfg;
    cfg.credentials_file = path;
    auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    ::chmod(path, 0644);
    auto open = load_credentials(cfg, no_env);
    CHECK(open.code == "CREDENTIALS_FILE_INSECURE");
    CHECK(open.api_secret.empty());
    ::chmod(path, 0600);
    auto ok = load_credentials(cfg, no_env);
    CHECK(ok.ok());
    CHECK(ok.api_key == "k");
    ::close(fd);
    std::remove(path);
}

TEST_CASE("systemd credentials: $CREDENTIALS_DIRECTORY/binance before the environment, after an explicit file") {
    char dir[] = "/tmp/traded_credsdir_XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string file = std::string(dir) + "/binance";
    {
        std::ofstream f(file);
        f << "api_key: from-credential\napi_secret: credential-secret\n";
    }
    ::chmod(file.c_str(), 0400);
    traded::config::exchange_config cfg;
    cfg.api_key_env = "K";
    cfg.api_secret_env = "S";
    std::map<std::string, std::string> env{{"K", "from-env"}, {"S", "env-secret"}, {"CREDENTIALS_DIRECTORY", dir}};
    auto reader = [&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    auto c = load_credentials(cfg, reader);
    REQUIRE(c.ok());
    CHECK(c.api_key == "from-credential");
    CHECK(c.source == "systemd credential binance");

    // No `binance` credential in the directory: the environment as before.
    std::remove(file.c_str());
    auto e = load_credentials(cfg, reader);
    REQUIRE(e.ok());
    CHECK(e.api_key == "from-env");

    // A malformed credential is an error naming the file, never falling back silently.
    {
        std::ofstream f(file);
        f << "api_key: only-a-key\n";
    }
    auto bad = load_credentials(cfg, reader);
    CHECK(bad.code == "MISSING_CREDENTIALS");
    CHECK(bad.message.find(file) != std::string::npos);
    std::remove(file.c_str());
    ::rmdir(dir);
}

// ---------------------------------------------------------------------------------------------
// Orders whose outcome is unknown (issue 13)
// ---------------------------------------------------------------------------------------------

TEST_CASE("not found is final only after recvWindow, the clock offset and a margin have passed since the write") {
    using namespace traded::binance::logic;
    CHECK(not_found_final_at(10'000, 5'000, 0) == 10'000 + 5'000 + not_found_margin_ms);
    // The offset counts whichever way the clocks differ: its error is unknown.
    CHECK(not_found_final_at(10'000, 5'000, 300) == 10'000 + 5'000 + 300 + not_found_margin_ms);
    CHECK(not_found_final_at(10'000, 5'000, -300) == 10'000 + 5'000 + 300 + not_found_margin_ms);
    CHECK(not_found_final_at(10'000, 5'000, 0, 0) == 15'000);
    // Known only from the store: the entry may have been written up to entry_write_bound_ms after
    // the engine decided it.
    CHECK(entry_not_found_final_at(10'000, 5'000, 200) == not_found_final_at(10'000 + entry_write_bound_ms, 5'000, 200));
    CHECK(entry_write_bound_ms >= 3'000);  // the entry's max_wait in the port
}

namespace {

eng::position failed_position(const std::string& id, const std::string& symbol, eng::side s, std::int64_t opened_at) {
    eng::position p;
    p.position_id = id;
    p.symbol = symbol;
    p.pos_side = s;
    p.status = eng::position_status::failed;
    p.opened_at = opened_at;
    return p;
}

}  // namespace

TEST_CASE("revival candidates: FAILED entries of ours that can explain an exchange position nothing owns") {
    using namespace traded::binance::logic;
    const std::int64_t now = 1'700'000'100'000;
    const std::int64_t day = 86'400'000;
    std::map<std::string, eng::position> positions;
    std::map<std::string, eng::order_record> orders;
    auto add = [&](eng::position p) { positions[p.position_id] = p; };
    add(failed_position("live_1700000000000_ETHUSDT", "ETHUSDT", eng::side::short_side, 1'700'000'000'000));
    add(failed_position("live_1700000050000_ETHUSDT", "ETHUSDT", eng::side::short_side, 1'700'000'050'000));
    add(failed_position("live_1700000060000_ETHUSDT", "ETHUSDT", eng::side::long_side, 1'700'000'060'000));  // wrong side
    add(failed_position("live_1600000000000_ETHUSDT", "ETHUSDT", eng::side::short_side, 1'600'000'000'000));  // too old
    add(failed_position("live_1700000070000_SOLUSDT", "SOLUSDT", eng::side::long_side, 1'700'000'070'000));
    eng::position open_btc = failed_position("live_1700000080000_BTCUSDT", "BTCUSDT", eng::side::long_side, 1'700'000'080'000);
    add(open_btc);
    eng::position live_btc = open_btc;
    live_btc.position_id = "live_1700000090000_BTCUSDT";
    live_btc.status = eng::position_status::open;
    add(live_btc);

    const std::vector<exchange_amount> exchange{
        {"ETHUSDT", d("-0.066")},
        {"BTCUSDT", d("0.004")},  // a live position of ours owns it: nothing to revive
    };
    auto c = revive_candidates(exchange, positions, orders, now, day);
    // Most recent first; the short side only; not the one older than a day; nothing for SOLUSDT
    // (flat on the exchange) or BTCUSDT (owned).
    REQUIRE(c.size() == 2);
    CHECK(c[0] == "live_1700000050000_ETHUSDT-E");
    CHECK(c[1] == "live_1700000000000_ETHUSDT-E");

    // An entry whose fill the engine saw is not a candidate (that fill would have opened it).
    eng::order_record o;
    o.client_id = "live_1700000050000_ETHUSDT-E";
    o.filled_qty = d("0.066");
    orders[o.client_id] = o;
    c = revive_candidates(exchange, positions, orders, now, day);
    REQUIRE(c.size() == 1);
    CHECK(c[0] == "live_1700000000000_ETHUSDT-E");

    // No exchange position: nothing to look up.
    CHECK(revive_candidates({}, positions, orders, now, day).empty());
}

TEST_CASE("a fill for an entry already reported rejected still reaches the engine (it revives the position)") {
    // While running: the entry was given up on (not found after its window, or refused after a
    // lost answer); the exchange executed it anyway and the user-data stream reports the fill.
    order_tracker t;
    t.begin(entry_id, "BTCUSDT", false, d("0.002"));
    REQUIRE(all_of<eng::order_rejected>(t.on_rejected(entry_id, -2013, "not found")).size() == 1);
    auto out = t.on_order_update(trade_update(entry_id, 10, 5, "0.002", "50000", "FILLED", "0.002"), 1);
    auto fills = all_of<eng::order_fill>(out);
    REQUIRE(fills.size() == 1);
    CHECK(fills[0].client_id == entry_id);
    CHECK(fills[0].qty == d("0.002"));
    CHECK(all_of<eng::order_rejected>(out).empty());
    // Redelivered: once only.
    CHECK(all_of<eng::order_fill>(t.on_order_update(trade_update(entry_id, 10, 5, "0.002", "50000", "FILLED", "0.002"), 2))
              .empty());
    // The same through a REST trade list after a lookup (reconciliation's revival path).
    order_tracker r;
    r.begin(entry_id, "BTCUSDT", false, d("0.002"));
    r.on_rejected(entry_id, -2013, "not found");
    r.on_order_info(order(entry_id, 10, "FILLED", "0.002"));
    auto fetched = all_of<eng::order_fill>(r.on_trades(entry_id, {user_trade(5, 10, "0.002", "50000")}));
    REQUIRE(fetched.size() == 1);
    CHECK(fetched[0].qty == d("0.002"));
}

TEST_CASE("a ban never closes a protected position: only a position with no stop resting escalates") {
    using traded::binance::logic::ban_verdict;
    using traded::binance::logic::on_ban;
    const std::string pid = "live_1700000000000_BTCUSDT";
    std::map<std::string, eng::position> positions;
    positions[pid].position_id = pid;
    positions[pid].status = eng::position_status::open;
    std::map<std::string, eng::order_record> orders;
    auto add = [&](const std::string& suffix, eng::order_kind kind, eng::order_status st) {
        auto& o = orders[pid + suffix];
        o.client_id = pid + suffix;
        o.position_id = pid;
        o.kind = kind;
        o.status = st;
    };
    add("-E", eng::order_kind::entry, eng::order_status::filled);
    add("-TP", eng::order_kind::take_profit, eng::order_status::pending);
    add("-SL", eng::order_kind::stop_loss, eng::order_status::accepted);
    CHECK(on_ban(pid + "-TP", positions, orders) == ban_verdict::wait);  // the SL rests
    CHECK(on_ban(pid + "-E", positions, orders) == ban_verdict::reject);
    orders[pid + "-X"] = orders[pid + "-TP"];
    orders[pid + "-X"].kind = eng::order_kind::close;
    CHECK(on_ban(pid + "-X", positions, orders) == ban_verdict::wait);  // a close is never given up
    add("-FL", eng::order_kind::floor_stop, eng::order_status::pending);
    CHECK(on_ban(pid + "-FL", positions, orders) == ban_verdict::wait);  // the old stop still rests
    orders[pid + "-SL"].status = eng::order_status::pending;  // the SL itself is waiting: no stop at all
    CHECK(on_ban(pid + "-SL", positions, orders) == ban_verdict::escalate);
    CHECK(on_ban(pid + "-TP", positions, orders) == ban_verdict::escalate);
    positions[pid].status = eng::position_status::closing;  // the close is in charge
    CHECK(on_ban(pid + "-SL", positions, orders) == ban_verdict::wait);
}

TEST_CASE("untracked: every symbol the account holds that no position of ours owns, traded by us or not") {
    using traded::binance::logic::untracked_positions;
    auto row = [](const char* symbol, const char* amount) {
        bn::position_row r;
        r.symbol = symbol;
        r.amount = d(amount);
        r.entry_price = d("10");
        return r;
    };
    std::map<std::string, eng::position> positions;
    auto& ours = positions["live_1_BTCUSDT"];
    ours.symbol = "BTCUSDT";
    ours.status = eng::position_status::open;
    auto& old = positions["live_1_ETHUSDT"];
    old.symbol = "ETHUSDT";
    old.status = eng::position_status::closed;
    old.updated_at = 1'000;
    const std::vector<bn::position_row> rows{row("BTCUSDT", "0.002"), row("ETHUSDT", "-1"), row("DOGEUSDT", "100"),
                                             row("SOLUSDT", "0")};
    auto u = untracked_positions(rows, positions, 60'000);
    REQUIRE(u.size() == 2);
    CHECK(u[0].symbol == "DOGEUSDT");  // not a symbol traded trades: still reported
    CHECK(u[0].amount == d("100"));
    CHECK(u[1].symbol == "ETHUSDT");
    CHECK(u[1].amount == d("-1"));
    // A reading older than our last change on the symbol cannot tell.
    CHECK(untracked_positions(rows, positions, 1'500).size() == 1);
}

TEST_CASE("client order ids stay within Binance's 36 characters for any symbol length") {
    for (const char* symbol : {"BTCUSDT", "1000000BABYDOGEUSDT", "AVERYVERYVERYLONGSYMBOLNAMEUSDT"}) {
        for (auto m : {eng::mode::real, eng::mode::paper}) {
            const std::string pid = eng::make_position_id(m, 1796659102819, symbol);
            for (auto k : {eng::order_kind::entry, eng::order_kind::take_profit, eng::order_kind::stop_loss,
                           eng::order_kind::floor_stop, eng::order_kind::close}) {
                const std::string cid = eng::client_order_id(pid, k);
                INFO(cid);
                CHECK(cid.size() <= 36);
                auto split = eng::split_client_order_id(cid);
                REQUIRE(split);
                CHECK(split->first == pid);
                CHECK(split->second == k);
            }
        }
    }
    CHECK(eng::make_position_id(eng::mode::real, 1796659102819, "BTCUSDT") == "live_1796659102819_BTCUSDT");
}
