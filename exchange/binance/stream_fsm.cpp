#include "exchange/binance/stream_fsm.hpp"

#include "exchange/binance/urls.hpp"

#include <algorithm>

namespace traded::binance {

namespace {

/// splitmix64: tiny, good enough for jitter, and deterministic from the seed.
std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace

std::string_view to_string(stream_state s) {
    switch (s) {
        case stream_state::stopped: return "stopped";
        case stream_state::creating_listen_key: return "creating_listen_key";
        case stream_state::connecting: return "connecting";
        case stream_state::reconciling: return "reconciling";
        case stream_state::live: return "live";
        case stream_state::waiting_retry: return "waiting_retry";
    }
    return "stopped";
}

stream_fsm::stream_fsm(stream_config cfg) : cfg_(std::move(cfg)), rng_(cfg_.jitter_seed) {}

stream_actions stream_fsm::step(const stream_input_t& input, millis now) {
    stream_actions out;
    on_input(input, now, out);
    // Deadlines are checked on every step, not only on timer_fired: a late timer or a burst of
    // inputs can never skip one.
    check_deadlines(now, out);
    std::optional<millis> next = next_deadline();
    if (next != armed_) {
        if (next) out.emplace_back(stream_action::arm_timer{*next});
        else out.emplace_back(stream_action::cancel_timer{});
        armed_ = next;
    }
    return out;
}

void stream_fsm::on_input(const stream_input_t& input, millis now, stream_actions& out) {
    namespace in = stream_input;
    std::visit(
        overloaded{
            [&](const in::start&) {
                if (state_ != stream_state::stopped) return;
                attempts_ = 0;
                begin_attempt(now, out);
            },
            [&](const in::stop&) {
                if (state_ == stream_state::connecting || connected())
                    out.emplace_back(stream_action::close{connection_, "stopped"});
                untrust("stopped", out);
                state_ = stream_state::stopped;
                keepalive_at_.reset();
                reconcile_retry_at_.reset();
            },
            [&](const in::connected& c) {
                if (state_ != stream_state::connecting || c.connection != connection_) return;
                on_connected(now, out);
            },
            [&](const in::connect_failed& c) {
                if (state_ != stream_state::connecting || c.connection != connection_) return;
                lost(now, "connect failed: " + c.reason, false, out);
            },
            [&](const in::disconnected& d) {
                if (!connected() || d.connection != connection_) return;  // late close of an old socket
                lost(now, "disconnected: " + d.reason, false, out);
            },
            [&](const in::frame_received&) {
                if (connected()) last_frame_at_ = now;
            },
            [&](const in::timer_fired&) {},  // deadlines are checked after every input
            [&](const in::listen_key_created& k) {
                if (state_ != stream_state::creating_listen_key) return;
                if (k.listen_key.empty()) {
                    lost(now, "empty listen key", false, out);
                    return;
                }
                listen_key_ = k.listen_key;
                // A POST also extends the key by 60 minutes: the keep-alive clock restarts.
                keepalive_at_ = now + cfg_.keepalive_interval_ms;
                connect(now, out);
            },
            [&](const in::listen_key_failed& f) {
                if (state_ != stream_state::creating_listen_key) return;
                lost(now, "listen key: " + std::to_string(f.code) + " " + f.reason, false, out);
            },
            [&](const in::keepalive_result& k) {
                if (cfg_.kind != stream_kind::user || k.listen_key != listen_key_) return;  // stale answer
                if (k.ok) {
                    keepalive_at_ = now + cfg_.keepalive_interval_ms;
                } else if (k.code == -1125) {
                    if (connected()) recreate_key(now, "listen key does not exist (-1125)", out);
                } else {
                    keepalive_at_ = now + cfg_.keepalive_retry_ms;
                }
            },
            [&](const in::listen_key_expired& x) {
                if (cfg_.kind != stream_kind::user || !connected()) return;
                if (!x.listen_key.empty() && x.listen_key != listen_key_) return;  // about an old key
                recreate_key(now, "listenKeyExpired", out);
            },
            [&](const in::reconcile_done&) {
                if (state_ != stream_state::reconciling) return;
                state_ = stream_state::live;
                reconcile_failures_ = 0;
                reconcile_retry_at_.reset();
                trusted_ = true;
                out.emplace_back(stream_action::mark_trusted{});
            },
            [&](const in::reconcile_failed&) {
                if (state_ != stream_state::reconciling) return;
                reconcile_retry_at_ = now + backoff_delay(reconcile_failures_++);
            },
        },
        input);
}

void stream_fsm::check_deadlines(millis now, stream_actions& out) {
    switch (state_) {
        case stream_state::stopped:
            return;
        case stream_state::creating_listen_key:
            if (now >= phase_deadline_) lost(now, "listen key request timed out", false, out);
            return;
        case stream_state::connecting:
            if (now >= phase_deadline_) lost(now, "connect timed out", true, out);
            return;
        case stream_state::waiting_retry:
            if (now >= retry_at_) begin_attempt(now, out);
            return;
        case stream_state::reconciling:
        case stream_state::live:
            break;
    }
    if (cfg_.silence_timeout_ms > 0 && now >= silence_check_at_) {
        if (now - last_frame_at_ >= cfg_.silence_timeout_ms) {
            lost(now, "no frame for " + std::to_string(now - last_frame_at_) + " ms", true, out);
            return;
        }
        silence_check_at_ = last_frame_at_ + cfg_.silence_timeout_ms;
    }
    if (now >= connected_at_ + cfg_.rotate_after_ms) {
        // Planned: Binance cuts every connection at 24 h. Reconnect at once, no backoff.
        out.emplace_back(stream_action::close{connection_, "rotation"});
        untrust("rotation", out);
        attempts_ = 0;
        begin_attempt(now, out);
        return;
    }
    if (cfg_.kind == stream_kind::user && keepalive_at_ && now >= *keepalive_at_) {
        out.emplace_back(stream_action::send_keepalive{listen_key_});
        // Re-sent after keepalive_retry_ms unless an answer moves the deadline first.
        keepalive_at_ = now + cfg_.keepalive_retry_ms;
    }
    if (state_ == stream_state::reconciling && reconcile_retry_at_ && now >= *reconcile_retry_at_) {
        reconcile_retry_at_.reset();
        out.emplace_back(stream_action::reconcile{});
    }
}

void stream_fsm::begin_attempt(millis now, stream_actions& out) {
    if (cfg_.kind == stream_kind::user) {
        // Always POST before connecting: it returns the active key (extended) or a new one, so a
        // key that expired while we were away is never reused.
        state_ = stream_state::creating_listen_key;
        phase_deadline_ = now + cfg_.connect_timeout_ms;
        out.emplace_back(stream_action::create_listen_key{});
        return;
    }
    connect(now, out);
}

void stream_fsm::connect(millis now, stream_actions& out) {
    ++connection_;
    state_ = stream_state::connecting;
    phase_deadline_ = now + cfg_.connect_timeout_ms;
    std::string url = cfg_.kind == stream_kind::user ? user_stream_url(cfg_.url, listen_key_) : cfg_.url;
    out.emplace_back(stream_action::connect{std::move(url), connection_});
}

void stream_fsm::on_connected(millis now, stream_actions& out) {
    connected_at_ = now;
    last_frame_at_ = now;
    silence_check_at_ = now + cfg_.silence_timeout_ms;
    if (cfg_.kind == stream_kind::user) {
        // The stream is live from here; the sweep now cannot miss anything the stream will not
        // also deliver. Only after it completes is the view trusted.
        state_ = stream_state::reconciling;
        reconcile_failures_ = 0;
        reconcile_retry_at_.reset();
        out.emplace_back(stream_action::reconcile{});
        return;
    }
    state_ = stream_state::live;
    trusted_ = true;
    out.emplace_back(stream_action::mark_trusted{});
}

void stream_fsm::lost(millis now, const std::string& reason, bool close_socket, stream_actions& out) {
    bool was_up = connected();
    if (close_socket) out.emplace_back(stream_action::close{connection_, reason});
    untrust(reason, out);
    // A connection that held for a while was healthy: start the backoff over.
    if (was_up && now - connected_at_ >= cfg_.stable_after_ms) attempts_ = 0;
    state_ = stream_state::waiting_retry;
    retry_at_ = now + backoff_delay(attempts_);
    ++attempts_;
    reconcile_retry_at_.reset();
}

void stream_fsm::recreate_key(millis now, const std::string& reason, stream_actions& out) {
    out.emplace_back(stream_action::close{connection_, reason});
    untrust(reason, out);
    listen_key_.clear();
    keepalive_at_.reset();
    reconcile_retry_at_.reset();
    begin_attempt(now, out);
}

void stream_fsm::untrust(const std::string& reason, stream_actions& out) {
    if (!trusted_) return;
    trusted_ = false;
    out.emplace_back(stream_action::mark_untrusted{reason});
}

millis stream_fsm::backoff_delay(int attempt) {
    millis d = std::max<millis>(cfg_.backoff_initial_ms, 1);
    for (int i = 0; i < attempt && d < cfg_.backoff_max_ms; ++i) d *= 2;
    d = std::min(d, std::max<millis>(cfg_.backoff_max_ms, 1));
    // Equal jitter: half fixed, half random, so many clients do not reconnect in lockstep.
    millis half = d / 2;
    auto span = static_cast<std::uint64_t>(d - half + 1);
    return half + static_cast<millis>(next_random(rng_) % span);
}

std::optional<millis> stream_fsm::next_deadline() const {
    switch (state_) {
        case stream_state::stopped:
            return std::nullopt;
        case stream_state::creating_listen_key:
        case stream_state::connecting:
            return phase_deadline_;
        case stream_state::waiting_retry:
            return retry_at_;
        case stream_state::reconciling:
        case stream_state::live:
            break;
    }
    millis next = connected_at_ + cfg_.rotate_after_ms;
    if (cfg_.silence_timeout_ms > 0) next = std::min(next, silence_check_at_);
    if (cfg_.kind == stream_kind::user && keepalive_at_) next = std::min(next, *keepalive_at_);
    if (state_ == stream_state::reconciling && reconcile_retry_at_) next = std::min(next, *reconcile_retry_at_);
    return next;
}

}  // namespace traded::binance
