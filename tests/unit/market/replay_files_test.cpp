// Replay files (SPEC §8): recordings, Binance public bookTicker / aggTrades CSVs and their zips,
// written to real files; merge by event time; every bad input names the file and line.

#include "exchange/market/recording.hpp"
#include "exchange/market/replay_reader.hpp"
#include "tests/unit/market/test_files.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace traded::market;
using market_test::temp_dir;
using market_test::write_file;
using market_test::write_zip;
using traded::decimal;

namespace {

decimal d(const char* s) { return *decimal::parse(s); }

const std::set<std::string> symbols{"BTCUSDT", "ETHUSDT"};

const std::string bt_header = std::string(book_ticker_header) + "\n";
const std::string at_header = std::string(agg_trades_header) + "\n";

std::vector<quote_update> read_all(replay_stream& s) {
    std::vector<quote_update> out;
    quote_update u;
    read_status st;
    while ((st = s.next(u)) == read_status::update) out.push_back(u);
    REQUIRE(st == read_status::end);
    return out;
}

/// The error of reading `files` to the end (empty: none).
std::string error_of(const std::vector<std::string>& files) {
    replay_stream s(files, symbols);
    quote_update u;
    while (s.ok() && s.next(u) == read_status::update) {
    }
    return s.error();
}

}  // namespace

TEST_CASE("a bookTicker CSV gives book updates of the symbol in its name, at event_time", "[replay]") {
    temp_dir t;
    auto f = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"),
                        bt_header + "1001,97000.10,1.5,97000.20,2.0,1768435200000,1768435200005\r\n"
                                    "1002,97000.00,1,97000.30,3,1768435200010,1768435200012");  // no final newline
    replay_stream s({f}, symbols);
    REQUIRE(s.ok());
    auto v = read_all(s);
    REQUIRE(v.size() == 2);
    CHECK(v[0].symbol == "BTCUSDT");
    CHECK(v[0].kind == update_kind::book);
    CHECK(v[0].bid == d("97000.10"));
    CHECK(v[0].ask == d("97000.20"));
    CHECK(v[0].event_time == 1768435200005);
    CHECK(v[1].ask == d("97000.30"));

    // The mark of a file without mark prices is the mid.
    quote_book book;
    auto q = book.apply(v[0]);
    REQUIRE(q);
    CHECK(q->q.mark == d("97000.15"));
}

TEST_CASE("an aggTrades CSV gives trades; the mark follows the last trade", "[replay]") {
    temp_dir t;
    auto f = write_file(t.file("ETHUSDT-aggTrades-2026-01.csv"),
                        at_header + "1,3300.5,0.2,10,12,1768435200100,true\n2,3301.25,0.1,13,13,1768435200200,false\n");
    replay_stream s({f}, symbols);
    auto v = read_all(s);
    REQUIRE(v.size() == 2);
    CHECK(v[0].kind == update_kind::trade);
    CHECK(v[0].symbol == "ETHUSDT");
    CHECK(v[1].last == d("3301.25"));
    CHECK(v[1].event_time == 1768435200200);
    quote_book book;
    book.apply(v[0]);
    auto q = book.apply(v[1]);
    REQUIRE(q);
    CHECK(q->q.mark == d("3301.25"));
    CHECK(q->last == d("3301.25"));
}

TEST_CASE("the published zip is read like the CSV inside it", "[replay]") {
    temp_dir t;
    const std::string csv = bt_header + "1,100.1,1,100.2,1,1000,1005\n2,100.0,1,100.3,1,1010,1011\n";
    auto z = write_zip(t.file("BTCUSDT-bookTicker-2026-01-15.zip"), "BTCUSDT-bookTicker-2026-01-15.csv", csv);
    REQUIRE(!z.empty());
    replay_stream s({z}, symbols);
    REQUIRE(s.ok());
    auto v = read_all(s);
    REQUIRE(v.size() == 2);
    CHECK(v[1].bid == d("100.0"));
    CHECK(v[1].event_time == 1011);

    // A zip with no CSV in it.
    auto bad = write_zip(t.file("BTCUSDT-bookTicker-2026-01-16.zip"), "readme.txt", "hello\n");
    CHECK(error_of({bad}) == bad + ": no CSV file in the zip");
    // A file named .zip that is not one.
    auto notzip = write_file(t.file("BTCUSDT-bookTicker-2026-01-17.zip"), "not a zip");
    CHECK(error_of({notzip}).rfind(notzip + ": cannot open the zip", 0) == 0);
    // A bad row inside a zip names the zip and the line.
    auto badrow = write_zip(t.file("BTCUSDT-bookTicker-2026-01-18.zip"), "x.csv", bt_header + "1,100.1,1,100.2,1,1000,1005\n2,abc,1,1,1,1,1\n");
    CHECK(error_of({badrow}) == badrow + ":3: best_bid_price: expected a positive decimal");
}

