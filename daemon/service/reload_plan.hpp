#pragma once
/// What a configuration reload (SIGHUP, SPEC §9) may change while the daemon runs, decided
/// without touching the running daemon: the keys that differ between the running and the new
/// configuration, split into those applied at once and those that need a restart.

#include "config/config.hpp"

#include <string>
#include <vector>

namespace traded::daemon::service {

struct reload_plan {
    /// Changed keys applied at once (log level and format, opportunity strategy and params,
    /// notifications, the config's base safety limits stake_usd / max_positions / max_daily_loss).
    std::vector<std::string> apply;
    /// Changed keys that take effect only after a restart (server, storage, exchange, market,
    /// trading rules, enabled flags...). Their old values stay in force until then.
    std::vector<std::string> restart;
    bool changed() const { return !apply.empty() || !restart.empty(); }
};

/// Key paths ("server.port", "notifications.targets") whose values differ; lists compare whole.
std::vector<std::string> changed_keys(const config::config& running, const config::config& next);

/// Classifies changed_keys(running, next).
reload_plan plan_reload(const config::config& running, const config::config& next);

/// The configuration that runs after the reload: `running` with the reloadable sections of
/// `next` copied in; everything needing a restart keeps its running value.
config::config reloaded(const config::config& running, const config::config& next);

}  // namespace traded::daemon::service
