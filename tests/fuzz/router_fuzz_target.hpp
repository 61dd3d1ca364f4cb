#pragma once
// The API router fuzz targets (REST requests and WebSocket ops), shared by the libFuzzer entries
// (router_http_fuzz.cpp, ws_op_fuzz.cpp), the Catch2 corpus replay (corpus_replay_test.cpp) and
// the mutation test in tests/unit/api/router_fuzz_test.cpp.
//
// Whatever arrives, the router answers with a command or a well-formed error (4xx/5xx, a code,
// a body that is valid JSON); it never crashes or throws.

#include "api/router.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace traded::fuzz {

namespace router_detail {

inline bool valid_json_object(const std::string& text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    return !ec && v.is_object();
}

/// Checks one REST request.
inline const char* check_request(const api::http_request& r) {
    try {
        auto out = api::parse_http(r);
        if (const auto* rep = std::get_if<api::reply>(&out)) {
            if (rep->is_ok()) return "parse_http answered success without a command";
            if (rep->status < 400 || rep->status >= 600) return "parse_http error status outside 4xx/5xx";
            if (rep->message.empty()) return "parse_http error without a message";
            if (!valid_json_object(api::render_http_body(*rep))) return "render_http_body is not a JSON object";
            if (rep->status == 405 && api::allowed_methods(r.target).empty())
                return "405 for a path that allows no method";
        }
        (void)api::query_param(r.target, "limit");
        (void)api::query_param(r.target, "since");
    } catch (const std::exception&) {
        return "parse_http threw";
    }
    return nullptr;
}

}  // namespace router_detail

/// One REST request from bytes: first byte picks the method, then the target up to the first
/// newline, then the body.
inline const char* check_http(const std::uint8_t* data, std::size_t size) {
    static const char* const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "", "get", "OPTIONS"};
    if (size == 0) return nullptr;
    std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);
    api::http_request r;
    r.method = methods[data[0] % 8];
    const auto nl = s.find('\n');
    r.target = std::string(s.substr(0, nl));
    if (nl != std::string_view::npos) r.body = std::string(s.substr(nl + 1));
    r.content_type = "application/json";
    return router_detail::check_request(r);
}

/// One WebSocket text frame.
inline const char* check_ws(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    try {
        auto msg = api::parse_ws(s);
        if (msg.valueless_by_exception()) return "parse_ws returned a valueless message";
        if (const auto* e = std::get_if<api::ws_error>(&msg)) {
            if (e->error.is_ok()) return "ws_error without an error code";
            if (e->error.message.empty()) return "ws_error without a message";
            if (!router_detail::valid_json_object(api::render_ws_answer(e->id, e->error)))
                return "render_ws_answer is not a JSON object";
        }
    } catch (const std::exception&) {
        return "parse_ws threw";
    }
    return nullptr;
}

}  // namespace traded::fuzz
