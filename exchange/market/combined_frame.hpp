#pragma once
/// Splits a Binance combined-stream frame `{"stream":"<name>","data":<payload>}` into the stream
/// name and the payload text, byte for byte (recording keeps the payload exactly as received).
/// Pure, no allocation: the views point into `frame`.

#include <optional>
#include <string_view>

namespace traded::market {

/// A frame's stream name and payload.
struct frame_parts {
    std::string_view stream;
    std::string_view payload;
};

/// The parts of a combined-stream frame; nullopt when `frame` is not one (a raw-stream payload,
/// a control answer, garbage).
inline std::optional<frame_parts> split_combined_frame(std::string_view frame) {
    auto skip_ws = [&](std::size_t i) {
        while (i < frame.size() && (frame[i] == ' ' || frame[i] == '\n' || frame[i] == '\r' || frame[i] == '\t')) ++i;
        return i;
    };
    constexpr std::string_view head = "{\"stream\":\"";
    std::size_t i = skip_ws(0);
    if (frame.substr(i, head.size()) != head) return std::nullopt;
    i += head.size();
    const std::size_t name_end = frame.find('"', i);
    if (name_end == std::string_view::npos) return std::nullopt;
    const std::string_view name = frame.substr(i, name_end - i);
    if (name.find('\\') != std::string_view::npos) return std::nullopt;  // stream names never need escapes
    constexpr std::string_view mid = ",\"data\":";
    i = name_end + 1;
    if (frame.substr(i, mid.size()) != mid) return std::nullopt;
    i = skip_ws(i + mid.size());
    std::size_t end = frame.size();
    while (end > i && (frame[end - 1] == ' ' || frame[end - 1] == '\n' || frame[end - 1] == '\r' || frame[end - 1] == '\t'))
        --end;
    if (end <= i || frame[end - 1] != '}') return std::nullopt;
    --end;  // the envelope's closing brace
    while (end > i && (frame[end - 1] == ' ' || frame[end - 1] == '\n' || frame[end - 1] == '\r' || frame[end - 1] == '\t'))
        --end;
    if (end <= i) return std::nullopt;
    return frame_parts{name, frame.substr(i, end - i)};
}

}  // namespace traded::market
