// The one translation unit with Beast session code (build time on 2 cores): listener,
// http_session and websocket_session, instantiated for plain TCP and for TLS.
//
// Threading: one io_context, one thread, no mutexes. All handlers below, the hub and the
// backend run on that thread; counters and the session registry are plain members for that
// reason. Lifetime: sessions own themselves (shared_from_this, as in Beast's examples) and hold
// the shared server_state, so the state outlives every pending handler.

#include "api/server.hpp"

#include "api/auth.hpp"
#include "api/guard.hpp"
#include "api/router.hpp"
#include "log/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <exception>
#include <map>

namespace traded::api {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace json = boost::json;
using tcp = net::ip::tcp;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

constexpr std::size_t max_rejecting = 64;  // connections being told 429 at the same time

}  // namespace

/// What every session reaches for: options, backend, hub, counters, registry.
struct session_base {
    virtual ~session_base() = default;
    /// Close the connection (server stop).
    virtual void shutdown() = 0;
    /// Messages waiting in the send queue (WebSocket sessions).
    virtual std::size_t queue_length() const { return 0; }
    /// Cut the connection at once: it is the oldest unauthenticated one and a new client needs
    /// its slot.
    virtual void evict() = 0;
    /// The server's heartbeat (every ws_ping_interval): WebSocket sessions ping their client and
    /// drop one silent for ws_idle_timeout.
    virtual void heartbeat(std::chrono::steady_clock::time_point) {}
};

struct server_state {
    server_state(net::io_context& io, server_options o, backend& b, asset_lookup a)
        : ioc(io), opts(std::move(o)), tokens(opts.token, opts.read_token), be(b), assets(std::move(a)),
          events(io, b, opts.hub), acceptor(io), accept_retry(io), heartbeat(io),
          throttle(opts.auth_fail_burst, opts.auth_fail_per_second) {}

    net::io_context& ioc;
    server_options opts;
    token_checker tokens;  // opts' tokens, hashed once
    backend& be;
    asset_lookup assets;
    api::hub events;
    std::optional<ssl::context> tls_ctx;
    tcp::acceptor acceptor;
    net::steady_timer accept_retry;  // after an accept error (e.g. out of file descriptors)
    /// One timer pings every WebSocket client and finds the silent ones, instead of a ping timer
    /// and Beast's idle timer per session (two pending waits per idle client: B7, ~0.8 kB each).
    net::steady_timer heartbeat;
    std::uint16_t bound_port = 0;
    bool stopping = false;

    std::map<std::uint64_t, std::weak_ptr<session_base>> sessions;
    std::uint64_t next_session = 1;
    std::size_t connections = 0;
    std::size_t rejecting = 0;
    std::size_t ws_clients = 0;
    std::uint64_t ws_dropped = 0;
    std::map<unsigned, std::uint64_t> http_requests;  // by status code

    // Pre-auth defences (api/guard.hpp).
    auth_throttle throttle;
    refusal_log refusals;
    /// Connections that have not presented a valid token, oldest first (eviction order).
    std::map<std::uint64_t, std::weak_ptr<session_base>> unauth;
    std::uint64_t next_unauth = 1;

    std::size_t max_unauthenticated() const {
        if (opts.max_unauthenticated) return std::min(opts.max_unauthenticated, opts.max_connections);
        return std::max<std::size_t>(1, opts.max_connections / 2);
    }
};

namespace {

/// Reports an I/O error. Ordinary ends of a connection are quiet.
void fail(beast::error_code ec, const char* what) {
    if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == net::error::eof ||
        ec == beast::error::timeout || ec == ssl::error::stream_truncated ||
        ec == net::error::connection_reset || ec == net::error::broken_pipe || ec == http::error::end_of_stream)
        return;
    log::debug("api", "{}: {}", what, ec.message());
}

/// Logs a refused client, at most one line per reason per 10 s (the rest are counted and
/// reported with the next line, and all of them reach /metrics): a flood of hostile clients
/// must not flood the log too.
void refused(server_state& st, std::string_view reason, std::string_view remote, std::string_view what) {
    auto suppressed = st.refusals.note(reason, std::chrono::steady_clock::now());
    if (suppressed < 0) return;
    if (suppressed > 0)
        log::info("api", "refused {} ({}): {} [{} more refused for this reason in the last 10 s]", remote, reason,
                  what, suppressed);
    else
        log::info("api", "refused {} ({}): {}", remote, reason, what);
}

/// Counts one open connection (or one being refused with 429) for as long as it lives; moved
/// from the HTTP session into the WebSocket session on upgrade. Until promote() the connection
/// is unauthenticated: it is listed in the server's eviction order and takes a slot of the
/// smaller unauthenticated budget.
class connection_slot {
public:
    connection_slot(std::shared_ptr<server_state> st, bool rejecting) : st_(std::move(st)), rejecting_(rejecting) {
        ++(rejecting_ ? st_->rejecting : st_->connections);
    }
    connection_slot(connection_slot&& o) noexcept
        : st_(std::move(o.st_)), rejecting_(o.rejecting_), promoted_(o.promoted_), unauth_id_(o.unauth_id_) {
        o.unauth_id_ = 0;
    }
    connection_slot& operator=(connection_slot&&) = delete;
    ~connection_slot() { release(); }

    /// Gives the slot back now (an evicted connection whose socket is still being torn down
    /// must not keep the newcomer out).
    void release() {
        if (!st_) return;
        --(rejecting_ ? st_->rejecting : st_->connections);
        if (unauth_id_) st_->unauth.erase(unauth_id_);
        unauth_id_ = 0;
        st_.reset();
    }

    /// Names the session owning the slot while it is unauthenticated (evictable).
    void track(std::weak_ptr<session_base> s) {
        if (!st_ || rejecting_ || promoted_) return;
        if (!unauth_id_) unauth_id_ = st_->next_unauth++;
        st_->unauth[unauth_id_] = std::move(s);
    }
    /// The connection presented a valid token: it leaves the unauthenticated budget for good.
    void promote() {
        promoted_ = true;
        if (st_ && unauth_id_) st_->unauth.erase(unauth_id_);
        unauth_id_ = 0;
    }
    bool authenticated() const { return promoted_; }

private:
    std::shared_ptr<server_state> st_;
    bool rejecting_ = false;
    bool promoted_ = false;
    std::uint64_t unauth_id_ = 0;
};

