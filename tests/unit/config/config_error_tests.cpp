// Rejected configuration: every error names the key's full path and what was expected, and all
// errors of a file are reported together.

#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace cfg = traded::config;

namespace {

/// The single error a document gives (the test fails if there is not exactly one).
std::string only_error(const std::string& yaml) {
    auto r = cfg::load_string(yaml);
    INFO("yaml: " << yaml);
    for (const auto& e : r.error()) UNSCOPED_INFO("error: " << e);
    REQUIRE(r.error().size() == 1);
    return r.error().front();
}

}  // namespace

TEST_CASE("bad values name the key path, the expectation and the value given", "[config]") {
    struct example {
        const char* yaml;
        const char* message;
    };
    const std::vector<example> examples{
        {"paper_trading: {stake_usd: abc}", "paper_trading.stake_usd: expected a positive number, got \"abc\""},
        {"paper_trading: {stake_usd: 0}", "paper_trading.stake_usd: expected a positive number, got \"0\""},
        {"real_trading: {max_daily_loss: -5}", "real_trading.max_daily_loss: expected a positive number, got \"-5\""},
        {"real_trading: {stake_usd: 0.000000001}", "real_trading.stake_usd: expected a positive number, got \"0.000000001\""},
        {"paper_trading: {starting_balance: [1]}", "paper_trading.starting_balance: expected a positive number, got a list"},
        {"paper_trading: {stop_loss_percent: 100}",
         "paper_trading.stop_loss_percent: expected a number greater than 0 and less than 100, got \"100\""},
        {"server: {port: 70000}", "server.port: expected an integer 1-65535, got \"70000\""},
        {"server: {port: 0}", "server.port: expected an integer 1-65535, got \"0\""},
        {"server: {port: 80.5}", "server.port: expected an integer 1-65535, got \"80.5\""},
        {"server: {port: }", "server.port: expected an integer 1-65535, got nothing"},
        {"real_trading: {leverage: 126}", "real_trading.leverage: expected an integer 1-125, got \"126\""},
        {"real_trading: {leverage: 0}", "real_trading.leverage: expected an integer 1-125, got \"0\""},
        {"paper_trading: {max_positions: 1001}", "paper_trading.max_positions: expected an integer 0-1000, got \"1001\""},
        {"paper_trading: {max_positions: -1}", "paper_trading.max_positions: expected an integer 0-1000, got \"-1\""},
        {"market: {synthetic: {interval_ms: 5}}", "market.synthetic.interval_ms: expected an integer 10-60000, got \"5\""},
        {"market: {synthetic: {volatility_bps: 1000.5}}", "market.synthetic.volatility_bps: expected a number 0-1000, got \"1000.5\""},
        {"market: {synthetic: {seed: -1}}", "market.synthetic.seed: expected a non-negative integer, got \"-1\""},
        {"paper_trading: {taker_fee: 0.02}", "paper_trading.taker_fee: expected a number 0-0.01, got \"0.02\""},
        {"paper_trading: {slippage_bps: nan}", "paper_trading.slippage_bps: expected a number 0-100, got \"nan\""},
        {"exchange: {recv_window_ms: 60001}", "exchange.recv_window_ms: expected an integer 1-60000, got \"60001\""},
        {"exchange: {rest_url: ftp://x}", "exchange.rest_url: expected an http:// or https:// URL, got \"ftp://x\""},
        {"exchange: {ws_private_url: https://x}", "exchange.ws_private_url: expected a ws:// or wss:// URL, got \"https://x\""},
        {"market: {symbols: [BTCUSDT, btcusdt]}", "market.symbols[1]: expected an uppercase symbol like BTCUSDT, got \"btcusdt\""},
        {"market: {symbols: [B]}", "market.symbols[0]: expected an uppercase symbol like BTCUSDT, got \"B\""},
        {"market: {symbols: [BTC-USDT]}", "market.symbols[0]: expected an uppercase symbol like BTCUSDT, got \"BTC-USDT\""},
        {"market: {symbols: [BTCUSDT, ETHUSDT, BTCUSDT]}", "market.symbols[2]: duplicate symbol BTCUSDT"},
        {"market: {symbols: []}", "market.symbols: expected at least one symbol, got an empty list"},
        {"market: {symbols: BTCUSDT}", "market.symbols: expected a list of symbols like [BTCUSDT, ETHUSDT], got \"BTCUSDT\""},
        {"market: {source: binance}", "market.source: expected one of synthetic, exchange, replay, got \"binance\""},
        {"market: {source: replay}", "market.replay_file: required when market.source is replay"},
        {"market: {source: replay, replay_file: a.csv}\nreal_trading: {enabled: true}",
         "market.source: replay drives paper trading only; it cannot be used with real_trading.enabled: true (real "
         "trading always uses the exchange's own streams)"},
        {"market: {max_staleness_ms: 0}", "market.max_staleness_ms: expected an integer 100-86400000, got \"0\""},
        {"exchange: {connect_timeout_ms: -1}", "exchange.connect_timeout_ms: expected an integer 0-120000, got \"-1\""},
        {"opportunities: {strategy: rsi}", "opportunities.strategy: expected one of none, momentum, got \"rsi\""},
        {"opportunities: {params: {threshold_bps: 0}}",
         "opportunities.params.threshold_bps: expected a number greater than 0 and at most 10000, got \"0\""},
        {"log: {level: verbose}", "log.level: expected one of trace, debug, info, warn, error, got \"verbose\""},
        {"log: {format: xml}", "log.format: expected one of text, json, got \"xml\""},
        {"paper_trading: {autostart: maybe}", "paper_trading.autostart: expected true or false, got \"maybe\""},
        {"server: {cors_origins: [\"\"]}", "server.cors_origins[0]: expected a non-empty string, got \"\""},
        {"server: {bind: {a: 1}}", "server.bind: expected a string, got a map"},
        {"server: {tls: {cert_file: c.pem}}",
         "server.tls: cert_file and key_file must both be set (https) or both be empty"},
        {"server: {api_token: 0123456789abcdef0123456789abcdef, api_token_file: f}",
         "server.api_token_file: set either server.api_token or server.api_token_file, not both"},
        {"server: 8000", "server: expected a map, got \"8000\""},
        // Issue 10: a guessable token, a Host rule that cannot match, real money in clear text.
        {"server: {api_token: abc}",
         "server.api_token: must be at least 32 characters (a short token can be guessed; generate one with: "
         "openssl rand -hex 32)"},
        {"server: {hostnames: [\"https://ops.example.com\"]}",
         "server.hostnames[0]: expected a host name without scheme or port"},
        {"real_trading: {enabled: true}\nexchange: {rest_url: \"http://fapi.example.com\"}",
         "exchange.rest_url: real trading needs https:// or wss:// for a host other than loopback"},
        {"real_trading: {enabled: true}\nexchange: {ws_private_url: \"ws://10.0.0.5:9000/x\"}",
         "exchange.ws_private_url: real trading needs https:// or wss:// for a host other than loopback"},
    };
    for (const auto& ex : examples) CHECK(only_error(ex.yaml) == ex.message);
}

