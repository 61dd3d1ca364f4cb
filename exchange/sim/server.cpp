// Beast sessions of traded-sim: listener -> TLS sniffing -> HTTP session -> WebSocket session, in
// the shape of Beast's advanced_server_flex example. Every session owns itself through
// shared_from_this. Everything runs on one io_context with one thread, so the venue, the stream
// hub and the sessions are touched without locks.

#include "exchange/sim/server.hpp"

#include "log/log.hpp"
#include "exchange/sim/protocol.hpp"
#include "exchange/sim/venue.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <type_traits>

namespace traded::sim {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using beast::error_code;
using steady = std::chrono::steady_clock;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

millis wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Errors that only mean "the peer went away" (not worth a log line above debug).
bool quiet(const error_code& ec) {
    return ec == net::error::operation_aborted || ec == websocket::error::closed || ec == http::error::end_of_stream ||
           ec == net::error::eof || ec == ssl::error::stream_truncated || ec == beast::error::timeout ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe || ec == net::error::not_connected;
}

// ------------------------------------------------------------------------------------------------
// Stream subscriptions (pure)

/// Where a WebSocket connected: the legacy root or one of the 2026 split roots.
enum class ws_root { legacy, public_, market, private_ };

/// A user-data subscription: a listenKey and the event types wanted (empty: all).
struct user_sub {
    std::string key;
    std::set<std::string> events;
};

/// What a WebSocket URL asks for.
struct ws_target {
    ws_root root = ws_root::legacy;
    bool combined = false;  // /stream: events come wrapped as {"stream":..,"data":..}
    std::vector<std::string> streams;
    std::vector<user_sub> users;
};

/// Book streams belong on /public, the other market streams on /market; the legacy root serves
/// all; /private serves user data only. On the wrong root a subscription is accepted and simply
/// delivers nothing, as on the real exchange.
bool root_serves_market(ws_root r, const std::string& stream) {
    const bool book = stream.ends_with("@bookTicker") || stream == "!bookTicker" || stream.find("@depth") != std::string::npos;
    switch (r) {
        case ws_root::legacy: return true;
        case ws_root::public_: return book;
        case ws_root::market: return !book;
        case ws_root::private_: return false;
    }
    return false;
}

bool root_serves_user(ws_root r) { return r == ws_root::legacy || r == ws_root::private_; }

/// A stream name is a listenKey (64 letters/digits), optionally `<listenKey>@<EVENT>`.
std::optional<user_sub> as_user_sub(const std::string& name) {
    const auto at = name.find('@');
    const std::string key = name.substr(0, at);
    if (key.size() != 64) return std::nullopt;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
    user_sub sub{key, {}};
    if (at != std::string::npos) sub.events.insert(name.substr(at + 1));
    return sub;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        auto next = s.find(sep, pos);
        if (next == std::string_view::npos) next = s.size();
        if (next > pos) out.emplace_back(s.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

/// Parses `/[public|market|private]/(ws[/a/b]|stream?streams=a/b)[&listenKey=..&events=..]`.
std::optional<ws_target> parse_ws_target(std::string_view target) {
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    auto segs = split(path, '/');
    ws_target t;
    std::size_t i = 0;
    if (i < segs.size() && (segs[i] == "public" || segs[i] == "market" || segs[i] == "private")) {
        t.root = segs[i] == "public" ? ws_root::public_ : segs[i] == "market" ? ws_root::market : ws_root::private_;
        ++i;
    }
    if (i >= segs.size() || (segs[i] != "ws" && segs[i] != "stream")) return std::nullopt;
    t.combined = segs[i] == "stream";
    std::vector<std::string> names(segs.begin() + static_cast<std::ptrdiff_t>(i + 1), segs.end());

    // Query: streams=a/b/c, and (private) listenKey=..&events=A/B pairs, possibly repeated.
    for (const auto& kv : split(query, '&')) {
        const auto eq = kv.find('=');
        auto key = percent_decode(kv.substr(0, eq));
        auto value = percent_decode(eq == std::string::npos ? std::string() : kv.substr(eq + 1));
        if (!key || !value) return std::nullopt;
        if (*key == "streams") {
            for (auto& n : split(*value, '/')) names.push_back(n);
        } else if (*key == "listenKey") {
            t.users.push_back({*value, {}});
        } else if (*key == "events" && !t.users.empty()) {
            for (auto& e : split(*value, '/')) t.users.back().events.insert(e);
        }
    }
    for (auto& n : names) {
        if (n.starts_with('!') || n.find('@') != std::string::npos) {
            if (auto sub = as_user_sub(n))
                t.users.push_back(*sub);
            else
                t.streams.push_back(n);
        } else {
            t.users.push_back({n, {}});
        }
    }
    return t;
}

// ------------------------------------------------------------------------------------------------
// Sessions

/// Anything the server can close on shutdown.
class closable {
public:
    virtual ~closable() = default;
    /// Abrupt: drop the TCP connection. Otherwise a clean close (close frame / TLS shutdown).
    virtual void close(bool abrupt) = 0;
};

/// A WebSocket connection as the hub sees it: its subscriptions and a way to send.
class stream_session : public closable, public std::enable_shared_from_this<stream_session> {
public:
    /// Queues a text message (one write in flight per connection).
    virtual void send(std::shared_ptr<const std::string> text) = 0;

    ws_root root = ws_root::legacy;
    bool combined = false;
    std::set<std::string> streams;
    std::vector<user_sub> users;

    bool wants_user(const std::string& key, const std::string& type) const {
        for (const auto& u : users)
            if (u.key == key && (u.events.empty() || u.events.count(type) || type == "listenKeyExpired")) return true;
        return false;
    }
    bool listens_to(const std::string& key) const {
        return std::any_of(users.begin(), users.end(), [&](const user_sub& u) { return u.key == key; });
    }

    /// Answers a live-subscription request ({"method":"SUBSCRIBE","params":[..],"id":1}).
    std::string handle_request(const std::string& text) {
        namespace json = boost::json;
        error_code ec;
        auto v = json::parse(text, ec);
        auto error = [](int code, const std::string& msg, const json::value& id) {
            return json::serialize(json::object{{"error", json::object{{"code", code}, {"msg", msg}}}, {"id", id}});
        };
        if (ec) return error(3, "Invalid JSON: " + ec.message(), nullptr);
        if (!v.is_object()) return error(2, "Invalid request: expected an object", nullptr);
        auto& o = v.as_object();
        const json::value id = o.contains("id") ? o.at("id") : json::value(nullptr);
        if (!id.is_null() && !id.is_uint64() && !(id.is_int64() && id.as_int64() >= 0))
            return error(2, "Invalid request: request ID must be an unsigned integer", nullptr);
        const auto* method = o.if_contains("method");
        if (method == nullptr || !method->is_string()) return error(2, "Invalid request: missing method", id);
        const std::string m(method->as_string());
        const auto* params = o.if_contains("params");
        if (m == "SUBSCRIBE" || m == "UNSUBSCRIBE") {
            if (params == nullptr || !params->is_array()) return error(2, "Invalid request: params must be an array", id);
            for (const auto& p : params->as_array()) {
                if (!p.is_string()) return error(2, "Invalid request: stream names must be strings", id);
                const std::string name(p.as_string());
                auto sub = as_user_sub(name);
                if (m == "SUBSCRIBE") {
                    if (sub)
                        users.push_back(*sub);
                    else
                        streams.insert(name);
                } else if (sub) {
                    std::erase_if(users, [&](const user_sub& u) { return u.key == sub->key; });
                } else {
                    streams.erase(name);
                }
            }
            return json::serialize(json::object{{"result", nullptr}, {"id", id}});
        }
        if (m == "LIST_SUBSCRIPTIONS") {
            json::array list;
            for (const auto& s : streams) list.push_back(json::value(s));
            for (const auto& u : users) list.push_back(json::value(u.key));
            return json::serialize(json::object{{"result", std::move(list)}, {"id", id}});
        }
        if (m == "SET_PROPERTY" || m == "GET_PROPERTY") {
            if (params == nullptr || !params->is_array() || params->as_array().empty() || !params->as_array()[0].is_string() ||
                params->as_array()[0].as_string() != "combined")
                return error(0, "Unknown property", id);
            if (m == "GET_PROPERTY") return json::serialize(json::object{{"result", combined}, {"id", id}});
            const auto& arr = params->as_array();
            if (arr.size() < 2 || !arr[1].is_bool()) return error(1, "Invalid value type: expected Boolean", id);
            combined = arr[1].as_bool();
            return json::serialize(json::object{{"result", nullptr}, {"id", id}});
        }
        return error(2, "Invalid request: unknown method '" + m + "'", id);
    }
};

/// Delivers stream messages to the connections subscribed to them. Serializes each message once
/// and shares the buffer; a combined-mode copy is made at most once per message.
class hub {
public:
    void add(const std::shared_ptr<stream_session>& s) {
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
        sessions_.push_back(s);
    }
    void deliver_market(const market_push& m) {
        std::shared_ptr<const std::string> raw, wrapped;
        for (const auto& w : sessions_) {
            auto s = w.lock();
            if (!s || !s->streams.count(m.stream) || !root_serves_market(s->root, m.stream)) continue;
            if (s->combined) {
                if (!wrapped)
                    wrapped = std::make_shared<const std::string>("{\"stream\":\"" + m.stream + "\",\"data\":" + m.json + "}");
                s->send(wrapped);
            } else {
                if (!raw) raw = std::make_shared<const std::string>(m.json);
                s->send(raw);
            }
        }
    }
    void deliver_user(const user_push& u) {
        std::shared_ptr<const std::string> raw, wrapped;
        for (const auto& w : sessions_) {
            auto s = w.lock();
            if (!s || !root_serves_user(s->root) || !s->wants_user(u.listen_key, u.event_type)) continue;
            if (s->combined) {
                if (!wrapped)
                    wrapped = std::make_shared<const std::string>("{\"stream\":\"" + u.listen_key + "\",\"data\":" + u.json + "}");
                s->send(wrapped);
            } else {
                if (!raw) raw = std::make_shared<const std::string>(u.json);
                s->send(raw);
            }
        }
    }
    void close_listen_key(const std::string& key) {
        for (const auto& w : sessions_)
            if (auto s = w.lock(); s && s->listens_to(key)) s->close(false);
    }
    void close_all(bool abrupt) {
        for (const auto& w : sessions_)
            if (auto s = w.lock()) s->close(abrupt);
    }

private:
    std::vector<std::weak_ptr<stream_session>> sessions_;
};

}  // namespace

// ------------------------------------------------------------------------------------------------
// The server state shared by all sessions

struct server::impl : std::enable_shared_from_this<server::impl> {
    impl(net::io_context& io, sim_config c)
        : ioc(io),
          cfg(c),
          v(std::move(c), wall_ms()),
          acceptor(io),
          feed_timer(io),
          fast_mark_timer(io),
          slow_mark_timer(io),
          tick_timer(io) {}

    net::io_context& ioc;
    sim_config cfg;
    venue v;
    std::optional<ssl::context> tls;
    tcp::acceptor acceptor;
    net::steady_timer feed_timer;
    net::steady_timer fast_mark_timer;
    net::steady_timer slow_mark_timer;
    net::steady_timer tick_timer;
    hub streams;
    std::vector<std::weak_ptr<closable>> connections;
    bool stopping = false;

    void track(const std::shared_ptr<closable>& c) {
        std::erase_if(connections, [](const auto& w) { return w.expired(); });
        connections.push_back(c);
    }

    /// Sends what the venue produced. User events go first (execution before market data).
    void deliver(const outbox& out) {
        for (const auto& u : out.user) streams.deliver_user(u);
        for (const auto& m : out.market) streams.deliver_market(m);
    }

    /// Drains the venue's outbox: closes what must close, delivers the rest (delayed when the
    /// delay_streams fault is on).
    void flush() {
        outbox out = v.take_outbox();
        if (out.drop_streams) {
            log::info("sim", "fault: dropping every WebSocket connection");
            streams.close_all(true);
        }
        for (const auto& key : out.closed_listen_keys) streams.close_listen_key(key);
        if (out.user.empty() && out.market.empty()) return;
        const int delay = v.stream_delay_ms();
        if (delay <= 0) {
            deliver(out);
            return;
        }
        auto timer = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(delay));
        auto held = std::make_shared<outbox>(std::move(out));
        timer->async_wait([self = shared_from_this(), timer, held](error_code ec) {
            if (ec || self->stopping) return;
            self->deliver(*held);
        });
    }

    /// Runs `fn` every `period` (drift-free) until stop().
    void every(net::steady_timer& t, std::chrono::milliseconds period, std::function<void()> fn) {
        t.expires_at(t.expiry() + period);
        t.async_wait([self = shared_from_this(), &t, period, fn = std::move(fn)](error_code ec) mutable {
            if (ec || self->stopping) return;
            fn();
            self->flush();
            self->every(t, period, std::move(fn));
        });
    }

    void do_accept();
};

namespace {

template <typename Stream>
class ws_session final : public stream_session {
public:
    ws_session(Stream&& stream, std::shared_ptr<server::impl> srv)
        : ws_(std::move(stream)), srv_(std::move(srv)), check_timer_(ws_.get_executor()), life_timer_(ws_.get_executor()) {}

