#pragma once
/// The pure command router: REST requests and WebSocket messages in, `command`s (or immediate
/// error replies) out, plus the JSON envelopes of the answers. No sockets and no Beast here, so
/// every route, every validation message and every envelope is unit-tested without I/O.
///
/// REST and WebSocket share one validation path: both reduce their input to a flat list of
/// named parameters and hand it to the same per-op parameter builder, so a bad `limit` reads the
/// same whichever transport sent it, and no handler logic is written twice.

#include "api/command.hpp"
#include "engine/events.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace traded::api {

/// An HTTP request reduced to what routing needs (the server fills it from Beast's message).
struct http_request {
    std::string method;        ///< "GET", "POST", "PUT", ...
    std::string target;        ///< path plus optional "?query", as sent
    std::string body;          ///< raw body (may be empty)
    std::string content_type;  ///< Content-Type header (informational; JSON is assumed)
};

/// A routed request: the command to execute, or the answer to send at once (4xx).
using route_result = std::variant<command, reply>;

/// Routes one request under `/api/v1/` (SPEC §2). Paths outside the API (healthz, metrics, the
/// dashboard, the WebSocket upgrade) are the server's business and answer 404 NOT_FOUND here.
/// Errors: unknown path 404 NOT_FOUND, unknown `{mode}` 404 UNKNOWN_MODE, wrong method 405
/// METHOD_NOT_ALLOWED, malformed JSON 400 INVALID_JSON, bad field 400 INVALID_PARAMETER (the
/// message starts with the field name: "limit: must be an integer between 1 and 1000").
route_result parse_http(const http_request& r);

/// Methods a known API path accepts ("GET", "POST, PUT"...), empty for an unknown path: the
/// server puts it in the `Allow` header of a 405.
std::string allowed_methods(std::string_view target);

/// Path part of a target (everything before '?').
std::string_view target_path(std::string_view target);
/// Value of query parameter `name` in a target, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// ---------------------------------------------------------------------------------------------
// WebSocket messages (SPEC §3)
// ---------------------------------------------------------------------------------------------

/// `{"op":"subscribe","id":1,"channels":[...],"modes":[...],"since_seq":123}`. Missing
/// `channels`/`modes` mean all of them. `since_seq` is a number (applies to every requested mode)
/// or an object {"paper-trading": 12, "real-trading": 40}; `since_seq` holds one entry per mode.
struct ws_subscribe {
    boost::json::value id;
    std::vector<engine::channel> channels;
    std::vector<engine::mode> modes;
    std::map<engine::mode, std::int64_t> since_seq;
};

/// `{"op":"unsubscribe","id":2,"channels":[...],"modes":[...]}`; missing lists mean all.
struct ws_unsubscribe {
    boost::json::value id;
    std::vector<engine::channel> channels;
    std::vector<engine::mode> modes;
};

/// `{"op":"auth","token":"..."}` (id optional: answered with `"id":null` when absent).
struct ws_auth {
    boost::json::value id;
    std::string token;
};

/// A control or query op, REST-equivalent: `{"op":"trades","id":3,"mode":"paper-trading",
/// "params":{"limit":10}}`.
struct ws_command {
    boost::json::value id;
    api::command cmd;
};

/// A message that cannot be served; answer `render_ws_answer(id, error)` and keep the connection.
struct ws_error {
    boost::json::value id;  ///< null when the message had no usable id
    reply error;
};

using ws_message = std::variant<ws_subscribe, ws_unsubscribe, ws_auth, ws_command, ws_error>;

/// Parses one WebSocket text frame. Never throws; anything wrong gives a `ws_error`:
/// INVALID_JSON, UNKNOWN_OP, MISSING_ID, INVALID_PARAMETER (field named), UNKNOWN_MODE.
ws_message parse_ws(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Envelopes
// ---------------------------------------------------------------------------------------------

/// `{"success":true,"data":...}` or `{"success":false,"error":{"code":..,"message":..}}`.
std::string render_http_body(const reply& r);

/// `{"id":<id>,"success":true,"data":...}` or `{"id":<id>,"success":false,"error":{...}}`.
std::string render_ws_answer(const boost::json::value& id, const reply& r);

}  // namespace traded::api
