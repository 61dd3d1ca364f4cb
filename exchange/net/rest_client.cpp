#include "exchange/net/rest_client.hpp"

#include "log/log.hpp"
#include "exchange/net/retry_driver.hpp"
#include "exchange/net/tls.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace traded::exchange_io {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

millis system_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {
/// Answers above this are refused (exchangeInfo for every symbol is a few MB).
constexpr std::uint64_t max_body_bytes = 64ULL * 1024 * 1024;
/// Signed timestamps are kept a little behind the server's clock: Binance rejects a timestamp
/// 1000 ms ahead of it, while being behind only eats into recvWindow.
constexpr millis timestamp_bias_ms = 200;

bool quiet_error(const error_code& ec) {
    return ec == asio::error::operation_aborted || ec == asio::error::eof || ec == http::error::end_of_stream ||
           ec == asio::error::connection_reset;
}
}  // namespace

std::string rest_response::describe() const {
    switch (outcome) {
        case rest_outcome::failed: return "not sent: " + error;
        case rest_outcome::unknown: return "outcome unknown: " + error;
        case rest_outcome::answered: break;
    }
    if (api_error) return fmt::format("HTTP {} {} {}", status, api_error->code, api_error->msg);
    if (status >= 200 && status < 300) return fmt::format("HTTP {}", status);
    std::string snippet = body.substr(0, 200);
    for (auto& c : snippet)
        if (c == '\n' || c == '\r') c = ' ';
    return fmt::format("HTTP {} {}", status, snippet);
}

struct rest_client::pending {
    binance::rest_request req;
    call_options opts;
    callback cb;
    millis queued_at = 0;
};

/// The one connection: plain TCP or TLS over TCP.
struct rest_client::connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    millis last_used = 0;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

binance::result<std::shared_ptr<rest_client>> rest_client::create(asio::io_context& io, rest_options opts,
                                                                  clock_fn clock) {
    using out_t = binance::result<std::shared_ptr<rest_client>>;
    auto base = parse_url(opts.base_url);
    if (!base) return binance::failure<out_t>("exchange.rest_url: " + base.error().message);
    if (base->scheme != "https" && base->scheme != "http")
        return binance::failure<out_t>("exchange.rest_url: expected an https:// or http:// URL, got " + base->scheme + "://");
    std::shared_ptr<ssl::context> tls;
    if (base->tls) {
        auto ctx = make_client_tls_context(opts.ca_file);
        if (!ctx) return binance::failure<out_t>(ctx.error().message);
        tls = *ctx;
    }
    return out_t(std::make_shared<rest_client>(io, std::move(opts), std::move(clock), std::move(*base), tls));
}

rest_client::rest_client(asio::io_context& io, rest_options opts, clock_fn clock, url_parts base,
                         std::shared_ptr<ssl::context> tls)
    : io_(io),
      opts_(std::move(opts)),
      clock_(std::move(clock)),
      base_(std::move(base)),
      tls_(std::move(tls)),
      sync_timer_(io) {
    opts_.max_connections = std::max(1, opts_.max_connections);
}

rest_client::~rest_client() = default;

void rest_client::async_call(binance::rest_request req, call_options opts, callback cb) {
    auto p = std::make_unique<pending>();
    p->req = std::move(req);
    p->opts = opts;
    p->cb = std::move(cb);
    p->queued_at = clock_();
    if (stopped_) {
        rest_response r;
        r.error = "client stopped";
        asio::post(io_, [cb = std::move(p->cb), r = std::move(r)]() mutable { cb(std::move(r)); });
        return;
    }
    (opts.urgent ? urgent_ : normal_).push_back(std::move(p));
    // One more worker while below the pool size: a request never waits for a busy connection
    // when another could be opened. A worker that finds nothing to take simply ends.
    if (workers_ < opts_.max_connections) {
        ++workers_;
        asio::co_spawn(io_, [self = shared_from_this()]() { return self->run_worker(); }, asio::detached);
    }
}

asio::awaitable<rest_response> rest_client::call(binance::rest_request req, call_options opts) {
    // Wait on a timer that the callback cancels: a plain way to await a callback-style result.
    auto done = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
    auto out = std::make_shared<std::optional<rest_response>>();
    async_call(std::move(req), opts, [done, out](rest_response r) {
        *out = std::move(r);
        done->cancel();
    });
    while (!out->has_value()) co_await done->async_wait(use_tuple);
    co_return std::move(**out);
}

std::unique_ptr<rest_client::pending> rest_client::next_request() {
    if (!urgent_.empty()) {
        auto p = std::move(urgent_.front());
        urgent_.pop_front();
        return p;
    }
    // Queries leave one connection free, so an order never waits behind them.
    if (!normal_.empty() && normal_in_flight_ < normal_cap()) {
        auto p = std::move(normal_.front());
        normal_.pop_front();
        return p;
    }
    return nullptr;
}