    void run(http::request<http::string_body> req, const ws_target& target) {
        root = target.root;
        combined = target.combined;
        streams.insert(target.streams.begin(), target.streams.end());
        users = target.users;
        ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(), false});
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "traded-sim"); }));
        ws_.read_message_max(64 * 1024);
        // Pongs keep the connection alive (also unsolicited ones, as Binance allows).
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::pong) last_pong_ = steady::now();
        });
        ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, self()));
    }

    void send(std::shared_ptr<const std::string> text) override {
        if (!open_ || closing_) return;
        if (queue_.size() >= max_queue) {
            // A client that cannot keep up is cut off rather than let memory grow without bound.
            log::warn("sim", "WebSocket client too slow ({} messages queued): closing", queue_.size());
            close(true);
            return;
        }
        queue_.push_back(std::move(text));
        if (queue_.size() == 1) do_write();
    }

    void close(bool abrupt) override {
        if (!open_) return;
        if (abrupt) {
            open_ = false;
            error_code ec;
            beast::get_lowest_layer(ws_).socket().close(ec);
            check_timer_.cancel();
            life_timer_.cancel();
            return;
        }
        if (closing_) return;
        closing_ = true;
        ws_.async_close(websocket::close_code::normal, [s = self()](error_code) {
            s->open_ = false;
            s->check_timer_.cancel();
            s->life_timer_.cancel();
        });
    }

