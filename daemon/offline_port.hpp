#pragma once
/// The real engine's port while real trading is disabled: it opens no connection to any exchange
/// (SPEC §5) and refuses every action, so nothing can reach an exchange by accident.

#include "exchange/port.hpp"

namespace traded::daemon {

using port::balance_snapshot;
using port::exchange_port;
using port::port_status;
using port::preflight_result;

class offline_port final : public exchange_port {
public:
    explicit offline_port(std::vector<engine::symbol_info> symbols) : symbols_(std::move(symbols)) {}
    void set_sink(event_sink sink) override { sink_ = std::move(sink); }
    void execute(const engine::action& a) override {
        if (const auto* p = std::get_if<engine::place_order>(&a); p && sink_)
            sink_(engine::order_rejected{p->order.client_id, 0, "real trading is disabled: no exchange connection"});
    }
    balance_snapshot balance() const override { return {}; }
    port_status status() const override { return {}; }
    preflight_result preflight() const override {
        return {"REAL_TRADING_DISABLED", "real_trading.enabled is false in the configuration", {}};
    }
    std::vector<engine::symbol_info> symbols() const override { return symbols_; }

private:
    std::vector<engine::symbol_info> symbols_;
    event_sink sink_;
};

}  // namespace traded::daemon
