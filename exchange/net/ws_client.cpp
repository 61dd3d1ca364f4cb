#include "exchange/net/ws_client.hpp"

#include "exchange/net/tls.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace traded::exchange_io {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct ws_client::streams {
    std::unique_ptr<websocket::stream<beast::tcp_stream>> plain;
    std::unique_ptr<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> tls;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : beast::get_lowest_layer(*plain); }
};

ws_client::ws_client(asio::io_context& io, ws_options opts, std::shared_ptr<ssl::context> tls)
    : io_(io), opts_(std::move(opts)), tls_(std::move(tls)), s_(std::make_unique<streams>()) {}

ws_client::~ws_client() = default;

namespace {
template <class Ws>
void configure(Ws& ws, const ws_options& opts) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = opts.handshake_timeout;
    t.idle_timeout = opts.idle_timeout;
    t.keep_alive_pings = true;
    ws.set_option(t);
    ws.read_message_max(opts.max_message_bytes);
    ws.set_option(websocket::stream_base::decorator([ua = opts.user_agent](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, ua);
    }));
}
}  // namespace

asio::awaitable<error_code> ws_client::connect(std::string url) {
    auto self = shared_from_this();
    auto u = parse_url(url);
    if (!u) {
        last_error_ = u.error().message;
        co_return error_code(asio::error::invalid_argument);
    }
    if (u->scheme != "ws" && u->scheme != "wss") {
        last_error_ = "expected a ws:// or wss:// URL";
        co_return error_code(asio::error::invalid_argument);
    }
    if (u->tls && !tls_) {
        last_error_ = "wss:// needs a TLS context";
        co_return error_code(asio::error::invalid_argument);
    }
    tcp::resolver resolver(io_);
    auto [rec, results] = co_await resolver.async_resolve(u->host, u->port, use_tuple);
    if (rec) {
        last_error_ = "resolve " + u->host + ": " + rec.message();
        co_return rec;
    }
    if (closing_) co_return error_code(asio::error::operation_aborted);
    if (u->tls) {
        s_->tls = std::make_unique<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(io_, *tls_);
        if (!prepare_tls_stream(s_->tls->next_layer(), u->host)) {
            last_error_ = "cannot set TLS server name";
            co_return error_code(asio::error::invalid_argument);
        }
    } else {
        s_->plain = std::make_unique<websocket::stream<beast::tcp_stream>>(io_);
    }
    s_->lowest().expires_after(opts_.handshake_timeout);
    auto [cec, ep] = co_await s_->lowest().async_connect(results, use_tuple);
    (void)ep;
    if (cec) {
        last_error_ = "connect " + u->host + ":" + u->port + ": " + cec.message();
        co_return cec;
    }
    const std::string host = host_header(*u);
    error_code hec;
    if (s_->tls) {
        auto [tec] = co_await s_->tls->next_layer().async_handshake(ssl::stream_base::client, use_tuple);
        if (tec) {
            last_error_ = "TLS handshake with " + u->host + ": " + tec.message();
            co_return tec;
        }
        // The websocket timeout option takes over from the TCP deadline from here on.
        s_->lowest().expires_never();
        configure(*s_->tls, opts_);
        auto [wec] = co_await s_->tls->async_handshake(host, u->target, use_tuple);
        hec = wec;
    } else {
        s_->lowest().expires_never();
        configure(*s_->plain, opts_);
        auto [wec] = co_await s_->plain->async_handshake(host, u->target, use_tuple);
        hec = wec;
    }
    if (hec) {
        last_error_ = "WebSocket handshake with " + u->host + ": " + hec.message();
        co_return hec;
    }
    if (closing_) {
        close();
        co_return error_code(asio::error::operation_aborted);
    }
    open_ = true;
    co_return error_code{};
}

asio::awaitable<std::pair<error_code, std::string>> ws_client::read() {
    auto self = shared_from_this();
    if (!open_) co_return std::pair<error_code, std::string>{error_code(asio::error::not_connected), {}};
    error_code ec;
    if (s_->tls) {
        auto [e, n] = co_await s_->tls->async_read(s_->buffer, use_tuple);
        ec = e;
    } else {
        auto [e, n] = co_await s_->plain->async_read(s_->buffer, use_tuple);
        ec = e;
    }
    if (ec) {
        open_ = false;
        last_error_ = ec == beast::error::timeout ? "no data or pong within the idle timeout" : ec.message();
        co_return std::pair<error_code, std::string>{ec, {}};
    }
    std::string text = beast::buffers_to_string(s_->buffer.data());
    s_->buffer.consume(s_->buffer.size());
    co_return std::pair<error_code, std::string>{error_code{}, std::move(text)};
}

asio::awaitable<error_code> ws_client::send(std::string text) {
    auto self = shared_from_this();
    if (!open_) co_return error_code(asio::error::not_connected);
    error_code ec;
    if (s_->tls) {
        auto [e, n] = co_await s_->tls->async_write(asio::buffer(text), use_tuple);
        ec = e;
    } else {
        auto [e, n] = co_await s_->plain->async_write(asio::buffer(text), use_tuple);
        ec = e;
    }
    co_return ec;
}

void ws_client::close() {
    if (closing_ && !open_) return;
    closing_ = true;
    if (!s_->tls && !s_->plain) return;  // still resolving: connect() sees closing_
    if (open_) {
        open_ = false;
        // A close frame, bounded by the handshake timeout; the pending read then completes.
        asio::co_spawn(
            io_,
            [self = shared_from_this()]() -> asio::awaitable<void> {
                if (self->s_->tls)
                    co_await self->s_->tls->async_close(websocket::close_code::normal, use_tuple);
                else
                    co_await self->s_->plain->async_close(websocket::close_code::normal, use_tuple);
            },
            asio::detached);
        return;
    }
    error_code ec;
    s_->lowest().socket().close(ec);
}

}  // namespace traded::exchange_io