asio::awaitable<void> rest_client::run_worker() {
    auto self = shared_from_this();
    std::unique_ptr<connection> conn;
    while (!stopped_) {
        std::unique_ptr<pending> p = next_request();
        if (!p) break;
        const bool urgent = p->opts.urgent;
        ++in_flight_;
        if (!urgent) ++normal_in_flight_;
        if (!conn && !idle_.empty()) {
            conn = std::move(idle_.back());
            idle_.pop_back();
        }
        const auto started = std::chrono::steady_clock::now();
        rest_response r = co_await perform(*p, conn);
        --in_flight_;
        if (!urgent) --normal_in_flight_;
        if (opts_.observer) opts_.observer(p->req, r, std::chrono::steady_clock::now() - started);
        if (p->cb) p->cb(std::move(r));
    }
    // Keep the connection for the next worker (it is checked for staleness before reuse).
    if (conn && !stopped_) idle_.push_back(std::move(conn));
    else if (conn) close_connection(conn);
    --workers_;
    // Requests that arrived after stop(), or normal ones left while this worker held a slot.
    if (stopped_) fail_queued("client stopped");
    else if (!urgent_.empty() || (!normal_.empty() && normal_in_flight_ < normal_cap())) {
        if (workers_ < opts_.max_connections) {
            ++workers_;
            asio::co_spawn(io_, [self]() { return self->run_worker(); }, asio::detached);
        }
    }
}

void rest_client::fail_queued(const std::string& why) {
    // Every callback runs exactly once, never from inside async_call.
    auto fail_all = [&](std::deque<std::unique_ptr<pending>>& q) {
        while (!q.empty()) {
            auto p = std::move(q.front());
            q.pop_front();
            rest_response r;
            r.error = why;
            asio::post(io_, [cb = std::move(p->cb), r = std::move(r)]() mutable {
                if (cb) cb(std::move(r));
            });
        }
    };
    fail_all(urgent_);
    fail_all(normal_);
}

std::string rest_client::target_for(const binance::rest_request& req) const {
    std::string target = base_.target;
    while (!target.empty() && target.back() == '/') target.pop_back();
    const auto q = target.find('?');
    if (q != std::string::npos) target.resize(q);
    target += req.path;
    std::string query;
    if (req.security == binance::security_type::signed_request)
        query = binance::signed_query(req.params, opts_.api_secret, opts_.recv_window_ms,
                                      clock_() + offset_ms_ - timestamp_bias_ms);
    else
        query = req.unsigned_query();
    if (!query.empty()) target += "?" + query;
    return target;
}

asio::awaitable<rest_response> rest_client::perform(pending& p, std::unique_ptr<connection>& conn) {
    const millis wait_deadline = p.queued_at + p.opts.max_wait.count();
    const auto timeout = p.opts.timeout.count() > 0 ? p.opts.timeout : opts_.request_timeout;
    bool resynced = false;
    const binance::retry_settings rule = binance::retry_rules::rest_send();
    for (int attempt = 0; attempt < rule.max_attempts; ++attempt) {
        // The rate limiter first: a request that cannot go out within max_wait fails unsent.
        for (;;) {
            if (stopped_) {
                rest_response r;
                r.error = "client stopped";
                co_return r;
            }
            const millis now = clock_();
            auto d = governor_.can_send(now, p.req.weight, p.req.is_order);
            if (d.ok()) break;
            if (d.until > wait_deadline) {
                rest_response r;
                r.rate_limited = true;
                r.error = d.kind == binance::send_decision::verdict::banned
                              ? fmt::format("IP banned by the exchange (418) for another {} s", (d.until - now + 999) / 1000)
                              : fmt::format("rate limited: backing off for another {} s", (d.until - now + 999) / 1000);
                co_return r;
            }
            asio::steady_timer wait(io_);
            wait.expires_after(std::chrono::milliseconds(std::max<millis>(1, d.until - now)));
            wait_timers_.insert(&wait);
            co_await wait.async_wait(use_tuple);
            wait_timers_.erase(&wait);
        }
        if (p.req.security != binance::security_type::none && !has_credentials()) {
            rest_response r;
            r.error = "no API credentials configured";
            co_return r;
        }
        // An order that cannot be written within its max_wait (queued behind slow requests, a slow
        // connect, or a -1021 / 429 retry too late) is not sent at all: after a crash, the daemon
        // bounds how long an order it decided may still execute by this deadline.
        rest_response r = co_await send_once(p.req, timeout, conn, p.req.is_order ? wait_deadline : 0);
        if (r.outcome != rest_outcome::answered) co_return r;
        // binance::rest_resend_step decides (retry_rules::rest_send: 4 sends at most); the waits
        // before a send again are the governor's (the loop above).
        switch (binance::rest_resend_step(rule, r.status, r.code(), attempt, resynced)) {
            case binance::resend_verdict::resync_then_send: {
                // Our clock drifted from the server's: measure again, re-sign, send once more. The
                // request was rejected, so sending it again cannot duplicate anything.
                resynced = true;
                log::warn("rest", "{} {}: timestamp outside recvWindow (-1021); resynchronising the clock",
                          binance::to_string(p.req.method), p.req.path);
                const binance::rest_request time_req = binance::server_time();
                auto t = co_await send_once(time_req, timeout, conn);
                apply_server_time(t);
                continue;
            }
            case binance::resend_verdict::send_again:
                // Rejected before processing; the governor now holds the back-off or ban, and the
                // loop above waits for it when it ends within max_wait, else fails the request.
                log::warn("rest", "{} {}: HTTP {} (retry after {} s)", binance::to_string(p.req.method), p.req.path,
                          r.status, r.meta.retry_after_s ? *r.meta.retry_after_s : -1);
                continue;
            case binance::resend_verdict::answer: break;
        }
        if (r.status == 429 || r.status == 418) r.rate_limited = true;
        co_return r;
    }
    rest_response r;
    r.error = "too many attempts";
    co_return r;
}

