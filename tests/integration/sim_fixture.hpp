#pragma once
// Integration fixture for real trading: a traded-sim process on a free loopback port with static
// prices (they move only through POST /admin/price, so tests are deterministic), plus a traded
// daemon whose real-trading engine points at it.

#include "harness.hpp"

#include <memory>
#include <string>

namespace traded::test {

/// The simulator's built-in test account (Binance's public signing test vector; not a secret).
inline constexpr const char* sim_api_key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
inline constexpr const char* sim_api_secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

/// A running traded-sim with static prices.
class sim_fixture {
public:
    /// Starts traded-sim; `tls` generates a self-signed cert for 127.0.0.1 and serves https/wss too.
    /// `bnb_fees`: the account pays commissions in BNB (BNBUSDT listed at bnb_price).
    explicit sim_fixture(bool tls = false, bool bnb_fees = false);
    /// BNBUSDT's fixed price when bnb_fees.
    static constexpr const char* bnb_price = "600.00";
    ~sim_fixture();
    sim_fixture(const sim_fixture&) = delete;
    sim_fixture& operator=(const sim_fixture&) = delete;

    unsigned short port() const { return port_; }
    bool tls() const { return tls_; }
    /// PEM certificate path (TLS only).
    const std::string& cert_file() const { return cert_; }
    process& proc() { return proc_; }
    /// Starts the simulator again on the same port and config (after proc().stop()), with the
    /// fixed prices set again.
    void restart();

    /// POST an admin route; REQUIREs 200 and returns the JSON answer.
    json::value admin(const std::string& path, const std::string& body);
    /// GET /admin/state.
    json::value state();
    /// Sets bid/ask/mark of a symbol (freezes it).
    void set_price(const std::string& symbol, const std::string& bid, const std::string& ask,
                   const std::string& mark);
    /// Sets a single price for bid, ask and mark.
    void set_price(const std::string& symbol, const std::string& price) { set_price(symbol, price, price, price); }

    /// The daemon's `exchange:` block (URLs, env-var credentials, ca_file when TLS).
    std::string exchange_yaml() const;

private:
    void launch();
    std::string root_;
    std::string cert_;
    unsigned short port_ = 0;
    bool tls_ = false;
    bool bnb_fees_ = false;
    process proc_;
};

/// A traded daemon with real trading enabled against `sim`, manual opportunities only.
/// `real_yaml` lines are appended inside `real_trading:` (two-space indented keys).
/// `exchange_yaml`: more `exchange:` keys (two-space indented lines).
std::unique_ptr<daemon_fixture> make_real_daemon(const sim_fixture& sim, const std::string& real_yaml = "",
                                                 const std::string& exchange_yaml = "");

/// POST /api/v1/real-trading/start until it answers 200 (preflight passed) or the timeout passes.
http_answer start_real(daemon_fixture& d, std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

}  // namespace traded::test
