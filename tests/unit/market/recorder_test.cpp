// Recording (SPEC §8): line format, UTC day files, bounded buffer with counted drops, a torn tail
// cut off before appending, and what the writer thread puts on disk.

#include "exchange/market/recorder.hpp"
#include "exchange/market/replay_reader.hpp"
#include "tests/unit/market/test_files.hpp"

#include <catch2/catch.hpp>

using namespace traded::market;
using market_test::read_file;
using market_test::temp_dir;
using market_test::write_file;

namespace {
constexpr traded::engine::millis jan15 = 1768435200000;  // 2026-01-15 00:00:00 UTC
constexpr traded::engine::millis day = 86'400'000;
const std::string payload = R"({"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"97000.5"})";
}  // namespace

TEST_CASE("a recorded line keeps the payload exactly as received", "[record]") {
    CHECK(record_line(jan15 + 7, "btcusdt@markPrice@1s", payload) ==
          R"({"t":1768435200007,"stream":"btcusdt@markPrice@1s","data":)" + payload + "}\n");
    // A raw newline (JSON whitespace) would split the line: it becomes a space.
    CHECK(record_line(1, "s", "{\"a\":\n1}") == "{\"t\":1,\"stream\":\"s\",\"data\":{\"a\": 1}}\n");
    CHECK(record_file_name(jan15 + day - 1) == "2026-01-15.jsonl");
    CHECK(record_file_name(jan15 + day) == "2026-01-16.jsonl");
}

TEST_CASE("the buffer groups lines by UTC day and drops, counted, when full", "[record]") {
    record_buffer b(1000);
    REQUIRE(b.append(jan15 + day - 2, "s", payload));
    REQUIRE(b.append(jan15 + day - 1, "s", payload));
    REQUIRE(b.append(jan15 + day, "s", payload));  // midnight: a new file
    int accepted = 3;
    while (b.append(jan15 + day + 1, "s", payload)) ++accepted;
    CHECK(b.stats().lines_dropped == 1);
    CHECK(b.bytes() <= 1000);
    auto chunks = b.take();
    REQUIRE(chunks.size() == 2);
    CHECK(chunks[0].file_name == "2026-01-15.jsonl");
    CHECK(chunks[1].file_name == "2026-01-16.jsonl");
    CHECK(b.last_taken_lines() == std::vector<std::uint64_t>{2, static_cast<std::uint64_t>(accepted - 2)});
    CHECK(b.empty());
    CHECK(b.append(jan15, "s", payload));  // room again after take()
    b.failed(2);
    CHECK(b.stats().lines_dropped == 3);
}

TEST_CASE("the recorder writes day files that replay, and cuts a torn tail before appending", "[record]") {
    temp_dir t;
    const auto dir = t.file("rec");
    // A previous run was killed mid-line the same day.
    std::filesystem::create_directories(dir);
    write_file(dir + "/2026-01-15.jsonl", record_line(jan15, "btcusdt@markPrice@1s", payload) + R"({"t":17684352)");
    {
        recorder r(dir, std::size_t{1} << 20, std::chrono::milliseconds(20));
        REQUIRE(r.start().empty());
        r.record(jan15 + 1000, "btcusdt@markPrice@1s", payload);
        r.record(jan15 + day + 5, "btcusdt@markPrice@1s", payload);
        r.stop();
        auto st = r.status();
        CHECK(st.stats.lines_written == 2);
        CHECK(st.stats.lines_dropped == 0);
        CHECK(st.last_error.empty());
    }
    CHECK(read_file(dir + "/2026-01-15.jsonl") ==
          record_line(jan15, "btcusdt@markPrice@1s", payload) + record_line(jan15 + 1000, "btcusdt@markPrice@1s", payload));
    CHECK(read_file(dir + "/2026-01-16.jsonl") == record_line(jan15 + day + 5, "btcusdt@markPrice@1s", payload));

    replay_stream s({dir + "/2026-01-15.jsonl", dir + "/2026-01-16.jsonl"}, {"BTCUSDT"});
    quote_update u;
    int n = 0;
    while (s.next(u) == read_status::update) ++n;
    CHECK(s.error().empty());
    CHECK(n == 3);
}

TEST_CASE("a record_dir that cannot be created is refused with its name", "[record]") {
    temp_dir t;
    write_file(t.file("afile"), "x");
    recorder r(t.file("afile") + "/sub");
    CHECK(r.start().rfind("market.record_dir: cannot create " + t.file("afile") + "/sub", 0) == 0);
}
