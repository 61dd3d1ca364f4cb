// The hub and the send queue without sockets: fake subscribers record what they are given.

#include "api/hub.hpp"
#include "api/views.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace traded;
using namespace traded::api;
namespace json = boost::json;
using engine::channel;
using engine::mode;

namespace {

struct fake_backend : backend {
    int snapshots = 0;
    bool broken = false;
    reply execute(const command&) override { return reply::ok(nullptr); }
    std::string snapshot(channel ch, mode m) override {
        if (broken) throw std::runtime_error("backend bug");
        ++snapshots;
        return R"({"state_of":")" + std::string(engine::to_string(ch)) + "/" + std::string(engine::to_string(m)) +
               R"("})";
    }
    std::string metrics_text() override { return {}; }
};

struct recorder : subscriber {
    std::vector<json::value> got;
    std::function<void(recorder&)> on_deliver;
    void deliver(const std::shared_ptr<const std::string>& msg, std::string_view) override {
        got.push_back(json::parse(*msg));
        if (on_deliver) on_deliver(*this);
    }
    std::vector<std::int64_t> event_seqs() const {
        std::vector<std::int64_t> out;
        for (const auto& g : got)
            if (g.at("type") == "event") out.push_back(g.at("seq").as_int64());
        return out;
    }
    std::size_t snapshots() const {
        std::size_t n = 0;
        for (const auto& g : got) n += g.at("type") == "snapshot";
        return n;
    }
};

std::string payload(int i) { return R"({"i":)" + std::to_string(i) + "}"; }

std::shared_ptr<const std::string> text(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

}  // namespace

TEST_CASE("hub: snapshot on subscribe, then events of the subscribed channels only", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be);
    h.set_last_seq(mode::paper, 41);
    auto r = std::make_shared<recorder>();
    auto id = h.attach(r);
    h.subscribe(id, {channel::positions, channel::trades}, {mode::paper}, {});
    REQUIRE(r->got.size() == 2);
    CHECK(r->got[0].at("type") == "snapshot");
    CHECK(r->got[0].at("channel") == "positions");
    CHECK(r->got[0].at("mode") == "paper-trading");
    CHECK(r->got[0].at("seq").as_int64() == 41);
    CHECK(r->got[0].at("data").at("state_of") == "positions/paper-trading");
    CHECK(r->got[1].at("channel") == "trades");

    h.publish(mode::paper, channel::positions, "position_opened", 42, 1000, payload(1));
    h.publish(mode::paper, channel::safety, "safety_changed", 43, 1001, payload(2));        // not subscribed
    h.publish(mode::real, channel::positions, "position_opened", 7, 1002, payload(3));      // other mode
    h.publish(mode::paper, channel::trades, "trade_recorded", 44, 1003, payload(4));
    ioc.run();
    REQUIRE(r->got.size() == 4);
    const auto& ev = r->got[2].as_object();
    CHECK(ev.at("type") == "event");
    CHECK(ev.at("channel") == "positions");
    CHECK(ev.at("mode") == "paper-trading");
    CHECK(ev.at("seq").as_int64() == 42);
    CHECK(ev.at("ts").as_int64() == 1000);
    CHECK(ev.at("event") == "position_opened");
    CHECK(ev.at("data").at("i").as_int64() == 1);
    CHECK(r->got[3].at("seq").as_int64() == 44);
    CHECK(h.last_seq(mode::paper) == 44);
    CHECK(h.last_seq(mode::real) == 7);

    h.unsubscribe(id, {channel::positions}, {mode::paper});
    h.publish(mode::paper, channel::positions, "position_updated", 45, 1004, payload(5));
    h.publish(mode::paper, channel::trades, "trade_recorded", 46, 1005, payload(6));
    ioc.restart();
    ioc.run();
    CHECK(r->event_seqs() == std::vector<std::int64_t>{42, 44, 46});
}

