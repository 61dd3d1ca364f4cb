#pragma once
/// Process-wide logging to stderr, text or JSON lines. Never pass secrets (API keys, secrets,
/// tokens) to it: only the dashboard URL with the generated token is logged, once, on first start.

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace traded::log {

enum class level { trace, debug, info, warn, error };

/// Set from config at start: "trace".."error", "text" | "json". Unknown names leave it unchanged.
void configure(std::string_view level_name, std::string_view format);
bool enabled(level l);
void write(level l, std::string_view component, std::string_view message);

template <typename... Args>
void trace(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(level::trace)) write(level::trace, c, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void debug(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(level::debug)) write(level::debug, c, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void info(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(level::info)) write(level::info, c, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void warn(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(level::warn)) write(level::warn, c, fmt::format(f, std::forward<Args>(a)...));
}
template <typename... Args>
void error(std::string_view c, fmt::format_string<Args...> f, Args&&... a) {
    if (enabled(level::error)) write(level::error, c, fmt::format(f, std::forward<Args>(a)...));
}

}  // namespace traded::log
