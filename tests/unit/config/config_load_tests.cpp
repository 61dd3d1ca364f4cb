// Loading valid configuration: defaults, a full file, the shipped example, exact money values.

#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <string>

using traded::decimal;
namespace cfg = traded::config;

namespace {

decimal dec(const char* s) { return *decimal::parse(s); }

/// A file that sets every key to a value different from its default.
const char* const full_yaml = R"(
server:
  bind: 0.0.0.0
  port: 9443
  api_token: secret-token-0123456789abcdef012345
  api_token_file: ""
  cors_origins: ["https://a.example", "http://localhost:5173"]
  hostnames: [ops.example.com]
  tls: {cert_file: /etc/traded/cert.pem, key_file: /etc/traded/key.pem}
  max_connections: 64
  idle_timeout_s: 30
storage:
  data_dir: /var/lib/traded
exchange:
  rest_url: http://127.0.0.1:9100
  ws_public_url: ws://127.0.0.1:9101/public
  ws_market_url: ws://127.0.0.1:9101/market
  ws_private_url: ws://127.0.0.1:9101/private
  api_key_env: SIM_KEY
  api_secret_env: SIM_SECRET
  credentials_file: /etc/traded/creds.yaml
  recv_window_ms: 10000
  connect_timeout_ms: 2500
  ca_file: /etc/traded/ca.pem
market:
  source: exchange
  symbols: [DOGEUSDT, 1000PEPEUSDT]
  replay_file: ticks.jsonl
  replay_speed: 12.5
  record_dir: /var/lib/traded/rec
  max_staleness_ms: 1500
  push_interval_ms: 100
  synthetic: {seed: 18446744073709551615, interval_ms: 10, volatility_bps: 12.5}
paper_trading:
  enabled: false
  autostart: false
  starting_balance: 2500.25
  taker_fee: 0.0005
  slippage_bps: 2.5
  stake_usd: 50.1
  max_positions: 0
  leverage: 125
  pure_3_rule_mode: false
  primary_target_dollars: 3.3
  absolute_floor_dollars: 1.1
  stop_loss_percent: 99.99
  max_daily_loss: 0.00000001
real_trading:
  enabled: true
  autostart: true
  stake_usd: 25
  max_positions: 1000
  leverage: 1
  pure_3_rule_mode: false
  primary_target_dollars: 2
  absolute_floor_dollars: 1.5
  stop_loss_percent: 1.25
  max_daily_loss: 40
opportunities:
  strategy: none
  params: {lookback: 5, threshold_bps: 2.5, cooldown_ms: 0}
log:
  level: debug
  format: json
)";

cfg::config full_expected() {
    cfg::config c;
    c.server.bind = "0.0.0.0";
    c.server.port = 9443;
    c.server.api_token = "secret-token-0123456789abcdef012345";
    c.server.cors_origins = {"https://a.example", "http://localhost:5173"};
    c.server.hostnames = {"ops.example.com"};
    c.server.tls = {"/etc/traded/cert.pem", "/etc/traded/key.pem"};
    c.server.max_connections = 64;
    c.server.idle_timeout_s = 30;
    c.storage.data_dir = "/var/lib/traded";
    c.exchange.rest_url = "http://127.0.0.1:9100";
    c.exchange.ws_public_url = "ws://127.0.0.1:9101/public";
    c.exchange.ws_market_url = "ws://127.0.0.1:9101/market";
    c.exchange.ws_private_url = "ws://127.0.0.1:9101/private";
    c.exchange.api_key_env = "SIM_KEY";
    c.exchange.api_secret_env = "SIM_SECRET";
    c.exchange.credentials_file = "/etc/traded/creds.yaml";
    c.exchange.recv_window_ms = 10000;
    c.exchange.connect_timeout_ms = 2500;
    c.exchange.ca_file = "/etc/traded/ca.pem";
    c.market.source = "exchange";
    c.market.symbols = {"DOGEUSDT", "1000PEPEUSDT"};
    c.market.replay_file = "ticks.jsonl";
    c.market.replay_speed = 12.5;
    c.market.record_dir = "/var/lib/traded/rec";
    c.market.max_staleness_ms = 1500;
    c.market.push_interval_ms = 100;
    c.market.synthetic = {18446744073709551615ULL, 10, 12.5};
    auto& p = c.paper_trading;
    p.enabled = false;
    p.autostart = false;
    p.starting_balance = dec("2500.25");
    p.taker_fee = 0.0005;
    p.slippage_bps = 2.5;
    p.stake_usd = dec("50.1");
    p.max_positions = 0;
    p.leverage = 125;
    p.pure_3_rule_mode = false;
    p.primary_target_dollars = dec("3.3");
    p.absolute_floor_dollars = dec("1.1");
    p.stop_loss_percent = dec("99.99");
    p.max_daily_loss = decimal::from_raw(1);
    auto& r = c.real_trading;
    r.enabled = true;
    r.autostart = true;
    r.stake_usd = dec("25");
    r.max_positions = 1000;
    r.leverage = 1;
    r.pure_3_rule_mode = false;
    r.primary_target_dollars = dec("2");
    r.absolute_floor_dollars = dec("1.5");
    r.stop_loss_percent = dec("1.25");
    r.max_daily_loss = dec("40");
    c.opportunities.strategy = "none";
    c.opportunities.lookback = 5;
    c.opportunities.threshold_bps = 2.5;
    c.opportunities.cooldown_ms = 0;
    c.log = {"debug", "json"};
    return c;
}

}  // namespace