/// Outcome of checking a presented token against the throttle and the configured token.
/// `ok_read`: the read-only token (server.read_token, SPEC §9): GET routes, /metrics and WebSocket
/// subscriptions, 403 READ_ONLY_TOKEN on every control operation.
enum class auth_result { ok, ok_read, missing, wrong, throttled };

bool accepted(auth_result a) { return a == auth_result::ok || a == auth_result::ok_read; }

reply read_only_refusal() {
    return reply::error(403, "READ_ONLY_TOKEN", "this token may only read; control operations need the API token");
}

/// Checks a token presented by `peer` (an address without port). A peer over its failure
/// budget is refused without a check, so guessing is bounded whatever the connection count.
auth_result check_token(server_state& st, std::optional<std::string_view> token, const std::string& peer) {
    if (!token) return auth_result::missing;
    auto now = std::chrono::steady_clock::now();
    if (!st.throttle.allowed(peer, now)) return auth_result::throttled;
    switch (st.tokens.check(*token)) {
        case access::full: return auth_result::ok;
        case access::read: return auth_result::ok_read;
        case access::none: break;
    }
    st.throttle.failed(peer, now);
    return auth_result::wrong;
}

/// Registers a session in the server's registry for its lifetime (stop() and /metrics use it).
std::uint64_t register_session(server_state& st, std::weak_ptr<session_base> s) {
    auto id = st.next_session++;
    st.sessions[id] = std::move(s);
    return id;
}

// ---------------------------------------------------------------------------------------------
// The request handler: a function of the request, no I/O (Beast's handle_request pattern)
// ---------------------------------------------------------------------------------------------

/// The Content-Security-Policy of every answer: scripts only from the server itself (an
/// injected script cannot run), WebSocket only back to the host the page came from. Styles
/// allow 'unsafe-inline' because the chart library inserts a <style> element.
std::string content_security_policy_of(std::string_view host) {
    bool plain = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == ':' || c == '[' || c == ']';
    });
    std::string ws = plain ? fmt::format(" ws://{0} wss://{0}", host) : std::string();
    return fmt::format(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'{}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ws);
}

/// The policy for `host`, remembered for the last host seen: a connection (and usually every
/// client) sends the same Host on every request, so the text is built once, not per answer.
const std::string& content_security_policy(std::string_view host) {
    thread_local std::string last_host;
    thread_local std::string last_policy = content_security_policy_of({});
    if (host != last_host) {
        last_host = std::string(host);
        last_policy = content_security_policy_of(host);
    }
    return last_policy;
}

response make_response(const request& req, http::status status, std::string content_type, std::string body) {
    response res{status, req.version()};
    res.set(http::field::server, "traded");
    res.set("Content-Security-Policy", content_security_policy(req[http::field::host]));
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

response json_response(const request& req, const reply& r) {
    // A success is 2xx and an error 4xx/5xx whatever the backend put in `status`.
    int status = r.status;
    if (r.is_ok() && (status < 200 || status > 299)) status = 200;
    if (!r.is_ok() && (status < 400 || status > 599)) status = 500;
    return make_response(req, static_cast<http::status>(status), "application/json", render_http_body(r));
}

/// Adds CORS headers when the request comes from a configured cross origin.
void add_cors(const server_state& st, const request& req, response& res) {
    auto origin = req[http::field::origin];
    if (origin.empty() || st.opts.cors_origins.empty()) return;
    if (!origin_allowed(origin, {}, false, st.opts.cors_origins, {})) return;
    res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::vary, "Origin");
}

