#include "notify/notifier.hpp"

#include "exchange/net/io.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/net/url.hpp"
#include "log/log.hpp"
#include "metrics/catalog.hpp"
#include "notify/request.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace traded::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using exchange_io::use_tuple;

std::optional<std::string> process_env(const std::string& name) {
    if (name.empty()) return std::nullopt;
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

namespace {

/// The delivery machine runs on a monotonic clock: a wall-clock jump must not stall or burst it.
millis steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Connect, (TLS handshake,) write, read: every step bounded by `deadline`.
template <class Stream>
asio::awaitable<attempt_outcome> exchange(Stream& s, tcp::resolver::results_type endpoints,
                                          http::request<http::string_body>& req,
                                          std::chrono::steady_clock::time_point deadline) {
    auto& lowest = beast::get_lowest_layer(s);
    auto failed = [](const boost::system::error_code& ec, const char* step) {
        return classify(0, 0, ec == beast::error::timeout ? std::string("timeout (") + step + ")"
                                                          : std::string(step) + ": " + ec.message());
    };
    lowest.expires_at(deadline);
    auto [cec, ep] = co_await lowest.async_connect(endpoints, use_tuple);
    if (cec) co_return failed(cec, "connect");
    (void)ep;
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
        auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, use_tuple);
        if (hec) co_return failed(hec, "TLS handshake");
    }
    auto [wec, written] = co_await http::async_write(s, req, use_tuple);
    if (wec) co_return failed(wec, "write");
    (void)written;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    auto [rec, read] = co_await http::async_read(s, buffer, parser, use_tuple);
    if (rec) co_return failed(rec, "read");
    (void)read;
    const auto& res = parser.get();
    boost::system::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return classify_answer(static_cast<int>(res.result_int()), res[http::field::retry_after], res.body());
}

/// One POST with a deadline on every step. Errors are described without the URL (it may hold a
/// token).
asio::awaitable<attempt_outcome> post(asio::io_context& io, asio::ssl::context* tls, const http_request& r,
                                      std::chrono::milliseconds timeout) {
    auto u = exchange_io::parse_url(r.url);
    if (!u) co_return classify(400, 0, "invalid URL");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    tcp::resolver resolver(io);
    asio::steady_timer guard(io);
    guard.expires_at(deadline);
    // The resolver has no deadline of its own: the guard cancels it. (The handler runs with
    // operation_aborted once the guard is cancelled or destroyed, and then touches nothing.)
    guard.async_wait([&resolver](boost::system::error_code ec) {
        if (!ec) resolver.cancel();
    });
    auto [rec, endpoints] = co_await resolver.async_resolve(u->host, u->port, use_tuple);
    guard.cancel();
    if (rec) co_return classify(0, 0, rec == asio::error::operation_aborted ? "timeout (resolve)" : "cannot resolve the host");

    http::request<http::string_body> req{http::verb::post, u->target, 11};
    req.set(http::field::host, exchange_io::host_header(*u));
    req.set(http::field::user_agent, "traded");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    req.body() = r.body;
    req.keep_alive(false);
    req.prepare_payload();

    if (u->tls) {
        if (tls == nullptr) co_return classify(0, 0, "no TLS context");
        beast::ssl_stream<beast::tcp_stream> s(io, *tls);
        if (!exchange_io::prepare_tls_stream(s, u->host)) co_return classify(0, 0, "TLS setup failed");
        co_return co_await exchange(s, endpoints, req, deadline);
    }
    beast::tcp_stream s(io);
    co_return co_await exchange(s, endpoints, req, deadline);
}

}  // namespace

struct notifier::target {
    explicit target(asio::io_context& io) : timer(io) {}
    std::string name;  // "webhook-1": type and position, never the URL
    config::notification_target_config cfg;
    delivery_queue q;
    std::string token;  // telegram bot token (secret)
    std::shared_ptr<asio::ssl::context> tls;
    bool enabled = false;
    std::string error;  // why it is disabled
    asio::steady_timer timer;
    bool pump_posted = false;
    bool stopped = false;
};

notifier::notifier(asio::io_context& io, config::notifications_config cfg, env_fn env)
    : io_(io), cfg_(std::move(cfg)), env_(std::move(env)) {
    delivery_options o;
    o.min_interval = cfg_.min_interval_ms;
    o.capacity = static_cast<std::size_t>(cfg_.max_queue);
    for (std::size_t i = 0; i < cfg_.targets.size(); ++i) {
        auto t = std::make_shared<target>(io_);
        t->cfg = cfg_.targets[i];
        t->name = t->cfg.type + "-" + std::to_string(i + 1);
        t->q = delivery_queue(o);
        targets_.push_back(std::move(t));
    }
}

notifier::~notifier() { stop(); }

std::size_t notifier::targets() const { return targets_.size(); }

