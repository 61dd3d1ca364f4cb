#include "exchange/sim/sim_config.hpp"

#include "exchange/paper/matching.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

namespace traded::sim {

namespace {

/// The official signing test vector of the Binance docs (binance-usdm.md §2.2). Public, not a
/// secret: it lets the daemon's own tests reuse the documented signatures against the sim.
constexpr const char* test_api_key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
constexpr const char* test_api_secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

decimal dec(const char* s) { return *decimal::parse(s); }

/// Binance prints the MIN_NOTIONAL filter as a float ("5.0", "100.0"), in exchangeInfo and in
/// the -4164 message alike (the matching model words its message the same way).
std::string notional_text(decimal v) {
    std::string out = v.to_string();
    if (out.find('.') == std::string::npos) out += ".0";
    return out;
}

/// Thrown only inside this file and turned into a load error naming the key.
struct config_error {
    std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw config_error{fmt::format("{}: {}", path, what)};
}

void check_keys(const YAML::Node& n, const std::string& path, const std::set<std::string>& allowed) {
    if (!n.IsMap()) fail(path, "expected a map");
    for (const auto& kv : n) {
        auto key = kv.first.as<std::string>();
        if (!allowed.count(key)) fail(path.empty() ? key : path + "." + key, "unknown key");
    }
}

std::string join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
}

std::string get_string(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) fail(path, "expected a string");
    return n.Scalar();
}

std::int64_t get_int(const YAML::Node& n, const std::string& path, std::int64_t lo, std::int64_t hi) {
    if (!n.IsScalar()) fail(path, "expected an integer");
    std::int64_t v = 0;
    try {
        std::size_t used = 0;
        v = std::stoll(n.Scalar(), &used);
        if (used != n.Scalar().size()) fail(path, "expected an integer, got \"" + n.Scalar() + "\"");
    } catch (const std::logic_error&) {
        fail(path, "expected an integer, got \"" + n.Scalar() + "\"");
    }
    if (v < lo || v > hi) fail(path, fmt::format("must be between {} and {}", lo, hi));
    return v;
}

double get_double(const YAML::Node& n, const std::string& path, double lo, double hi) {
    if (!n.IsScalar()) fail(path, "expected a number");
    double v = 0;
    try {
        std::size_t used = 0;
        v = std::stod(n.Scalar(), &used);
        if (used != n.Scalar().size()) fail(path, "expected a number, got \"" + n.Scalar() + "\"");
    } catch (const std::logic_error&) {
        fail(path, "expected a number, got \"" + n.Scalar() + "\"");
    }
    if (!(v >= lo && v <= hi)) fail(path, fmt::format("must be between {} and {}", lo, hi));
    return v;
}

decimal get_decimal(const YAML::Node& n, const std::string& path, bool allow_zero) {
    if (!n.IsScalar()) fail(path, "expected a decimal number");
    auto d = decimal::parse(n.Scalar());
    if (!d) fail(path, "expected a decimal number with at most 8 fractional digits, got \"" + n.Scalar() + "\"");
    if (d->is_negative() || (!allow_zero && d->is_zero())) fail(path, "must be positive");
    return *d;
}

/// Runs `apply` when `key` is present in `n`.
void opt(const YAML::Node& n, const char* key, const std::function<void(const YAML::Node&)>& apply) {
    if (auto v = n[key]; v.IsDefined() && !v.IsNull()) apply(v);
}

