#include "api/market_feed.hpp"

#include "api/json_text.hpp"

namespace traded::api {

void append_json(std::string& out, const market_quote& q) {
    out += "{\"symbol\":";
    append_quoted(out, q.symbol);
    out += ",\"bid\":";
    append_decimal(out, q.bid);
    out += ",\"ask\":";
    append_decimal(out, q.ask);
    out += ",\"mark\":";
    append_decimal(out, q.mark);
    out += ",\"last\":";
    if (q.last.is_positive())
        append_decimal(out, q.last);
    else
        out += "null";
    out += ",\"source\":";
    append_quoted(out, q.source);
    out += ",\"ts\":";
    append_integer(out, q.ts);
    out.push_back('}');
}

void market_feed::on_quote(engine::mode m, market_quote q) {
    auto& s = symbols_[{m, q.symbol}];
    if (!q.last.is_positive()) q.last = s.latest.last;  // a book-only update keeps the last trade
    if (s.history.empty() || q.ts >= s.history.back().first + history_step_ms_) {
        s.history.emplace_back(q.ts, q.mark);
        while (s.history.size() > history_points_) s.history.pop_front();
    } else {
        s.history.back().second = q.mark;  // the newest point follows the price within its step
    }
    s.latest = std::move(q);
    s.changed = true;
}

std::vector<market_quote> market_feed::take_changed(engine::mode m) {
    std::vector<market_quote> out;
    for (auto it = symbols_.lower_bound({m, std::string()}); it != symbols_.end() && it->first.first == m; ++it) {
        if (!it->second.changed) continue;
        it->second.changed = false;
        out.push_back(it->second.latest);
    }
    return out;
}

std::string market_feed::snapshot(engine::mode m) const {
    const auto first = symbols_.lower_bound({m, std::string()});
    auto of_mode = [m](const auto& it) { return it->first.first == m; };
    std::string out = "{\"quotes\":{";
    for (auto it = first; it != symbols_.end() && of_mode(it); ++it) {
        if (out.back() != '{') out.push_back(',');
        append_quoted(out, it->first.second);
        out.push_back(':');
        append_json(out, it->second.latest);
    }
    out += "},\"history\":{";
    for (auto it = first; it != symbols_.end() && of_mode(it); ++it) {
        if (out.back() != '{') out.push_back(',');
        append_quoted(out, it->first.second);
        out += ":[";
        for (const auto& [ts, mark] : it->second.history) {
            if (out.back() != '[') out.push_back(',');
            out.push_back('[');
            append_integer(out, ts);
            out.push_back(',');
            append_decimal(out, mark);
            out.push_back(']');
        }
        out.push_back(']');
    }
    out += "}}";
    return out;
}

}  // namespace traded::api
