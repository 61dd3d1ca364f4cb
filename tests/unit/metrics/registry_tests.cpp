// The metrics registry and its Prometheus text writer, without a daemon: what a scraper parses.

#include "metrics/registry.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace traded::metrics;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

/// The metric name of a sample line, without the histogram suffixes.
std::string family_of(const std::string& line) {
    auto end = line.find_first_of("{ ");
    std::string name = line.substr(0, end);
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s(suffix);
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0 &&
            name.find("_seconds") != std::string::npos)
            return name.substr(0, name.size() - s.size());
    }
    return name;
}

}  // namespace

TEST_CASE("every family is written once, HELP and TYPE first, even when recorded interleaved") {
    registry r;
    r.declare("traded_orders_total", kind::counter, "Orders by result.");
    r.declare("traded_open_positions", kind::gauge, "Open positions.");
    r.declare("traded_store_commit_seconds", kind::histogram, "Store commit time.");
    // Recorded in an interleaved order, as the components of the daemon do.
    r.inc("traded_orders_total", {{"mode", "paper-trading"}, {"result", "sent"}});
    r.set("traded_open_positions", {{"mode", "paper-trading"}}, 2);
    r.inc("traded_orders_total", {{"mode", "real-trading"}, {"result", "sent"}}, 3);
    r.observe("traded_store_commit_seconds", {{"mode", "paper-trading"}}, 0.002);
    r.set("traded_open_positions", {{"mode", "real-trading"}}, 1);
    r.inc("traded_orders_total", {{"mode", "paper-trading"}, {"result", "sent"}});

    const auto lines = lines_of(r.text());
    std::vector<std::string> order;  // families in the order their samples appear
    std::map<std::string, std::string> type_of;
    std::string current;
    for (const auto& l : lines) {
        REQUIRE_FALSE(l.empty());
        if (l.rfind("# HELP ", 0) == 0) {
            current = l.substr(7, l.find(' ', 7) - 7);
            REQUIRE(std::find(order.begin(), order.end(), current) == order.end());  // once
            order.push_back(current);
            continue;
        }
        if (l.rfind("# TYPE ", 0) == 0) {
            auto name = l.substr(7, l.find(' ', 7) - 7);
            REQUIRE(name == current);  // TYPE right after its HELP
            type_of[name] = l.substr(l.rfind(' ') + 1);
            continue;
        }
        REQUIRE(family_of(l) == current);  // no sample outside its family's block
    }
    CHECK(order == std::vector<std::string>{"traded_open_positions", "traded_orders_total", "traded_store_commit_seconds"});
    CHECK(type_of["traded_orders_total"] == "counter");
    CHECK(type_of["traded_open_positions"] == "gauge");
    CHECK(type_of["traded_store_commit_seconds"] == "histogram");

    const auto text = r.text();
    CHECK(text.find("traded_orders_total{mode=\"paper-trading\",result=\"sent\"} 2\n") != std::string::npos);
    CHECK(text.find("traded_orders_total{mode=\"real-trading\",result=\"sent\"} 3\n") != std::string::npos);
    CHECK(text.find("traded_open_positions{mode=\"real-trading\"} 1\n") != std::string::npos);
}

TEST_CASE("histogram buckets are cumulative and end with +Inf, _sum and _count") {
    registry r;
    r.declare("traded_x_seconds", kind::histogram, "x", {0.001, 0.01, 0.1});
    auto h = r.get_histogram("traded_x_seconds", {{"endpoint", "POST /fapi/v1/order"}});
    h.observe(0.0005);
    h.observe(0.001);  // on the bound: counted in le="0.001"
    h.observe(0.05);
    h.observe(3);  // above every bound: only in +Inf
    CHECK(h.count() == 4);
    const auto text = r.text();
    const std::string l = "{endpoint=\"POST /fapi/v1/order\",le=";
    CHECK(text.find("traded_x_seconds_bucket" + l + "\"0.001\"} 2\n") != std::string::npos);
    CHECK(text.find("traded_x_seconds_bucket" + l + "\"0.01\"} 2\n") != std::string::npos);
    CHECK(text.find("traded_x_seconds_bucket" + l + "\"0.1\"} 3\n") != std::string::npos);
    CHECK(text.find("traded_x_seconds_bucket" + l + "\"+Inf\"} 4\n") != std::string::npos);
    CHECK(text.find("traded_x_seconds_sum{endpoint=\"POST /fapi/v1/order\"} 3.0515\n") != std::string::npos);
    CHECK(text.find("traded_x_seconds_count{endpoint=\"POST /fapi/v1/order\"} 4\n") != std::string::npos);
    // Buckets come in ascending order: +Inf last.
    CHECK(text.find("le=\"0.1\"") < text.find("le=\"+Inf\""));
}

TEST_CASE("label values and help text are escaped") {
    registry r;
    r.declare("traded_e", kind::gauge, "a \\ backslash\nand a newline");
    r.set("traded_e", {{"why", "say \"hi\"\\\n"}}, 1);
    const auto text = r.text();
    CHECK(text.find("# HELP traded_e a \\\\ backslash\\nand a newline\n") != std::string::npos);
    CHECK(text.find("traded_e{why=\"say \\\"hi\\\"\\\\\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("values: integers plain, fractions shortest, infinities spelled") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-3.5) == "-3.5");
    CHECK(format_value(0.1) == "0.1");
    CHECK(format_value(1.0 / 0.0) == "+Inf");
    CHECK(format_value(-1.0 / 0.0) == "-Inf");
    CHECK(format_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("counters never go down; handles survive other families growing") {
    registry r;
    r.declare("traded_a_total", kind::counter, "a");
    auto c = r.get_counter("traded_a_total", {{"stream", "user"}});
    c.inc();
    c.inc(-5);  // ignored
    for (int i = 0; i < 100; ++i) {
        r.declare("traded_f" + std::to_string(i), kind::gauge, "filler");
        r.set("traded_f" + std::to_string(i), {{"i", std::to_string(i)}}, i);
    }
    c.inc(2);
    CHECK(c.value() == 3);
    CHECK(r.text().find("traded_a_total{stream=\"user\"} 3\n") != std::string::npos);
}

TEST_CASE("a declared family without series is written with HELP and TYPE only; clear() empties one") {
    registry r;
    r.declare("traded_staleness", kind::gauge, "s");
    CHECK(r.text() == "# HELP traded_staleness s\n# TYPE traded_staleness gauge\n");
    r.set("traded_staleness", {{"symbol", "BTCUSDT"}}, 5);
    CHECK(r.text().find("traded_staleness{symbol=\"BTCUSDT\"} 5") != std::string::npos);
    r.clear("traded_staleness");
    CHECK(r.text() == "# HELP traded_staleness s\n# TYPE traded_staleness gauge\n");
}

TEST_CASE("undeclared names and kind mismatches record nothing") {
    registry r;
    r.declare("traded_g", kind::gauge, "g");
    r.inc("traded_g");                 // a gauge used as a counter
    r.inc("traded_unknown_total");     // never declared
    r.observe("traded_g", {}, 1);      // a gauge used as a histogram
    CHECK(r.text() == "# HELP traded_g g\n# TYPE traded_g gauge\n");
    CHECK_FALSE(r.has("traded_unknown_total"));
}
