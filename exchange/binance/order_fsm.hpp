#pragma once
/// The life of one order placement, sans-I/O (like stream_fsm and Boost.Redis's writer_fsm): the
/// I/O layer reports what the exchange said, with the time, and performs the returned actions.
/// No sockets, no clocks; tests step it by hand.
///
///   start -> sending --answer 2xx---------------------------------------> done(placed)
///               |  --refused (4xx, -2021, -4164 ...)----------------------> done(rejected)
///               |  --busy (503 "Service Unavailable", -1008, -1001)--> backoff -> sending (max N)
///               |  --not sent (connect failed, rate-limit wait too long)-> backoff -> sending
///               |       entries: done(rejected) at once (a late entry trades on old prices);
///               |       protective orders during a 418/429: wait for the ban to end, then send
///               |       again, never reported rejected because of the ban
///               `--unknown (timeout, 503 "Unknown error", answer lost)
///                      -> waiting until sent_at + recvWindow + |clock offset| + margin
///                      -> lookup by client id --found--------------------> done(found)
///                                             --error--> backoff -> lookup
///                                             --not found--> resend once -> sending
///                                             --not found after resend---> done(gave_up)
///                                             --not found, an entry------> done(gave_up): an
///                                               entry is written once only (a late one trades on
///                                               old prices; after a crash its first write bounds
///                                               how long it may still execute)
///
/// "Not found" is final only once the exchange can no longer accept the request: it rejects a
/// request whose timestamp is older than recvWindow, and our timestamp is the local clock plus
/// the measured server offset, so after sent_at + recvWindow + |offset| + a margin a request
/// still in flight inside the exchange cannot appear any more.
///
/// One machine per placement of one client id; single-threaded like everything on the io_context.

#include "engine/types.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace traded::binance {

using millis = engine::millis;

/// Every retry number of order placement, in one place.
struct order_settings {
    /// recvWindow sent with signed requests, and the measured |server - local| clock offset.
    millis recv_window_ms = 5'000;
    millis clock_offset_ms = 0;
    /// Added on top of recvWindow + offset before "not found" is believed.
    millis not_found_margin_ms = 1'000;
    /// Sends after "unknown" + "not found" (Binance guidance: look it up, then send once more).
    /// Protective orders and closes only: entries are never sent twice.
    int max_resends = 1;
    /// Certain failures (503 "Service Unavailable", -1008 throttled, -1001): retries and backoff.
    int max_busy_retries = 3;
    millis busy_backoff_ms = 400;
    /// Not sent at all (connect failed, stopped queue): retries and backoff; entries never retry.
    int max_not_sent_retries = 4;
    millis not_sent_backoff_ms = 1'000;
    /// Lookups that fail (transport, 5xx): backoff doubling up to the max; after this many the
    /// machine gives up and leaves the order to reconciliation (0: never give up).
    millis lookup_backoff_ms = 1'000;
    millis lookup_backoff_max_ms = 30'000;
    int max_lookup_errors = 40;
    /// How long a request may wait for the rate limiter before it counts as not sent.
    millis entry_max_wait_ms = 3'000;
    millis protective_max_wait_ms = 60'000;
    /// Protective orders blocked by a ban are sent again when it ends; this caps one wait.
    millis ban_recheck_max_ms = 60'000;

    /// When a "not found" answer for a request sent at `sent_at` may be believed.
    millis not_found_final_at(millis sent_at) const;
};

/// How the exchange (or the transport) answered one placement request. The I/O layer classifies
/// the raw answer with `classify_placement` and passes the kind.
enum class placement_answer {
    placed,      // 2xx with a readable order object
    unreadable,  // 2xx whose body could not be read: the order exists, its details are unknown
    refused,     // the exchange refused it (4xx with a code): certain, final
    busy,        // certainly not executed, worth sending again (503 Service Unavailable, -1008, -1001)
    not_sent,    // never written (connect failed, rate-limit wait longer than allowed, stopping)
    unknown,     // written, no usable answer: it may exist
};

/// Classifies an HTTP answer to a placement (status, Binance code, body text).
placement_answer classify_placement(int http_status, int code, std::string_view body);

/// What a lookup by client id found.
enum class lookup_answer { found, not_found, error };

