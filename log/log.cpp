#include "log/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace traded::log {

namespace {
level g_level = level::info;
bool g_json = false;
bool g_journal = false;

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

/// syslog priorities (sd-daemon(3)): LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7.
std::string_view priority_prefix(level l) {
    switch (l) {
        case level::trace:
        case level::debug: return "<7>";
        case level::info: return "<6>";
        case level::warn: return "<4>";
        case level::error: return "<3>";
    }
    return "<6>";
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

void append_field(std::string& out, std::string_view key, std::string_view value) {
    if (value.empty()) return;
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}
}  // namespace

void configure(std::string_view level_name, std::string_view format) {
    for (auto l : {level::trace, level::debug, level::info, level::warn, level::error})
        if (name(l) == level_name) g_level = l;
    g_json = format == "json";
    g_journal = journal_stream_matches(std::getenv("JOURNAL_STREAM"), STDERR_FILENO);
}

bool enabled(level l) { return static_cast<int>(l) >= static_cast<int>(g_level); }

bool under_journal() { return g_journal; }

bool journal_stream_matches(const char* journal_stream, int fd) {
    if (journal_stream == nullptr || *journal_stream == '\0') return false;
    const std::string_view v(journal_stream);
    const auto colon = v.find(':');
    if (colon == std::string_view::npos) return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    auto a = std::from_chars(v.data(), v.data() + colon, dev);
    auto b = std::from_chars(v.data() + colon + 1, v.data() + v.size(), ino);
    if (a.ec != std::errc{} || a.ptr != v.data() + colon || b.ec != std::errc{} || b.ptr != v.data() + v.size())
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string format_line(level l, std::string_view component, std::string_view message, const fields& f, bool json,
                        bool journal, std::int64_t ms) {
    std::string line;
    if (journal) line += priority_prefix(l);
    if (json) {
        line += fmt::format("{{\"ts\":{},\"level\":\"{}\",\"component\":", ms, name(l));
        append_json_string(line, component);
        append_field(line, "mode", f.mode);
        append_field(line, "position_id", f.position_id);
        append_field(line, "symbol", f.symbol);
        append_field(line, "client_order_id", f.client_order_id);
        line += ",\"msg\":";
        append_json_string(line, message);
        line += "}\n";
    } else {
        auto secs = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        // A message line break would start a new journal entry (and lose the priority): escaped.
        std::string msg(message);
        for (auto& c : msg)
            if (c == '\n' || c == '\r') c = ' ';
        line += fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {:5} [{}] {}\n", tm.tm_year + 1900,
                            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000, name(l),
                            component, msg);
    }
    return line;
}

void write(level l, std::string_view component, std::string_view message) { write(l, component, message, fields{}); }

void write(level l, std::string_view component, std::string_view message, const fields& f) {
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const auto line = format_line(l, component, message, f, g_json, g_journal, ms);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace traded::log
