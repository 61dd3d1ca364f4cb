#include "exchange/market/exchange_source.hpp"

#include "exchange/binance/stream_events.hpp"
#include "exchange/binance/urls.hpp"
#include "exchange/market/combined_frame.hpp"
#include "exchange/net/stream_driver.hpp"
#include "exchange/net/tls.hpp"
#include "log/log.hpp"
#include "metrics/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace traded::market {

namespace asio = boost::asio;
namespace bn = binance;
namespace xio = exchange_io;

namespace {
constexpr const char* component = "market";
}  // namespace

struct exchange_source::impl : std::enable_shared_from_this<impl> {
    /// One WebSocket connection (public root: book tickers; market root: mark price + trades),
    /// driven by exchange_io::stream_driver (the one driver of every stream; its stream_fsm
    /// decides connect, silence, rotation and backoff).
    struct lane {
        bn::stream_connection conn;
        std::shared_ptr<xio::stream_driver> driver;
        std::string last_problem;  // why it is not connected (shown in status)
        bool ever_connected = false;
        metrics::counter messages;    // traded_market_messages_total{stream=<root>}
        metrics::counter reconnects;  // traded_stream_reconnects_total{stream=<root>}
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
        std::vector<bn::stream_config> configs;
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
            auto l = std::make_unique<lane>();
            l->conn = std::move(c);
            if (opts.metrics != nullptr) {
                const metrics::labels labels{{"stream", l->conn.root_name}};
                l->messages = opts.metrics->get_counter(metrics::names::market_messages, labels);
                l->reconnects = opts.metrics->get_counter(metrics::names::stream_reconnects, labels);
            }
            lanes.push_back(std::move(l));
            configs.push_back(std::move(sc));
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
        for (std::size_t i = 0; i < lanes.size(); ++i) {
            xio::ws_options wo;
            wo.idle_timeout = std::chrono::milliseconds(30'000);
            lanes[i]->driver = std::make_shared<xio::stream_driver>(io, std::move(configs[i]), wo, tls, nullptr,
                                                                   callbacks(i), opts.clock);
        }
        for (auto& l : lanes) l->driver->start();
    }

    /// What lane `i`'s driver tells us (weakly bound: a late callback after stop does nothing).
    xio::stream_callbacks callbacks(std::size_t i) {
        xio::stream_callbacks cb;
        auto with = [w = weak_from_this(), i](auto f) {
            return [w, i, f](auto&&... args) {
                auto self = w.lock();
                if (self && !self->stopped) f(*self, *self->lanes[i], args...);
            };
        };
        cb.on_frame = with([i](impl& s, lane& l, std::string_view frame) {
            l.messages.inc();
            s.on_frame(i, frame);
        });
        cb.on_trusted = with([](impl& s, lane& l) {
            l.last_problem.clear();
            l.ever_connected = true;
            log::info(component, "exchange market data ({}) connected: {} streams", l.conn.root_name, l.conn.streams.size());
            s.notify_status();
        });
        cb.on_untrusted = with([](impl& s, lane& l, const std::string& why) {
            l.last_problem = why;
            l.reconnects.inc();
            log::warn(component, "exchange market data ({}) lost: {}; reconnecting with backoff", l.conn.root_name, why);
            s.notify_status();
        });
        cb.on_connect_failed = with([](impl& s, lane& l, const std::string& error) {
            l.last_problem = "connect failed: " + error;
            if (!l.ever_connected) log::warn(component, "exchange market data ({}): {}", l.conn.root_name, error);
            s.notify_status();
        });
        cb.on_note = with([](impl&, lane& l, bool warning, const std::string& text) {
            if (warning) log::warn(component, "exchange market data ({}): {}", l.conn.root_name, text);
            else log::info(component, "exchange market data ({}): {}", l.conn.root_name, text);
        });
        return cb;
    }

    void stop() {
        if (stopped) return;
        stopped = true;
        for (auto& l : lanes)
            if (l->driver) l->driver->stop();
        handlers = {};
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
            const bool up = l->driver && l->driver->fsm().trusted();
            if (!up) s.connected = false;
            std::string st = up ? "connected"
                             : l->driver && l->driver->fsm().state() == bn::stream_state::waiting_retry
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