/// The backend writes the whole exposition (server_stats included), so every family appears
/// once with its HELP and TYPE, as the text format requires.
std::string metrics_text(server_state& st) {
    std::string out;
    try {
        out = st.be.metrics_text();
    } catch (const std::exception& e) {
        log::error("api", "backend metrics failed: {}", e.what());
    }
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

response unauthorized(const request& req) {
    auto res = json_response(req, reply::error(401, "UNAUTHORIZED", "missing or invalid API token"));
    res.set(http::field::www_authenticate, "Bearer");
    return res;
}

response throttled(const request& req) {
    auto res = json_response(req, reply::error(429, "TOO_MANY_AUTH_FAILURES",
                                               "too many invalid tokens from this address; try again later"));
    res.set(http::field::retry_after, "1");
    return res;
}

/// The answer to a request whose token did not pass, counted and logged (rate-limited).
response refuse_auth(server_state& st, const request& req, auth_result a, const std::string& remote) {
    if (a == auth_result::throttled) {
        refused(st, "auth_throttled", remote, "too many invalid tokens");
        return throttled(req);
    }
    refused(st, "unauthorized", remote, a == auth_result::missing ? "no token" : "invalid token");
    return unauthorized(req);
}

/// Answers one HTTP request (everything except the WebSocket upgrade). `authed` is set when the
/// request carried the valid token.
response handle_request(server_state& st, const request& req, const std::string& remote, const std::string& peer,
                        bool& authed) {
    std::string_view target = req.target();
    std::string_view path = target_path(target);
    auto method = req.method();

    if (path == "/healthz") {
        if (method != http::verb::get && method != http::verb::head)
            return json_response(req, reply::error(405, "METHOD_NOT_ALLOWED", "use GET on /healthz"));
        json::object data;
        data["status"] = "ok";
        return json_response(req, reply::ok(std::move(data)));
    }

    if (path == "/readyz") {  // no token: for load balancers and systemd-style probes
        if (method != http::verb::get && method != http::verb::head)
            return json_response(req, reply::error(405, "METHOD_NOT_ALLOWED", "use GET on /readyz"));
        json::value v;
        try {
            v = st.be.readiness();
        } catch (const std::exception& e) {
            log::error("api", "readiness failed: {}", e.what());
            v = json::object{{"ready", false}, {"reasons", json::array{"INTERNAL_ERROR"}}};
        }
        if (v.is_null()) v = json::object{{"ready", true}, {"reasons", json::array{}}};
        const bool ready = v.is_object() && v.as_object().contains("ready") && v.as_object().at("ready") == true;
        return make_response(req, ready ? http::status::ok : http::status::service_unavailable, "application/json",
                             json::serialize(v));
    }

    if (method == http::verb::options) {  // CORS preflight: no token is sent with it
        auto origin = req[http::field::origin];
        if (!origin.empty() && !origin_allowed(origin, {}, false, st.opts.cors_origins, {}))
            return json_response(req, reply::error(403, "FORBIDDEN", "origin not allowed"));
        response res{http::status::no_content, req.version()};
        res.set(http::field::server, "traded");
        res.set(http::field::allow, "GET, POST, PUT, OPTIONS");
        if (!origin.empty()) {
            res.set(http::field::access_control_allow_origin, origin);
            res.set(http::field::access_control_allow_methods, "GET, POST, PUT, OPTIONS");
            res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
            res.set(http::field::access_control_max_age, "600");
            res.set(http::field::vary, "Origin");
        }
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        return res;
    }

    bool api_path = path.substr(0, 5) == "/api/" || path == "/api" || path == "/metrics";
    if (!api_path) {  // the dashboard: no token (the page reads it from the URL fragment)
        if (method == http::verb::get || method == http::verb::head) {
            std::optional<asset> a;
            if (st.assets) a = st.assets(path);
            if (a) {
                auto res = make_response(req, http::status::ok, std::string(a->content_type), std::string(a->body));
                res.set(http::field::cache_control, "no-cache");
                res.set(http::field::x_frame_options, "DENY");
                if (method == http::verb::head) {
                    res.body().clear();
                    res.content_length(a->body.size());
                }
                return res;
            }
        }
        return json_response(req, reply::error(404, "NOT_FOUND", "no such page"));
    }

    auto a = check_token(st, bearer_token(req[http::field::authorization]), peer);
    if (!accepted(a)) return refuse_auth(st, req, a, remote);
    authed = true;
    // The read token reads: any method other than GET/HEAD changes something (or is refused anyway).
    if (a == auth_result::ok_read && method != http::verb::get && method != http::verb::head)
        return json_response(req, read_only_refusal());

    if (path == "/metrics") {
        if (method != http::verb::get)
            return json_response(req, reply::error(405, "METHOD_NOT_ALLOWED", "use GET on /metrics"));
        return make_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", metrics_text(st));
    }
    if (path == "/api/v1/config") {
        if (method != http::verb::get)
            return json_response(req, reply::error(405, "METHOD_NOT_ALLOWED", "use GET on /api/v1/config"));
        auto c = st.be.config_json();
        if (c.is_null()) return json_response(req, reply::error(404, "NOT_FOUND", "no configuration"));
        return json_response(req, reply::ok(std::move(c)));
    }
    if (path == "/api/v1/ws")
        return json_response(req, reply::error(426, "UPGRADE_REQUIRED", "this endpoint speaks WebSocket"));

    http_request hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(target);
    hr.body = req.body();
    hr.content_type = std::string(req[http::field::content_type]);
    auto routed = parse_http(hr);
    reply r;
    if (auto* cmd = std::get_if<command>(&routed)) {
        cmd->from.remote = remote;
        cmd->from.transport = "http";
        try {
            r = st.be.execute(*cmd);
        } catch (const std::exception& e) {
            log::error("api", "{} {} failed: {}", hr.method, path, e.what());
            r = reply::error(500, "INTERNAL_ERROR", "internal error");
        }
    } else {
        r = std::get<reply>(std::move(routed));
    }
    auto res = json_response(req, r);
    if (r.status == 405) res.set(http::field::allow, allowed_methods(target));
    add_cors(st, req, res);
    return res;
}

/// How long the backend wants an authorized API command in `req` to wait before it is executed
/// (backend::hold); zero for everything else.
std::chrono::milliseconds hold_time(server_state& st, const request& req, std::chrono::milliseconds waited) {
    std::string_view target = req.target();
    // Only `POST .../start` is ever held (backend::hold): everything else is answered at once
    // without routing the request twice.
    if (req.method() != http::verb::post || !target_path(target).starts_with("/api/v1/") ||
        !target_path(target).ends_with("/start"))
        return {};
    // Only a request with the right token is held (and failures are counted by the answer).
    const auto token = bearer_token(req[http::field::authorization]);
    if (!token || !st.tokens.full(*token)) return {};
    http_request hr;
    hr.method = std::string(req.method_string());
    hr.target = std::string(target);
    hr.body = req.body();
    hr.content_type = std::string(req[http::field::content_type]);
    auto routed = parse_http(hr);
    const auto* cmd = std::get_if<command>(&routed);
    if (cmd == nullptr) return {};
    try {
        return st.be.hold(*cmd, waited);
    } catch (const std::exception&) {
        return {};
    }
}

/// A body that cannot be parsed as HTTP, or is too large, gets a JSON error and the connection
/// is closed (its state is unknown).
response error_response(unsigned version, http::status status, std::string code, std::string message) {
    response res{status, version};
    res.set(http::field::server, "traded");
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(false);
    res.body() = render_http_body(reply::error(static_cast<int>(status), std::move(code), std::move(message)));
    res.prepare_payload();
    return res;
}

/// The peer's address without the port: the key of the failed-auth throttle.
std::string peer_address(const tcp::socket& s) {
    beast::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string();
}

std::string endpoint_text(const tcp::socket& s) {
    beast::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return "?";
    return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

constexpr bool is_tls(const plain_stream*) { return false; }
constexpr bool is_tls(const tls_stream*) { return true; }

/// What a WebSocket session runs on: the bare socket for plain connections (Beast's websocket
/// has its own timeouts, so tcp_stream's timers and state, ~600 bytes per idle client, are not
/// needed: B7), the TLS stream as it is for TLS.
tcp::socket ws_layer(plain_stream&& s) { return s.release_socket(); }
tls_stream ws_layer(tls_stream&& s) { return std::move(s); }
template <class Stream>
using ws_layer_t = decltype(ws_layer(std::declval<Stream&&>()));

// ---------------------------------------------------------------------------------------------
// WebSocket session
// ---------------------------------------------------------------------------------------------

/// One WebSocket client: a read loop that answers requests, a send queue fed by the hub with
/// one write in flight, a ping timer and an auth deadline.
template <class Stream>
class websocket_session : public session_base,
                          public subscriber,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
public:
    using clock = std::chrono::steady_clock;

    websocket_session(std::shared_ptr<server_state> st, connection_slot slot, ws_layer_t<Stream>&& stream,
                      std::string remote,
                      std::string peer, bool authed, bool read_only)
        : st_(std::move(st)),
          slot_(std::move(slot)),
          ws_(std::move(stream)),
          remote_(std::move(remote)),
          peer_(std::move(peer)),
          authed_(authed),
          read_only_(read_only),
          queue_(st_->opts.limits.ws_queue) {}

    ~websocket_session() override {
        if (counted_) --st_->ws_clients;
        if (hub_id_) st_->events.detach(hub_id_);
        st_->sessions.erase(session_id_);
    }

    /// Accepts the upgrade request.
    void run(request req) {
        session_id_ = register_session(*st_, this->weak_from_this());
        slot_.track(this->weak_from_this());
        if constexpr (is_tls(static_cast<Stream*>(nullptr)))
            beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
        websocket::stream_base::timeout t{};
        t.handshake_timeout = std::chrono::seconds(10);
        // No idle timer per session: the server's heartbeat pings every ws_ping_interval (SPEC:
        // every 15 s) and drops a client silent for ws_idle_timeout (see heartbeat()).
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws_.set_option(t);
        // Any frame counts as a sign of life, pongs included (Beast answers control frames inside
        // the pending read; the callback captures only `this`: no allocation).
        ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = clock::now(); });
        // Before auth only an auth op is accepted: a few hundred bytes.
        ws_.read_message_max(authed_ ? st_->opts.limits.ws_message_bytes : st_->opts.limits.ws_pre_auth_message_bytes);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "traded"); }));
        ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, this->shared_from_this()));
    }

    void deliver(const std::shared_ptr<const std::string>& msg, std::string_view coalesce_key) override {
        enqueue(msg, coalesce_key);
    }

    void shutdown() override { begin_close(websocket::close_code::going_away, "server stopping"); }

    std::size_t queue_length() const override { return queue_.size(); }

    void evict() override {
        release();
        slot_.release();
        beast::get_lowest_layer(ws_).close();
    }

    void heartbeat(clock::time_point now) override {
        if (closing_ || !counted_) return;
        if (now - last_heard_ >= st_->opts.limits.ws_idle_timeout) {
            // What Beast's idle timeout did: the connection is cut, the pending read ends.
            log::debug("api", "websocket client {} silent for {} ms: closed", remote_,
                       std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_).count());
            release();
            beast::get_lowest_layer(ws_).close();
            return;
        }
        if (ping_in_flight_) return;
        ping_in_flight_ = true;
        ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code e) {
            self->ping_in_flight_ = false;
            if (e) fail(e, "ws ping");
        });
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) return fail(ec, "ws accept");
        ++st_->ws_clients;
        counted_ = true;
        if (closing_) {  // the server stopped while the handshake was being answered
            beast::get_lowest_layer(ws_).close();
            return;
        }
        last_heard_ = clock::now();
        if (!authed_) {
            deadline().expires_after(st_->opts.limits.ws_auth_timeout);
            deadline().async_wait([self = this->shared_from_this()](beast::error_code e) {
                if (e || self->authed_) return;
                self->answer(nullptr, reply::error(401, "UNAUTHORIZED", "authentication timed out"));
                self->begin_close(websocket::close_code::policy_error, "authentication timed out");
            });
        }
        do_read();
    }

    /// Reads the next message piece by piece into a small buffer inside the session: an idle
    /// client's pending read then holds no heap buffer (a dynamic buffer is allocated by Beast's
    /// async_read before any byte arrives: 1.5 kB per idle client, B7). Beast still enforces
    /// read_message_max on the whole message.
    void do_read() {
        ws_.async_read_some(net::buffer(chunk_),
                            beast::bind_front_handler(&websocket_session::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t n) {
        if (ec) {
            finish();
            return fail(ec, "ws read");
        }
        last_heard_ = clock::now();
        message_.append(chunk_.data(), n);
        if (!ws_.is_message_done()) return do_read();
        std::string text;
        text.swap(message_);  // the session keeps no message buffer between messages
        if (!closing_) {
            if (ws_.got_text())
                handle(text);
            else
                answer(nullptr, reply::error(400, "INVALID_JSON", "binary frames are not supported; send JSON text"));
        }
        do_read();
    }

    void handle(std::string_view text) {
        auto msg = parse_ws(text);
        if (auto* a = std::get_if<ws_auth>(&msg)) {
            auto result = check_token(*st_, std::string_view(a->token), peer_);
            if (result == auth_result::throttled) {
                refused(*st_, "auth_throttled", remote_, "websocket: too many invalid tokens");
                answer(a->id, reply::error(429, "TOO_MANY_AUTH_FAILURES",
                                           "too many invalid tokens from this address; try again later"));
                return begin_close(websocket::close_code::try_again_later, "too many invalid tokens");
            }
            if (!accepted(result)) {
                refused(*st_, "unauthorized", remote_, "websocket: invalid token");
                answer(a->id, reply::error(401, "UNAUTHORIZED", "invalid API token"));
                return begin_close(websocket::close_code::policy_error, "invalid token");
            }
            authenticated();
            read_only_ = result == auth_result::ok_read;
            json::object data;
            data["authenticated"] = true;
            return answer(a->id, reply::ok(std::move(data)));
        }
        if (!authed_) {
            // Nothing but an auth op is served before auth, and nothing else is answered twice: a
            // client without the token gets one error and the close, not a conversation.
            refused(*st_, "ws_pre_auth", remote_, "websocket message before auth");
            json::value id = std::visit([](const auto& m) -> json::value { return m.id; }, msg);
            answer(id, reply::error(401, "UNAUTHORIZED", "authenticate first: {\"op\":\"auth\",\"token\":...}"));
            return begin_close(websocket::close_code::policy_error, "authenticate first");
        }
        if (auto* e = std::get_if<ws_error>(&msg)) return answer(e->id, e->error);
        if (auto* s = std::get_if<ws_subscribe>(&msg)) {
            if (!hub_id_) hub_id_ = st_->events.attach(this->weak_from_this());
            answer(s->id, reply::ok(subscription_json(s->channels, s->modes)));
            return st_->events.subscribe(hub_id_, s->channels, s->modes, s->since_seq);
        }
        if (auto* u = std::get_if<ws_unsubscribe>(&msg)) {
            if (hub_id_) st_->events.unsubscribe(hub_id_, u->channels, u->modes);
            return answer(u->id, reply::ok(subscription_json(u->channels, u->modes)));
        }
        auto& c = std::get<ws_command>(msg);
        c.cmd.from.remote = remote_;
        c.cmd.from.transport = "ws";
        if (read_only_ && is_control(c.cmd.name)) return answer(c.id, read_only_refusal());
        run_command(std::move(c), std::chrono::steady_clock::now());
    }

    /// Executes a command once the backend no longer holds it (see backend::hold); other
    /// messages of this client are served meanwhile.
    void run_command(ws_command c, std::chrono::steady_clock::time_point asked) {
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
        std::chrono::milliseconds d{0};
        try {
            d = st_->be.hold(c.cmd, waited);
        } catch (const std::exception&) {
            d = {};
        }
        if (d.count() > 0 && !closing_ && !st_->stopping) {
            auto t = std::make_shared<net::steady_timer>(st_->ioc, d);
            t->async_wait([self = this->shared_from_this(), t, c = std::move(c), asked](beast::error_code ec) mutable {
                if (ec) return;
                self->run_command(std::move(c), asked);
            });
            return;
        }
        reply r;
        try {
            r = st_->be.execute(c.cmd);
        } catch (const std::exception& e) {
            log::error("api", "ws {} failed: {}", to_string(c.cmd.name), e.what());
            r = reply::error(500, "INTERNAL_ERROR", "internal error");
        }
        answer(c.id, r);
    }

    static json::value subscription_json(const std::vector<engine::channel>& chans, const std::vector<engine::mode>& mods) {
        json::array cs, ms;
        for (auto ch : chans) cs.emplace_back(engine::to_string(ch));
        for (auto m : mods) ms.emplace_back(engine::to_string(m));
        json::object o;
        o["channels"] = std::move(cs);
        o["modes"] = std::move(ms);
        return o;
    }

    void answer(const json::value& id, const reply& r) {
        enqueue(std::make_shared<const std::string>(render_ws_answer(id, r)), {});
    }

    /// The session holds the token from now on: full message size, full queue, no auth timer, no
    /// longer evictable.
    void authenticated() {
        authed_ = true;
        if (timer_) timer_->cancel();  // the auth deadline
        slot_.promote();
        ws_.read_message_max(st_->opts.limits.ws_message_bytes);
    }

    void enqueue(std::shared_ptr<const std::string> msg, std::string_view key) {
        if (closing_ || !msg) return;
        if (!authed_ && queue_.size() >= st_->opts.limits.ws_pre_auth_queue_messages) {
            refused(*st_, "ws_pre_auth", remote_, "websocket send queue full before auth");
            return begin_close(websocket::close_code::policy_error, "authenticate first");
        }
        if (!writing_ && queue_.empty()) {  // idle (the usual case): write it now, skip the queue
            in_flight_ = std::move(msg);
            return start_write();
        }
        if (queue_.push(std::move(msg), key, send_queue::clock::now()) == send_queue::verdict::overflow) {
            ++st_->ws_dropped;
            log::warn("api", "websocket client {} closed: send queue over its bound ({} messages, {} bytes)",
                      remote_, queue_.size(), queue_.bytes());
            return begin_close(websocket::close_code::try_again_later, "too slow: send queue full");
        }
        if (!writing_) do_write();
    }

    void do_write() {
        in_flight_ = queue_.pop();
        if (!in_flight_) return;
        start_write();
    }

    /// Writes in_flight_: the shared event text itself, no per-client copy.
    void start_write() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(net::buffer(*in_flight_),
                        beast::bind_front_handler(&websocket_session::on_write, this->shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        in_flight_.reset();
        if (ec) {
            finish();
            return fail(ec, "ws write");
        }
        if (pending_close_) return do_close();
        if (!queue_.empty()) do_write();
    }

    /// Stops taking messages and closes with `code` once the write in flight is done. A peer
    /// that never lets that write finish is cut off after a few seconds.
    void begin_close(websocket::close_code code, const char* why) {
        if (closing_) return;
        release();
        pending_close_ = std::make_unique<websocket::close_reason>(code, why);
        deadline().expires_after(st_->opts.limits.ws_close_timeout);
        if (!counted_) return;  // handshake still being answered: on_accept closes the socket
        deadline().async_wait([self = this->shared_from_this()](beast::error_code ec) {
            if (ec) return;
            beast::get_lowest_layer(self->ws_).close();
        });
        if (!writing_) do_close();
    }

    void do_close() {
        auto reason = *pending_close_;
        ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code ec) {
            if (self->timer_) self->timer_->cancel();
            if (ec) fail(ec, "ws close");
        });
    }

    /// The connection is over (read or write failed, or the close finished).
    void finish() {
        release();
    }

    /// The session's one deadline timer, created when first needed: the auth deadline of a
    /// client that has not authenticated yet, then the close deadline (most clients never need
    /// it: B7, memory per idle client).
    net::steady_timer& deadline() {
        if (!timer_) timer_ = std::make_unique<net::steady_timer>(st_->ioc);
        return *timer_;
    }

    /// Stops taking and sending events: leaves the hub, drops the queue, stops the auth timer.
    void release() {
        closing_ = true;
        queue_.clear();
        if (hub_id_) {
            st_->events.detach(hub_id_);
            hub_id_ = 0;
        }
        if (timer_) timer_->cancel();  // auth deadline (begin_close re-arms it for the close)
    }

    std::shared_ptr<server_state> st_;
    connection_slot slot_;
    websocket::stream<ws_layer_t<Stream>, false> ws_;  // no permessage-deflate (never offered)
    std::array<char, 256> chunk_;           // read buffer (see do_read)
    std::string message_;                   // the message being read, empty between messages
    std::string remote_;
    std::string peer_;  // address without port: the failed-auth throttle's key
    bool authed_ = false;
    bool read_only_ = false;  // authenticated with server.read_token
    bool counted_ = false;
    send_queue queue_;
    std::shared_ptr<const std::string> in_flight_;  // keeps the buffer alive during the write
    bool writing_ = false;
    bool closing_ = false;
    bool ping_in_flight_ = false;
    std::unique_ptr<websocket::close_reason> pending_close_;  // set by begin_close
    clock::time_point last_heard_{};  // last frame received (data or control)
    std::unique_ptr<net::steady_timer> timer_;  // see deadline()
    hub::subscriber_id hub_id_ = 0;
    std::uint64_t session_id_ = 0;
};

