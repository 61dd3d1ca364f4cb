#include "exchange/binance/json_detail.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

namespace traded::binance {

json_parser::json_parser() : impl_(std::make_unique<detail::json_parser_impl>()) {}
json_parser::~json_parser() = default;
json_parser::json_parser(json_parser&&) noexcept = default;
json_parser& json_parser::operator=(json_parser&&) noexcept = default;

json_parser& default_parser() {
    thread_local json_parser parser;
    return parser;
}

namespace detail {

simdjson::simdjson_result<od::document> json_parser_impl::iterate(std::string_view json) {
    if (json.size() > max_payload) return simdjson::CAPACITY;
    std::size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < needed) buffer.resize(needed);
    std::memcpy(buffer.data(), json.data(), json.size());
    // The padding must not look like JSON continuing the document.
    std::memset(buffer.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.iterate(buffer.data(), json.size(), buffer.size());
}

std::optional<decimal> parse_decimal_lenient(std::string_view s) {
    auto dot = s.find('.');
    if (dot != std::string_view::npos && s.size() - dot - 1 > static_cast<std::size_t>(decimal::digits)) {
        std::string_view extra = s.substr(dot + 1 + static_cast<std::size_t>(decimal::digits));
        if (!std::all_of(extra.begin(), extra.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        s = s.substr(0, dot + 1 + static_cast<std::size_t>(decimal::digits));
    }
    return decimal::parse(s);
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
        s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

/// Short, printable excerpt of a bad value for the error message.
std::string excerpt(std::string_view s, std::size_t limit = 40) {
    std::string out;
    for (char c : s.substr(0, limit)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
    if (s.size() > limit) out += "...";
    return out;
}

bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(first, last, out);
    return ec == std::errc{} && ptr == last;
}

}  // namespace

bool reader::fail(std::string_view field, std::string_view what) {
    if (error_.empty()) {
        error_.reserve(context_.size() + field.size() + what.size() + 16);
        error_.append(context_).append(": field ").append(field).append(": ").append(what);
    }
    return false;
}

bool reader::fail_json(simdjson::error_code e) {
    if (error_.empty()) {
        json_broken_ = true;
        error_.append(context_).append(": invalid JSON: ").append(simdjson::error_message(e));
    }
    return false;
}

bool reader::seen(std::string_view field) const {
    const auto* end = seen_inline_.begin() + seen_count_;
    return std::find(seen_inline_.begin(), end, field) != end ||
           std::find(seen_more_.begin(), seen_more_.end(), field) != seen_more_.end();
}

bool reader::require(std::initializer_list<std::string_view> fields) {
    for (auto f : fields) {
        if (!seen(f)) return fail(f, "missing, null or empty");
    }
    return ok();
}

bool reader::scalar_text(od::value& v, std::string_view field, std::optional<std::string_view>& out) {
    od::json_type t;
    if (auto e = v.type().get(t); e) return fail(field, simdjson::error_message(e));
    switch (t) {
        case od::json_type::string: {
            std::string_view s;
            if (auto e = v.get_string().get(s); e) return fail(field, simdjson::error_message(e));
            out = s;
            return true;
        }
        case od::json_type::number: {
            // Validate as a number first, then keep the token exactly as written.
            double d = 0;
            std::string_view tok = trim(v.raw_json_token());
            if (auto e = v.get_double().get(d); e) return fail(field, "malformed number '" + excerpt(tok) + "'");
            out = tok;
            return true;
        }
        case od::json_type::boolean: {
            bool b = false;
            if (auto e = v.get_bool().get(b); e) return fail(field, simdjson::error_message(e));
            out = b ? std::string_view("true") : std::string_view("false");
            return true;
        }
        case od::json_type::null: {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null); e || !is_null) return fail(field, "malformed null");
            out.reset();
            return true;
        }
        default:
            return fail(field, "expected a scalar, got an object or array");
    }
}

bool reader::string(od::value& v, std::string_view field, std::string& out) {
    std::optional<std::string_view> s;
    if (!scalar_text(v, field, s)) return false;
    if (s) {
        out.assign(*s);
        mark(field);
    }
    return true;
}

bool reader::dec(od::value& v, std::string_view field, decimal& out) {
    std::optional<decimal> d;
    if (!dec(v, field, d)) return false;
    if (d) out = *d;
    return true;
}

bool reader::dec(od::value& v, std::string_view field, std::optional<decimal>& out) {
    std::optional<std::string_view> s;
    if (!scalar_text(v, field, s)) return false;
    if (!s || s->empty()) {  // "" is how Binance says "not applicable" (activatePrice)
        out.reset();
        return true;
    }
    auto d = parse_decimal_lenient(*s);
    if (!d) return fail(field, "expected a decimal, got '" + excerpt(*s) + "'");
    out = *d;
    mark(field);
    return true;
}

bool reader::dec_soft(od::value& v, std::string_view field, decimal& out) {
    std::optional<decimal> d;
    if (!dec_soft(v, field, d)) return false;
    if (d) out = *d;
    return true;
}

bool reader::dec_soft(od::value& v, std::string_view field, std::optional<decimal>& out) {
    std::optional<std::string_view> s;
    if (!scalar_text(v, field, s)) return false;
    if (!s) return true;
    if (auto d = parse_decimal_lenient(*s)) {
        out = *d;
        mark(field);
    }
    return true;
}

bool reader::int64(od::value& v, std::string_view field, std::int64_t& out) {
    std::optional<std::int64_t> i;
    if (!int64(v, field, i)) return false;
    if (i) out = *i;
    return true;
}

bool reader::int64(od::value& v, std::string_view field, std::optional<std::int64_t>& out) {
    od::json_type t;
    if (auto e = v.type().get(t); e) return fail(field, simdjson::error_message(e));
    if (t == od::json_type::number) {
        std::int64_t i = 0;
        if (auto e = v.get_int64().get(i); e)
            return fail(field, "expected an integer, got '" + excerpt(trim(v.raw_json_token())) + "'");
        out = i;
        mark(field);
        return true;
    }
    std::optional<std::string_view> s;
    if (!scalar_text(v, field, s)) return false;
    if (!s || s->empty()) return true;
    std::int64_t i = 0;
    if (!parse_int(*s, i)) return fail(field, "expected an integer, got '" + excerpt(*s) + "'");
    out = i;
    mark(field);
    return true;
}

bool reader::int32(od::value& v, std::string_view field, int& out) {
    std::optional<int> i;
    if (!int32(v, field, i)) return false;
    if (i) out = *i;
    return true;
}

bool reader::int32(od::value& v, std::string_view field, std::optional<int>& out) {
    std::optional<std::int64_t> wide;
    if (!int64(v, field, wide)) return false;
    if (!wide) return true;
    std::int64_t i = *wide;
    if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
        return fail(field, "integer out of range");
    out = static_cast<int>(i);
    return true;
}

bool reader::boolean(od::value& v, std::string_view field, bool& out) {
    std::optional<bool> b;
    if (!boolean(v, field, b)) return false;
    if (b) out = *b;
    return true;
}

bool reader::boolean(od::value& v, std::string_view field, std::optional<bool>& out) {
    std::optional<std::string_view> s;
    if (!scalar_text(v, field, s)) return false;
    if (!s) return true;
    std::string lower(*s);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    if (lower == "true") {
        out = true;
    } else if (lower == "false") {
        out = false;
    } else {
        return fail(field, "expected true or false, got '" + excerpt(*s) + "'");
    }
    mark(field);
    return true;
}

bool reader::object(od::value& v, std::string_view field, od::object& out) {
    if (v.get_object().get(out)) return fail(field, "expected an object");
    mark(field);
    return true;
}

bool reader::array(od::value& v, std::string_view field, od::array& out) {
    if (v.get_array().get(out)) return fail(field, "expected an array");
    mark(field);
    return true;
}

bool scan_envelope(od::document& doc, reader& r, envelope& env) {
    od::json_type t;
    if (auto e = doc.type().get(t); e) return r.fail_json(e);
    if (t == od::json_type::array) {
        // Not used, but still checked: a malformed array is an error, not an ignored payload.
        env.kind = envelope::shape::array;
        od::array arr;
        std::size_t n = 0;
        if (auto e = doc.get_array().get(arr); e) return r.fail_json(e);
        if (auto e = arr.count_elements().get(n); e) return r.fail_json(e);
        doc.rewind();
        return true;
    }
    if (t != od::json_type::object) {
        env.kind = envelope::shape::other;
        return r.fail("(top level)", "expected a JSON object");
    }
    env.kind = envelope::shape::object;
    od::object obj;
    if (auto e = doc.get_object().get(obj); e) return r.fail_json(e);
    bool has_result = false;
    bool has_code = false;
    std::string msg;
    bool ok = for_each_field(obj, r, [&](std::string_view key, od::value& v) {
        if (key == "e") {
            if (r.string(v, "e", env.event_type)) env.has_event = true;
        } else if (key == "data") {  // ("stream", the combined-stream name, is not needed)
            od::json_type dt;
            if (auto e = v.type().get(dt); e) {
                r.fail_json(e);
                return;
            }
            if (dt == od::json_type::array) {
                env.wrapped = true;
                env.data_is_array = true;
                od::array arr;
                std::size_t n = 0;
                if (auto e = v.get_array().get(arr); e) {
                    r.fail_json(e);
                } else if (auto e2 = arr.count_elements().get(n); e2) {
                    r.fail_json(e2);
                }
                return;
            }
            od::object data;
            if (!r.object(v, "data", data)) return;
            env.wrapped = true;
            od::value ev;
            auto found = data.find_field_unordered("e");
            if (found.error() == simdjson::NO_SUCH_FIELD) return;
            if (found.get(ev)) {
                r.fail_json(found.error());
                return;
            }
            if (r.string(ev, "data.e", env.event_type)) env.has_event = true;
        } else if (key == "result") {
            has_result = true;
        } else if (key == "code") {
            has_code = true;
        } else if (key == "msg") {
            r.string(v, "msg", msg);
        }
    });
    if (!ok) return false;
    // Subscription answers and WebSocket errors carry no event type.
    if (!env.has_event && !env.wrapped && (has_result || has_code)) {
        env.is_response = true;
        env.response_detail = has_code ? "error: " + msg : "response";
    }
    doc.rewind();
    return true;
}

bool event_object(od::document& doc, const envelope& env, reader& r, od::object& out) {
    if (auto e = doc.get_object().get(out); e) return r.fail_json(e);
    if (!env.wrapped) return true;
    od::value data;
    if (auto e = out.find_field_unordered("data").get(data); e) return r.fail_json(e);
    return r.object(data, "data", out);
}

bool begin_rest_body(json_parser& p, std::string_view body, reader& r, od::document& doc) {
    if (auto e = p.impl().iterate(body).get(doc); e) return r.fail_json(e);
    od::json_type t;
    if (auto e = doc.type().get(t); e) return r.fail_json(e);
    if (t == od::json_type::object) {
        od::object obj;
        if (auto e = doc.get_object().get(obj); e) return r.fail_json(e);
        std::int64_t code = 0;
        std::string msg;
        bool has_code = false;
        // Only a negative code is an error: success acknowledgements also carry code/msg.
        for (auto field_result : obj) {
            od::field field;
            if (auto e = std::move(field_result).get(field); e) return r.fail_json(e);
            std::string_view key;
            if (auto e = field.unescaped_key().get(key); e) return r.fail_json(e);
            if (key == "code") {
                reader quiet("code");
                if (quiet.int64(field.value(), "code", code)) has_code = true;
            } else if (key == "msg") {
                reader quiet("msg");
                quiet.string(field.value(), "msg", msg);
            }
        }
        if (has_code && code < 0) {
            return r.fail("code", "exchange error " + std::to_string(code) + ": " + excerpt(msg, 300));
        }
    }
    doc.rewind();
    return true;
}

}  // namespace detail
}  // namespace traded::binance
