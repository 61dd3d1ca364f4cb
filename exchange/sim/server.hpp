#pragma once
/// The network side of `traded-sim`: one listening port on one io_context (single thread) that
/// serves REST and WebSocket, in plain text and, when a certificate is configured, in TLS too
/// (each connection is sniffed: a TLS ClientHello gets TLS). Every protocol decision is the
/// venue's (venue.hpp); this layer parses HTTP, keeps WebSocket subscriptions, delivers stream
/// messages, pings clients and drives the timers (price steps, mark price cadence, listenKey
/// expiry).

#include "exchange/sim/sim_config.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace traded::sim {

/// The simulator's listener, sessions and timers. Single-threaded: everything runs on `ioc`.
class server {
public:
    server(boost::asio::io_context& ioc, sim_config cfg);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds host:port (port 0 picks a free one), loads the TLS certificate when configured,
    /// starts accepting and arms the timers. Returns the bound port. Throws on failure (startup).
    std::uint16_t start();
    /// Stops accepting, closes every connection and cancels the timers, so `ioc.run()` returns.
    void stop();

    /// Implementation detail (state shared by the sessions in server.cpp).
    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace traded::sim
