#pragma once
/// The HTTP request a batch of notes becomes for each target type, and how the answer is
/// classified. Pure: the notifier performs what these describe.
///
/// webhook:  POST <url>, Content-Type: application/json, the configured headers, body
///           {"source":"traded","text":"<one line per event>","events":[<note JSON>...]}
/// telegram: POST <api_url>/bot<token>/sendMessage, body {"chat_id":..,"text":..,
///           "disable_web_page_preview":true}; 429 answers carry parameters.retry_after.

#include "config/config.hpp"
#include "notify/delivery.hpp"
#include "notify/note.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traded::notify {

/// What to send. `url` and `headers` may hold secrets (tokens): never log them.
struct http_request {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// Telegram refuses messages over 4096 characters: longer batches are cut with a marker.
inline constexpr std::size_t telegram_max_text = 4096;

/// The text of a batch: one line per note, in order.
std::string batch_text(const std::vector<note>& batch);

http_request webhook_request(const config::notification_target_config& t, const std::vector<note>& batch);
http_request telegram_request(const config::notification_target_config& t, std::string_view bot_token,
                              const std::vector<note>& batch);

/// Classifies an answer: the status (0: none), the Retry-After header (seconds, may be empty)
/// and, for Telegram, `parameters.retry_after` in the JSON body.
attempt_outcome classify_answer(int status, std::string_view retry_after_header, std::string_view body);

}  // namespace traded::notify