void notifier::start() {
    for (auto& t : targets_) {
        std::string url = t->cfg.type == "webhook" ? t->cfg.url : t->cfg.api_url;
        if (t->cfg.type == "telegram") {
            auto token = env_(t->cfg.bot_token_env);
            if (!token || token->empty()) {
                t->error = "environment variable " + t->cfg.bot_token_env + " (bot_token_env) is not set";
                log::error("notify", "{}: disabled: {}", t->name, t->error);
                continue;
            }
            t->token = *token;
        }
        auto u = exchange_io::parse_url(url);
        if (!u || (u->scheme != "http" && u->scheme != "https")) {
            t->error = "the URL is not a valid http:// or https:// URL";
            log::error("notify", "{}: disabled: {}", t->name, t->error);
            continue;
        }
        if (u->tls) {
            auto tls = exchange_io::make_client_tls_context("");
            if (!tls) {
                t->error = "TLS setup failed: " + tls.error().message;
                log::error("notify", "{}: disabled: {}", t->name, t->error);
                continue;
            }
            t->tls = *tls;
        }
        t->enabled = true;
        log::info("notify", "{}: enabled ({} events, at most one message per {} ms)", t->name, cfg_.events.size(),
                  cfg_.min_interval_ms);
    }
}

void notifier::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& t : targets_) {
        t->stopped = true;
        t->timer.cancel();
    }
}

void notifier::on_engine(engine::mode m, const engine::notification& n, engine::millis ts) {
    if (targets_.empty() || stopped_) return;
    // Cheap rejection first: most notifications (position_updated on every tick) are not events.
    if (n.event_name != "position_opened" && n.event_name != "position_closed" && n.event_name != "stop_moved" &&
        n.event_name != "emergency_stop" && n.event_name != "daily_loss_limit_hit" &&
        n.event_name != "exchange_disconnected")
        return;
    if (auto note = from_engine(m, n, ts)) queue(*note);
}

void notifier::on_daemon(note n) {
    if (targets_.empty() || stopped_) return;
    queue(n);
}

void notifier::queue(const note& n) {
    if (std::find(cfg_.events.begin(), cfg_.events.end(), n.event) == cfg_.events.end()) return;
    for (auto& t : targets_) {
        if (!t->enabled) continue;
        t->q.push(n);
        // Posted, not run: every event of this turn of the loop (an emergency stop and its
        // closes) is queued before the pump takes a batch, and the caller returns at once.
        if (!t->pump_posted) {
            t->pump_posted = true;
            asio::post(io_, [this, t] {
                t->pump_posted = false;
                if (!t->stopped) pump(t);
            });
        }
    }
}

void notifier::pump(const std::shared_ptr<target>& t) {
    if (t->stopped || !t->enabled) return;
    const millis now = steady_ms();
    if (auto batch = t->q.take(now)) {
        http_request req =
            t->cfg.type == "telegram" ? telegram_request(t->cfg, t->token, *batch) : webhook_request(t->cfg, *batch);
        const auto timeout = std::chrono::milliseconds(t->cfg.timeout_ms);
        asio::co_spawn(
            io_,
            [this, t, req = std::move(req), timeout]() -> asio::awaitable<void> {
                auto outcome = co_await post(io_, t->tls.get(), req, timeout);
                if (t->stopped) co_return;  // the notifier may be gone: touch nothing else
                const auto failed_before = t->q.stats().messages_failed;
                t->q.done(steady_ms(), outcome);
                if (outcome.result != attempt_result::delivered) {
                    if (t->q.stats().messages_failed != failed_before)
                        log::error("notify", "{}: delivery failed ({}); message dropped", t->name, outcome.reason);
                    else
                        log::warn("notify", "{}: delivery failed ({}); retrying", t->name, outcome.reason);
                }
                pump(t);
            },
            [name = t->name](std::exception_ptr e) {
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    log::error("notify", "{}: delivery task failed: {}", name, x.what());
                }
            });
        return;
    }
    auto at = t->q.next_wakeup();
    if (!at) return;
    t->timer.expires_after(std::chrono::milliseconds(std::max<millis>(0, *at - now)));
    t->timer.async_wait([this, t](boost::system::error_code ec) {
        if (ec || t->stopped) return;
        pump(t);
    });
}

json::array notifier::status_json() const {
    json::array a;
    for (const auto& t : targets_) {
        const auto& s = t->q.stats();
        json::object o;
        o["target"] = t->name;
        o["type"] = t->cfg.type;
        o["enabled"] = t->enabled;
        if (!t->error.empty()) o["error"] = t->error;
        o["queued"] = t->q.queued();
        o["sent"] = s.messages_sent;
        o["failed"] = s.messages_failed;
        o["dropped"] = s.events_dropped;
        o["retries"] = s.retries;
        o["last_error"] = s.last_error.empty() ? json::value(nullptr) : json::value(s.last_error);
        a.push_back(std::move(o));
    }
    return a;
}

void notifier::export_metrics(metrics::registry& r) const {
    namespace n = metrics::names;
    // Counters mirror the machine's own counts (they only grow).
    auto mirror = [&r](std::string_view family, const metrics::labels& l, std::uint64_t v) {
        auto c = r.get_counter(family, l);
        c.inc(static_cast<double>(v) - c.value());
    };
    for (const auto& t : targets_) {
        const auto& s = t->q.stats();
        const metrics::labels l{{"target", t->name}};
        mirror(n::notify_sent, l, s.messages_sent);
        mirror(n::notify_failed, l, s.messages_failed);
        mirror(n::notify_dropped, l, s.events_dropped);
        mirror(n::notify_retries, l, s.retries);
        r.set(n::notify_queue, l, static_cast<double>(t->q.queued()));
    }
}

}  // namespace traded::notify