private:
    static constexpr std::size_t max_queue = 50000;

    std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }

    void on_accept(error_code ec) {
        if (ec) {
            if (!quiet(ec)) log::debug("sim", "WebSocket handshake failed: {}", ec.message());
            return;
        }
        open_ = true;
        last_pong_ = steady::now();
        last_ping_ = steady::now();
        srv_->streams.add(shared_from_this());
        srv_->track(shared_from_this());
        life_timer_.expires_after(std::chrono::milliseconds(srv_->v.stream_max_connection_ms()));
        life_timer_.async_wait([s = self()](error_code e) {
            if (!e) s->close(false);  // "A single connection is only valid for 24 hours"
        });
        arm_check();
        do_read();
    }

    /// Pings every ping_interval_s; drops the client after pong_timeout_s without a pong.
    void arm_check() {
        check_timer_.expires_after(std::chrono::milliseconds(std::min(1000, srv_->cfg.streams.ping_interval_s * 1000)));
        check_timer_.async_wait([s = self()](error_code ec) {
            if (ec || !s->open_) return;
            const auto now = steady::now();
            if (now - s->last_pong_ > std::chrono::seconds(s->srv_->cfg.streams.pong_timeout_s)) {
                log::info("sim", "no pong for {} s: dropping WebSocket client", s->srv_->cfg.streams.pong_timeout_s);
                s->close(true);
                return;
            }
            if (!s->ping_in_flight_ && now - s->last_ping_ >= std::chrono::seconds(s->srv_->cfg.streams.ping_interval_s)) {
                s->ping_in_flight_ = true;
                s->last_ping_ = now;
                s->ws_.async_ping({}, [s](error_code) { s->ping_in_flight_ = false; });
            }
            s->arm_check();
        });
    }

    void do_read() { ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, self())); }

    void on_read(error_code ec, std::size_t) {
        if (ec) {
            open_ = false;
            check_timer_.cancel();
            life_timer_.cancel();
            if (!quiet(ec)) log::debug("sim", "WebSocket read: {}", ec.message());
            return;
        }
        const std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        // "WebSocket connections have a limit of 10 incoming messages per second."
        const auto second = std::chrono::duration_cast<std::chrono::seconds>(steady::now().time_since_epoch()).count();
        if (second != second_) {
            second_ = second;
            incoming_ = 0;
        }
        if (++incoming_ > srv_->cfg.streams.max_incoming_per_s) {
            log::info("sim", "WebSocket client sent more than {} messages in a second: closing",
                      srv_->cfg.streams.max_incoming_per_s);
            close(false);
            return;
        }
        send(std::make_shared<const std::string>(handle_request(text)));
        do_read();
    }

    void do_write() {
        ws_.text(true);
        ws_.async_write(net::buffer(*queue_.front()), beast::bind_front_handler(&ws_session::on_write, self()));
    }

    void on_write(error_code ec, std::size_t) {
        if (ec) {
            open_ = false;
            queue_.clear();
            return;
        }
        queue_.pop_front();
        if (!queue_.empty() && open_) do_write();
    }

    websocket::stream<Stream> ws_;
    std::shared_ptr<server::impl> srv_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    net::steady_timer check_timer_;
    net::steady_timer life_timer_;
    steady::time_point last_pong_;
    steady::time_point last_ping_;
    bool ping_in_flight_ = false;
    bool open_ = false;
    bool closing_ = false;
    std::int64_t second_ = 0;
    int incoming_ = 0;
};