TEST_CASE("unknown keys are rejected with their path and a suggestion", "[config]") {
    CHECK(only_error("paper_trading: {stake_usdd: 5}") ==
          "paper_trading.stake_usdd: unknown key (did you mean stake_usd?)");
    CHECK(only_error("servre: {}") == "servre: unknown key (did you mean server?)");
    CHECK(only_error("market: {synthetic: {speed: 1}}") == "market.synthetic.speed: unknown key (did you mean seed?)");
    CHECK(only_error("totally_else: 1") == "totally_else: unknown key");
    // real_trading has no simulated account.
    CHECK(only_error("real_trading: {starting_balance: 5}") == "real_trading.starting_balance: unknown key");
}

TEST_CASE("a repeated key is an error, not a silent override", "[config]") {
    CHECK(only_error("server:\n  port: 1\n  port: 2\n") == "server.port: duplicate key");
}

TEST_CASE("all errors are collected, in file order, and valid keys still load", "[config]") {
    auto r = cfg::load_string(
        "server:\n"
        "  port: http\n"
        "paper_trading:\n"
        "  stake_usd: abc\n"
        "  stake_usdd: 5\n"
        "  leverage: 10\n"
        "market:\n"
        "  symbols: [BTCUSDT, eth]\n"
        "log: {level: loud}\n");
    REQUIRE(r.error().size() == 5);
    CHECK_FALSE(r.has_value());
    CHECK(r.error()[0].rfind("server.port: ", 0) == 0);
    CHECK(r.error()[1].rfind("paper_trading.stake_usd: ", 0) == 0);
    CHECK(r.error()[2].rfind("paper_trading.stake_usdd: unknown key", 0) == 0);
    CHECK(r.error()[3].rfind("market.symbols[1]: ", 0) == 0);
    CHECK(r.error()[4].rfind("log.level: ", 0) == 0);
}

TEST_CASE("a YAML syntax error reports line and column", "[config]") {
    std::string e = only_error("server:\n  port: 8000\n  bind: [127.0.0.1\n");
    CHECK(e.rfind("YAML syntax error at line ", 0) == 0);
    CHECK(e.find("column") != std::string::npos);

    std::string e2 = only_error("server:\n  port: 8000\n bad indent: 1\n");
    CHECK(e2.find("line 3") != std::string::npos);
}

TEST_CASE("a root that is not a map is an error", "[config]") {
    CHECK(only_error("just a string") == "(root): expected a map, got \"just a string\"");
    CHECK(only_error("- a\n- b\n") == "(root): expected a map, got a list");
}
