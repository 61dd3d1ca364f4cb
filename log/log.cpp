#include "log/log.hpp"

#include <chrono>
#include <cstdio>

namespace traded::log {

namespace {
level g_level = level::info;
bool g_json = false;

std::string_view name(level l) {
    switch (l) {
        case level::trace: return "trace";
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "info";
}

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20)
                    out += fmt::format("\\u{:04x}", static_cast<int>(c));
                else
                    out.push_back(c);
        }
    }
    out.push_back('"');
}
}  // namespace

void configure(std::string_view level_name, std::string_view format) {
    for (auto l : {level::trace, level::debug, level::info, level::warn, level::error})
        if (name(l) == level_name) g_level = l;
    g_json = format == "json";
}

bool enabled(level l) { return static_cast<int>(l) >= static_cast<int>(g_level); }

void write(level l, std::string_view component, std::string_view message) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::string line;
    if (g_json) {
        line = fmt::format("{{\"ts\":{},\"level\":\"{}\",\"component\":", ms, name(l));
        append_json_string(line, component);
        line += ",\"msg\":";
        append_json_string(line, message);
        line += "}\n";
    } else {
        auto secs = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {:5} [{}] {}\n", tm.tm_year + 1900,
                           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000, name(l),
                           component, message);
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace traded::log
