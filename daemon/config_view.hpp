#pragma once
/// The effective configuration as JSON for GET /api/v1/config and as YAML for
/// `traded --show-config`, with every secret redacted (SPEC §9).

#include "config/config.hpp"

#include <boost/json/value.hpp>

#include <string>

namespace traded::daemon {

/// Every key of `cfg` in SPEC §5 layout. Secrets (server.api_token, server.read_token, webhook
/// URL paths and header values) read "<redacted>" when set, "" when not. Integers and booleans
/// numbers and booleans are JSON numbers and booleans, as everywhere in the API.
boost::json::value config_json(const config::config& cfg);

/// The same as YAML text (for the command line).
std::string config_yaml(const config::config& cfg);

}  // namespace traded::daemon