TEST_CASE("hub: fan-out runs in slices so other handlers interleave", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be, hub_options{100, 64});
    std::vector<std::shared_ptr<recorder>> subs;
    for (int i = 0; i < 1000; ++i) {
        subs.push_back(std::make_shared<recorder>());
        h.subscribe(h.attach(subs.back()), {channel::status}, {mode::real}, {});
    }
    for (auto& s : subs) s->got.clear();
    h.publish(mode::real, channel::status, "engine_started", 1, 1, payload(1));
    h.publish(mode::real, channel::status, "engine_stopped", 2, 2, payload(2));
    std::size_t delivered_when_control_ran = 0;
    boost::asio::post(ioc, [&] {  // a control request arriving during the broadcast
        for (auto& s : subs) delivered_when_control_ran += s->got.size();
    });
    ioc.run();
    CHECK(delivered_when_control_ran > 0);
    CHECK(delivered_when_control_ran < 2000);
    for (auto& s : subs) REQUIRE(s->event_seqs() == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("hub: since_seq replays held events, otherwise snapshots", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be, hub_options{5, 64});
    for (int i = 1; i <= 8; ++i)
        h.publish(mode::paper, i % 2 ? channel::positions : channel::trades, "x", i, i, payload(i));
    ioc.run();
    CHECK(h.log_size(mode::paper) == 5);  // seq 4..8 held

    auto resumed = std::make_shared<recorder>();
    h.subscribe(h.attach(resumed), {channel::positions}, {mode::paper}, {{mode::paper, 4}});
    CHECK(resumed->snapshots() == 0);
    CHECK(resumed->event_seqs() == std::vector<std::int64_t>{5, 7});  // positions only

    auto up_to_date = std::make_shared<recorder>();
    h.subscribe(h.attach(up_to_date), {channel::positions, channel::trades}, {mode::paper}, {{mode::paper, 8}});
    CHECK(up_to_date->got.empty());

    auto too_old = std::make_shared<recorder>();
    h.subscribe(h.attach(too_old), {channel::positions, channel::trades}, {mode::paper}, {{mode::paper, 2}});
    CHECK(too_old->snapshots() == 2);
    CHECK(too_old->event_seqs().empty());

    auto from_future = std::make_shared<recorder>();  // e.g. a seq from before a data reset
    h.subscribe(h.attach(from_future), {channel::positions}, {mode::paper}, {{mode::paper, 99}});
    CHECK(from_future->snapshots() == 1);

    // Everyone continues gap-free from where the resume/snapshot left off.
    h.publish(mode::paper, channel::positions, "x", 9, 9, payload(9));
    ioc.restart();
    ioc.run();
    CHECK(resumed->event_seqs() == std::vector<std::int64_t>{5, 7, 9});
    CHECK(up_to_date->event_seqs() == std::vector<std::int64_t>{9});
    CHECK(too_old->event_seqs() == std::vector<std::int64_t>{9});
}

TEST_CASE("hub: events still waiting for fan-out are not sent again after a snapshot", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be);
    auto early = std::make_shared<recorder>();
    h.subscribe(h.attach(early), {channel::positions}, {mode::paper}, {});
    for (int i = 1; i <= 3; ++i) h.publish(mode::paper, channel::positions, "x", i, i, payload(i));
    auto late = std::make_shared<recorder>();  // subscribes before the fan-out ran
    h.subscribe(h.attach(late), {channel::positions}, {mode::paper}, {});
    CHECK(late->got.back().at("seq").as_int64() == 3);  // its snapshot covers 1..3
    h.publish(mode::paper, channel::positions, "x", 4, 4, payload(4));
    ioc.run();
    CHECK(early->event_seqs() == std::vector<std::int64_t>{1, 2, 3, 4});
    CHECK(late->event_seqs() == std::vector<std::int64_t>{4});
}

