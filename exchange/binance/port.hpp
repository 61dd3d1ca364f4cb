#pragma once
/// Real trading's exchange: Binance USD-M futures through the signed REST API and the user-data
/// stream (exchange/net for the I/O, exchange/binance for the codec and the state machines).
/// Market data is not the port's: exchange/market's exchange source feeds every engine.
///
/// What it guarantees the engine (SPEC §1, §6, §7):
/// - every place_order gets an answer: order_accepted, order_fill(s), order_rejected or
///   order_canceled; an order whose fate is unknown (timeout, 503 "Unknown error", connection
///   lost) is looked up by client id once the exchange can no longer execute it (recvWindow +
///   clock offset + margin after the write); TP/SL and closes are then sent again at most once,
///   entries never (an entry not found then fails, and is revived if it executes after all);
/// - fills come from the user-data stream and, whenever the stream may have missed them, from
///   GET userTrades with the same trade ids (the engine deduplicates by trade id); a triggered
///   TP/SL's fills are reported under the algo order's client id (`<pos>-TP`, ...);
/// - after every user-stream (re)connect a REST sweep (positions, open orders, open algo orders,
///   lookups of the engine's live orders) delivers what happened during the gap before the
///   stream is trusted again; the first sweep is the start-up reconciliation;
/// - preflight() is kept current in the background, so `start` never blocks.
///
/// Threading and lifetime: io_context thread only, no mutexes. The state lives in a shared
/// object that the port's coroutines keep alive; the destructor stops them.

#include "config/config.hpp"
#include "exchange/port.hpp"
#include "engine/engine.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace traded::binance {

using port::balance_snapshot;
using port::exchange_port;
using port::foreign_position;
using port::port_status;
using port::preflight_result;
using port::reconciliation_summary;

/// The engine the port serves, read-only (for reconciliation and untracked positions). Returns
/// nullptr while the engine does not exist yet.
using engine_view = std::function<const engine::engine*()>;

/// Settings of the port.
struct binance_port_options {
    config::exchange_config exchange;
    std::vector<std::string> symbols;  // market.symbols: the symbols the engine trades
    /// Leverage set per symbol at connect, and the stake whose margin the balance must cover;
    /// the engine's effective config (run-time overrides) wins when the engine view has one.
    int leverage = 3;
    decimal stake_usd = decimal::from_int(200);
    /// Where REST round trips, rate-limit weight, stream reconnects and market messages are
    /// counted (/metrics); nullptr records nothing. Must outlive the port.
    metrics::registry* metrics = nullptr;
};

/// The port; see the file comment.
class binance_port final : public exchange_port {
public:
    /// `fallback_symbols`: filters used until exchangeInfo has been loaded. `view` may return
    /// nullptr until the engine exists.
    binance_port(boost::asio::io_context& io, binance_port_options opts, std::vector<engine::symbol_info> fallback_symbols,
                 engine_view view);
    ~binance_port() override;
    binance_port(const binance_port&) = delete;
    binance_port& operator=(const binance_port&) = delete;

    /// Starts connecting: credentials, time sync, exchangeInfo, account checks, streams, and the
    /// reconciliation sweep once the user stream is up. Call after set_sink() and after the
    /// engine has been restored.
    void start();
    /// Closes connections and ends background work (exchange-side TP/SL stay in place).
    void stop();

    // exchange_port
    void set_sink(event_sink sink) override;
    void execute(const engine::action& a) override;
    balance_snapshot balance() const override;
    port_status status() const override;
    preflight_result preflight() const override;
    std::vector<engine::symbol_info> symbols() const override;
    std::vector<foreign_position> untracked() const override;

    /// The last completed reconciliation (ran_at == 0 before the first one).
    reconciliation_summary reconciliation() const;
    /// True once the first reconciliation sweep completed (new entries should wait for it).
    bool reconciled() const;
    /// True while a preflight answer of EXCHANGE_UNAVAILABLE may still turn into a ready
    /// connection by itself (connecting, syncing, loading, reconciling); false when the port is
    /// not started or misconfigured.
    bool connecting() const;
    /// Called after every completed sweep (start-up reconciliation included).
    void set_on_reconciled(std::function<void(const reconciliation_summary&)> cb);
    /// Called when the list of untracked exchange positions changes (entries on those symbols
    /// must be blocked: in one-way mode a new position would merge into the foreign one).
    void set_on_untracked(std::function<void(const std::vector<foreign_position>&)> cb);
    /// Called when the exchange reports a new balance (every ACCOUNT_UPDATE with a USDT balance,
    /// and REST readings that changed it); the caller throttles what it pushes.
    void set_on_balance(std::function<void()> cb);
    /// Called when exchangeInfo filters are loaded (the engine's symbol filters should follow).
    void set_on_symbols(std::function<void(const std::vector<engine::symbol_info>&)> cb);
    /// Runs a reconciliation sweep now (also done on every user-stream reconnect).
    void request_reconcile(std::string why);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace traded::binance
