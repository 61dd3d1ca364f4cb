#pragma once
/// Connection state machine of one Binance WebSocket stream, sans-I/O (in the style of
/// Boost.MySQL's sansio/ and Boost.Redis's writer_fsm): the I/O layer feeds what happened
/// (`stream_input`) with the current time and performs the returned actions; no sockets, no
/// clocks, no randomness other than the seed in the config. Tests step it by hand.
///
/// Market stream:  stopped -> connecting -> live (trusted) -> [silence | close | 24 h rotation]
///                 -> waiting_retry (jittered exponential backoff) -> connecting ...
/// User stream:    stopped -> creating_listen_key (POST) -> connecting (<private>/ws/<key>)
///                 -> reconciling (REST sweep; events may arrive but the view is not trusted)
///                 -> live (trusted); keep-alive PUT every 30 min; on -1125 or listenKeyExpired
///                 -> close, re-create the key, reconnect, reconcile again.
/// Every (re)connect of the user stream is followed by a `reconcile` action, and the stream is
/// only marked trusted after the I/O layer reports `reconcile_done`: events missed while
/// disconnected are recovered from REST before the daemon relies on the stream.
///
/// The machine uses one timer: after each step it emits `arm_timer{at}` when the earliest
/// deadline changed (or `cancel_timer` when none is left); the I/O layer feeds `timer_fired`.
/// Connection attempts are numbered so late callbacks of an old socket are ignored.

#include "engine/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace traded::binance {

using millis = engine::millis;

/// Which kind of stream the machine drives.
enum class stream_kind { market, user };

/// Timings of one stream. Defaults follow binance-usdm.md §6.1 / §4.11.
struct stream_config {
    stream_kind kind = stream_kind::market;
    /// Market: the full URL to connect to. User: the private root; the machine appends
    /// /ws/<listenKey> (urls.hpp user_stream_url).
    std::string url;
    /// No frame (data or ping) for this long -> reconnect; 0 disables. The server pings every
    /// 3 minutes, so any value above that is safe for quiet streams.
    millis silence_timeout_ms = 5 * 60'000;
    /// Creating the listen key or opening the socket must finish within this.
    millis connect_timeout_ms = 15'000;
    /// Planned reconnect before Binance's 24 h cut-off.
    millis rotate_after_ms = 23LL * 3600 * 1000;
    /// Backoff: min(max, initial * 2^attempt), then "equal jitter" in [d/2, d].
    millis backoff_initial_ms = 500;
    millis backoff_max_ms = 30'000;
    /// A connection that stayed up this long resets the backoff.
    millis stable_after_ms = 60'000;
    /// listenKey keep-alive (PUT) period (the key lives 60 min) and retry after a failed PUT.
    millis keepalive_interval_ms = 30 * 60'000;
    millis keepalive_retry_ms = 60'000;
    /// Seed of the jitter generator (injected so tests are deterministic).
    std::uint64_t jitter_seed = 0x9E3779B97F4A7C15ULL;
};

/// What happened, as reported by the I/O layer.
namespace stream_input {
/// Begin connecting (from stopped).
struct start {};
/// Close everything and stay stopped.
struct stop {};
/// Connection `connection` (from the connect action) completed its handshake.
struct connected {
    std::uint64_t connection = 0;
};
/// Connection `connection` could not be established.
struct connect_failed {
    std::uint64_t connection = 0;
    std::string reason;
};
/// Connection `connection` closed or failed after being established.
struct disconnected {
    std::uint64_t connection = 0;
    std::string reason;
};
/// A data or ping frame arrived on the current connection.
struct frame_received {};
/// The armed timer expired.
struct timer_fired {};
/// POST /fapi/v1/listenKey answered with a key.
struct listen_key_created {
    std::string listen_key;
};
/// POST /fapi/v1/listenKey failed (transport error or Binance error code).
struct listen_key_failed {
    int code = 0;
    std::string reason;
};
/// PUT /fapi/v1/listenKey answered. code -1125: the key is gone, re-create it.
struct keepalive_result {
    std::string listen_key;  // the key the PUT was for
    bool ok = false;
    int code = 0;
};
/// A listenKeyExpired event arrived on the stream ("" when the event has no listenKey).
struct listen_key_expired {
    std::string listen_key;
};
/// The REST sweep after a (re)connect finished.
struct reconcile_done {};
/// The REST sweep failed; it is retried after a backoff.
struct reconcile_failed {
    std::string reason;
};
}  // namespace stream_input

