#include "api/market_feed.hpp"

#include <boost/json.hpp>

namespace traded::api {

namespace json = boost::json;

json::value to_json(const market_quote& q) {
    json::object o;
    o["symbol"] = q.symbol;
    o["bid"] = q.bid.to_double();
    o["ask"] = q.ask.to_double();
    o["mark"] = q.mark.to_double();
    if (q.last.is_positive())
        o["last"] = q.last.to_double();
    else
        o["last"] = nullptr;
    o["source"] = q.source;
    o["ts"] = q.ts;
    return o;
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

json::value market_feed::snapshot(engine::mode m) const {
    json::object quotes;
    json::object history;
    for (auto it = symbols_.lower_bound({m, std::string()}); it != symbols_.end() && it->first.first == m; ++it) {
        quotes[it->first.second] = to_json(it->second.latest);
        json::array h;
        for (const auto& [ts, mark] : it->second.history) h.push_back(json::array{ts, mark.to_double()});
        history[it->first.second] = std::move(h);
    }
    return json::object{{"quotes", std::move(quotes)}, {"history", std::move(history)}};
}

}  // namespace traded::api
