#pragma once
/// Process-wide logging to stderr, text or JSON lines. Never pass secrets (API keys, secrets,
/// tokens) to it: only the dashboard URL with the generated token is logged, once, on first start,
/// and never under journald (the journal is readable by more people than the token file).

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace traded::log {

enum class level { trace, debug, info, warn, error };

/// Structured fields of a trading line (SPEC §9): written as their own keys in the JSON format
/// (so a log pipeline can select by position or symbol); the text format has them in the message.
struct fields {
    std::string_view mode;
    std::string_view position_id;
    std::string_view symbol;
    std::string_view client_order_id;
};

/// Set from config at start: "trace".."error", "text" | "json". Unknown names leave it unchanged.
/// Also detects journald ($JOURNAL_STREAM naming this process's stderr).
void configure(std::string_view level_name, std::string_view format);
bool enabled(level l);
void write(level l, std::string_view component, std::string_view message);
void write(level l, std::string_view component, std::string_view message, const fields& f);
/// True when stderr is connected to journald: lines then carry a syslog priority prefix ("<4>")
/// and the generated API token is not logged.
bool under_journal();

/// One formatted line, newline-terminated (pure; `epoch_ms` is the time to print). `journal`
/// adds the sd-daemon(3) priority prefix: <3> error, <4> warn, <6> info, <7> debug and trace.
std::string format_line(level l, std::string_view component, std::string_view message, const fields& f, bool json,
                        bool journal, std::int64_t epoch_ms);

/// Whether $JOURNAL_STREAM ("<device>:<inode>") names the file `fd` is open on, as systemd.exec(5)
/// says to check (stderr may have been redirected since systemd started the process).
bool journal_stream_matches(const char* journal_stream, int fd);

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
