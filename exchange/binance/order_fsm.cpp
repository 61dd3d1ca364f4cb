#include "exchange/binance/order_fsm.hpp"

#include <algorithm>
#include <cstdlib>

namespace traded::binance {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

millis doubled(millis base, int times, millis cap) {
    millis d = std::max<millis>(base, 1);
    for (int i = 0; i < times && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

}  // namespace

millis order_settings::not_found_final_at(millis sent_at) const {
    return sent_at + recv_window_ms + std::llabs(clock_offset_ms) + not_found_margin_ms;
}

placement_answer classify_placement(int http_status, int code, std::string_view body) {
    if (http_status >= 200 && http_status < 300 && code == 0) return placement_answer::placed;
    // Binance: 503 "Service Unavailable" and -1008 "throttled" are certain failures; 503
    // "Unknown error", timeouts and -1006/-1007 leave the execution status unknown.
    if (code == -1008 || code == -1001) return placement_answer::busy;
    if (code == -1006 || code == -1007 || code == -1000) return placement_answer::unknown;
    if (http_status >= 500) {
        if (body.find("Service Unavailable") != std::string_view::npos) return placement_answer::busy;
        return placement_answer::unknown;
    }
    if (http_status == 408) return placement_answer::unknown;
    if (http_status == 429 || http_status == 418) return placement_answer::busy;  // nothing was executed
    if (http_status >= 400) return placement_answer::refused;
    return placement_answer::unknown;
}

std::string_view to_string(order_outcome o) {
    switch (o) {
        case order_outcome::placed: return "placed";
        case order_outcome::found: return "found";
        case order_outcome::rejected: return "rejected";
        case order_outcome::not_placed: return "not_placed";
        case order_outcome::gave_up: return "gave_up";
        case order_outcome::unresolved: return "unresolved";
    }
    return "unresolved";
}

std::string_view to_string(order_state s) {
    switch (s) {
        case order_state::idle: return "idle";
        case order_state::sending: return "sending";
        case order_state::backing_off: return "backing_off";
        case order_state::waiting_lookup: return "waiting_lookup";
        case order_state::looking_up: return "looking_up";
        case order_state::done: return "done";
    }
    return "done";
}

order_fsm::order_fsm(order_settings s, bool entry) : s_(s), entry_(entry) {}

order_actions order_fsm::step(const order_input_t& input, millis now) {
    order_actions out;
    namespace in = order_input;
    std::visit(overloaded{
                   [&](const in::start&) {
                       if (state_ == order_state::idle) send(now, false, out);
                   },
                   [&](const in::sent& r) {
                       if (state_ == order_state::sending) on_sent(r, now, out);
                   },
                   [&](const in::looked_up& r) {
                       if (state_ == order_state::looking_up) on_looked_up(r, now, out);
                   },
                   [&](const in::seen_on_exchange&) {
                       // While a send is in flight its answer is on the way and says more; once
                       // the outcome is unknown, the exchange knowing the order settles it.
                       if (state_ != order_state::done && unknown_ && state_ != order_state::sending)
                           finish(order_outcome::found, 0, "seen on the exchange", out);
                   },
                   [&](const in::cancel_wanted&) { cancel_wanted_ = true; },
                   [&](const in::timer_fired&) {
                       if (state_ != order_state::backing_off && state_ != order_state::waiting_lookup) return;
                       if (now < timer_at_) return;  // an early or stale timer
                       ban_until_ = 0;
                       if (after_wait_ == order_state::sending) send(now, next_is_resend_, out);
                       else lookup(out);
                   },
               },
               input);
    return out;
}

void order_fsm::on_sent(const order_input::sent& r, millis now, order_actions& out) {
    if (r.sent_at > 0) last_sent_at_ = r.sent_at;
    switch (r.answer) {
        case placement_answer::placed:
            finish(order_outcome::placed, 0, {}, out);
            return;
        case placement_answer::refused:
            finish(order_outcome::rejected, r.code, r.message, out);
            return;
        case placement_answer::unreadable:
            // It exists; only its details are missing: ask for them at once.
            unknown_ = true;
            out.emplace_back(order_action::note{true, "unreadable answer (" + r.message + "); looking the order up"});
            lookup(out);
            return;
        case placement_answer::unknown:
            unknown_ = true;
            if (last_sent_at_ == 0) last_sent_at_ = now;
            out.emplace_back(order_action::note{true, r.message + "; looking the order up before anything else"});
            lookup(out);
            return;
        case placement_answer::busy:
            if (busy_retries_ >= s_.max_busy_retries) {
                finish(order_outcome::rejected, r.code, r.message, out);
                return;
            }
            out.emplace_back(order_action::note{true, r.message + "; retrying"});
            wait(now + doubled(s_.busy_backoff_ms, busy_retries_++, 30'000), order_state::sending, out);
            return;
        case placement_answer::not_sent:
            if (r.ban_until > now) {
                if (entry_) {
                    // A late entry trades on old prices: refuse it now rather than after the ban.
                    finish(order_outcome::rejected, -1003, "rate limited: " + r.message, out);
                    return;
                }
                if (r.unprotected) {
                    // Nothing rests on the exchange for this position: waiting out the ban would
                    // leave it unprotected. Rejected: the engine's emergency path takes over.
                    finish(order_outcome::rejected, -1003, r.message + "; no stop on the exchange", out);
                    return;
                }
                // A protective order is never given up because of a ban: whatever rests keeps
                // protecting the position, and this one goes out as soon as the ban ends.
                ban_until_ = r.ban_until;
                out.emplace_back(order_action::note{
                    true, "rate limited until " + std::to_string(r.ban_until) + "; sending again when it ends"});
                wait(std::min(r.ban_until, now + s_.ban_recheck_max_ms), order_state::sending, out);
                return;
            }
            if (entry_ || not_sent_retries_ >= s_.max_not_sent_retries) {
                finish(order_outcome::rejected, 0, r.message, out);
                return;
            }
            out.emplace_back(order_action::note{true, r.message + "; retrying"});
            wait(now + doubled(s_.not_sent_backoff_ms, not_sent_retries_++, 30'000), order_state::sending, out);
            return;
    }
}

void order_fsm::on_looked_up(const order_input::looked_up& r, millis now, order_actions& out) {
    switch (r.answer) {
        case lookup_answer::found:
            finish(order_outcome::found, 0, {}, out);
            return;
        case lookup_answer::error:
            ++lookup_errors_;
            if (s_.max_lookup_errors > 0 && lookup_errors_ >= s_.max_lookup_errors) {
                finish(order_outcome::unresolved, 0,
                       "outcome unknown: " + std::to_string(lookup_errors_) + " lookups failed (" + r.message +
                           "); reconciliation decides",
                       out);
                return;
            }
            out.emplace_back(order_action::note{true, "lookup failed: " + r.message});
            wait(now + doubled(s_.lookup_backoff_ms, lookup_errors_ - 1, s_.lookup_backoff_max_ms),
                 order_state::looking_up, out);
            return;
        case lookup_answer::not_found: {
            const millis final_at = s_.not_found_final_at(last_sent_at_);
            if (now < final_at) {
                // The request may still be inside the exchange: ask again once it cannot be.
                wait(final_at, order_state::looking_up, out);
                return;
            }
            if (cancel_wanted_) {
                finish(order_outcome::not_placed, 0, "not on the exchange; the engine canceled it", out);
                return;
            }
            if (entry_) {
                finish(order_outcome::gave_up, -2013,
                       "entry outcome unknown and not found on the exchange within its recvWindow; not sent again",
                       out);
                return;
            }
            if (resends_ < s_.max_resends) {
                ++resends_;
                unknown_ = false;
                out.emplace_back(
                    order_action::note{true, "not on the exchange; sending it once more with the same client id"});
                send(now, true, out);
                return;
            }
            finish(order_outcome::gave_up, 0,
                   "order outcome unknown and not found on the exchange after " + std::to_string(resends_) +
                       " resend(s)",
                   out);
            return;
        }
    }
}

void order_fsm::send(millis /*now*/, bool resend, order_actions& out) {
    state_ = order_state::sending;
    next_is_resend_ = resend;
    out.emplace_back(order_action::send{attempts_++, resend, entry_ ? s_.entry_max_wait_ms : s_.protective_max_wait_ms});
}

void order_fsm::lookup(order_actions& out) {
    state_ = order_state::looking_up;
    out.emplace_back(order_action::lookup{});
}

void order_fsm::wait(millis at, order_state then, order_actions& out) {
    state_ = then == order_state::sending ? order_state::backing_off : order_state::waiting_lookup;
    after_wait_ = then;
    timer_at_ = at;
    out.emplace_back(order_action::arm_timer{at});
}

void order_fsm::finish(order_outcome o, int code, std::string reason, order_actions& out) {
    state_ = order_state::done;
    unknown_ = o == order_outcome::unresolved;
    ban_until_ = 0;
    out.emplace_back(order_action::finish{o, code, std::move(reason)});
}

}  // namespace traded::binance