// ---------------------------------------------------------------------------------------------
// HTTP session
// ---------------------------------------------------------------------------------------------

/// One HTTP/1.1 connection: read a request, answer it, repeat (keep-alive), or hand the
/// connection to a websocket_session on an upgrade to /api/v1/ws.
template <class Stream>
class http_session : public session_base, public std::enable_shared_from_this<http_session<Stream>> {
public:
    http_session(std::shared_ptr<server_state> st, connection_slot slot, Stream&& stream, std::string remote,
                 std::string peer, bool refuse)
        : st_(std::move(st)), slot_(std::move(slot)), stream_(std::move(stream)),
          // Bounded: Boost 1.81's parser keeps a chunk-size line (extensions included) and the
          // trailers whole in this buffer, with no limit of its own. Body bytes are moved out
          // of it as they arrive, so headers plus a margin is enough.
          buffer_(st_->opts.limits.header_bytes + 8 * 1024), remote_(std::move(remote)), peer_(std::move(peer)),
          refuse_(refuse), hold_timer_(st_->ioc) {}

    ~http_session() override { st_->sessions.erase(session_id_); }

    void run() {
        session_id_ = register_session(*st_, this->weak_from_this());
        slot_.track(this->weak_from_this());
        if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
            beast::get_lowest_layer(stream_).expires_after(st_->opts.limits.header_timeout);
            stream_.async_handshake(ssl::stream_base::server,
                                    beast::bind_front_handler(&http_session::on_handshake, this->shared_from_this()));
        } else {
            do_read();
        }
    }

    void shutdown() override {
        if (!moved_) beast::get_lowest_layer(stream_).close();
    }

    void evict() override {
        slot_.release();
        shutdown();
    }