void load_account(const YAML::Node& n, const std::string& path, account_config& a) {
    check_keys(n, path, {"name", "api_key", "api_secret", "starting_balance", "taker_fee", "slippage_bps", "leverage",
                         "commission_asset"});
    opt(n, "name", [&](auto& v) { a.name = get_string(v, join(path, "name")); });
    opt(n, "api_key", [&](auto& v) { a.api_key = get_string(v, join(path, "api_key")); });
    opt(n, "api_secret", [&](auto& v) { a.api_secret = get_string(v, join(path, "api_secret")); });
    opt(n, "starting_balance", [&](auto& v) { a.starting_balance = get_decimal(v, join(path, "starting_balance"), true); });
    opt(n, "taker_fee", [&](auto& v) { a.taker_fee = get_double(v, join(path, "taker_fee"), 0, 0.1); });
    opt(n, "slippage_bps", [&](auto& v) { a.slippage_bps = get_double(v, join(path, "slippage_bps"), 0, 1000); });
    opt(n, "leverage", [&](auto& v) { a.leverage = static_cast<int>(get_int(v, join(path, "leverage"), 1, 125)); });
    opt(n, "commission_asset", [&](auto& v) {
        a.commission_asset = get_string(v, join(path, "commission_asset"));
        if (a.commission_asset != "USDT" && a.commission_asset != "BNB")
            fail(join(path, "commission_asset"), "expected USDT or BNB");
    });
    if (a.api_key.empty()) fail(join(path, "api_key"), "is required");
    if (a.api_secret.empty()) fail(join(path, "api_secret"), "is required");
    for (char c : a.api_key)
        if (!std::isalnum(static_cast<unsigned char>(c))) fail(join(path, "api_key"), "must be letters and digits only");
}

void load_symbol(const YAML::Node& n, const std::string& path, symbol_config& s) {
    if (n.IsScalar()) {
        s = default_symbol_config(n.Scalar());
        return;
    }
    check_keys(n, path, {"symbol", "base_asset", "tick_size", "min_price", "max_price", "step_size", "min_qty", "max_qty",
                         "market_max_qty", "min_notional", "start_price"});
    if (!n["symbol"].IsDefined()) fail(join(path, "symbol"), "is required");
    s = default_symbol_config(get_string(n["symbol"], join(path, "symbol")));
    opt(n, "base_asset", [&](auto& v) { s.base_asset = get_string(v, join(path, "base_asset")); });
    opt(n, "tick_size", [&](auto& v) { s.tick_size = get_decimal(v, join(path, "tick_size"), false); });
    opt(n, "min_price", [&](auto& v) { s.min_price = get_decimal(v, join(path, "min_price"), true); });
    opt(n, "max_price", [&](auto& v) { s.max_price = get_decimal(v, join(path, "max_price"), true); });
    opt(n, "step_size", [&](auto& v) { s.step_size = get_decimal(v, join(path, "step_size"), false); });
    opt(n, "min_qty", [&](auto& v) { s.min_qty = get_decimal(v, join(path, "min_qty"), true); });
    opt(n, "max_qty", [&](auto& v) { s.max_qty = get_decimal(v, join(path, "max_qty"), true); });
    opt(n, "market_max_qty", [&](auto& v) { s.market_max_qty = get_decimal(v, join(path, "market_max_qty"), true); });
    opt(n, "min_notional", [&](auto& v) {
        s.min_notional = get_decimal(v, join(path, "min_notional"), true);
        s.min_notional_text = notional_text(s.min_notional);
    });
    opt(n, "start_price", [&](auto& v) { s.start_price = get_decimal(v, join(path, "start_price"), false); });
    if (s.start_price.is_zero()) fail(join(path, "start_price"), "is required for a symbol without built-in defaults");
}

