#pragma once
/// What an exchange port reports besides engine events: account balance, connection state and
/// the exchange positions the engine does not own, and what reconciliation found. Defined once here for the daemon's ports and
/// the API's views (GET status, GET account-balance).

#include "engine/types.hpp"

#include <string>
#include <vector>

namespace traded::port {

/// Account figures for GET account-balance.
struct balance_snapshot {
    std::string asset = "USDT";
    decimal wallet_balance;
    decimal available_balance;
    decimal unrealized_pnl;
    decimal margin_balance;
    engine::millis updated_at = 0;
};

/// Connection state for GET status.
struct port_status {
    bool connected = false;
    std::string market_stream = "disabled";  // "connected", "connecting", "synthetic", "disabled"...
    std::string user_stream = "disabled";
    engine::millis last_event_at = 0;
};

/// An exchange position the engine does not own (reported, never touched).
struct foreign_position {
    std::string symbol;
    decimal amount;
    decimal entry_price;
};

/// Outcome of the last reconciliation sweep of a real port against the exchange (status:
/// `reconciliation`).
struct reconciliation_summary {
    engine::millis ran_at = 0;               // 0: none completed yet
    std::string trigger;                     // "start", "user stream reconnect", ...
    std::vector<std::string> fixed;          // one line per correction delivered to the engine
    std::vector<foreign_position> untracked;
    std::vector<std::string> problems;       // what could not be checked (the sweep is retried)
};

}  // namespace traded::port