TEST_CASE("several files are merged by event time, ties in file order", "[replay]") {
    temp_dir t;
    auto a = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"),
                        bt_header + "1,100,1,101,1,0,1000\n2,100,1,101,1,0,3000\n3,100,1,101,1,0,5000\n");
    auto b = write_file(t.file("BTCUSDT-aggTrades-2026-01-15.csv"),
                        at_header + "1,100.5,1,1,1,2000,true\n2,100.5,1,1,1,3000,true\n");
    auto c = write_file(t.file("rec.jsonl"),
                        R"({"t":2500,"stream":"ethusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":2499,"s":"ETHUSDT","p":"3300.10","i":"3300","P":"3300","r":"0.0001","T":0}})"
                        "\n");
    replay_stream s({a, b, c}, symbols);
    auto v = read_all(s);
    std::vector<std::int64_t> times;
    std::vector<std::string> from;
    for (const auto& u : v) times.push_back(u.event_time);
    CHECK(times == std::vector<std::int64_t>{1000, 2000, 2500, 3000, 3000, 5000});
    CHECK(v[3].kind == update_kind::book);   // tie at 3000: the first file first
    CHECK(v[4].kind == update_kind::trade);
    CHECK(v[2].kind == update_kind::mark);
    CHECK(v[2].symbol == "ETHUSDT");
    CHECK(v[2].mark == d("3300.10"));
}

TEST_CASE("a recording replays what the recorder wrote; a torn last line is skipped", "[replay]") {
    temp_dir t;
    const std::string book = R"({"e":"bookTicker","u":1,"E":1768435200001,"T":1768435200000,"s":"BTCUSDT","b":"97000.10","B":"1","a":"97000.20","A":"2"})";
    const std::string trade = R"({"e":"aggTrade","E":1768435200003,"s":"BTCUSDT","a":5,"p":"97000.15","q":"0.1","f":1,"l":1,"T":1768435200002,"m":true})";
    std::string content = record_line(1768435200010, "btcusdt@bookTicker", book) +
                          record_line(1768435200020, "btcusdt@aggTrade", trade) +
                          // A subscription answer and a stream we do not use are skipped.
                          record_line(1768435200025, "btcusdt@depth", R"({"e":"depthUpdate","E":1,"s":"BTCUSDT"})") +
                          R"({"t":1768435200030,"stream":"btcusdt@bookTicker","data":{"e":"bookTi)";  // torn
    auto f = write_file(t.file("2026-01-15.jsonl"), content);
    file_reader r(f, symbols);
    REQUIRE(r.ok());
    quote_update u;
    REQUIRE(r.next(u) == read_status::update);
    CHECK(u.kind == update_kind::book);
    CHECK(u.event_time == 1768435200010);  // the receive time: replay sees what the daemon saw
    CHECK(u.bid == d("97000.10"));
    REQUIRE(r.next(u) == read_status::update);
    CHECK(u.kind == update_kind::trade);
    CHECK(u.last == d("97000.15"));
    CHECK(r.next(u) == read_status::end);
    CHECK(r.torn_lines() == 1);
}