private:
    void on_handshake(beast::error_code ec) {
        if (ec) return fail(ec, "tls handshake");
        do_read();
    }

    /// Reads the next request's headers under the header deadline (the first request) or the
    /// idle deadline (keep-alive), then its body under the read deadline.
    void do_read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(st_->opts.limits.header_bytes));
        parser_->body_limit(st_->opts.limits.body_bytes);
        chunk_ext_bytes_ = 0;
        chunks_ = 0;
        // Boost 1.81 bounds neither chunk extensions nor the number of chunks: count them here.
        // The parser keeps a reference to the callback, hence the member.
        if (!on_chunk_) {
            on_chunk_ = [this](std::uint64_t, beast::string_view ext, beast::error_code& ec) {
                chunk_ext_bytes_ += ext.size();
                if (chunk_ext_bytes_ > st_->opts.limits.chunk_extension_bytes ||
                    ++chunks_ > st_->opts.limits.max_chunks)
                    ec = http::error::body_limit;
            };
        }
        parser_->on_chunk_header(on_chunk_);
        beast::get_lowest_layer(stream_).expires_after(first_ ? st_->opts.limits.header_timeout
                                                              : st_->opts.limits.idle_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&http_session::on_header, this->shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        // No body (every GET): the request is complete, skip the body read and its deadline.
        if (parser_->is_done()) return on_read({}, 0);
        beast::get_lowest_layer(stream_).expires_after(st_->opts.limits.read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
    }

    /// A request that could not be read: 413, 400, or the end of the connection.
    void on_read_error(beast::error_code ec) {
        if (ec == http::error::end_of_stream) return do_close();
        if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow) {
            refused(*st_, "payload_too_large", remote_, ec.message());
            return send(error_response(11, http::status::payload_too_large, "PAYLOAD_TOO_LARGE",
                                       ec == http::error::body_limit ? "request body over the limit"
                                                                     : "request header over the limit"));
        }
        if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
            ec != http::error::partial_message) {
            refused(*st_, "bad_request", remote_, ec.message());
            return send(error_response(11, http::status::bad_request, "BAD_REQUEST", "malformed HTTP request"));
        }
        if (ec == beast::error::timeout && !slot_.authenticated()) refused(*st_, "timeout", remote_, "request too slow");
        return fail(ec, "read");
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        first_ = false;

        auto& req = parser_->get();
        if (refuse_) {
            refused(*st_, "too_many_connections", remote_, "connection limit reached");
            return send(error_response(req.version(), http::status::too_many_requests, "TOO_MANY_CONNECTIONS",
                                       "too many connections; try again later"));
        }
        if (!host_allowed(req[http::field::host], st_->opts.hostnames)) {
            // DNS rebinding: a browser sends the name the page was loaded from, not ours.
            refused(*st_, "host", remote_, "Host header not allowed");
            return send(error_response(req.version(), http::status::misdirected_request, "MISDIRECTED_REQUEST",
                                       "unknown Host; add the name to server.hostnames"));
        }
        if (websocket::is_upgrade(req) && target_path(req.target()) == "/api/v1/ws") return upgrade();
        respond(std::chrono::steady_clock::now());
    }

    /// Answers the request read, once the backend no longer holds it (a `start` waiting for the
    /// exchange connection): the wait is a timer, never a blocked loop.
    void respond(std::chrono::steady_clock::time_point asked) {
        auto& req = parser_->get();
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
        if (auto d = hold_time(*st_, req, waited); d.count() > 0 && !st_->stopping) {
            hold_timer_.expires_after(d);
            hold_timer_.async_wait([self = this->shared_from_this(), asked](beast::error_code ec) {
                if (ec) return;
                self->respond(asked);
            });
            return;
        }
        bool authed = false;
        auto res = handle_request(*st_, req, remote_, peer_, authed);
        if (authed) slot_.promote();
        send(std::move(res));
    }

    void upgrade() {
        request req = parser_->release();
        if (auto origin = req[http::field::origin]; !origin.empty()) {
            if (!origin_allowed(origin, req[http::field::host], is_tls(static_cast<Stream*>(nullptr)),
                                st_->opts.cors_origins, st_->opts.hostnames)) {
                refused(*st_, "origin", remote_, "websocket Origin not allowed");
                return send(error_response(req.version(), http::status::forbidden, "FORBIDDEN",
                                           "origin not allowed"));
            }
        }
        std::optional<std::string_view> token;
        std::optional<std::string> query_token;
        if (auto h = req[http::field::authorization]; !h.empty()) {
            token = bearer_token(h);
            if (!token) token = std::string_view();  // present but not Bearer: a wrong token
        } else if ((query_token = query_param(req.target(), "access_token"))) {
            token = *query_token;
        }
        bool authed = false;
        bool read_only = false;
        if (token) {
            auto a = check_token(*st_, token, peer_);
            read_only = a == auth_result::ok_read;
            if (!accepted(a)) {
                auto res = refuse_auth(*st_, req, a, remote_);
                res.keep_alive(false);
                return send(std::move(res));
            }
            authed = true;
            slot_.promote();
        }
        ++st_->http_requests[101];
        moved_ = true;
        std::make_shared<websocket_session<Stream>>(st_, std::move(slot_), ws_layer(std::move(stream_)), remote_, peer_,
                                                   authed, read_only)
            ->run(std::move(req));
    }

    void send(response res) {
        ++st_->http_requests[static_cast<unsigned>(res.result_int())];
        // The whole answer (status line, headers, body) goes into one buffer the session keeps
        // from request to request, and out in one write: no serializer state and no allocation
        // per answer once the buffer has grown to the connection's usual answer size.
        out_.clear();
        out_ += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
        out_ += std::to_string(res.result_int());
        out_.push_back(' ');
        out_ += res.reason();
        out_ += "\r\n";
        for (const auto& f : res) {
            out_ += f.name_string();
            out_ += ": ";
            out_ += f.value();
            out_ += "\r\n";
        }
        out_ += "\r\n";
        out_ += res.body();
        const bool close = res.need_eof();
        beast::get_lowest_layer(stream_).expires_after(st_->opts.limits.read_timeout);
        net::async_write(stream_, net::buffer(out_),
                         beast::bind_front_handler(&http_session::on_write, this->shared_from_this(), close));
    }

    void on_write(bool close, beast::error_code ec, std::size_t) {
        if (ec) return fail(ec, "write");
        if (out_.capacity() > 64 * 1024) std::string().swap(out_);  // a large answer is not kept
        if (close || st_->stopping) return do_close();
        do_read();
    }

    /// Ends the connection politely. On plain TCP the unread rest of the request (a refused
    /// oversized body) is drained for a moment first: closing with unread data would send a
    /// reset that can destroy the error answer before the client reads it.
    void do_close() {
        if constexpr (is_tls(static_cast<Stream*>(nullptr))) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code ec) {
                if (ec) fail(ec, "tls shutdown");
            });
        } else {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
            if (ec) return;
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
            drain();
        }
    }

    void drain() {
        buffer_.consume(buffer_.size());
        stream_.async_read_some(buffer_.prepare(16 * 1024),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                                    self->drained_ += n;
                                    if (ec || self->drained_ > 1024 * 1024) {
                                        beast::error_code ignored;
                                        self->stream_.socket().close(ignored);
                                        return;
                                    }
                                    self->drain();
                                });
    }

    std::shared_ptr<server_state> st_;
    connection_slot slot_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string out_;  // the answer being written (reused: see send())
    std::string remote_;
    std::string peer_;  // address without port: the failed-auth throttle's key
    std::size_t chunk_ext_bytes_ = 0;
    std::size_t chunks_ = 0;
    std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_;
    bool refuse_ = false;
    net::steady_timer hold_timer_;
    bool first_ = true;
    bool moved_ = false;
    std::size_t drained_ = 0;
    std::uint64_t session_id_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Listener