TEST_CASE("hub: a subscriber detaching inside deliver does not disturb the others", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be, hub_options{100, 3});
    std::vector<std::shared_ptr<recorder>> subs;
    std::vector<hub::subscriber_id> ids;
    for (int i = 0; i < 10; ++i) {
        subs.push_back(std::make_shared<recorder>());
        ids.push_back(h.attach(subs.back()));
        h.subscribe(ids.back(), {channel::account}, {mode::real}, {});
    }
    subs[4]->on_deliver = [&](recorder& r) {
        if (r.event_seqs().size() == 2) h.detach(ids[4]);  // e.g. closed for overflow
    };
    subs[7].reset();  // a session that went away without detaching
    for (int i = 1; i <= 5; ++i) h.publish(mode::real, channel::account, "balance_updated", i, i, payload(i));
    ioc.run();
    for (int i = 0; i < 10; ++i) {
        if (i == 7) continue;
        INFO("subscriber " << i);
        if (i == 4)
            CHECK(subs[i]->event_seqs() == std::vector<std::int64_t>{1, 2});
        else
            CHECK(subs[i]->event_seqs() == std::vector<std::int64_t>{1, 2, 3, 4, 5});
    }
    CHECK(h.subscribers() == 8);
}

TEST_CASE("hub: position_updated carries a coalesce key per mode and position", "[hub]") {
    struct keyed : subscriber {
        std::vector<std::string> keys;
        void deliver(const std::shared_ptr<const std::string>&, std::string_view k) override { keys.emplace_back(k); }
    };
    boost::asio::io_context ioc;
    fake_backend be;
    hub h(ioc, be);
    auto k = std::make_shared<keyed>();
    h.subscribe(h.attach(k), {channel::positions}, {mode::paper}, {});
    k->keys.clear();
    const std::string upd = R"({"position_id":"paper_1_BTCUSDT"})";
    h.publish(mode::paper, channel::positions, "position_updated", 1, 1, upd, "paper_1_BTCUSDT");
    h.publish(mode::paper, channel::positions, "position_closed", 2, 2, upd, "paper_1_BTCUSDT");
    ioc.run();
    CHECK(k->keys == std::vector<std::string>{"paper-trading:paper_1_BTCUSDT", ""});
}

TEST_CASE("send_queue: order, coalescing, message and byte bounds", "[hub][queue]") {
    using clock = send_queue::clock;
    auto t0 = clock::now();
    send_queue q(queue_limits{4, 1000, std::chrono::milliseconds(2000), 2});
    CHECK(q.push(text("a"), {}, t0) == send_queue::verdict::ok);
    CHECK(q.push(text("u1"), "p1", t0) == send_queue::verdict::ok);
    CHECK(q.push(text("b"), {}, t0) == send_queue::verdict::ok);
    CHECK(q.push(text("u2"), "p1", t0) == send_queue::verdict::ok);  // replaces u1, goes after b
    CHECK(q.size() == 3);
    CHECK(q.coalesced() == 1);
    CHECK(*q.pop() == "a");
    CHECK(*q.pop() == "b");
    CHECK(*q.pop() == "u2");
    CHECK(q.pop() == nullptr);
    CHECK(q.bytes() == 0);

    // Once popped (in flight), an entry is no longer replaced: the next one queues normally.
    q.push(text("u3"), "p1", t0);
    CHECK(*q.pop() == "u3");
    q.push(text("u4"), "p1", t0);
    q.push(text("u5"), "p2", t0);
    CHECK(q.size() == 2);
    q.clear();
    CHECK(q.empty());

    // Over the bound briefly is fine; over for longer than the grace is an overflow.
    for (int i = 0; i < 5; ++i) CHECK(q.push(text("m"), {}, t0) == send_queue::verdict::ok);  // 5 > 4
    CHECK(q.push(text("m"), {}, t0 + std::chrono::milliseconds(1500)) == send_queue::verdict::ok);
    CHECK(q.push(text("m"), {}, t0 + std::chrono::milliseconds(2500)) == send_queue::verdict::overflow);
    q.clear();

    // Draining below the bound resets the clock.
    for (int i = 0; i < 5; ++i) q.push(text("m"), {}, t0);
    q.pop();
    q.pop();
    CHECK(q.push(text("m"), {}, t0 + std::chrono::milliseconds(2500)) == send_queue::verdict::ok);
    q.clear();

    // Hard bound (factor 2 -> 8 messages): at once.
    for (int i = 0; i < 8; ++i) CHECK(q.push(text("m"), {}, t0) == send_queue::verdict::ok);
    CHECK(q.push(text("m"), {}, t0) == send_queue::verdict::overflow);
    q.clear();

    // Bytes count too: 2 x 600 > 1000, then > 2000 hard.
    CHECK(q.push(text(std::string(600, 'x')), {}, t0) == send_queue::verdict::ok);
    CHECK(q.push(text(std::string(600, 'x')), {}, t0) == send_queue::verdict::ok);
    CHECK(q.bytes() == 1200);
    CHECK(q.push(text(std::string(900, 'x')), {}, t0) == send_queue::verdict::overflow);
}