TEST_CASE("bad input: a clear error naming the file and line", "[replay]") {
    temp_dir t;
    SECTION("missing file") {
        std::string why;
        expand_replay_paths({t.file("nope.csv")}, why);
        CHECK(why == t.file("nope.csv") + ": no such file");
        CHECK(error_of({t.file("BTCUSDT-bookTicker-2026-01-15.csv")}).rfind(t.file("BTCUSDT-bookTicker-2026-01-15.csv") + ": cannot open", 0) == 0);
    }
    SECTION("unreadable file") {
        auto f = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), bt_header);
        std::filesystem::permissions(f, std::filesystem::perms::none);
        if (::access(f.c_str(), R_OK) != 0)  // root reads anything
            CHECK(error_of({f}) == f + ": cannot open: Permission denied");
    }
    SECTION("a name that says nothing about the data") {
        auto f = write_file(t.file("prices.csv"), bt_header);
        CHECK(error_of({f}).rfind(f + ": cannot tell the data type from the file name", 0) == 0);
        auto g = write_file(t.file("prices.txt"), "x");
        CHECK(error_of({g}).rfind(g + ": not a replay file", 0) == 0);
    }
    SECTION("wrong header") {
        auto f = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), "id,bid,ask\n1,2,3\n");
        CHECK(error_of({f}) == f + ":1: wrong header: expected \"" + std::string(book_ticker_header) + "\"");
        auto g = write_file(t.file("BTCUSDT-aggTrades-2026-01-15.csv"), bt_header);
        CHECK(error_of({g}).rfind(g + ":1: wrong header", 0) == 0);
        auto e = write_file(t.file("ETHUSDT-aggTrades-2026-01-16.csv"), "");
        CHECK(error_of({e}) == e + ": empty file (expected the header line)");
    }
    SECTION("bad rows") {
        const std::vector<std::pair<std::string, std::string>> rows{
            {"1,97000.1,1,97000.2,1,1000", "expected 7 comma-separated fields"},
            {"1,97000.1,1,97000.2,1,1000,1001,9", "expected 7 comma-separated fields"},
            {"x,97000.1,1,97000.2,1,1000,1001", "update_id: expected an integer"},
            {"1,-5,1,97000.2,1,1000,1001", "best_bid_price: expected a positive decimal"},
            {"1,97000.1,1,97000.2,1,1000,soon", "event_time: expected epoch milliseconds"},
            {"1,97000.1,1,,1,1000,1001", "best_ask_price: expected a positive decimal"},
        };
        for (const auto& [row, why] : rows) {
            auto f = write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), bt_header + "1,1,1,2,1,1,1\n" + row + "\n");
            CHECK(error_of({f}) == f + ":3: " + why);
        }
        auto g = write_file(t.file("BTCUSDT-aggTrades-2026-01-15.csv"), at_header + "1,100,1,1,1,1000,maybe\n");
        CHECK(error_of({g}) == g + ":2: is_buyer_maker: expected true or false");
    }
    SECTION("a symbol that is not configured") {
        auto f = write_file(t.file("SOLUSDT-bookTicker-2026-01-15.csv"), bt_header + "1,1,1,2,1,1,1\n");
        CHECK(error_of({f}) == f + ": symbol SOLUSDT is not in market.symbols");
        auto r = write_file(t.file("a.jsonl"), record_line(5, "solusdt@markPrice@1s", R"({"e":"markPriceUpdate","E":1,"s":"SOLUSDT","p":"150"})"));
        CHECK(error_of({r}) == r + ":1: symbol SOLUSDT is not in market.symbols");
    }
    SECTION("a recording line that is not JSON") {
        auto f = write_file(t.file("2026-01-15.jsonl"),
                            record_line(5, "btcusdt@markPrice@1s", R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"97000"})") +
                                "hello world\n" + record_line(6, "btcusdt@markPrice@1s", R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"97000"})"));
        CHECK(error_of({f}).rfind(f + ":2: not a recording line", 0) == 0);
        auto g = write_file(t.file("2026-01-16.jsonl"), R"({"t":5,"stream":"x","data":{"e":"bookTicker",,}})" "\n");
        CHECK(error_of({g}).rfind(g + ":1: ", 0) == 0);
        auto h = write_file(t.file("2026-01-17.jsonl"), R"({"t":5,"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","s":"BTCUSDT","b":"x"}})" "\n");
        CHECK(error_of({h}).rfind(h + ":1: bookTicker", 0) == 0);
    }
    SECTION("a recorded price of 0 or a price that is not text (found by the replay fuzzer)") {
        auto f = write_file(t.file("2026-01-18.jsonl"),
                            record_line(5, "btcusdt@markPrice@1s", R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":0})"));
        CHECK(error_of({f}) == f + ":1: a recorded market message without a positive price");
        auto g = write_file(t.file("2026-01-19.jsonl"),
                            record_line(5, "btcusdt@markPrice@1s", R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"0"})"));
        CHECK(error_of({g}) == g + ":1: a recorded market message without a positive price");
    }
}

TEST_CASE("replay paths: a directory, a glob, a file", "[replay]") {
    temp_dir t;
    write_file(t.file("BTCUSDT-bookTicker-2026-01-16.csv"), bt_header);
    write_file(t.file("BTCUSDT-bookTicker-2026-01-15.csv"), bt_header);
    write_file(t.file("notes.txt"), "x");
    std::string why;
    auto dir = expand_replay_paths({t.path.string()}, why);
    CHECK(why.empty());
    CHECK(dir == std::vector<std::string>{t.file("BTCUSDT-bookTicker-2026-01-15.csv"), t.file("BTCUSDT-bookTicker-2026-01-16.csv")});
    auto g = expand_replay_paths({t.file("*-16.csv")}, why);
    CHECK(g == std::vector<std::string>{t.file("BTCUSDT-bookTicker-2026-01-16.csv")});
    expand_replay_paths({t.file("*.parquet")}, why);
    CHECK(why == t.file("*.parquet") + ": no file matches");
    temp_dir empty;
    expand_replay_paths({empty.path.string()}, why);
    CHECK(why == empty.path.string() + ": no replay files (*.jsonl, *.csv, *.zip) in the directory");
}