// ---------------------------------------------------------------------------------------------

void do_accept(std::shared_ptr<server_state> st);

void on_accept(std::shared_ptr<server_state> st, beast::error_code ec, tcp::socket socket) {
    if (st->stopping || ec == net::error::operation_aborted) return;
    if (ec) {
        // Typically EMFILE: retrying at once would spin. Try again shortly; one log line per 10 s.
        auto suppressed = st->refusals.note("accept", std::chrono::steady_clock::now());
        if (suppressed >= 0) log::warn("api", "accept: {} [{} more in the last 10 s]", ec.message(), suppressed);
        auto& timer = st->accept_retry;
        timer.expires_after(std::chrono::milliseconds(100));
        timer.async_wait([st = std::move(st)](beast::error_code e) mutable {
            if (!e && !st->stopping) do_accept(std::move(st));
        });
        return;
    }
    std::string remote = endpoint_text(socket);
    // Unauthenticated connections have their own, smaller budget. When it is full the oldest of
    // them (a slowloris, or an idle page) makes room: a client with the token gets in however
    // many hostile connections arrived before it, and sends its token before it is the oldest.
    while (!st->unauth.empty() && st->unauth.size() >= st->max_unauthenticated()) {
        auto oldest = st->unauth.begin();
        auto victim = oldest->second.lock();
        st->unauth.erase(oldest);
        if (victim) {
            refused(*st, "evicted", remote, "oldest unauthenticated connection closed for a new one");
            victim->evict();
        }
    }
    bool refuse = st->connections >= st->opts.max_connections;
    if (refuse && st->rejecting >= max_rejecting) {
        refused(*st, "too_many_connections", remote, "connection limit reached; closed without an answer");
        beast::error_code ignored;
        socket.close(ignored);  // flooded: not even a 429
        return do_accept(std::move(st));
    }
    std::string peer = peer_address(socket);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // pushed events must not wait for Nagle
    connection_slot slot(st, refuse);
    if (st->tls_ctx) {
        std::make_shared<http_session<tls_stream>>(st, std::move(slot), tls_stream(std::move(socket), *st->tls_ctx),
                                                   std::move(remote), std::move(peer), refuse)
            ->run();
    } else {
        std::make_shared<http_session<plain_stream>>(st, std::move(slot), plain_stream(std::move(socket)),
                                                     std::move(remote), std::move(peer), refuse)
            ->run();
    }
    do_accept(std::move(st));
}

