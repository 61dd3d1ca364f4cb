#include "exchange/net/stream_driver.hpp"

#include "exchange/binance/codec.hpp"
#include "exchange/binance/responses.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace traded::exchange_io {

namespace bn = binance;
namespace in = binance::stream_input;
namespace act = binance::stream_action;

namespace {
template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;
}  // namespace

stream_driver::stream_driver(asio::io_context& io, bn::stream_config cfg, ws_options wo, std::shared_ptr<asio::ssl::context> tls,
                             std::shared_ptr<rest_client> rest, stream_callbacks cb, clock_fn clock)
    : io_(io),
      fsm_(std::move(cfg)),
      wo_(std::move(wo)),
      tls_(std::move(tls)),
      rest_(std::move(rest)),
      cb_(std::move(cb)),
      clock_(std::move(clock)),
      timer_(io) {}

stream_driver::~stream_driver() {
    for (auto& [n, ws] : sockets_)
        if (ws) ws->close();
}

void stream_driver::start() { feed(in::start{}); }

void stream_driver::stop() {
    if (stopped_) return;
    feed(in::stop{});
    stopped_ = true;
    ++timer_gen_;
    timer_.cancel();
    for (auto& [n, ws] : sockets_)
        if (ws) ws->close();
    sockets_.clear();
}

void stream_driver::reconcile_done() { feed(in::reconcile_done{}); }
void stream_driver::reconcile_failed(const std::string& why) { feed(in::reconcile_failed{why}); }
void stream_driver::listen_key_expired(const std::string& key) { feed(in::listen_key_expired{key}); }

std::string stream_driver::status() const {
    switch (fsm_.state()) {
        case bn::stream_state::stopped: return "disabled";
        case bn::stream_state::live: return "connected";
        case bn::stream_state::reconciling: return "reconciling";
        case bn::stream_state::creating_listen_key:
        case bn::stream_state::connecting: return ever_connected_ ? "reconnecting" : "connecting";
        case bn::stream_state::waiting_retry: return "reconnecting";
    }
    return "disabled";
}

void stream_driver::feed(bn::stream_input_t input) {
    if (stopped_) return;
    // Callbacks may feed the machine again (a synchronous reconcile_done): queue, never re-enter.
    pending_.push_back(std::move(input));
    if (stepping_) return;
    stepping_ = true;
    while (!pending_.empty() && !stopped_) {
        auto next = std::move(pending_.front());
        pending_.pop_front();
        for (const auto& a : fsm_.step(next, clock_())) perform(a);
    }
    stepping_ = false;
}

void stream_driver::perform(const bn::stream_action_t& a) {
    std::visit(overloaded{
                   [&](const act::connect& c) { do_connect(c.url, c.connection); },
                   [&](const act::close& c) {
                       auto it = sockets_.find(c.connection);
                       if (it == sockets_.end()) return;
                       if (cb_.on_note && c.reason != "stopped") cb_.on_note(c.reason != "rotation", "closing: " + c.reason);
                       it->second->close();
                       sockets_.erase(it);
                   },
                   [&](const act::create_listen_key&) { do_create_key(); },
                   [&](const act::send_keepalive& k) { do_keepalive(k.listen_key); },
                   [&](const act::reconcile&) {
                       if (cb_.on_reconcile) cb_.on_reconcile();
                       else feed(in::reconcile_done{});
                   },
                   [&](const act::arm_timer& t) { arm(t.at); },
                   [&](const act::cancel_timer&) {
                       ++timer_gen_;
                       timer_.cancel();
                   },
                   [&](const act::mark_trusted&) {
                       ever_connected_ = true;
                       if (cb_.on_trusted) cb_.on_trusted();
                   },
                   [&](const act::mark_untrusted& u) {
                       if (u.reason != "stopped") ++reconnects_;
                       if (cb_.on_untrusted) cb_.on_untrusted(u.reason);
                   },
               },
               a);
}

void stream_driver::arm(bn::millis at) {
    const auto gen = ++timer_gen_;
    timer_.expires_after(std::chrono::milliseconds(std::max<bn::millis>(0, at - clock_())));
    timer_.async_wait([w = weak_from_this(), gen](error_code ec) {
        auto self = w.lock();
        if (!self || ec || gen != self->timer_gen_) return;
        self->feed(in::timer_fired{});
    });
}

void stream_driver::do_connect(std::string url, std::uint64_t n) {
    auto ws = std::make_shared<ws_client>(io_, wo_, tls_);
    sockets_[n] = ws;
    asio::co_spawn(
        io_,
        [w = weak_from_this(), ws, url = std::move(url), n]() -> asio::awaitable<void> {
            auto ec = co_await ws->connect(url);
            {
                auto self = w.lock();
                if (!self || self->stopped_) co_return;
                if (ec) {
                    self->sockets_.erase(n);
                    if (self->cb_.on_connect_failed) self->cb_.on_connect_failed(ws->last_error());
                    if (self->stopped_) co_return;
                    self->feed(in::connect_failed{n, ws->last_error()});
                    co_return;
                }
                self->feed(in::connected{n});
            }
            for (;;) {
                auto [rec, msg] = co_await ws->read();
                auto self = w.lock();
                if (!self || self->stopped_) co_return;
                if (rec) {
                    self->sockets_.erase(n);
                    self->feed(in::disconnected{n, ws->last_error().empty() ? rec.message() : ws->last_error()});
                    co_return;
                }
                if (n != self->fsm_.connection()) continue;  // a late frame of a closed socket
                self->feed(in::frame_received{});
                if (self->cb_.on_frame) self->cb_.on_frame(msg);
            }
        },
        asio::detached);
}

void stream_driver::do_create_key() {
    if (!rest_) {
        feed(in::listen_key_failed{0, "no REST client"});
        return;
    }
    call_options o;
    o.urgent = true;
    o.max_wait = std::chrono::milliseconds(fsm_.config().connect_timeout_ms);
    rest_->async_call(bn::create_listen_key(), o, [w = weak_from_this()](rest_response r) {
        auto self = w.lock();
        if (!self || self->stopped_) return;
        if (!r.ok()) {
            self->feed(in::listen_key_failed{r.code(), r.describe()});
            return;
        }
        auto key = bn::parse_listen_key(r.body, self->parser_);
        if (!key) {
            self->feed(in::listen_key_failed{0, key.error().message});
            return;
        }
        self->feed(in::listen_key_created{*key});
    });
}

void stream_driver::do_keepalive(std::string key) {
    if (!rest_) return;
    call_options o;
    o.urgent = true;
    rest_->async_call(bn::keepalive_listen_key(), o, [w = weak_from_this(), key](rest_response r) {
        auto self = w.lock();
        if (!self || self->stopped_) return;
        if (!r.ok() && self->cb_.on_note)
            self->cb_.on_note(true, "listenKey keep-alive: " + r.describe() +
                                        (r.code() == -1125 ? "; creating a new key" : "; retrying"));
        self->feed(in::keepalive_result{key, r.ok(), r.code()});
    });
}

}  // namespace traded::exchange_io
