#include "exchange/market/exchange_source.hpp"

#include "exchange/binance/stream_events.hpp"
#include "exchange/binance/stream_fsm.hpp"
#include "exchange/binance/urls.hpp"
#include "exchange/market/combined_frame.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/net/ws_client.hpp"
#include "log/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <chrono>

namespace traded::market {

namespace asio = boost::asio;
namespace bn = binance;
namespace xio = exchange_io;

namespace {
constexpr const char* component = "market";

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;
}  // namespace

struct exchange_source::impl : std::enable_shared_from_this<impl> {
    /// One WebSocket connection (public root: book tickers; market root: mark price + trades).
    struct lane {
        lane(asio::io_context& io, bn::stream_connection c, bn::stream_config cfg)
            : conn(std::move(c)), fsm(std::move(cfg)), timer(io) {}
        bn::stream_connection conn;
        bn::stream_fsm fsm;
        asio::steady_timer timer;
        std::shared_ptr<xio::ws_client> ws;
        std::uint64_t ws_number = 0;
        std::string last_problem;  // why it is not connected (shown in status)
        bool ever_connected = false;
    };

    impl(asio::io_context& io_, exchange_source_options o) : io(io_), opts(std::move(o)) {}

    asio::io_context& io;
    exchange_source_options opts;
    source_handlers handlers;
    std::shared_ptr<asio::ssl::context> tls;
    std::vector<std::unique_ptr<lane>> lanes;
    bn::json_parser parser;
    bool started = false;
    bool stopped = false;
    engine::millis last_update_ms = 0;
    std::string config_error;

    engine::millis now() const { return opts.clock(); }

    void start(source_handlers h) {
        if (started) return;
        started = true;
        handlers = std::move(h);
        const bn::stream_roots roots{opts.ws_public_url, opts.ws_market_url, ""};
        bn::market_streams what;
        what.book_ticker = true;
        what.mark_price = true;
        what.agg_trade = true;
        bool secure = false;
        for (auto& c : bn::market_connections(roots, opts.symbols, what)) {
            if (c.url.starts_with("wss://")) secure = true;
            bn::stream_config sc;
            sc.kind = bn::stream_kind::market;
            sc.url = c.url;
            // Mark price arrives every second on the market root: a minute of silence there is a
            // dead feed. Book tickers only move with the book, so a quiet public root is left to
            // WebSocket pings (the socket's idle timeout) and a generous silence limit.
            sc.silence_timeout_ms = c.root_name == "public" ? 10 * 60'000 : 60'000;
            sc.backoff_initial_ms = opts.backoff_initial_ms;
            sc.backoff_max_ms = opts.backoff_max_ms;
            sc.jitter_seed ^= static_cast<std::uint64_t>(lanes.size() + 1) * 0x2545F4914F6CDD1DULL;
            lanes.push_back(std::make_unique<lane>(io, std::move(c), std::move(sc)));
        }
        if (secure) {
            auto t = xio::make_client_tls_context(opts.ca_file);
            if (!t) {
                config_error = t.error().message;
                log::error(component, "exchange market data: {}", config_error);
                notify_status();
                return;
            }
            tls = *t;
        }
        log::info(component, "exchange market data: {} connection(s) for {} symbol(s)", lanes.size(), opts.symbols.size());
        for (std::size_t i = 0; i < lanes.size(); ++i) feed(i, bn::stream_input::start{});
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        for (auto& l : lanes) {
            l->timer.cancel();
            if (l->ws) l->ws->close();
        }
        handlers = {};
    }

    /// Steps lane `i`'s machine and performs what it asks for.
    void feed(std::size_t i, const bn::stream_input_t& input) {
        if (stopped) return;
        lane& l = *lanes[i];
        const auto t = now();
        auto actions = l.fsm.step(input, t);
        for (auto& a : actions) perform(i, a, t);
    }

