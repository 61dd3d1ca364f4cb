#pragma once
/// TLS client settings for exchange connections: peer verification against the system trust
/// store plus an optional extra CA file (exchange.ca_file), SNI and host-name verification.

#include "exchange/binance/result.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace traded::exchange_io {

/// A client TLS context that verifies peers: the system store, plus `ca_file` when not empty.
/// Fails (with the file named) when the CA file cannot be loaded: a typo there must not quietly
/// fall back to a weaker setup.
binance::result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const std::string& ca_file);

/// Prepares one TLS stream (asio::ssl::stream or beast::ssl_stream) for `host`: SNI (not for IP literals, which SNI does not allow) and
/// host-name verification of the peer certificate. Returns false when SNI could not be set.
template <class TlsStream>
bool prepare_tls_stream(TlsStream& s, const std::string& host);

}  // namespace traded::exchange_io

#include "exchange/net/tls_impl.hpp"
