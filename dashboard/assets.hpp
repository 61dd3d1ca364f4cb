#pragma once
/// The browser dashboard, embedded in the binary at build time (dashboard/embed.cmake turns the
/// files under dashboard/public/ into byte arrays), so the daemon serves it with nothing to install.

#include <optional>
#include <string_view>

namespace traded::dashboard {

/// One static file: what to put in Content-Type and the exact bytes of the body. Both views point
/// into static storage and stay valid for the life of the process.
struct asset {
    std::string_view content_type;
    std::string_view body;
};

/// Asset for an URL path: "/", "/real-trading", "/paper-trading" -> the app page (index.html);
/// "/assets/<file>" -> that file under dashboard/public/assets/; nullopt otherwise. A query string
/// or fragment is ignored; a path is matched exactly (no "..", no directory listing, no fallback).
std::optional<asset> find_asset(std::string_view path);

}  // namespace traded::dashboard