asio::awaitable<error_code> rest_client::ensure_connected(std::chrono::milliseconds timeout, bool& reused,
                                                          std::unique_ptr<connection>& conn) {
    const millis now = clock_();
    if (conn && now - conn->last_used <= opts_.max_idle_reuse.count()) {
        reused = true;
        co_return error_code{};
    }
    close_connection(conn);
    reused = false;
    auto c = std::make_unique<connection>();
    busy_conns_.insert(c.get());
    struct untrack {
        std::set<connection*>& set;
        connection* c;
        ~untrack() { set.erase(c); }
    } guard{busy_conns_, c.get()};
    tcp::resolver resolver(io_);
    auto [rec, results] = co_await resolver.async_resolve(base_.host, base_.port, use_tuple);
    if (rec) co_return rec;
    if (tls_) {
        c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls_);
        if (!prepare_tls_stream(*c->tls, base_.host)) co_return error_code(asio::error::invalid_argument);
    } else {
        c->plain = std::make_unique<beast::tcp_stream>(io_);
    }
    c->lowest().expires_after(timeout);
    auto [cec, ep] = co_await c->lowest().async_connect(results, use_tuple);
    if (cec) co_return cec;
    (void)ep;
    if (c->tls) {
        auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, use_tuple);
        if (hec) co_return hec;
    }
    if (stopped_) co_return error_code(asio::error::operation_aborted);
    c->last_used = clock_();
    conn = std::move(c);
    co_return error_code{};
}

void rest_client::close_connection(std::unique_ptr<connection>& conn) {
    if (!conn) return;
    busy_conns_.erase(conn.get());
    error_code ec;
    conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    conn->lowest().close();
    conn.reset();
}