template <typename Stream>
class http_session final : public closable, public std::enable_shared_from_this<http_session<Stream>> {
public:
    http_session(Stream&& stream, beast::flat_buffer&& buffer, std::shared_ptr<server::impl> srv, bool loopback)
        : stream_(std::move(stream)),
          buffer_(std::move(buffer)),
          srv_(std::move(srv)),
          loopback_(loopback),
          delay_timer_(stream_.get_executor()) {}

    void run() {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
            stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                                    beast::bind_front_handler(&http_session::on_handshake, this->shared_from_this()));
        } else {
            do_read();
        }
    }

    void close(bool) override {
        error_code ec;
        delay_timer_.cancel();
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

private:
    void on_handshake(error_code ec, std::size_t used) {
        if (ec) {
            if (!quiet(ec)) log::debug("sim", "TLS handshake failed: {}", ec.message());
            return;
        }
        buffer_.consume(used);
        do_read();
    }

    void do_read() {
        parser_.emplace();
        parser_->body_limit(1024 * 1024);
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(120));
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
    }

    void on_read(error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream) return do_shutdown();
        if (ec) {
            if (!quiet(ec)) log::debug("sim", "HTTP read: {}", ec.message());
            return;
        }
        auto req = parser_->release();
        if (websocket::is_upgrade(req)) {
            auto target = parse_ws_target(std::string_view(req.target().data(), req.target().size()));
            if (target) {
                beast::get_lowest_layer(stream_).expires_never();
                std::make_shared<ws_session<Stream>>(std::move(stream_), srv_)->run(std::move(req), *target);
                return;
            }
        }

        http_request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        r.body = req.body();
        r.content_type = std::string(req[http::field::content_type]);
        if (auto it = req.find("X-MBX-APIKEY"); it != req.end()) r.api_key = std::string(it->value());
        r.from_loopback = loopback_;
        if (srv_->v.take_request_drop(r, wall_ms())) {
            // drop_request: lost before the exchange read it; the client sees the connection die.
            log::info("sim", "fault: dropping {} {} unprocessed", r.method, r.target.substr(0, r.target.find('?')));
            error_code ignored;
            beast::get_lowest_layer(stream_).socket().close(ignored);
            return;
        }
        http_response answer = srv_->v.handle(r, wall_ms());
        srv_->flush();
        if (answer.hold_ms > 0) {
            // The hold fault: executed later, even if the client has gone by then.
            log::debug("sim", "{} {} held for {} ms", r.method, r.target.substr(0, r.target.find('?')), answer.hold_ms);
            const bool drop = answer.drop_answer;
            const unsigned version = req.version();
            const bool keep_alive = req.keep_alive();
            delay_timer_.expires_after(std::chrono::milliseconds(answer.hold_ms));
            delay_timer_.async_wait([s = this->shared_from_this(), r = std::move(r), drop, version, keep_alive](error_code e) {
                if (e) return;
                http_response late = s->srv_->v.handle_held(r, wall_ms());
                s->srv_->flush();
                log::debug("sim", "{} {} executed after a hold -> {}{}", r.method, r.target.substr(0, r.target.find('?')),
                           late.status, drop ? " (answer dropped)" : "");
                if (drop) {
                    error_code closed;
                    beast::get_lowest_layer(s->stream_).socket().close(closed);
                    return;
                }
                s->respond(std::move(late), version, keep_alive);
            });
            return;
        }
        log::debug("sim", "{} {} -> {}", r.method, r.target.substr(0, r.target.find('?')), answer.status);
        respond(std::move(answer), req.version(), req.keep_alive());
    }

    void respond(http_response answer, unsigned version, bool keep_alive) {
        res_.emplace(static_cast<http::status>(answer.status), version);
        if (answer.status == 418) res_->reason("I'm a teapot");  // Beast has no reason text for 418
        for (const auto& [k, v] : answer.headers) res_->set(k, v);
        res_->keep_alive(keep_alive);
        res_->body() = std::move(answer.body);
        res_->prepare_payload();
        if (answer.delay_ms > 0) {
            // The timeout fault: the work is done, the answer comes late.
            delay_timer_.expires_after(std::chrono::milliseconds(answer.delay_ms));
            delay_timer_.async_wait([s = this->shared_from_this()](error_code e) {
                if (!e) s->do_write();
            });
            return;
        }
        do_write();
    }

    void do_write() {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        http::async_write(stream_, *res_, beast::bind_front_handler(&http_session::on_write, this->shared_from_this()));
    }

    void on_write(error_code ec, std::size_t) {
        if (ec) {
            if (!quiet(ec)) log::debug("sim", "HTTP write: {}", ec.message());
            return;
        }
        const bool keep = res_->keep_alive();
        res_.reset();
        if (!keep) return do_shutdown();
        do_read();
    }

    void do_shutdown() {
        if constexpr (std::is_same_v<Stream, tls_stream>) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
            stream_.async_shutdown([s = this->shared_from_this()](error_code) {});
        } else {
            error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
    }

    Stream stream_;
    beast::flat_buffer buffer_;
    std::shared_ptr<server::impl> srv_;
    bool loopback_;
    net::steady_timer delay_timer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::string_body>> res_;
};