using stream_input_t =
    std::variant<stream_input::start, stream_input::stop, stream_input::connected, stream_input::connect_failed,
                 stream_input::disconnected, stream_input::frame_received, stream_input::timer_fired,
                 stream_input::listen_key_created, stream_input::listen_key_failed, stream_input::keepalive_result,
                 stream_input::listen_key_expired, stream_input::reconcile_done, stream_input::reconcile_failed>;

/// What the I/O layer must do, in order.
namespace stream_action {
/// Open a WebSocket to `url`; report back with this connection number.
struct connect {
    std::string url;
    std::uint64_t connection = 0;
};
/// Close connection `connection` (ignore if it is already gone).
struct close {
    std::uint64_t connection = 0;
    std::string reason;
};
/// POST /fapi/v1/listenKey.
struct create_listen_key {};
/// PUT /fapi/v1/listenKey (the key is echoed back in keepalive_result).
struct send_keepalive {
    std::string listen_key;
};
/// Run the REST sweep (open orders, open algo orders, positionRisk, balance, order look-ups)
/// and report reconcile_done / reconcile_failed.
struct reconcile {};
/// (Re)arm the single timer for absolute time `at`.
struct arm_timer {
    millis at = 0;
};
/// No deadline left: cancel the timer.
struct cancel_timer {};
/// The stream is complete and current: the daemon may rely on it (exchange connected).
struct mark_trusted {};
/// The stream is no longer trustworthy (exchange disconnected) until mark_trusted.
struct mark_untrusted {
    std::string reason;
};
}  // namespace stream_action

using stream_action_t =
    std::variant<stream_action::connect, stream_action::close, stream_action::create_listen_key,
                 stream_action::send_keepalive, stream_action::reconcile, stream_action::arm_timer,
                 stream_action::cancel_timer, stream_action::mark_trusted, stream_action::mark_untrusted>;
using stream_actions = std::vector<stream_action_t>;

/// Where the machine is.
enum class stream_state { stopped, creating_listen_key, connecting, reconciling, live, waiting_retry };
/// "stopped", "creating_listen_key", ...
std::string_view to_string(stream_state s);

/// The machine. One per WebSocket stream; single-threaded like everything on the io_context.
class stream_fsm {
public:
    explicit stream_fsm(stream_config cfg);

    /// Feeds one input at time `now`; returns the actions to perform, in order.
    stream_actions step(const stream_input_t& input, millis now);

    stream_state state() const { return state_; }
    /// True between mark_trusted and mark_untrusted.
    bool trusted() const { return trusted_; }
    /// Connected (reconciling or live).
    bool connected() const { return state_ == stream_state::reconciling || state_ == stream_state::live; }
    /// Current listen key (user stream), "" before the first one.
    const std::string& listen_key() const { return listen_key_; }
    /// Number of the current (or last) connection attempt.
    std::uint64_t connection() const { return connection_; }
    /// Failed attempts since the last stable connection (drives the backoff).
    int attempts() const { return attempts_; }
    /// Time of the last frame (0 before any), for "last_event_age_ms".
    millis last_frame_at() const { return last_frame_at_; }
    /// The armed deadline, if any.
    std::optional<millis> armed() const { return armed_; }
    const stream_config& config() const { return cfg_; }

private:
    void on_input(const stream_input_t& input, millis now, stream_actions& out);
    void check_deadlines(millis now, stream_actions& out);
    void begin_attempt(millis now, stream_actions& out);
    void connect(millis now, stream_actions& out);
    void on_connected(millis now, stream_actions& out);
    /// The connection (or the attempt) is lost; `close_socket` when we are the ones closing.
    void lost(millis now, const std::string& reason, bool close_socket, stream_actions& out);
    /// The listen key is invalid: close, re-create at once, reconnect.
    void recreate_key(millis now, const std::string& reason, stream_actions& out);
    void untrust(const std::string& reason, stream_actions& out);
    millis backoff_delay(int attempt);
    std::optional<millis> next_deadline() const;

    stream_config cfg_;
    stream_state state_ = stream_state::stopped;
    bool trusted_ = false;
    std::string listen_key_;
    std::uint64_t connection_ = 0;
    int attempts_ = 0;
    int reconcile_failures_ = 0;
    std::uint64_t rng_;

    millis phase_deadline_ = 0;     // creating_listen_key / connecting timeout
    millis retry_at_ = 0;           // waiting_retry
    millis connected_at_ = 0;
    millis last_frame_at_ = 0;
    millis silence_check_at_ = 0;   // lazily moved forward; frames do not re-arm the timer
    std::optional<millis> keepalive_at_;
    std::optional<millis> reconcile_retry_at_;
    std::optional<millis> armed_;
};

}  // namespace traded::binance
