#pragma once
/// The engine reaches an exchange only through a port: it performs engine actions and reports
/// what happened as engine events. Paper trading and real trading differ only in their port.
/// Its data types (balance, connection state, untracked positions, reconciliation report) are in
/// exchange/port_types.hpp, shared with the API's views.

#include "engine/events.hpp"
#include "exchange/port_types.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace traded::port {

/// Outcome of the pre-start checks (credentials, position mode, leverage, balance).
struct preflight_result {
    std::string code;  // empty: ok
    std::string message;
    std::vector<std::string> warnings;
};

/// An exchange as the engine runner sees it. Called on the io_context thread only.
class exchange_port {
public:
    using event_sink = std::function<void(engine::event)>;
    virtual ~exchange_port() = default;

    /// Where the port delivers events. Events may be delivered synchronously from execute()
    /// (paper) or later from I/O handlers (real); the runner queues them either way.
    virtual void set_sink(event_sink sink) = 0;
    /// Perform one engine action.
    virtual void execute(const engine::action& a) = 0;
    virtual balance_snapshot balance() const = 0;
    virtual port_status status() const = 0;
    /// Outcome of the checks `start` needs (credentials, one-way mode, leverage, balance). A real
    /// port runs them when it connects and keeps the latest outcome, so `start` never blocks.
    virtual preflight_result preflight() const = 0;
    /// Symbols the exchange trades, with their filters.
    virtual std::vector<engine::symbol_info> symbols() const = 0;
    /// Exchange positions not owned by the engine ("untracked" in status).
    virtual std::vector<foreign_position> untracked() const { return {}; }
};

}  // namespace traded::port
