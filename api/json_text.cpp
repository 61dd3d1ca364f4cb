#include "api/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace traded::api {

namespace {
void append(std::string& out, const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: out += "null"; break;
        case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
        case boost::json::kind::int64: fmt::format_to(std::back_inserter(out), "{}", v.get_int64()); break;
        case boost::json::kind::uint64: fmt::format_to(std::back_inserter(out), "{}", v.get_uint64()); break;
        case boost::json::kind::double_: {
            const double d = v.get_double();
            if (!std::isfinite(d)) {
                out += "null";  // JSON has no NaN/Infinity
            } else if (d == std::trunc(d) && std::fabs(d) < 1e15) {
                fmt::format_to(std::back_inserter(out), "{}", static_cast<long long>(d));
            } else {
                // Shortest round-trip digits in plain notation ("0.00000001", not "1e-08"). For a
                // decimal of at most 15 significant digits (every price, quantity and amount below
                // 10^7 at 8 places) that is exactly the decimal's own text.
                char buf[400];
                const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
                out.append(buf, r.ptr);
            }
            break;
        }
        case boost::json::kind::string: out += boost::json::serialize(v.get_string()); break;
        case boost::json::kind::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) out.push_back(',');
                first = false;
                append(out, e);
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
                out += boost::json::serialize(boost::json::string_view(kv.key()));
                out.push_back(':');
                append(out, kv.value());
            }
            out.push_back('}');
            break;
        }
    }
}
}  // namespace

std::string to_text(const boost::json::value& v) {
    std::string out;
    out.reserve(256);
    append(out, v);
    return out;
}

}  // namespace traded::api