void do_accept(std::shared_ptr<server_state> st) {
    auto& acceptor = st->acceptor;
    auto& ioc = st->ioc;  // not inside the call: the lambda capture moves `st`
    acceptor.async_accept(ioc, [st = std::move(st)](beast::error_code ec, tcp::socket socket) mutable {
        on_accept(std::move(st), ec, std::move(socket));
    });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// server
// ---------------------------------------------------------------------------------------------

server::server(net::io_context& ioc, server_options options, backend& b, asset_lookup assets)
    : state_(std::make_shared<server_state>(ioc, std::move(options), b, std::move(assets))) {}

server::~server() { stop(); }

namespace {

void arm_heartbeat(std::shared_ptr<server_state> st) {
    auto& t = st->heartbeat;
    t.expires_after(st->opts.limits.ws_ping_interval);
    t.async_wait([st = std::move(st)](beast::error_code ec) {
        if (ec || st->stopping) return;
        // Collect first: a session may close (and leave the registry) while it is visited.
        std::vector<std::shared_ptr<session_base>> open;
        open.reserve(st->sessions.size());
        for (auto& [id, w] : st->sessions)
            if (auto s = w.lock()) open.push_back(std::move(s));
        const auto now = std::chrono::steady_clock::now();
        for (auto& s : open) s->heartbeat(now);
        arm_heartbeat(st);
    });
}

}  // namespace

std::optional<std::string> server::start() {
    auto& st = *state_;
    const auto& o = st.opts;
    if (st.acceptor.is_open()) return std::string("already started");
    if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
        if (o.tls_cert_file.empty() || o.tls_key_file.empty())
            return std::string("tls: set both cert_file and key_file, or neither");
        st.tls_ctx.emplace(ssl::context::tls_server);
        beast::error_code ec;
        st.tls_ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                                ec);
        st.tls_ctx->use_certificate_chain_file(o.tls_cert_file, ec);
        if (ec) return fmt::format("tls cert_file {}: {}", o.tls_cert_file, ec.message());
        st.tls_ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
        if (ec) return fmt::format("tls key_file {}: {}", o.tls_key_file, ec.message());
    }

    beast::error_code ec;
    auto address = net::ip::make_address(o.bind_address, ec);
    if (ec) return fmt::format("bind address '{}': {}", o.bind_address, ec.message());
    tcp::endpoint ep{address, o.port};
    auto where = fmt::format("{}:{}", o.bind_address, o.port);
    st.acceptor.open(ep.protocol(), ec);
    if (ec) return fmt::format("open {}: {}", where, ec.message());
    st.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    st.acceptor.bind(ep, ec);
    if (ec) {
        beast::error_code ignored;
        st.acceptor.close(ignored);
        return fmt::format("bind {}: {}", where, ec.message());
    }
    st.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fmt::format("listen {}: {}", where, ec.message());
    st.bound_port = st.acceptor.local_endpoint(ec).port();
    st.stopping = false;
    log::info("api", "listening on {}://{}:{}", st.tls_ctx ? "https" : "http", o.bind_address, st.bound_port);
    do_accept(state_);
    arm_heartbeat(state_);
    return std::nullopt;
}

