#pragma once
/// Configuration of `traded-sim`, the local Binance USD-M exchange simulator: where it listens,
/// which accounts (API key/secret, starting balance) exist, which symbols it lists with which
/// filters, where prices come from and the stream timing rules. Documented key by key in
/// config/sim-exchange.yaml. Loading never throws: errors name the key that is wrong.

#include "engine/types.hpp"
#include "exchange/binance/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace traded::sim {

using traded::decimal;

/// One simulated exchange account, addressed by its API key.
struct account_config {
    std::string name = "default";
    std::string api_key;
    std::string api_secret;
    decimal starting_balance = decimal::from_int(10000);
    double taker_fee = 0.0004;
    double slippage_bps = 1.0;
    int leverage = 20;  // initial leverage of every symbol (Binance's default is 20)
    /// Asset commissions are reported in: "USDT", or "BNB" as with Binance's BNB fee discount on
    /// (the taker fee's USDT value divided by BNBUSDT's mark at the fill, 8 decimals; BNBUSDT
    /// must be listed). The USDT wallet is still charged the USDT value: no BNB wallet is modelled.
    std::string commission_asset = "USDT";
};

/// A listed symbol with the filters exchangeInfo publishes and the order checks enforce.
struct symbol_config {
    std::string symbol;
    std::string base_asset;  // "BTC" for BTCUSDT
    decimal tick_size;
    decimal min_price;
    decimal max_price;
    decimal step_size;  // LOT_SIZE and MARKET_LOT_SIZE
    decimal min_qty;
    decimal max_qty;         // LOT_SIZE
    decimal market_max_qty;  // MARKET_LOT_SIZE
    decimal min_notional;
    std::string min_notional_text;  // "5.0", "100.0": as exchangeInfo and -4164 print it
    decimal start_price;
};

/// Price source: the synthetic random walk, or only what /admin/price sets.
struct price_config {
    std::string source = "synthetic";  // synthetic | static
    std::uint64_t seed = 42;
    int interval_ms = 250;
    double volatility_bps = 5.0;
};

/// WebSocket timing rules (Binance: ping every 3 min, drop after 10 min without pong, 24 h max).
struct stream_config {
    int ping_interval_s = 180;
    int pong_timeout_s = 600;
    int max_connection_s = 86400;
    int mark_price_interval_ms = 3000;       // <symbol>@markPrice
    int mark_price_fast_interval_ms = 1000;  // <symbol>@markPrice@1s
    int max_incoming_per_s = 10;             // more than this and the connection is closed
};

struct sim_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 18080;
    std::string tls_cert_file;
    std::string tls_key_file;
    std::vector<account_config> accounts;
    std::vector<symbol_config> symbols;
    price_config prices;
    stream_config streams;
    int listen_key_validity_s = 3600;
    std::string log_level = "info";

    bool tls_enabled() const { return !tls_cert_file.empty() && !tls_key_file.empty(); }
};

/// Outcome of loading: a config, or an error whose message names the offending key.
using sim_config_result = binance::result<sim_config>;

/// The built-in configuration: one account whose key and secret are the official Binance
/// signing test vector (documented in config/sim-exchange.yaml), BTCUSDT/ETHUSDT/SOLUSDT.
sim_config default_sim_config();
/// Parses YAML text; keys left out keep their built-in defaults.
sim_config_result load_sim_config_string(const std::string& yaml);
/// Reads and parses a file.
sim_config_result load_sim_config_file(const std::string& path);
/// The symbol entry with built-in filters for a name (realistic values for BTC/ETH/SOL, generic
/// ones otherwise).
symbol_config default_symbol_config(const std::string& symbol);

}  // namespace traded::sim