    void perform(std::size_t i, bn::stream_action_t& a, engine::millis t) {
        namespace act = bn::stream_action;
        lane& l = *lanes[i];
        std::visit(overloaded{
                       [&](act::connect& c) {
                           xio::ws_options wo;
                           wo.idle_timeout = std::chrono::milliseconds(30'000);
                           auto ws = std::make_shared<xio::ws_client>(io, wo, tls);
                           if (l.ws) l.ws->close();
                           l.ws = ws;
                           l.ws_number = c.connection;
                           asio::co_spawn(io, run_connection(i, ws, std::move(c.url), c.connection),
                                          [](std::exception_ptr e) {
                                              if (!e) return;
                                              try {
                                                  std::rethrow_exception(e);
                                              } catch (const std::exception& x) {
                                                  log::error(component, "exchange market data task failed: {}", x.what());
                                              }
                                          });
                       },
                       [&](act::close& c) {
                           if (l.ws && l.ws_number == c.connection) l.ws->close();
                       },
                       [&](act::arm_timer& at) {
                           l.timer.expires_after(std::chrono::milliseconds(std::max<engine::millis>(0, at.at - t)));
                           l.timer.async_wait([w = weak_from_this(), i](boost::system::error_code ec) {
                               if (ec) return;
                               if (auto self = w.lock()) self->feed(i, bn::stream_input::timer_fired{});
                           });
                       },
                       [&](act::cancel_timer&) { l.timer.cancel(); },
                       [&](act::mark_trusted&) {
                           l.last_problem.clear();
                           l.ever_connected = true;
                           log::info(component, "exchange market data ({}) connected: {} streams", l.conn.root_name,
                                     l.conn.streams.size());
                           notify_status();
                       },
                       [&](act::mark_untrusted& u) {
                           l.last_problem = u.reason;
                           log::warn(component, "exchange market data ({}) lost: {}; reconnecting with backoff",
                                     l.conn.root_name, u.reason);
                           notify_status();
                       },
                       [&](auto&) {},  // user-stream actions: never asked of a market stream
                   },
                   a);
    }

    asio::awaitable<void> run_connection(std::size_t i, std::shared_ptr<xio::ws_client> ws, std::string url,
                                         std::uint64_t number) {
        auto self = shared_from_this();
        auto ec = co_await ws->connect(std::move(url));
        if (stopped) co_return;
        if (ec) {
            lanes[i]->last_problem = "connect failed: " + ws->last_error();
            if (!lanes[i]->ever_connected)
                log::warn(component, "exchange market data ({}): {}", lanes[i]->conn.root_name, ws->last_error());
            feed(i, bn::stream_input::connect_failed{number, ws->last_error()});
            notify_status();
            co_return;
        }
        feed(i, bn::stream_input::connected{number});
        for (;;) {
            auto [rec, msg] = co_await ws->read();
            if (stopped) co_return;
            if (rec) break;
            feed(i, bn::stream_input::frame_received{});
            on_frame(i, msg);
        }
        feed(i, bn::stream_input::disconnected{number, ws->last_error().empty() ? "closed" : ws->last_error()});
    }

    void on_frame(std::size_t i, std::string_view frame) {
        const auto received = now();
        std::string_view stream;
        std::string_view payload = frame;
        if (auto parts = split_combined_frame(frame)) {
            stream = parts->stream;
            payload = parts->payload;
        } else if (lanes[i]->conn.streams.size() == 1) {
            stream = lanes[i]->conn.streams.front();  // a raw single-stream connection
        }
        if (handlers.on_raw && !stream.empty()) handlers.on_raw(raw_message{received, stream, payload});
        auto ev = bn::parse_market_event(payload, parser);
        quote_update u;
        if (const auto* b = std::get_if<bn::book_ticker>(&ev)) {
            if (!b->bid_price.is_positive() || !b->ask_price.is_positive()) return;
            u.symbol = b->symbol;
            u.kind = update_kind::book;
            u.bid = b->bid_price;
            u.ask = b->ask_price;
            u.event_time = b->event_time > 0 ? b->event_time : received;
        } else if (const auto* m = std::get_if<bn::mark_price_update>(&ev)) {
            if (!m->mark_price.is_positive()) return;
            u.symbol = m->symbol;
            u.kind = update_kind::mark;
            u.mark = m->mark_price;
            u.event_time = m->event_time > 0 ? m->event_time : received;
        } else if (const auto* tr = std::get_if<bn::agg_trade>(&ev)) {
            if (!tr->price.is_positive()) return;
            u.symbol = tr->symbol;
            u.kind = update_kind::trade;
            u.last = tr->price;
            u.event_time = tr->event_time > 0 ? tr->event_time : received;
        } else if (const auto* err = std::get_if<bn::stream_error>(&ev)) {
            log::debug(component, "exchange market data: ignoring a malformed message: {}", err->message);
            return;
        } else {
            return;  // subscription answers and event types we do not use
        }
        if (std::find(opts.symbols.begin(), opts.symbols.end(), u.symbol) == opts.symbols.end()) return;
        last_update_ms = received;
        if (handlers.on_update) handlers.on_update(u);
    }

    source_status status() const {
        source_status s;
        s.last_update_ms = last_update_ms;
        if (!config_error.empty()) {
            s.detail = config_error;
            return s;
        }
        if (!started || stopped) {
            s.detail = stopped ? "stopped" : "not started";
            return s;
        }
        s.connected = !lanes.empty();
        for (const auto& l : lanes) {
            const bool up = l->fsm.trusted();
            if (!up) s.connected = false;
            std::string st = up ? "connected"
                             : l->fsm.state() == bn::stream_state::waiting_retry
                                 ? (l->ever_connected ? "reconnecting" : "retrying")
                                 : (l->ever_connected ? "reconnecting" : "connecting");
            if (!up && !l->last_problem.empty()) st += " (" + l->last_problem + ")";
            if (!s.detail.empty()) s.detail += ", ";
            s.detail += l->conn.root_name + ": " + st;
        }
        return s;
    }

    void notify_status() {
        if (handlers.on_status) handlers.on_status(status());
    }
};

exchange_source::exchange_source(asio::io_context& io, exchange_source_options opts)
    : impl_(std::make_shared<impl>(io, std::move(opts))) {}

exchange_source::~exchange_source() { impl_->stop(); }

void exchange_source::start(source_handlers h) { impl_->start(std::move(h)); }
void exchange_source::stop() { impl_->stop(); }
source_status exchange_source::status() const { return impl_->status(); }

}  // namespace traded::market
