#pragma once
/// What an exchange port reports besides engine events: account balance, connection state and
/// the exchange positions the engine does not own. Defined once here for the daemon's ports and
/// the API's views (GET status, GET account-balance).

#include "engine/types.hpp"

#include <string>

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

}  // namespace traded::port
