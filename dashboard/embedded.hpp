#pragma once
/// Internal: the table of embedded dashboard files, defined in the source that dashboard/embed.cmake
/// generates at build time. Use `find_asset` (assets.hpp) instead of this.

#include <span>
#include <string_view>

namespace traded::dashboard::detail {

/// One file from dashboard/public/: `path` is relative to it ("index.html", "assets/app.js").
struct embedded_file {
    std::string_view path;
    std::string_view content_type;
    std::string_view body;
};

/// Every embedded file, sorted by path.
std::span<const embedded_file> embedded_files();

}  // namespace traded::dashboard::detail
