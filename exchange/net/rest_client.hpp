#pragma once
/// A small pool of keep-alive HTTPS (or plain HTTP, for a local simulator) connections to the
/// Binance REST API.
///
/// Requests are queued and sent on up to `max_connections` connections at once, one request per
/// connection at a time (HTTP/1.1), urgent ones (orders and cancels) ahead of queries. Queries
/// never hold the last connection: one is always left for urgent requests, so a hung query (or a
/// hung order) never delays a protective order behind it. Every request has a deadline. SIGNED requests are signed when they are written, with
/// timestamp = local clock + the measured server-time offset, so a request that waited in the
/// queue is not stale. The rate-limit governor is asked before each request and fed from every
/// answer: 429 backs off for Retry-After, 418 stops all sending until the ban ends; a request
/// whose wait would exceed its `max_wait` fails as not sent instead of waiting for hours.
/// -1021 (timestamp outside recvWindow) resynchronises the clock and retries once.
///
/// What the caller learns is the outcome that matters for money: answered (with status and
/// body), failed (the request certainly had no effect: safe to retry) or unknown (it was written
/// and the answer was lost: an order may or may not exist; look it up before sending again).
///
/// Threading and lifetime: io_context thread only. The client is shared-owned; its coroutines
/// hold a reference, so stop() before dropping the last handle to end them promptly.

#include "exchange/binance/codec.hpp"
#include "exchange/binance/rate_limit.hpp"
#include "exchange/net/io.hpp"
#include "exchange/net/url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace traded::exchange_io {

using millis = std::int64_t;
/// Wall clock in epoch milliseconds (injected so tests can move it).
using clock_fn = std::function<millis()>;
/// The system wall clock in epoch milliseconds.
millis system_clock_ms();

struct rest_response;