/// Sniffs the first bytes: a TLS ClientHello gets a TLS session (when configured), anything else
/// plain HTTP/WebSocket, so one port serves http/ws and https/wss alike.
class detect_session : public std::enable_shared_from_this<detect_session> {
public:
    detect_session(tcp::socket&& socket, std::shared_ptr<server::impl> srv) : stream_(std::move(socket)), srv_(std::move(srv)) {}

    void run() {
        stream_.expires_after(std::chrono::seconds(30));
        beast::async_detect_ssl(stream_, buffer_, beast::bind_front_handler(&detect_session::on_detect, shared_from_this()));
    }

private:
    void on_detect(error_code ec, bool is_tls) {
        if (ec) return;
        error_code ep_ec;
        const auto remote = stream_.socket().remote_endpoint(ep_ec);
        auto addr = remote.address();
        const bool loopback = !ep_ec && (addr.is_loopback() || (addr.is_v6() && addr.to_v6().is_v4_mapped() &&
                                                                  net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6()).is_loopback()));
        if (is_tls) {
            if (!srv_->tls) {
                log::debug("sim", "TLS connection refused: no certificate configured");
                return;
            }
            auto s = std::make_shared<http_session<tls_stream>>(tls_stream(std::move(stream_), *srv_->tls), std::move(buffer_), srv_,
                                                                loopback);
            srv_->track(s);
            s->run();
        } else {
            auto s = std::make_shared<http_session<plain_stream>>(std::move(stream_), std::move(buffer_), srv_, loopback);
            srv_->track(s);
            s->run();
        }
    }

    beast::tcp_stream stream_;
    std::shared_ptr<server::impl> srv_;
    beast::flat_buffer buffer_;
};

}  // namespace

