#pragma once
/// Typed configuration (SPEC §5). Every key has a default; load() rejects unknown keys and bad
/// values with the key's path and what was expected.

#include "engine/opportunities.hpp"
#include "engine/types.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace traded::config {

struct tls_config {
    std::string cert_file;
    std::string key_file;

    bool operator==(const tls_config&) const = default;
};

struct server_config {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 8000;
    std::string api_token;
    std::string api_token_file;
    /// Optional read-only token (SPEC §9): GET routes, /metrics, WebSocket subscriptions.
    std::string read_token;
    std::vector<std::string> cors_origins;
    /// Names (besides localhost and loopback addresses) the API may be reached by: a request
    /// with any other Host header is refused (421), which defeats DNS rebinding.
    std::vector<std::string> hostnames;
    tls_config tls;
    int max_connections = 1024;
    int idle_timeout_s = 60;

    bool operator==(const server_config&) const = default;
};

struct storage_config {
    std::string data_dir = "./data";
    /// Closed trades each engine keeps in memory; older ones are read from the store (GET trades)
    /// and kept as running totals (performance).
    int trades_in_memory = 1000;

    bool operator==(const storage_config&) const = default;
};

struct exchange_config {
    std::string rest_url = "https://fapi.binance.com";
    std::string ws_public_url = "wss://fstream.binance.com/public";
    std::string ws_market_url = "wss://fstream.binance.com/market";
    std::string ws_private_url = "wss://fstream.binance.com/private";
    std::string api_key_env = "BINANCE_API_KEY";
    std::string api_secret_env = "BINANCE_API_SECRET";
    std::string credentials_file;
    int recv_window_ms = 5000;
    /// How long `start` waits for a connection that is still being established (SPEC §1).
    int connect_timeout_ms = 10000;
    /// REST connections used at once: a slow request never delays an order on another one.
    int rest_connections = 4;
    /// listenKey keep-alive (PUT) period; Binance keeps a key 60 minutes after the last one.
    int listen_key_keepalive_ms = 30 * 60'000;
    std::string ca_file;

    bool operator==(const exchange_config&) const = default;
};

struct synthetic_config {
    std::uint64_t seed = 42;
    int interval_ms = 250;
    double volatility_bps = 5.0;

    bool operator==(const synthetic_config&) const = default;
};

struct market_config {
    std::string source = "synthetic";  // synthetic | exchange | replay
    std::vector<std::string> symbols{"BTCUSDT", "ETHUSDT", "SOLUSDT"};
    std::string replay_file;
    double replay_speed = 1.0;       // 1 = recorded pace, 0 = as fast as possible
    std::string record_dir;          // empty: no recording
    int max_staleness_ms = 5000;     // a symbol quiet this long blocks new entries on it
    int push_interval_ms = 250;      // WS `market` channel: at most one quote per symbol per interval
    synthetic_config synthetic;

    bool operator==(const market_config&) const = default;
};

/// Rule fields shared by both engines: the engine's own config type, parsed straight from the
/// file (`engine_mode` and `max_staleness_ms` are not file keys: to_engine sets the mode, the
/// daemon the staleness from `market:`; `notify_ticks` is for the backtest).
struct trading_config : engine::engine_config {
    /// The engine config for `m`.
    engine::engine_config to_engine(engine::mode m) const;
    bool operator==(const trading_config&) const = default;
};

struct paper_trading_config : trading_config {
    bool autostart = true;
    decimal starting_balance = decimal::from_int(10000);
    double taker_fee = 0.0004;
    double slippage_bps = 1.0;
    bool operator==(const paper_trading_config&) const = default;
};

struct real_trading_config : trading_config {
    real_trading_config() { enabled = false; }
    /// Start the real engine at daemon start (only when enabled). Off by default: real money
    /// should never start trading just because the process restarted from a fresh data dir.
    bool autostart = false;
    bool operator==(const real_trading_config&) const = default;
};

/// The strategy section: the engine's own strategy config, parsed straight from the file; the
/// file's default strategy is momentum.
struct opportunities_config : engine::opportunity_config {
    opportunities_config() { strategy = "momentum"; }
    bool operator==(const opportunities_config&) const = default;
};

struct log_config {
    std::string level = "info";
    std::string format = "text";

    bool operator==(const log_config&) const = default;
};

/// One notification target (SPEC §10): a generic JSON webhook or a Telegram chat.
struct notification_target_config {
    std::string type;  // webhook | telegram
    /// webhook: the URL the JSON is POSTed to (may carry a token: never logged).
    std::string url;
    /// webhook: extra request headers, e.g. Authorization (values never logged).
    std::map<std::string, std::string> headers;
    /// telegram: the environment variable holding the bot token (the token is never in the file).
    std::string bot_token_env;
    std::string chat_id;
    std::string api_url = "https://api.telegram.org";
    /// Deadline of one delivery attempt (connect, TLS, request, answer).
    int timeout_ms = 5000;

    bool operator==(const notification_target_config&) const = default;
};

/// The events a notification can be sent for (SPEC §10), in SPEC order.
const std::vector<std::string>& notification_event_names();

struct notifications_config {
    std::vector<notification_target_config> targets;
    std::vector<std::string> events = notification_event_names();
    /// Per target: at most one message per interval; events within it are batched.
    int min_interval_ms = 1000;
    /// Per target: events waiting beyond this drop the oldest (counted in metrics and status).
    int max_queue = 100;

    bool operator==(const notifications_config&) const = default;
};

struct config {
    server_config server;
    storage_config storage;
    exchange_config exchange;
    market_config market;
    paper_trading_config paper_trading;
    real_trading_config real_trading;
    opportunities_config opportunities;
    log_config log;
    notifications_config notifications;
    bool operator==(const config&) const = default;
};

/// Shortest API token accepted (the generated one has 64 characters).
inline constexpr std::size_t min_token_length = 32;

/// Every error one load found, in file order ("paper_trading.stake_usd: expected a positive
/// number, got 'abc'"): a config load reports all of them at once, never only the first.
using config_errors = std::vector<std::string>;

/// Result of loading: a config, or the non-empty list of its errors. Read it with `if (r)`,
/// `*r`, `r->`, `r.error()` (value() is not used: it would throw).
using load_result = boost::system::result<config, config_errors>;

/// Parse YAML text.
load_result load_string(const std::string& yaml);
/// Read and parse a file ("cannot read FILE: reason" on I/O error).
load_result load_file(const std::string& path);

/// Whether to_yaml writes secrets (server.api_token) or blanks them.
enum class secrets { redact, include };
/// The config as YAML with every key, in SPEC §5 layout; load_string(to_yaml(c, include)) == c.
/// With secrets::redact (default) the API token is written as "" so the text can be logged.
std::string to_yaml(const config& cfg, secrets s = secrets::redact);

}  // namespace traded::config
