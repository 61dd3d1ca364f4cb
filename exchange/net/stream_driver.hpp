#pragma once
/// The thin Asio driver of one Binance stream connection: it performs what
/// `binance::stream_fsm` decides (connect, close, create / keep alive the listenKey, run the
/// owner's reconciliation, arm the one timer) and feeds back what happened. Reconnect, backoff,
/// silence, 24 h rotation, the 30-minute keep-alive and the -1125 / listenKeyExpired re-create
/// are the machine's rules; nothing here decides anything.
///
/// Threading and lifetime: io_context thread only, no mutexes. The driver is shared-owned; its
/// pending operations hold a weak reference, so dropping the last handle (after stop()) ends it.

#include "exchange/binance/json_parser.hpp"
#include "exchange/binance/stream_fsm.hpp"
#include "exchange/net/io.hpp"
#include "exchange/net/rest_client.hpp"
#include "exchange/net/ws_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace traded::exchange_io {

/// What the owner of a stream hears.
struct stream_callbacks {
    /// Every data frame of the current connection, in order.
    std::function<void(std::string_view frame)> on_frame;
    /// The stream is complete and current (user stream: after reconcile_done()).
    std::function<void()> on_trusted;
    /// The stream is no longer trustworthy (why: "rotation", "disconnected: ...").
    std::function<void(const std::string& why)> on_untrusted;
    /// A connection attempt failed (before the machine decides the retry), with the socket's error.
    std::function<void(const std::string& error)> on_connect_failed;
    /// User stream: run the REST sweep now and answer reconcile_done() / reconcile_failed().
    std::function<void()> on_reconcile;
    /// A line worth logging (connection lost, listenKey re-created, ...).
    std::function<void(bool warning, const std::string& text)> on_note;
};

/// The driver; see the file comment.
class stream_driver : public std::enable_shared_from_this<stream_driver> {
public:
    /// `rest` is needed for the user stream (listenKey POST / PUT), may be null for market streams.
    stream_driver(asio::io_context& io, binance::stream_config cfg, ws_options wo, std::shared_ptr<asio::ssl::context> tls,
                  std::shared_ptr<rest_client> rest, stream_callbacks cb, clock_fn clock = system_clock_ms);
    ~stream_driver();
    stream_driver(const stream_driver&) = delete;
    stream_driver& operator=(const stream_driver&) = delete;

    void start();
    /// Closes the connection and stops for good.
    void stop();
    /// The owner's sweep after a (re)connect finished / failed.
    void reconcile_done();
    void reconcile_failed(const std::string& why);
    /// A listenKeyExpired event arrived on this stream.
    void listen_key_expired(const std::string& key);

    const binance::stream_fsm& fsm() const { return fsm_; }
    /// "connected", "reconciling", "connecting", "reconnecting" or "disabled" (status pages).
    std::string status() const;
    /// Connections that ended after having been up (reconnect counter).
    int reconnects() const { return reconnects_; }

private:
    void feed(binance::stream_input_t input);
    void perform(const binance::stream_action_t& a);
    void do_connect(std::string url, std::uint64_t n);
    void do_create_key();
    void do_keepalive(std::string key);
    void arm(binance::millis at);

    asio::io_context& io_;
    binance::stream_fsm fsm_;
    ws_options wo_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::shared_ptr<rest_client> rest_;
    stream_callbacks cb_;
    clock_fn clock_;
    asio::steady_timer timer_;
    std::uint64_t timer_gen_ = 0;
    std::map<std::uint64_t, std::shared_ptr<ws_client>> sockets_;  // by connection number
    std::deque<binance::stream_input_t> pending_;
    bool stepping_ = false;
    bool stopped_ = false;
    bool ever_connected_ = false;
    int reconnects_ = 0;
    binance::json_parser parser_;
};

}  // namespace traded::exchange_io