namespace order_input {
/// Begin: send the placement.
struct start {};
/// The answer to the last send. `ban_until`: the rate limiter refused to send before this time
/// (418/429 in force); 0 when not rate-limited.
struct sent {
    placement_answer answer = placement_answer::unknown;
    millis sent_at = 0;  // when it was written (0: never written)
    int code = 0;
    std::string message;
    millis ban_until = 0;
    /// A protective order whose position has no stop resting on the exchange: a ban is not
    /// waited out (nothing protects the position meanwhile) but ends the placement rejected, so
    /// the engine's emergency path closes the position.
    bool unprotected = false;
};
/// The answer to the last lookup.
struct looked_up {
    lookup_answer answer = lookup_answer::error;
    std::string message;
};
/// The stream (or any other source) showed the exchange knows the order: stop guessing.
struct seen_on_exchange {};
/// The engine asked to cancel it while its fate was unknown: "not found" then ends it without a resend.
struct cancel_wanted {};
/// The armed timer expired.
struct timer_fired {};
}  // namespace order_input

using order_input_t = std::variant<order_input::start, order_input::sent, order_input::looked_up,
                                   order_input::seen_on_exchange, order_input::cancel_wanted, order_input::timer_fired>;

/// How a placement ended.
enum class order_outcome {
    placed,          // the exchange answered with the order: deliver it
    found,           // the lookup found it: deliver what the lookup said
    rejected,        // refused, or could not be sent: order_rejected
    not_placed,      // not on the exchange and the engine wants it canceled: order_canceled
    gave_up,         // not found after the resend: order_rejected with the reason
    unresolved,      // lookups keep failing: left to reconciliation, reported nowhere else
};
std::string_view to_string(order_outcome o);

namespace order_action {
/// Send the placement (again). `max_wait_ms`: how long it may wait for the rate limiter.
struct send {
    int attempt = 0;  // 0 first, then 1, 2, ...
    bool resend = false;  // after unknown + not found
    millis max_wait_ms = 0;
};
/// GET the order by client id.
struct lookup {};
/// Arm the machine's timer for absolute time `at`.
struct arm_timer {
    millis at = 0;
};
/// A line for the log (why the machine waits, retries or gives up).
struct note {
    bool warning = false;
    std::string text;
};
/// The placement is over.
struct finish {
    order_outcome outcome = order_outcome::placed;
    int code = 0;
    std::string reason;
};
}  // namespace order_action

using order_action_t = std::variant<order_action::send, order_action::lookup, order_action::arm_timer,
                                    order_action::note, order_action::finish>;
using order_actions = std::vector<order_action_t>;

/// Where the machine is.
enum class order_state { idle, sending, backing_off, waiting_lookup, looking_up, done };
std::string_view to_string(order_state s);

/// One placement; see the file comment.
class order_fsm {
public:
    /// `entry`: an entry order (fails fast); otherwise protective/close (retries, waits out bans).
    order_fsm(order_settings s, bool entry);

    /// Feeds one input at time `now`; returns the actions to perform, in order.
    order_actions step(const order_input_t& input, millis now);

    order_state state() const { return state_; }
    bool done() const { return state_ == order_state::done; }
    /// True while the exchange may hold an order we do not know about yet.
    bool outcome_unknown() const { return unknown_; }
    int resends() const { return resends_; }
    /// True while a 418/429 holds the placement back.
    bool waiting_for_ban() const { return ban_until_ > 0; }
    const order_settings& settings() const { return s_; }

private:
    void on_sent(const order_input::sent& r, millis now, order_actions& out);
    void on_looked_up(const order_input::looked_up& r, millis now, order_actions& out);
    void send(millis now, bool resend, order_actions& out);
    void lookup(order_actions& out);
    void wait(millis at, order_state st, order_actions& out);
    void finish(order_outcome o, int code, std::string reason, order_actions& out);

    order_settings s_;
    bool entry_ = false;
    order_state state_ = order_state::idle;
    order_state after_wait_ = order_state::sending;  // what the timer resumes
    bool unknown_ = false;
    bool cancel_wanted_ = false;
    bool next_is_resend_ = false;
    int attempts_ = 0;
    int busy_retries_ = 0;
    int not_sent_retries_ = 0;
    int lookup_errors_ = 0;
    int resends_ = 0;
    millis last_sent_at_ = 0;
    millis timer_at_ = 0;
    millis ban_until_ = 0;
};

}  // namespace traded::binance