asio::awaitable<rest_response> rest_client::send_once(const binance::rest_request& req,
                                                      std::chrono::milliseconds timeout,
                                                      std::unique_ptr<connection>& conn, millis write_by) {
    auto self = shared_from_this();
    rest_response r;
    const bool idempotent = req.method == binance::http_method::get;
    for (int round = 0; round < 2; ++round) {
        bool reused = false;
        error_code cec = co_await ensure_connected(timeout, reused, conn);
        if (cec) {
            close_connection(conn);
            ++consecutive_failures_;
            r.outcome = rest_outcome::failed;
            r.error = "cannot connect to " + base_.host + ":" + base_.port + ": " + cec.message();
            co_return r;
        }
        if (write_by != 0 && clock_() > write_by) {
            r.outcome = rest_outcome::failed;
            r.error = "not sent: it could not be written in time (max_wait)";
            co_return r;
        }
        http::request<http::string_body> hreq{
            req.method == binance::http_method::get    ? http::verb::get
            : req.method == binance::http_method::post ? http::verb::post
            : req.method == binance::http_method::put  ? http::verb::put
                                                       : http::verb::delete_,
            target_for(req), 11};
        hreq.set(http::field::host, host_header(base_));
        hreq.set(http::field::user_agent, opts_.user_agent);
        hreq.keep_alive(true);
        if (req.security != binance::security_type::none) hreq.set("X-MBX-APIKEY", opts_.api_key);
        if (req.method != binance::http_method::get)
            hreq.set(http::field::content_type, "application/x-www-form-urlencoded");
        hreq.prepare_payload();

        busy_conns_.insert(conn.get());
        governor_.on_sent(clock_(), req.weight, req.is_order);
        r.sent_at = clock_();
        conn->lowest().expires_after(timeout);
        error_code ec;
        http::response_parser<http::string_body> parser;
        parser.body_limit(max_body_bytes);
        if (conn->tls) {
            auto [wec, wn] = co_await http::async_write(*conn->tls, hreq, use_tuple);
            ec = wec;
            if (!ec) {
                auto [rec, rn] = co_await http::async_read(*conn->tls, conn->buffer, parser, use_tuple);
                ec = rec;
            }
        } else {
            auto [wec, wn] = co_await http::async_write(*conn->plain, hreq, use_tuple);
            ec = wec;
            if (!ec) {
                auto [rec, rn] = co_await http::async_read(*conn->plain, conn->buffer, parser, use_tuple);
                ec = rec;
            }
        }
        if (ec) {
            close_connection(conn);
            // A reused keep-alive connection the server had already closed: a GET is simply
            // sent again on a fresh connection; anything else may have reached the server.
            if (reused && idempotent && round == 0 && ec != beast::error::timeout && !stopped_) continue;
            ++consecutive_failures_;
            r.outcome = idempotent ? rest_outcome::failed : rest_outcome::unknown;
            r.error = ec == beast::error::timeout ? "timeout after " + std::to_string(timeout.count()) + " ms"
                                                  : "connection lost: " + ec.message();
            if (!quiet_error(ec) && ec != beast::error::timeout)
                log::debug("rest", "{} {}: {}", binance::to_string(req.method), req.path, ec.message());
            co_return r;
        }
        conn->last_used = clock_();
        auto res = parser.release();
        r.outcome = rest_outcome::answered;
        r.received_at = clock_();
        r.status = static_cast<int>(res.result_int());
        for (const auto& f : res) r.meta.add_header(f.name_string(), f.value());
        r.meta.http_status = r.status;
        r.body = std::move(res.body());
        r.api_error = binance::parse_api_error(r.body);
        governor_.on_response(r.received_at, r.meta);
        last_answer_at_ = r.received_at;
        consecutive_failures_ = 0;
        if (!res.keep_alive()) close_connection(conn);
        co_return r;
    }
    co_return r;
}

void rest_client::apply_server_time(const rest_response& r) {
    if (!r.ok()) {
        log::warn("rest", "server time: {}", r.describe());
        return;
    }
    auto t = binance::parse_server_time(r.body);
    if (!t) {
        log::warn("rest", "server time: {}", t.error().message);
        return;
    }
    // The server read its clock somewhere between our send and receive: assume the middle.
    const millis mid = r.sent_at + (r.received_at - r.sent_at) / 2;
    const millis offset = *t - mid;
    if (!time_synced_ || std::abs(offset - offset_ms_) > 500)
        log::info("rest", "server time offset {} ms (round trip {} ms)", offset, r.received_at - r.sent_at);
    offset_ms_ = offset;
    time_synced_ = true;
}

asio::awaitable<bool> rest_client::sync_time() {
    call_options o;
    o.urgent = true;
    o.max_wait = std::chrono::seconds(10);
    binance::rest_request req = binance::server_time();
    auto r = co_await call(std::move(req), o);
    apply_server_time(r);
    co_return r.ok() && time_synced_;
}

void rest_client::start() {
    if (started_) return;
    started_ = true;
    asio::co_spawn(io_, [self = shared_from_this()]() { return self->time_loop(); }, asio::detached);
}

asio::awaitable<void> rest_client::time_loop() {
    auto self = shared_from_this();
    auto sleep = [this](millis ms) -> asio::awaitable<bool> {
        sync_timer_.expires_after(std::chrono::milliseconds(ms));
        co_await sync_timer_.async_wait(use_tuple);
        co_return !stopped_;
    };
    while (!stopped_) {
        // A failed measurement is taken again soon (retry_rules::time_sync): signed requests
        // depend on it. A good one is renewed every time_sync_interval (a period, not a retry).
        co_await perform_retry(binance::retry_rules::time_sync(), [this](int) -> asio::awaitable<binance::attempt_outcome> {
            co_return binance::attempt_outcome{co_await sync_time() ? binance::attempt_outcome::ok
                                                                    : binance::attempt_outcome::transport};
        }, sleep);
        if (stopped_ || !co_await sleep(opts_.time_sync_interval.count())) break;
    }
}

void rest_client::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto* t : wait_timers_) t->cancel();
    sync_timer_.cancel();
    // Only close the sockets of connections in use: an operation may be pending on the stream,
    // which the worker coroutine destroys itself once that operation has completed with an error.
    for (auto* c : busy_conns_) {
        error_code ec;
        c->lowest().socket().close(ec);
    }
    for (auto& c : idle_) close_connection(c);
    idle_.clear();
    // Fail what is still queued (a worker fails whatever arrives later).
    fail_queued("client stopped");
}

}  // namespace traded::exchange_io
