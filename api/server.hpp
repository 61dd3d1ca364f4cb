#pragma once
/// The HTTP + WebSocket server (Boost.Beast), modelled on Beast's advanced_server_flex example:
/// listener -> http_session -> websocket_session, each session owning itself through
/// shared_from_this. Plain and TLS connections share the same session templates.
///
/// Threading: one io_context, one thread, no mutexes. Every handler, the hub and the backend
/// run on the thread that runs the io_context given to the constructor; that is what makes the
/// unlocked counters, the session registry and the hub safe.

#include "api/command.hpp"
#include "api/hub.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace traded::api {

/// One embedded file of the dashboard.
struct asset {
    std::string_view content_type;
    std::string_view body;
};

/// Finds the dashboard file for a request path ("/", "/real-trading", "/assets/app.js");
/// nullopt when there is none. Static data: the views must stay valid for the server's life.
using asset_lookup = std::function<std::optional<asset>(std::string_view path)>;

/// Size and time limits (SPEC §4).
struct server_limits {
    std::size_t header_bytes = 8 * 1024;
    std::size_t body_bytes = 64 * 1024;
    std::size_t ws_message_bytes = 64 * 1024;
    /// Largest message a WebSocket may send before it has authenticated: an auth op is tiny.
    std::size_t ws_pre_auth_message_bytes = 1024;
    /// Answers a WebSocket may have waiting before it has authenticated.
    std::size_t ws_pre_auth_queue_messages = 4;
    /// Bytes of chunk extensions allowed in one request, all chunks together (Boost 1.81's
    /// parser does not bound them itself).
    std::size_t chunk_extension_bytes = 1024;
    /// Chunks allowed in one request body.
    std::size_t max_chunks = 1024;
    /// Time allowed for the request line and headers of the first request of a connection.
    std::chrono::milliseconds header_timeout{10'000};
    /// Time allowed to receive a request's body once its headers are in, and to write an answer.
    std::chrono::milliseconds read_timeout{30'000};
    /// A keep-alive connection with no request for this long is closed.
    std::chrono::milliseconds idle_timeout{60'000};
    /// WebSocket ping period; a client silent for `ws_idle_timeout` is dropped.
    std::chrono::milliseconds ws_ping_interval{15'000};
    std::chrono::milliseconds ws_idle_timeout{45'000};
    /// A WebSocket that has not authenticated by then is closed with 1008.
    std::chrono::milliseconds ws_auth_timeout{15'000};
    /// A WebSocket being closed (slow client, bad token, stop) whose peer does not let the
    /// close finish is cut off after this long.
    std::chrono::milliseconds ws_close_timeout{5'000};
    /// Bounds of each WebSocket session's send queue.
    queue_limits ws_queue;
};

/// Everything the server is configured with.
struct server_options {
    std::string bind_address = "127.0.0.1";
    std::uint16_t port = 8000;  ///< 0: an ephemeral port (see server::port())
    /// The API token; empty means every authenticated route answers 401.
    std::string token;
    /// Optional second token (server.read_token): GET routes, /metrics and WebSocket
    /// subscriptions only; control operations answer 403 READ_ONLY_TOKEN.
    std::string read_token;
    /// Origins (e.g. "https://ops.example.com") allowed besides the same origin, for the
    /// WebSocket upgrade and CORS; "*" allows any.
    std::vector<std::string> cors_origins;
    /// Host names (besides the loopback ones) a request's Host header may carry: the names the
    /// operator reaches the server by. Anything else gets 421 (DNS rebinding defence).
    std::vector<std::string> hostnames;
    std::size_t max_connections = 256;
    /// Connections that have not presented a valid token yet may hold at most this many slots
    /// (0: half of max_connections). When they are all taken the oldest unauthenticated one is
    /// closed to make room, so a client with the token always gets in.
    std::size_t max_unauthenticated = 0;
    /// Failed-authentication throttle per peer address: a bucket of `auth_fail_burst` wrong
    /// tokens refilled at `auth_fail_per_second`.
    double auth_fail_burst = 10;
    double auth_fail_per_second = 2;
    server_limits limits;
    /// Both set: serve https/wss only (PEM files).
    std::string tls_cert_file;
    std::string tls_key_file;
    hub_options hub;
};

/// Counters the server exports on /metrics.
struct server_stats {
    std::size_t connections = 0;   ///< open HTTP + WebSocket connections
    std::size_t ws_clients = 0;    ///< open WebSocket sessions
    std::size_t ws_queue_messages_max = 0;  ///< longest send queue right now
    std::uint64_t ws_clients_dropped_total = 0;  ///< closed with 1013 for falling behind
    std::map<unsigned, std::uint64_t> http_requests;  ///< answers by status code (101: upgrades)
    std::size_t unauthenticated = 0;  ///< connections that have not presented a valid token
    /// Clients refused or cut off, by reason ("host", "origin", "unauthorized", "auth_throttled",
    /// "too_many_connections", "evicted", "payload_too_large", "bad_request", "timeout",
    /// "ws_pre_auth", "accept").
    std::map<std::string, std::uint64_t> refused;
};

struct server_state;

/// The API server. Construct, start(), run the io_context; stop() closes everything.
/// The io_context, the backend and the asset data must outlive the server.
class server {
public:
    server(boost::asio::io_context& ioc, server_options options, backend& b, asset_lookup assets);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Loads TLS files (when configured), binds and starts accepting. Returns an error message
    /// ("bind 127.0.0.1:8000: Address already in use") or nullopt on success.
    std::optional<std::string> start();
    /// Stops accepting and closes every connection (WebSockets get close code 1001).
    void stop();

    /// The bound port (the ephemeral one when configured with 0); 0 before start().
    std::uint16_t port() const;
    /// True when serving https/wss.
    bool tls() const;

    /// The WebSocket hub: the daemon publishes events through it.
    api::hub& hub();

    /// Current counters.
    server_stats stats() const;

private:
    std::shared_ptr<server_state> state_;
};

}  // namespace traded::api
