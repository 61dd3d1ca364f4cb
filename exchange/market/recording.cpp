#include "exchange/market/recording.hpp"

#include "engine/performance.hpp"

#include <fmt/format.h>

namespace traded::market {

std::string record_file_name(engine::millis t) { return engine::utc_date(t) + ".jsonl"; }

std::string record_line(engine::millis t, std::string_view stream, std::string_view payload) {
    std::string line;
    line.reserve(payload.size() + stream.size() + 40);
    fmt::format_to(std::back_inserter(line), R"({{"t":{},"stream":")", t);
    line += stream;
    line += R"(","data":)";
    const auto at = line.size();
    line += payload;
    for (auto i = at; i < line.size(); ++i)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line += "}\n";
    return line;
}

bool record_buffer::append(engine::millis t, std::string_view stream, std::string_view payload) {
    // Checked before formatting: a full buffer costs the loop no allocation.
    const std::size_t estimate = payload.size() + stream.size() + 40;
    if (bytes_ + estimate > max_bytes_) {
        ++stats_.lines_dropped;
        return false;
    }
    if (chunks_.empty() || t < day_start_ || t >= day_end_) {
        day_start_ = engine::utc_day_start(t);
        day_end_ = day_start_ + 86'400'000;
        auto name = record_file_name(t);
        if (chunks_.empty() || chunks_.back().file_name != name) {
            chunks_.push_back({std::move(name), {}});
            chunk_lines_.push_back(0);
        }
    }
    auto line = record_line(t, stream, payload);
    bytes_ += line.size();
    chunks_.back().bytes += line;
    ++chunk_lines_.back();
    ++stats_.lines_buffered;
    stats_.bytes_pending = bytes_;
    return true;
}

std::vector<record_chunk> record_buffer::take() {
    std::vector<record_chunk> out;
    out.swap(chunks_);
    taken_lines_.clear();
    taken_lines_.swap(chunk_lines_);
    bytes_ = 0;
    stats_.bytes_pending = 0;
    day_start_ = day_end_ = -1;
    return out;
}

}  // namespace traded::market
