#include "dashboard/assets.hpp"

#include "dashboard/embedded.hpp"

#include <algorithm>
#include <array>

namespace traded::dashboard {

namespace {

/// URL paths of the single-page app; the page reads location.pathname to pick its view.
constexpr std::array<std::string_view, 3> app_routes{"/", "/real-trading", "/paper-trading"};
constexpr std::string_view app_page = "index.html";
constexpr std::string_view assets_prefix = "/assets/";

std::optional<asset> lookup(std::string_view rel) {
    for (const auto& f : detail::embedded_files()) {
        if (f.path == rel) return asset{f.content_type, f.body};
    }
    return std::nullopt;
}

}  // namespace

std::optional<asset> find_asset(std::string_view path) {
    if (auto cut = path.find_first_of("?#"); cut != std::string_view::npos) path = path.substr(0, cut);
    if (std::find(app_routes.begin(), app_routes.end(), path) != app_routes.end()) return lookup(app_page);
    if (!path.starts_with(assets_prefix)) return std::nullopt;
    // "assets/<file>" is the table key; the app page itself is only reachable through its routes.
    return lookup(path.substr(1));
}

}  // namespace traded::dashboard
