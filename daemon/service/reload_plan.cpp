#include "daemon/service/reload_plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string_view>

namespace traded::daemon::service {

namespace {

/// The configuration as a YAML tree with secrets included (a changed token must count as a
/// change), built from config::to_yaml so a new key is covered without touching this file.
YAML::Node tree(const config::config& c) { return YAML::Load(config::to_yaml(c, config::secrets::include)); }

void diff(const YAML::Node& a, const YAML::Node& b, const std::string& path, std::vector<std::string>& out) {
    if (a.IsMap() && b.IsMap()) {
        for (const auto& kv : a) {
            const auto key = kv.first.Scalar();
            const auto child = path.empty() ? key : path + "." + key;
            const YAML::Node other = b[key];
            if (!other) {
                out.push_back(child);
                continue;
            }
            diff(kv.second, other, child, out);
        }
        for (const auto& kv : b)
            if (!a[kv.first.Scalar()]) out.push_back(path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar());
        return;
    }
    // Scalars and lists compare as their YAML text.
    if (YAML::Dump(a) != YAML::Dump(b)) out.push_back(path);
}

bool reloadable(std::string_view key) {
    static constexpr std::string_view prefixes[] = {"log.", "opportunities.", "notifications."};
    for (auto p : prefixes)
        if (key.substr(0, p.size()) == p) return true;
    static constexpr std::string_view limits[] = {
        "paper_trading.stake_usd", "paper_trading.max_positions", "paper_trading.max_daily_loss",
        "real_trading.stake_usd",  "real_trading.max_positions",  "real_trading.max_daily_loss"};
    return std::find(std::begin(limits), std::end(limits), key) != std::end(limits);
}

}  // namespace

std::vector<std::string> changed_keys(const config::config& running, const config::config& next) {
    std::vector<std::string> out;
    diff(tree(running), tree(next), "", out);
    return out;
}

reload_plan plan_reload(const config::config& running, const config::config& next) {
    reload_plan p;
    for (auto& k : changed_keys(running, next)) (reloadable(k) ? p.apply : p.restart).push_back(std::move(k));
    return p;
}

config::config reloaded(const config::config& running, const config::config& next) {
    config::config c = running;
    c.log = next.log;
    c.opportunities = next.opportunities;
    c.notifications = next.notifications;
    for (auto [to, from] : {std::pair<config::trading_config*, const config::trading_config*>{&c.paper_trading, &next.paper_trading},
                            {&c.real_trading, &next.real_trading}}) {
        to->stake_usd = from->stake_usd;
        to->max_positions = from->max_positions;
        to->max_daily_loss = from->max_daily_loss;
    }
    return c;
}

}  // namespace traded::daemon::service
