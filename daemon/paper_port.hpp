#pragma once
/// Paper trading's exchange: the in-process simulated account (exchange/paper), answering
/// synchronously. The same matching model runs inside traded-sim.

#include "exchange/port.hpp"
#include "engine/engine.hpp"
#include "exchange/paper/matching.hpp"

namespace traded::daemon {

using port::balance_snapshot;
using port::exchange_port;
using port::port_status;
using port::preflight_result;

class paper_port final : public exchange_port {
public:
    paper_port(paper::account_config cfg, std::vector<engine::symbol_info> symbols);

    void set_sink(event_sink sink) override { sink_ = std::move(sink); }
    void execute(const engine::action& a) override;
    balance_snapshot balance() const override;
    port_status status() const override;
    preflight_result preflight() const override { return {}; }
    std::vector<engine::symbol_info> symbols() const override { return symbols_; }

    /// New prices: triggers resting TP/SL orders; their fills go to the sink before the caller
    /// hands the tick itself to the engine (execution before market data).
    void on_quote(const std::string& symbol, const engine::quote& q, engine::millis now);
    void set_now(engine::millis now) { now_ = now; }
    /// After a restart: rebuild the simulated account from the engine's restored state (wallet
    /// from the recorded trades, open positions, their resting TP/SL under the same client ids)
    /// and resume what was in flight: an interrupted close is re-read, an entry that never
    /// reached the account is reported rejected. Call after the first quotes were delivered.
    void restore(const engine::engine& e, decimal starting_balance);
    const paper::account& account() const { return account_; }

private:
    void emit(const paper::sim_events& ev);

    paper::account account_;
    paper::sim_events quote_events_;  // on_quote's result, reused: most quotes trigger nothing
    std::vector<engine::symbol_info> symbols_;
    event_sink sink_;
    engine::millis now_ = 0;
    engine::millis last_quote_at_ = 0;
};

}  // namespace traded::daemon
