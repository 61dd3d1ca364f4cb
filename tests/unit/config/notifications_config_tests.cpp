// The `notifications:` block (SPEC §10): what loads, what is refused with which message, and
// that secrets (webhook URL paths, headers) are redacted when the config is written for display.

#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace cfg = traded::config;

namespace {

std::string errors_of(const std::string& yaml) {
    auto r = cfg::load_string(yaml);
    std::string all;
    for (const auto& e : r.error()) all += e + "\n";
    return all;
}

}  // namespace

TEST_CASE("notifications: the SPEC example loads", "[config][notify]") {
    auto r = cfg::load_string(R"(
notifications:
  targets:
    - type: webhook
      url: https://hooks.example/traded
      headers: {Authorization: "Bearer abc"}
    - type: telegram
      bot_token_env: TRADED_TELEGRAM_TOKEN
      chat_id: "123456"
      api_url: https://api.telegram.org
  events: [position_opened, position_closed, profit_floor, emergency_stop, daily_loss_limit_hit,
           exchange_disconnected, reconciliation_fixed, storage_unavailable]
  min_interval_ms: 1000
)");
    for (const auto& e : r.error()) UNSCOPED_INFO(e);
    REQUIRE(r.has_value());
    const auto& n = r->notifications;
    REQUIRE(n.targets.size() == 2);
    CHECK(n.targets[0].type == "webhook");
    CHECK(n.targets[0].headers.at("Authorization") == "Bearer abc");
    CHECK(n.targets[1].bot_token_env == "TRADED_TELEGRAM_TOKEN");
    CHECK(n.targets[1].chat_id == "123456");
    CHECK(n.events.size() == 8);
    CHECK(n.min_interval_ms == 1000);
}

TEST_CASE("notifications: defaults are no targets and every event", "[config][notify]") {
    auto r = cfg::load_string("");
    REQUIRE(r.has_value());
    CHECK(r->notifications.targets.empty());
    CHECK(r->notifications.events == cfg::notification_event_names());
}

TEST_CASE("notifications: bad blocks are refused with the key path", "[config][notify]") {
    CHECK(errors_of("notifications: {targets: [{type: email}]}") ==
          "notifications.targets[0].type: expected one of webhook, telegram, got \"email\"\n");
    CHECK(errors_of("notifications: {targets: [{type: telegram, chat_id: '1'}]}") ==
          "notifications.targets[0].bot_token_env: required: the name of the environment variable that holds the bot "
          "token\n");
    CHECK(errors_of("notifications: {targets: [{type: telegram, bot_token_env: T}]}") ==
          "notifications.targets[0].chat_id: required for a telegram target\n");
    CHECK(errors_of("notifications: {targets: [{type: webhook}]}") ==
          "notifications.targets[0].url: required for a webhook target\n");
    CHECK(errors_of("notifications: {targets: [{type: webhook, url: ftp://x}]}") ==
          "notifications.targets[0].url: expected an http:// or https:// URL, got \"ftp://x\"\n");
    // A telegram key on a webhook target is a mistake worth naming.
    CHECK(errors_of("notifications: {targets: [{type: webhook, url: 'http://h/x', chat_id: '1'}]}") ==
          "notifications.targets[0].chat_id: unknown key\n");
    CHECK(errors_of("notifications: {events: [position_opened, margin_call]}").find(
              "notifications.events[1]: expected a list of events from position_opened") == 0);
    CHECK(errors_of("notifications: {min_interval_ms: -1}") ==
          "notifications.min_interval_ms: expected an integer 0-3600000, got \"-1\"\n");
    CHECK(errors_of("notifications: {targets: {type: webhook}}") ==
          "notifications.targets: expected a list of targets (each with type: webhook or telegram), got a map\n");
    // A header value is a credential: the message names the header, never its value.
    const auto header = errors_of("notifications: {targets: [{type: webhook, url: 'http://h/x', headers: {X-Key: [s3cr3t]}}]}");
    CHECK(header == "notifications.targets[0].headers.X-Key: expected a one-line string value\n");
    CHECK(header.find("s3cr3t") == std::string::npos);
}

TEST_CASE("notifications: to_yaml redacts webhook paths and header values, and round-trips with secrets",
          "[config][notify]") {
    auto r = cfg::load_string(R"(
notifications:
  targets:
    - {type: webhook, url: "https://user:pw@hooks.example:8443/services/T0KEN?k=1", headers: {Authorization: "Bearer abc"}}
    - {type: telegram, bot_token_env: TG, chat_id: "42"}
  events: [emergency_stop]
  min_interval_ms: 250
)");
    REQUIRE(r.has_value());
    const auto shown = cfg::to_yaml(*r);
    CHECK(shown.find("T0KEN") == std::string::npos);
    CHECK(shown.find("Bearer abc") == std::string::npos);
    CHECK(shown.find(":pw@") == std::string::npos);
    CHECK(shown.find("https://<redacted>@hooks.example:8443/<redacted>") != std::string::npos);
    CHECK(shown.find("TG") != std::string::npos);  // the variable's name is not a secret
    auto back = cfg::load_string(cfg::to_yaml(*r, cfg::secrets::include));
    REQUIRE(back.has_value());
    CHECK(*back == *r);
}
