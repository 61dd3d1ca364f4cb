#pragma once
// The config loader fuzz target, shared by the libFuzzer entry (config_fuzz.cpp), the Catch2
// corpus replay (corpus_replay_test.cpp) and tests/unit/config/config_fuzz_test.cpp.
//
// Any YAML text gives a config or a list of non-empty errors, never an exception; an accepted
// config survives to_yaml -> load_string unchanged, and the redacted YAML never carries the token.

#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace traded::fuzz {

inline const char* check_config_text(const std::string& text) {
    try {
        auto r = config::load_string(text);
        if (!r.has_value()) {
            for (const auto& e : r.error()) {
                if (e.empty()) return "load_string gave an empty error";
            }
            return nullptr;
        }
        auto again = config::load_string(config::to_yaml(*r, config::secrets::include));
        if (!again.has_value()) return "to_yaml(include) of an accepted config is refused";
        if (!(*again == *r)) return "to_yaml(include) -> load_string changes the config";
        const auto& token = r->server.api_token;
        if (token.size() >= 8 && config::to_yaml(*r).find(token) != std::string::npos)
            return "to_yaml(redact) writes the API token";
    } catch (const std::exception&) {
        return "config loader threw";
    }
    return nullptr;
}

/// One fuzz input as a config file.
inline const char* check_config(const std::uint8_t* data, std::size_t size) {
    return check_config_text(std::string(reinterpret_cast<const char*>(data), size));
}

}  // namespace traded::fuzz
