// The dashboard is served from bytes embedded at build time: every page route must reach the app
// page, assets must come with the right Content-Type, and nothing outside the table is served.
#include "dashboard/assets.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

using traded::dashboard::find_asset;

TEST_CASE("dashboard page routes all serve the same HTML app page", "[dashboard]") {
    auto root = find_asset("/");
    REQUIRE(root);
    CHECK(root->content_type == "text/html; charset=utf-8");
    CHECK(root->body.find("<!doctype html>") == 0);
    CHECK(root->body.find("/assets/app.js") != std::string_view::npos);
    for (auto route : {"/real-trading", "/paper-trading", "/paper-trading?access_token=x", "/#access_token=y"}) {
        auto page = find_asset(route);
        REQUIRE(page);
        CHECK(page->body.data() == root->body.data());
    }
}

TEST_CASE("dashboard assets carry their content type and exact bytes", "[dashboard]") {
    auto app = find_asset("/assets/app.js");
    REQUIRE(app);
    CHECK(app->content_type == "text/javascript; charset=utf-8");
    CHECK(app->body.find("import ") != std::string_view::npos);

    auto css = find_asset("/assets/style.css?v=1");
    REQUIRE(css);
    CHECK(css->content_type == "text/css; charset=utf-8");

    // The vendored chart library is ~200 KB of bytes, embedded whole (a truncated copy would fail
    // to parse in the browser), with its licence header first.
    auto charts = find_asset("/assets/vendor/lightweight-charts.standalone.production.mjs");
    REQUIRE(charts);
    CHECK(charts->content_type == "text/javascript; charset=utf-8");
    CHECK(charts->body.size() > 100000);
    CHECK(charts->body.find("Lightweight Charts") != std::string_view::npos);
    CHECK(charts->body.substr(charts->body.size() - 2000).find("as createChart") != std::string_view::npos);

    // Byte for byte what is in the source tree (the embed step must not mangle any byte).
    std::ifstream in(std::string(TRADED_FIXTURES) + "/../../dashboard/public/assets/vendor/lightweight-charts.standalone.production.mjs",
                     std::ios::binary);
    REQUIRE(in);
    std::string on_disk{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    CHECK(charts->body == on_disk);
}

TEST_CASE("dashboard serves nothing outside its table", "[dashboard]") {
    for (auto path : {"", "/index.html", "/assets/", "/assets", "/assets/../index.html", "/assets/nope.js",
                      "/real-trading/", "/paper-trading/x", "/api/v1/ws", "/healthz", "/ASSETS/app.js",
                      "assets/app.js", "/assets/app.js/"}) {
        INFO(path);
        CHECK_FALSE(find_asset(path));
    }
}
