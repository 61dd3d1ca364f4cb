#include "api/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

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
                fmt::format_to(std::back_inserter(out), "{}", d);  // shortest round-trip form
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
