#include "api/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace traded::api {

namespace {
template <class Int>
void append_int(std::string& out, Int v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}
}  // namespace

/// Bytes that JSON strings must escape: control characters, '"' and '\\'.
constexpr std::array<bool, 256> escape_table = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
    t['"'] = true;
    t['\\'] = true;
    return t;
}();

void append_quoted(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!escape_table[c]) continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
                out.append(u, sizeof u);
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void append_number(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN/Infinity
    } else if (d == std::trunc(d) && std::fabs(d) < 1e15) {
        append_int(out, static_cast<long long>(d));
    } else {
        // Shortest round-trip digits in plain notation ("0.00000001", not "1e-08"). For a
        // decimal of at most 15 significant digits (every price, quantity and amount below
        // 10^7 at 8 places) that is exactly the decimal's own text.
        char buf[400];
        const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
        out.append(buf, r.ptr);
    }
}

void append_integer(std::string& out, std::int64_t v) { append_int(out, v); }

void append_decimal(std::string& out, decimal d) {
    // decimal::to_string's text, written in place (no temporary string).
    const std::int64_t raw = d.raw();
    const bool neg = raw < 0;
    const auto mag = neg ? 0 - static_cast<std::uint64_t>(raw) : static_cast<std::uint64_t>(raw);
    const auto scale = static_cast<std::uint64_t>(decimal::scale);
    if (neg) out.push_back('-');
    append_int(out, mag / scale);
    auto frac = mag % scale;
    if (frac == 0) return;
    char digits[decimal::digits];
    for (int i = decimal::digits - 1; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + frac % 10);
        frac /= 10;
    }
    int n = decimal::digits;
    while (digits[n - 1] == '0') --n;
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(n));
}

void append_key(std::string& out, std::string_view k) {
    if (!out.empty() && out.back() != '{') out.push_back(',');
    out.push_back('"');
    out += k;
    out += "\":";
}

void append_text(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: out += "null"; break;
        case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
        case boost::json::kind::int64: append_int(out, v.get_int64()); break;
        case boost::json::kind::uint64: append_int(out, v.get_uint64()); break;
        case boost::json::kind::double_: append_number(out, v.get_double()); break;
        case boost::json::kind::string: {
            const auto& s = v.get_string();
            append_quoted(out, std::string_view(s.data(), s.size()));
            break;
        }
        case boost::json::kind::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) out.push_back(',');
                first = false;
                append_text(out, e);
            }
            out.push_back(']');
            break;
        }
        case boost::json::kind::object: {
            out.push_back('{');
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) out.push_back(',');
                first = false;
                append_quoted(out, std::string_view(kv.key().data(), kv.key().size()));
                out.push_back(':');
                append_text(out, kv.value());
            }
            out.push_back('}');
            break;
        }
    }
}

std::string to_text(const boost::json::value& v) {
    std::string out;
    out.reserve(512);
    append_text(out, v);
    return out;
}

}  // namespace traded::api