void server::impl::do_accept() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (self->stopping) return;
        if (ec) {
            if (!quiet(ec)) log::warn("sim", "accept: {}", ec.message());
        } else {
            std::make_shared<detect_session>(std::move(socket), self)->run();
        }
        self->do_accept();
    });
}

// ------------------------------------------------------------------------------------------------

server::server(net::io_context& ioc, sim_config cfg) : impl_(std::make_shared<impl>(ioc, std::move(cfg))) {}

server::~server() {
    if (impl_) impl_->stopping = true;
}

std::uint16_t server::start() {
    auto& s = *impl_;
    if (s.cfg.tls_enabled()) {
        s.tls.emplace(ssl::context::tls_server);
        s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        s.tls->use_certificate_chain_file(s.cfg.tls_cert_file);
        s.tls->use_private_key_file(s.cfg.tls_key_file, ssl::context::pem);
    }
    const tcp::endpoint ep(net::ip::make_address(s.cfg.host), s.cfg.port);
    s.acceptor.open(ep.protocol());
    s.acceptor.set_option(net::socket_base::reuse_address(true));
    s.acceptor.bind(ep);
    s.acceptor.listen(net::socket_base::max_listen_connections);
    s.do_accept();

    const auto now = steady::now();
    for (auto* t : {&s.feed_timer, &s.fast_mark_timer, &s.slow_mark_timer, &s.tick_timer}) t->expires_at(now);
    auto* self = &s;
    if (s.cfg.prices.source == "synthetic")
        s.every(s.feed_timer, std::chrono::milliseconds(s.cfg.prices.interval_ms), [self] { self->v.feed_step(wall_ms()); });
    s.every(s.fast_mark_timer, std::chrono::milliseconds(s.cfg.streams.mark_price_fast_interval_ms),
            [self] { self->v.mark_price_tick(wall_ms(), true); });
    s.every(s.slow_mark_timer, std::chrono::milliseconds(s.cfg.streams.mark_price_interval_ms),
            [self] { self->v.mark_price_tick(wall_ms(), false); });
    s.every(s.tick_timer, std::chrono::milliseconds(100), [self] { self->v.tick(wall_ms()); });
    return s.acceptor.local_endpoint().port();
}

void server::stop() {
    auto& s = *impl_;
    if (s.stopping) return;
    s.stopping = true;
    error_code ec;
    s.acceptor.close(ec);
    for (auto* t : {&s.feed_timer, &s.fast_mark_timer, &s.slow_mark_timer, &s.tick_timer}) t->cancel();
    for (const auto& w : s.connections)
        if (auto c = w.lock()) c->close(true);
}

}  // namespace traded::sim