TEST_CASE("hub: a throwing snapshot gives null data, not a dead server", "[hub]") {
    boost::asio::io_context ioc;
    fake_backend be;
    be.broken = true;
    hub h(ioc, be);
    auto r = std::make_shared<recorder>();
    h.subscribe(h.attach(r), {channel::account}, {mode::paper}, {});
    REQUIRE(r->got.size() == 1);
    CHECK(r->got[0].at("type") == "snapshot");
    CHECK(r->got[0].at("data").is_null());
}

TEST_CASE("hub: a position pushed and snapshotted keeps the decimal's exact text", "[hub][views]") {
    // The daemon renders the position with the views' writer; the hub must carry that text as is.
    engine::position p;
    p.position_id = "paper_1_BTCUSDT";
    p.symbol = "BTCUSDT";
    p.qty = *decimal::parse("123456789.12345679");  // 17 significant digits: a double keeps 16
    p.entry_price = *decimal::parse("1234567890.12345678");
    p.stake_usd = *decimal::parse("200");
    p.leverage = 3;
    p.pnl = *decimal::parse("2.0292");  // pnl_pct 3.0438 (3.0437999999999996 as doubles) -> 3.04
    std::string data;
    append_json(data, p);

    struct text_backend : fake_backend {
        std::string positions;
        std::string snapshot(channel, mode) override { return "[" + positions + "]"; }
    } be;
    be.positions = data;
    struct raw : subscriber {
        std::vector<std::string> got;
        std::vector<std::string> keys;
        void deliver(const std::shared_ptr<const std::string>& msg, std::string_view k) override {
            got.push_back(*msg);
            keys.emplace_back(k);
        }
    };
    boost::asio::io_context ioc;
    hub h(ioc, be);
    auto r = std::make_shared<raw>();
    h.subscribe(h.attach(r), {channel::positions}, {mode::paper}, {});
    h.publish(mode::paper, channel::positions, "position_updated", 1, 1, data, p.position_id);
    ioc.run();
    REQUIRE(r->got.size() == 2);
    for (const auto& m : r->got) {
        INFO(m);
        CHECK(m.find(R"("entry_price":1234567890.12345678,"qty":123456789.12345679,)") != std::string::npos);
        CHECK(m.find(R"("pnl_pct":3.04,)") != std::string::npos);
        CHECK_NOTHROW(json::parse(m));
    }
    CHECK(r->got[0].rfind(R"({"type":"snapshot","channel":"positions","mode":"paper-trading","seq":0,)", 0) == 0);
    CHECK(r->got[1].rfind(R"({"type":"event","channel":"positions","mode":"paper-trading","seq":1,"ts":1,)"
                          R"("event":"position_updated","data":{"position_id":"paper_1_BTCUSDT",)",
                          0) == 0);
    CHECK(r->keys[1] == "paper-trading:paper_1_BTCUSDT");
}