sim_config parse(const YAML::Node& root) {
    sim_config c = default_sim_config();
    if (!root.IsDefined() || root.IsNull()) return c;
    check_keys(root, "", {"listen", "tls", "accounts", "symbols", "prices", "streams", "listen_key", "log"});
    opt(root, "listen", [&](auto& n) {
        check_keys(n, "listen", {"host", "port"});
        opt(n, "host", [&](auto& v) { c.host = get_string(v, "listen.host"); });
        opt(n, "port", [&](auto& v) { c.port = static_cast<std::uint16_t>(get_int(v, "listen.port", 0, 65535)); });
    });
    opt(root, "tls", [&](auto& n) {
        check_keys(n, "tls", {"cert_file", "key_file"});
        opt(n, "cert_file", [&](auto& v) { c.tls_cert_file = get_string(v, "tls.cert_file"); });
        opt(n, "key_file", [&](auto& v) { c.tls_key_file = get_string(v, "tls.key_file"); });
        if (c.tls_cert_file.empty() != c.tls_key_file.empty()) fail("tls", "set both cert_file and key_file, or neither");
    });
    opt(root, "accounts", [&](auto& n) {
        if (!n.IsSequence() || n.size() == 0) fail("accounts", "expected a non-empty list");
        c.accounts.clear();
        std::set<std::string> keys, names;
        for (std::size_t i = 0; i < n.size(); ++i) {
            std::string path = fmt::format("accounts[{}]", i);
            account_config a;
            a.name = fmt::format("account{}", i + 1);
            load_account(n[i], path, a);
            if (!keys.insert(a.api_key).second) fail(join(path, "api_key"), "is used by another account");
            if (!names.insert(a.name).second) fail(join(path, "name"), "is used by another account");
            c.accounts.push_back(a);
        }
    });
    opt(root, "symbols", [&](auto& n) {
        if (!n.IsSequence() || n.size() == 0) fail("symbols", "expected a non-empty list");
        c.symbols.clear();
        std::set<std::string> seen;
        for (std::size_t i = 0; i < n.size(); ++i) {
            std::string path = fmt::format("symbols[{}]", i);
            symbol_config s;
            load_symbol(n[i], path, s);
            for (char ch : s.symbol)
                if (!std::isupper(static_cast<unsigned char>(ch)) && !std::isdigit(static_cast<unsigned char>(ch)))
                    fail(path, "symbol names are upper-case letters and digits, like BTCUSDT");
            if (s.symbol.empty()) fail(path, "empty symbol name");
            if (!seen.insert(s.symbol).second) fail(path, "listed twice: " + s.symbol);
            if (s.start_price.is_zero()) fail(path, "no built-in defaults for " + s.symbol + "; give tick_size, step_size, min_qty, min_notional and start_price");
            c.symbols.push_back(s);
        }
    });
    opt(root, "prices", [&](auto& n) {
        check_keys(n, "prices", {"source", "seed", "interval_ms", "volatility_bps"});
        opt(n, "source", [&](auto& v) {
            c.prices.source = get_string(v, "prices.source");
            if (c.prices.source != "synthetic" && c.prices.source != "static") fail("prices.source", "expected synthetic or static");
        });
        opt(n, "seed", [&](auto& v) {
            c.prices.seed = static_cast<std::uint64_t>(get_int(v, "prices.seed", 0, std::numeric_limits<std::int64_t>::max()));
        });
        opt(n, "interval_ms", [&](auto& v) { c.prices.interval_ms = static_cast<int>(get_int(v, "prices.interval_ms", 10, 60000)); });
        opt(n, "volatility_bps", [&](auto& v) { c.prices.volatility_bps = get_double(v, "prices.volatility_bps", 0, 1000); });
    });
    opt(root, "streams", [&](auto& n) {
        check_keys(n, "streams", {"ping_interval_s", "pong_timeout_s", "max_connection_s", "mark_price_interval_ms",
                                  "mark_price_fast_interval_ms", "max_incoming_per_s"});
        auto& s = c.streams;
        opt(n, "ping_interval_s", [&](auto& v) { s.ping_interval_s = static_cast<int>(get_int(v, "streams.ping_interval_s", 1, 86400)); });
        opt(n, "pong_timeout_s", [&](auto& v) { s.pong_timeout_s = static_cast<int>(get_int(v, "streams.pong_timeout_s", 1, 86400)); });
        opt(n, "max_connection_s", [&](auto& v) { s.max_connection_s = static_cast<int>(get_int(v, "streams.max_connection_s", 1, 7 * 86400)); });
        opt(n, "mark_price_interval_ms", [&](auto& v) {
            s.mark_price_interval_ms = static_cast<int>(get_int(v, "streams.mark_price_interval_ms", 10, 600000));
        });
        opt(n, "mark_price_fast_interval_ms", [&](auto& v) {
            s.mark_price_fast_interval_ms = static_cast<int>(get_int(v, "streams.mark_price_fast_interval_ms", 10, 600000));
        });
        opt(n, "max_incoming_per_s", [&](auto& v) { s.max_incoming_per_s = static_cast<int>(get_int(v, "streams.max_incoming_per_s", 1, 100000)); });
    });
    opt(root, "listen_key", [&](auto& n) {
        check_keys(n, "listen_key", {"validity_s"});
        opt(n, "validity_s", [&](auto& v) { c.listen_key_validity_s = static_cast<int>(get_int(v, "listen_key.validity_s", 1, 86400)); });
    });
    for (std::size_t i = 0; i < c.accounts.size(); ++i)
        if (c.accounts[i].commission_asset == "BNB" &&
            std::none_of(c.symbols.begin(), c.symbols.end(), [](const auto& s) { return s.symbol == "BNBUSDT"; }))
            fail(fmt::format("accounts[{}].commission_asset", i), "BNB needs BNBUSDT among the symbols (its price converts the fee)");
    opt(root, "log", [&](auto& n) {
        check_keys(n, "log", {"level"});
        opt(n, "level", [&](auto& v) {
            c.log_level = get_string(v, "log.level");
            static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error"};
            if (!levels.count(c.log_level)) fail("log.level", "expected trace, debug, info, warn or error");
        });
    });
    return c;
}

}  // namespace

