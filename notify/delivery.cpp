#include "notify/delivery.hpp"

#include <algorithm>

namespace traded::notify {

attempt_outcome classify(int status, millis retry_after, std::string reason) {
    attempt_outcome o;
    o.retry_after = retry_after;
    if (status >= 200 && status < 300) {
        o.result = attempt_result::delivered;
        return o;
    }
    if (reason.empty()) reason = status == 0 ? "no answer" : "HTTP " + std::to_string(status);
    o.reason = std::move(reason);
    // No answer, a timeout, throttling or a server error may well work later; anything else
    // (bad URL path, wrong token, unknown chat) will not, and retrying would only hide it.
    o.result = (status == 0 || status == 408 || status == 429 || status >= 500) ? attempt_result::retry
                                                                                 : attempt_result::give_up;
    return o;
}

void delivery_queue::push(note n) {
    if (opts_.capacity == 0) {
        ++stats_.events_dropped;
        return;
    }
    while (queue_.size() >= opts_.capacity) {
        queue_.pop_front();
        ++stats_.events_dropped;
    }
    queue_.push_back(std::move(n));
}

std::optional<std::vector<note>> delivery_queue::take(millis now) {
    if (in_flight_ || now < not_before_) return std::nullopt;
    if (!retry_.empty()) {
        current_ = std::move(retry_);
        retry_.clear();
    } else {
        if (queue_.empty()) return std::nullopt;
        current_.clear();
        const std::size_t n = std::min(queue_.size(), std::max<std::size_t>(1, opts_.max_batch));
        for (std::size_t i = 0; i < n; ++i) {
            current_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        attempts_ = 0;
    }
    ++attempts_;
    in_flight_ = true;
    // Batching: whatever arrives before this point in time goes out together next time.
    not_before_ = now + opts_.min_interval;
    return current_;
}

void delivery_queue::done(millis now, const attempt_outcome& outcome) {
    if (!in_flight_) return;
    in_flight_ = false;
    if (outcome.result == attempt_result::delivered) {
        ++stats_.messages_sent;
        stats_.events_sent += current_.size();
        stats_.last_sent_at = now;
        current_.clear();
        attempts_ = 0;
        return;
    }
    stats_.last_error = outcome.reason;
    stats_.last_error_at = now;
    if (outcome.result == attempt_result::retry && attempts_ < opts_.max_attempts) {
        ++stats_.retries;
        // attempts_ >= 1 here: base, 2 x base, 4 x base, ... capped.
        millis wait = opts_.backoff_base;
        for (int i = 1; i < attempts_ && wait < opts_.backoff_max; ++i) wait *= 2;
        wait = std::min(wait, opts_.backoff_max);
        if (outcome.retry_after > 0) wait = std::max(wait, std::min(outcome.retry_after, opts_.retry_after_max));
        wait = std::max(wait, opts_.min_interval);
        not_before_ = now + wait;
        retry_ = std::move(current_);
        current_.clear();
        return;
    }
    ++stats_.messages_failed;
    stats_.events_failed += current_.size();
    current_.clear();
    attempts_ = 0;
}

std::optional<millis> delivery_queue::next_wakeup() const {
    if (in_flight_ || (queue_.empty() && retry_.empty())) return std::nullopt;
    return not_before_;
}

}  // namespace traded::notify
