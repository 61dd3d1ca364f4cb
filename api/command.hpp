#pragma once
/// One control or query command, whichever transport it came from. REST routes and WebSocket
/// request messages are both parsed into a `command` and executed by the same `backend`, so a
/// REST answer and a WS answer for the same op carry exactly the same data.

#include "engine/events.hpp"
#include "engine/types.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace traded::api {

/// SPEC §3 op names. REST routes map onto the same ops.
enum class op {
    status,
    safety_status,
    account_balance,
    performance,
    positions,
    trades,
    close_position,
    start,
    stop,
    emergency_stop,
    set_safety_limits,
    opportunities,
    submit_opportunity,
};
std::string_view to_string(op o);
std::optional<op> parse_op(std::string_view s);
/// Ops that act on one engine and need a mode.
bool needs_mode(op o);

struct no_params {};
struct trades_params {
    int limit = 100;          // 1..1000
    engine::millis since = 0; // closed_at >= since
};
struct close_params {
    std::string position_id;
};
struct start_params {
    bool clear_emergency = false;
};
struct limits_params {
    engine::safety_limits_update update;
};
struct opportunity_params {
    std::string symbol;
    engine::side opp_side = engine::side::long_side;
    std::string reason;
    std::optional<engine::mode> target;  // only this engine; none: every running engine
};

using params = std::variant<no_params, trades_params, close_params, start_params, limits_params,
                            opportunity_params>;

/// Who asked (for the audit log).
struct origin {
    std::string remote;     // "127.0.0.1:5555"
    std::string transport;  // "http" | "ws"
};

struct command {
    api::op name = op::status;
    std::optional<engine::mode> mode;
    api::params args;
    api::origin from;
};

/// What executing a command gave. `code` empty means success and `data` is the payload;
/// otherwise `status` is the HTTP status and `code`/`message` the error (SPEC §2 envelope).
struct reply {
    int status = 200;
    std::string code;
    std::string message;
    boost::json::value data;
    /// When not empty: the JSON text of `data`, already rendered (`data` is then ignored). Large
    /// answers (a list of positions) are written straight from engine state into this string
    /// instead of building a JSON tree first.
    std::string text;

    static reply ok(boost::json::value d) { return reply{200, {}, {}, std::move(d), {}}; }
    static reply ok_text(std::string json_text) { return reply{200, {}, {}, nullptr, std::move(json_text)}; }
    static reply error(int status, std::string code, std::string message) {
        return reply{status, std::move(code), std::move(message), nullptr, {}};
    }
    bool is_ok() const { return code.empty(); }
};

/// Implemented by the daemon: executes commands against the engines and produces snapshots.
/// Called on the io_context thread only.
class backend {
public:
    virtual ~backend() = default;
    virtual reply execute(const command& cmd) = 0;
    /// How long to wait before executing `cmd`, which has already waited `waited`; zero: now.
    /// Lets a command wait for something under way (`start` while the exchange connection is
    /// being established, SPEC §1) without blocking the loop: the server asks again after the
    /// delay and executes once the answer is zero.
    virtual std::chrono::milliseconds hold(const command& cmd, std::chrono::milliseconds waited) {
        (void)cmd;
        (void)waited;
        return std::chrono::milliseconds(0);
    }
    /// Current state of one channel for one mode as JSON text (the `data` of the WS `snapshot`
    /// sent on subscribe); empty: null.
    virtual std::string snapshot(engine::channel ch, engine::mode m) = 0;
    /// Prometheus text for /metrics (the API layer appends its own counters).
    virtual std::string metrics_text() = 0;
    /// GET /readyz (SPEC §9): {"ready": bool, "reasons": [codes]}. Null means ready.
    virtual boost::json::value readiness() { return nullptr; }
    /// GET /api/v1/config: the effective configuration with every secret redacted (null: none).
    virtual boost::json::value config_json() { return nullptr; }
};

}  // namespace traded::api
