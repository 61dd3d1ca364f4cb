#pragma once
/// One WebSocket client connection (wss through OpenSSL with SNI and peer + host-name
/// verification, or ws for a local simulator): connect, read messages, send, close.
///
/// Liveness: Beast's stream timeout sends a ping after `idle_timeout / 2` of silence and drops
/// the connection when nothing (not even a pong) arrives within `idle_timeout`; pings from the
/// server are answered automatically. Reconnecting, backoff and rotation are the owner's job
/// (the Binance port), which knows what a gap means for its stream.
///
/// Threading and lifetime: io_context thread only; keep a shared_ptr while awaiting.

#include "exchange/binance/result.hpp"
#include "exchange/net/io.hpp"
#include "exchange/net/url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace traded::exchange_io {

/// Connection settings.
struct ws_options {
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_message_bytes = 16 * 1024 * 1024;
    std::string user_agent = "traded";
};

/// The client; see the file comment.
class ws_client : public std::enable_shared_from_this<ws_client> {
public:
    /// `tls` is required for wss:// URLs (make_client_tls_context), ignored for ws://.
    ws_client(asio::io_context& io, ws_options opts, std::shared_ptr<asio::ssl::context> tls);
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;

    /// Resolves, connects, (TLS handshake,) WebSocket handshake. The error message of a failed
    /// connect is in last_error().
    asio::awaitable<error_code> connect(std::string url);
    /// The next text message; an error when the connection ended (closed, timeout, stop).
    asio::awaitable<std::pair<error_code, std::string>> read();
    /// Sends one text message.
    asio::awaitable<error_code> send(std::string text);
    /// Ends the connection: a close frame when open, else the socket is closed. A pending read
    /// completes with an error. Safe to call any time, more than once.
    void close();

    bool is_open() const { return open_; }
    const std::string& last_error() const { return last_error_; }

private:
    struct streams;

    asio::io_context& io_;
    ws_options opts_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::unique_ptr<streams> s_;
    bool open_ = false;
    bool closing_ = false;
    std::string last_error_;
};

}  // namespace traded::exchange_io
