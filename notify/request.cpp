#include "notify/request.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace traded::notify {

namespace json = boost::json;

std::string batch_text(const std::vector<note>& batch) {
    std::string s;
    for (const auto& n : batch) {
        if (!s.empty()) s.push_back('\n');
        s += text(n);
    }
    return s;
}

http_request webhook_request(const config::notification_target_config& t, const std::vector<note>& batch) {
    http_request r;
    r.url = t.url;
    r.headers.emplace_back("Content-Type", "application/json");
    for (const auto& [k, v] : t.headers) r.headers.emplace_back(k, v);
    json::object body;
    body["source"] = "traded";
    body["text"] = batch_text(batch);
    json::array events;
    for (const auto& n : batch) events.push_back(to_json(n));
    body["events"] = std::move(events);
    r.body = json::serialize(body);
    return r;
}

http_request telegram_request(const config::notification_target_config& t, std::string_view bot_token,
                              const std::vector<note>& batch) {
    http_request r;
    std::string base = t.api_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    r.url = base + "/bot" + std::string(bot_token) + "/sendMessage";
    r.headers.emplace_back("Content-Type", "application/json");
    std::string text = batch_text(batch);
    if (text.size() > telegram_max_text) {
        const std::string marker = "\n… (truncated)";
        text.resize(telegram_max_text - marker.size());
        // Never cut a UTF-8 sequence in half: Telegram rejects invalid UTF-8.
        while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
        if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0) text.pop_back();
        text += marker;
    }
    json::object body;
    body["chat_id"] = t.chat_id;
    body["text"] = std::move(text);
    body["disable_web_page_preview"] = true;
    r.body = json::serialize(body);
    return r;
}

attempt_outcome classify_answer(int status, std::string_view retry_after_header, std::string_view body) {
    millis retry_after = 0;
    int secs = 0;
    auto [end, ec] = std::from_chars(retry_after_header.data(), retry_after_header.data() + retry_after_header.size(), secs);
    if (ec == std::errc{} && end == retry_after_header.data() + retry_after_header.size() && secs > 0)
        retry_after = static_cast<millis>(secs) * 1000;
    std::string reason;
    if (status != 0 && (status < 200 || status >= 300)) {
        reason = "HTTP " + std::to_string(status);
        // Telegram explains refusals in `description` (no secrets in it) and says how long to
        // wait in `parameters.retry_after`.
        boost::system::error_code jec;
        auto v = json::parse(body, jec);
        if (!jec && v.is_object()) {
            const auto& o = v.get_object();
            if (const auto* d = o.if_contains("description"); d != nullptr && d->is_string())
                reason += ": " + std::string(d->get_string()).substr(0, 200);
            if (const auto* p = o.if_contains("parameters"); p != nullptr && p->is_object())
                if (const auto* ra = p->get_object().if_contains("retry_after"); ra != nullptr && ra->is_int64())
                    retry_after = std::max<millis>(retry_after, ra->get_int64() * 1000);
        }
    }
    return classify(status, retry_after, std::move(reason));
}

}  // namespace traded::notify