symbol_config default_symbol_config(const std::string& symbol) {
    symbol_config s;
    s.symbol = symbol;
    s.base_asset = symbol.size() > 4 && symbol.ends_with("USDT") ? symbol.substr(0, symbol.size() - 4) : symbol;
    auto infos = paper::default_symbols({symbol});
    if (infos.empty() || infos[0].tick_size.is_zero()) return s;  // start_price stays zero: caller reports it
    const auto& info = infos[0];
    s.tick_size = info.tick_size;
    s.step_size = info.step_size;
    s.min_qty = info.min_qty;
    s.min_notional = info.min_notional;
    s.min_notional_text = notional_text(info.min_notional);
    s.start_price = paper::default_start_price(symbol);
    // Price and quantity bounds: realistic captures for BTCUSDT (binance-usdm.md §4.2), generous
    // generic bounds otherwise.
    if (symbol == "BTCUSDT") {
        s.min_price = dec("261.10");
        s.max_price = dec("809484");
        s.max_qty = dec("1000");
        s.market_max_qty = dec("120");
    } else {
        s.min_price = info.tick_size;
        s.max_price = dec("1000000");
        s.max_qty = dec("10000000");
        s.market_max_qty = dec("1000000");
    }
    return s;
}

sim_config default_sim_config() {
    sim_config c;
    account_config a;
    a.name = "default";
    a.api_key = test_api_key;
    a.api_secret = test_api_secret;
    c.accounts.push_back(a);
    for (const char* s : {"BTCUSDT", "ETHUSDT", "SOLUSDT"}) c.symbols.push_back(default_symbol_config(s));
    return c;
}

sim_config_result load_sim_config_string(const std::string& yaml) {
    try {
        return parse(YAML::Load(yaml));
    } catch (const config_error& e) {
        return binance::failure<sim_config_result>(e.message);
    } catch (const YAML::Exception& e) {
        return binance::failure<sim_config_result>(
            fmt::format("YAML syntax error at line {}: {}", e.mark.line + 1, e.msg));
    }
}

sim_config_result load_sim_config_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return binance::failure<sim_config_result>("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = load_sim_config_string(ss.str());
    if (!r) return binance::failure<sim_config_result>(path + ": " + r.error().message);
    return r;
}

}  // namespace traded::sim
