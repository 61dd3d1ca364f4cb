#include "daemon/config_view.hpp"

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string_view>

namespace traded::daemon {

namespace json = boost::json;

namespace {

/// config::to_yaml(redact) blanks the tokens and redacts webhook URLs and headers; a blank
/// token would read as "not set", so the tokens that are set are marked instead.
YAML::Node redacted_tree(const config::config& cfg) {
    YAML::Node n = YAML::Load(config::to_yaml(cfg, config::secrets::redact));
    n["server"]["api_token"] = cfg.server.api_token.empty() ? "" : "<redacted>";
    n["server"]["read_token"] = cfg.server.read_token.empty() ? "" : "<redacted>";
    return n;
}

json::value scalar(const YAML::Node& n) {
    const std::string& s = n.Scalar();
    // A quoted scalar is a string whatever it looks like.
    if (n.Tag() == "!") return json::string(s);
    if (s == "true") return true;
    if (s == "false") return false;
    std::int64_t i = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc{} && end == s.data() + s.size() && !s.empty()) return i;
    std::uint64_t u = 0;
    auto [uend, uec] = std::from_chars(s.data(), s.data() + s.size(), u);
    if (uec == std::errc{} && uend == s.data() + s.size() && !s.empty()) return u;
    // Money and rates: JSON numbers, as everywhere in the API (docs/api.md).
    double d = 0;
    auto [dend, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (dec == std::errc{} && dend == s.data() + s.size() && !s.empty()) return d;
    return json::string(s);
}

json::value to_json(const YAML::Node& n) {
    if (n.IsMap()) {
        json::object o;
        for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
        return o;
    }
    if (n.IsSequence()) {
        json::array a;
        for (const auto& item : n) a.push_back(to_json(item));
        return a;
    }
    if (n.IsScalar()) return scalar(n);
    return json::string();  // an empty value
}

}  // namespace

std::string config_yaml(const config::config& cfg) {
    YAML::Emitter e;
    e << redacted_tree(cfg);
    return std::string(e.c_str()) + "\n";
}

json::value config_json(const config::config& cfg) { return to_json(redacted_tree(cfg)); }

}  // namespace traded::daemon