void server::stop() {
    auto& st = *state_;
    if (st.stopping) return;
    st.stopping = true;
    beast::error_code ignored;
    st.acceptor.close(ignored);
    st.accept_retry.cancel();
    st.heartbeat.cancel();
    // Collect first: a session may leave the registry while it shuts down.
    std::vector<std::shared_ptr<session_base>> open;
    for (auto& [id, w] : st.sessions)
        if (auto s = w.lock()) open.push_back(std::move(s));
    for (auto& s : open) s->shutdown();
}

std::uint16_t server::port() const { return state_->bound_port; }

bool server::tls() const { return state_->tls_ctx.has_value(); }

api::hub& server::hub() { return state_->events; }

server_stats server::stats() const {
    server_stats s;
    s.connections = state_->connections;
    s.ws_clients = state_->ws_clients;
    s.ws_clients_dropped_total = state_->ws_dropped;
    s.http_requests = state_->http_requests;
    s.unauthenticated = state_->unauth.size();
    for (const auto& [reason, n] : state_->refusals.totals()) s.refused[reason] = n;
    for (const auto& [id, w] : state_->sessions)
        if (auto p = w.lock()) s.ws_queue_messages_max = std::max(s.ws_queue_messages_max, p->queue_length());
    return s;
}

}  // namespace traded::api