/// Connection and signing settings. api_key and api_secret are never logged.
struct rest_options {
    std::string base_url = "https://fapi.binance.com";
    std::string api_key;
    std::string api_secret;
    int recv_window_ms = 5000;
    std::string ca_file;
    std::chrono::milliseconds request_timeout{10'000};
    /// A keep-alive connection idle for longer is replaced before use: the server may have closed
    /// it, and an order written into a dead connection has an unknown outcome.
    std::chrono::milliseconds max_idle_reuse{15'000};
    std::chrono::milliseconds time_sync_interval{10 * 60'000};
    /// Connections used at once. Queries use at most max_connections - 1 (one is always left
    /// for orders and cancels), except with a single connection, which everything shares.
    int max_connections = 4;
    std::string user_agent = "traded";
    /// Called after every request with its outcome and the time from leaving the queue to the
    /// outcome (rate-limit wait included): the daemon's metrics. Never given secrets beyond what
    /// the request itself holds; must not call back into the client.
    std::function<void(const binance::rest_request&, const rest_response&, std::chrono::steady_clock::duration)>
        observer;
};

/// What happened to a request.
enum class rest_outcome {
    answered,  // an HTTP answer arrived (any status)
    failed,    // certainly without effect (not sent, connect failed, rate limited, stopped)
    unknown,   // written, answer lost: it may have had an effect
};

/// The answer to one request.
struct rest_response {
    rest_outcome outcome = rest_outcome::failed;
    int status = 0;
    std::string body;
    binance::response_meta meta;                  // rate-limit headers, Retry-After
    std::optional<binance::api_error> api_error;  // body {"code": <negative>, "msg": ...}
    std::string error;                            // transport failure / why it was not sent
    bool rate_limited = false;                    // failed because of a 429 back-off or 418 ban
    millis sent_at = 0;
    millis received_at = 0;

    /// 2xx without an error body.
    bool ok() const { return outcome == rest_outcome::answered && status >= 200 && status < 300 && !api_error; }
    /// Binance error code, 0 when none.
    int code() const { return api_error ? api_error->code : 0; }
    /// One line for logs and user messages ("HTTP 400 -2022 ReduceOnly Order is rejected.").
    std::string describe() const;
};

/// Per-request options.
struct call_options {
    /// Longest time the request may wait for the rate limiter before it fails as not sent.
    std::chrono::milliseconds max_wait{30'000};
    /// Orders and cancels: sent before queued queries.
    bool urgent = false;
    /// 0: rest_options::request_timeout.
    std::chrono::milliseconds timeout{0};
};

/// The REST client. Create with create(); see the file comment.
class rest_client : public std::enable_shared_from_this<rest_client> {
public:
    using callback = std::function<void(rest_response)>;

    /// Fails when the base URL or the TLS setup (CA file) is invalid.
    static binance::result<std::shared_ptr<rest_client>> create(asio::io_context& io, rest_options opts,
                                                                clock_fn clock = system_clock_ms);

    /// Queues a request; `cb` is called exactly once, never from inside this call.
    void async_call(binance::rest_request req, call_options opts, callback cb);
    /// Coroutine form of async_call.
    asio::awaitable<rest_response> call(binance::rest_request req, call_options opts = {});

    /// Measures the server-time offset now (GET /fapi/v1/time). True when it worked.
    asio::awaitable<bool> sync_time();
    /// Starts the periodic time synchronisation (the first one right away).
    void start();
    /// Fails queued requests, closes the connection, ends the coroutines.
    void stop();

    bool has_credentials() const { return !opts_.api_key.empty() && !opts_.api_secret.empty(); }
    bool time_synced() const { return time_synced_; }
    millis time_offset_ms() const { return offset_ms_; }
    /// Last time an HTTP answer (any status) arrived; 0 never.
    millis last_answer_at() const { return last_answer_at_; }
    /// Consecutive requests that got no answer (connect failures, timeouts).
    int consecutive_failures() const { return consecutive_failures_; }
    const binance::rate_governor& governor() const { return governor_; }
    binance::rate_governor& governor() { return governor_; }
    std::size_t queued() const { return urgent_.size() + normal_.size(); }
    /// Requests being performed right now (one per connection).
    int in_flight() const { return in_flight_; }
    const url_parts& base() const { return base_; }

    rest_client(asio::io_context& io, rest_options opts, clock_fn clock, url_parts base,
                std::shared_ptr<asio::ssl::context> tls);
    ~rest_client();
    rest_client(const rest_client&) = delete;
    rest_client& operator=(const rest_client&) = delete;

private:
    struct pending;
    struct connection;

    /// One worker: takes requests (urgent first) until none it may take is left.
    asio::awaitable<void> run_worker();
    /// The next request a worker may take, or nullptr.
    std::unique_ptr<pending> next_request();
    int normal_cap() const { return opts_.max_connections > 1 ? opts_.max_connections - 1 : 1; }
    void fail_queued(const std::string& why);
    asio::awaitable<rest_response> perform(pending& p, std::unique_ptr<connection>& conn);
    /// `write_by` (epoch ms, 0 = none): the request is not written after it (failed, not sent).
    asio::awaitable<rest_response> send_once(const binance::rest_request& req, std::chrono::milliseconds timeout,
                                             std::unique_ptr<connection>& conn, millis write_by = 0);
    asio::awaitable<error_code> ensure_connected(std::chrono::milliseconds timeout, bool& reused,
                                                 std::unique_ptr<connection>& conn);
    asio::awaitable<void> time_loop();
    void close_connection(std::unique_ptr<connection>& conn);
    void apply_server_time(const rest_response& r);
    std::string target_for(const binance::rest_request& req) const;

    asio::io_context& io_;
    rest_options opts_;
    clock_fn clock_;
    url_parts base_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::vector<std::unique_ptr<connection>> idle_;  // kept-alive connections no worker holds
    std::set<connection*> busy_conns_;               // held by a worker (closed by stop())
    std::set<asio::steady_timer*> wait_timers_;      // rate-limit waits (cancelled by stop())
    binance::rate_governor governor_;
    std::deque<std::unique_ptr<pending>> urgent_;
    std::deque<std::unique_ptr<pending>> normal_;
    asio::steady_timer sync_timer_;
    int workers_ = 0;
    int in_flight_ = 0;
    int normal_in_flight_ = 0;
    bool stopped_ = false;
    bool started_ = false;
    bool time_synced_ = false;
    millis offset_ms_ = 0;
    millis last_answer_at_ = 0;
    int consecutive_failures_ = 0;
};

}  // namespace traded::exchange_io