TEST_CASE("defaults match SPEC section 5", "[config]") {
    cfg::config c;
    CHECK(c.server.bind == "127.0.0.1");
    CHECK(c.server.port == 8000);
    CHECK(c.server.api_token.empty());
    CHECK(c.storage.data_dir == "./data");
    CHECK(c.exchange.rest_url == "https://fapi.binance.com");
    CHECK(c.exchange.recv_window_ms == 5000);
    CHECK(c.market.source == "synthetic");
    CHECK(c.market.symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT", "SOLUSDT"});
    CHECK(c.market.synthetic.seed == 42);
    CHECK(c.market.synthetic.interval_ms == 250);
    CHECK(c.paper_trading.enabled);
    CHECK(c.paper_trading.autostart);
    CHECK(c.paper_trading.starting_balance == decimal::from_int(10000));
    CHECK(c.paper_trading.stake_usd == decimal::from_int(200));
    CHECK(c.paper_trading.stop_loss_percent == dec("0.5"));
    CHECK_FALSE(c.real_trading.enabled);
    CHECK_FALSE(c.real_trading.autostart);
    CHECK(c.real_trading.max_daily_loss == decimal::from_int(500));
    CHECK(c.real_trading.leverage == 3);
    CHECK(c.opportunities.strategy == "momentum");
    CHECK(c.log.level == "info");
    CHECK(c.log.format == "text");
}

TEST_CASE("an empty file, {} and empty sections are all-default configs", "[config]") {
    for (const char* text : {"", "{}", "# only a comment\n", "server:\nmarket:\n", "---\n"}) {
        INFO("yaml: " << text);
        auto r = cfg::load_string(text);
        CHECK(r.error().empty());
        CHECK(r.has_value());
        CHECK(*r == cfg::config{});
    }
}

TEST_CASE("a file setting every key loads every value", "[config]") {
    auto r = cfg::load_string(full_yaml);
    INFO((r.error().empty() ? std::string() : r.error().front()));
    REQUIRE(r.has_value());
    CHECK(*r == full_expected());
    CHECK_FALSE(*r == cfg::config{});
}

TEST_CASE("to_yaml round-trips a full config, and redacts the token unless asked", "[config]") {
    cfg::config c = full_expected();
    auto back = cfg::load_string(cfg::to_yaml(c, cfg::secrets::include));
    INFO((back.error().empty() ? std::string() : back.error().front()));
    REQUIRE(back.has_value());
    CHECK(*back == c);

    std::string redacted = cfg::to_yaml(c);
    CHECK(redacted.find("secret-token-0123456789abcdef012345") == std::string::npos);
    auto back2 = cfg::load_string(redacted);
    REQUIRE(back2.has_value());
    CHECK(back2->server.api_token.empty());

    auto defaults = cfg::load_string(cfg::to_yaml(cfg::config{}));
    REQUIRE(defaults.has_value());
    CHECK(*defaults == cfg::config{});
}

TEST_CASE("config/traded.yaml loads without errors and equals the defaults", "[config]") {
    auto r = cfg::load_file(TRADED_FIXTURES "/../../config/traded.yaml");
    for (const auto& e : r.error()) UNSCOPED_INFO(e);
    REQUIRE(r.has_value());
    CHECK(*r == cfg::config{});
}

TEST_CASE("money is parsed from the YAML text, exactly", "[config]") {
    auto r = cfg::load_string(
        "paper_trading: {stake_usd: 0.1, primary_target_dollars: 0.3, starting_balance: 12345678.87654321}\n"
        "real_trading: {stake_usd: \"0.7\", stop_loss_percent: 0.00000001}\n");
    REQUIRE(r.has_value());
    CHECK(r->paper_trading.stake_usd.raw() == 10'000'000);
    CHECK(r->paper_trading.stake_usd.to_string() == "0.1");
    // 0.1 + 0.2 == 0.3 exactly, which no double gives.
    CHECK(r->paper_trading.stake_usd + dec("0.2") == r->paper_trading.primary_target_dollars);
    CHECK(r->paper_trading.starting_balance.to_string() == "12345678.87654321");
    CHECK(r->real_trading.stake_usd == dec("0.7"));
    CHECK(r->real_trading.stop_loss_percent.raw() == 1);
}

TEST_CASE("to_engine carries the rule fields and the mode", "[config]") {
    auto r = cfg::load_string(full_yaml);
    REQUIRE(r.has_value());
    auto paper = r->paper_trading.to_engine(traded::engine::mode::paper);
    CHECK(paper.engine_mode == traded::engine::mode::paper);
    CHECK_FALSE(paper.enabled);
    CHECK(paper.stake_usd == dec("50.1"));
    CHECK(paper.max_positions == 0);
    CHECK(paper.leverage == 125);
    CHECK_FALSE(paper.pure_3_rule_mode);
    CHECK(paper.primary_target_dollars == dec("3.3"));
    CHECK(paper.absolute_floor_dollars == dec("1.1"));
    CHECK(paper.stop_loss_percent == dec("99.99"));
    CHECK(paper.max_daily_loss == decimal::from_raw(1));

    auto real = r->real_trading.to_engine(traded::engine::mode::real);
    CHECK(real.engine_mode == traded::engine::mode::real);
    CHECK(real.enabled);
    CHECK(real.stake_usd == dec("25"));
    CHECK(real.max_positions == 1000);
    CHECK(real.leverage == 1);
    CHECK(real.stop_loss_percent == dec("1.25"));
    CHECK(real.max_daily_loss == dec("40"));

    auto def = cfg::config{}.real_trading.to_engine(traded::engine::mode::real);
    CHECK_FALSE(def.enabled);
    CHECK(def.stake_usd == decimal::from_int(200));
}

TEST_CASE("booleans, null strings and quoted numbers", "[config]") {
    auto r = cfg::load_string(
        "server: {api_token: ~, port: \"8080\"}\n"
        "paper_trading: {autostart: false, pure_3_rule_mode: yes}\n");
    REQUIRE(r.has_value());
    CHECK(r->server.api_token.empty());
    CHECK(r->server.port == 8080);
    CHECK_FALSE(r->paper_trading.autostart);
    CHECK(r->paper_trading.pure_3_rule_mode);
}

TEST_CASE("load_file on a missing file names the file", "[config]") {
    auto r = cfg::load_file("/nonexistent/dir/traded.yaml");
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].find("cannot read /nonexistent/dir/traded.yaml") == 0);

    // A directory is not an empty config.
    auto d = cfg::load_file(TRADED_FIXTURES);
    REQUIRE(d.error().size() == 1);
    CHECK(d.error()[0] == "cannot read " TRADED_FIXTURES ": is a directory");
}
