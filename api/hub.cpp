#include "api/json_text.hpp"
#include "api/hub.hpp"

#include "log/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <exception>

namespace traded::api {

// ---------------------------------------------------------------------------------------------
// send_queue
// ---------------------------------------------------------------------------------------------

send_queue::send_queue(queue_limits limits) : limits_(limits) {}

send_queue::verdict send_queue::push(std::shared_ptr<const std::string> msg, std::string_view coalesce_key,
                                     clock::time_point now) {
    if (!msg) return verdict::ok;
    if (!entries_) entries_ = std::make_unique<std::deque<entry>>();
    auto& entries = *entries_;
    std::string key(coalesce_key);
    if (!key.empty()) {
        if (auto it = by_key_.find(key); it != by_key_.end()) {
            auto& old = entries[static_cast<std::size_t>(it->second - head_)];
            bytes_ -= old.msg->size();
            --live_;
            old.msg.reset();
            ++coalesced_;
        }
        by_key_[key] = head_ + entries.size();
    }
    bytes_ += msg->size();
    ++live_;
    entries.push_back(entry{std::move(msg), std::move(key)});

    if (live_ > limits_.max_messages * limits_.hard_factor || bytes_ > limits_.max_bytes * limits_.hard_factor)
        return verdict::overflow;
    update_bound(now);
    if (over_since_ && now - *over_since_ > limits_.grace) return verdict::overflow;
    return verdict::ok;
}

void send_queue::update_bound(clock::time_point now) {
    bool over = live_ > limits_.max_messages || bytes_ > limits_.max_bytes;
    if (!over)
        over_since_.reset();
    else if (!over_since_)
        over_since_ = now;
}

std::shared_ptr<const std::string> send_queue::pop() {
    while (entries_ && !entries_->empty()) {
        entry e = std::move(entries_->front());
        entries_->pop_front();
        std::uint64_t index = head_++;
        if (!e.msg) continue;  // superseded by a newer message with the same key
        if (!e.key.empty())
            if (auto it = by_key_.find(e.key); it != by_key_.end() && it->second == index) by_key_.erase(it);
        bytes_ -= e.msg->size();
        --live_;
        if (live_ <= limits_.max_messages && bytes_ <= limits_.max_bytes) over_since_.reset();
        return std::move(e.msg);
    }
    return nullptr;
}

void send_queue::clear() {
    if (entries_) head_ += entries_->size();
    entries_.reset();
    by_key_.clear();
    live_ = 0;
    bytes_ = 0;
    over_since_.reset();
}

// ---------------------------------------------------------------------------------------------
// hub
// ---------------------------------------------------------------------------------------------

hub::hub(boost::asio::io_context& ioc, backend& b, hub_options options)
    : ioc_(ioc), backend_(b), options_(options) {
    if (options_.slice == 0) options_.slice = 1;
}

hub::~hub() = default;

std::size_t hub::slot(engine::mode m, engine::channel ch) {
    return static_cast<std::size_t>(m) * channel_count + static_cast<std::size_t>(ch);
}

void hub::set_last_seq(engine::mode m, std::int64_t seq) {
    last_seq_[static_cast<std::size_t>(m)] = seq;
}

std::int64_t hub::last_seq(engine::mode m) const { return last_seq_[static_cast<std::size_t>(m)]; }

std::size_t hub::log_size(engine::mode m) const { return log_[static_cast<std::size_t>(m)].size(); }

void hub::publish(engine::mode m, engine::channel ch, std::string_view event_name, std::int64_t seq,
                  engine::millis ts, std::string_view data, std::string_view position_id) {
    event_ref ev;
    ev.seq = seq;
    ev.mode = m;
    ev.ch = ch;
    if (event_name == "position_updated" && !position_id.empty())
        ev.key = std::string(engine::to_string(m)) + ":" + std::string(position_id);

    // Written once: every subscriber then shares this one string.
    auto text = std::make_shared<std::string>();
    text->reserve(data.size() + 128);
    *text += "{\"type\":\"event\",\"channel\":";
    append_quoted(*text, engine::to_string(ch));
    *text += ",\"mode\":";
    append_quoted(*text, engine::to_string(m));
    *text += ",\"seq\":";
    append_integer(*text, seq);
    *text += ",\"ts\":";
    append_integer(*text, ts);
    *text += ",\"event\":";
    append_quoted(*text, event_name);
    *text += ",\"data\":";
    *text += data.empty() ? std::string_view("null") : data;
    text->push_back('}');
    ev.text = std::move(text);

    auto mi = static_cast<std::size_t>(m);
    last_seq_[mi] = std::max(last_seq_[mi], seq);
    auto& log = log_[mi];
    log.push_back(ev);
    while (log.size() > options_.log_capacity) log.pop_front();

    fanout_.push_back(std::move(ev));
    schedule_pump();
}

void hub::publish_quote(engine::mode m, const std::string& symbol, engine::millis ts, std::string_view data) {
    event_ref ev;
    ev.mode = m;
    ev.ch = engine::channel::market;
    ev.quote = true;
    ev.key = "quote:" + std::string(engine::to_string(m)) + ":" + symbol;
    auto text = std::make_shared<std::string>();
    text->reserve(data.size() + 96);
    *text += "{\"type\":\"event\",\"channel\":\"market\",\"mode\":";
    append_quoted(*text, engine::to_string(m));
    *text += ",\"ts\":";
    append_integer(*text, ts);
    *text += ",\"event\":\"quote\",\"data\":";
    *text += data.empty() ? std::string_view("null") : data;
    text->push_back('}');
    ev.text = std::move(text);
    fanout_.push_back(std::move(ev));
    schedule_pump();
}

void hub::schedule_pump() {
    if (pump_scheduled_ || fanout_.empty()) return;
    pump_scheduled_ = true;
    boost::asio::post(ioc_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.expired()) return;  // the hub is gone (server stopped)
        pump_scheduled_ = false;
        pump();
    });
}

void hub::pump() {
    std::size_t budget = options_.slice;
    while (budget > 0 && !fanout_.empty()) {
        const event_ref& ev = fanout_.front();
        std::size_t s = slot(ev.mode, ev.ch);
        // Re-find the next session after each delivery: deliver() may detach a session
        // (queue overflow), which would invalidate a held map iterator.
        auto it = subs_.upper_bound(cursor_);
        while (budget > 0 && it != subs_.end()) {
            --budget;
            cursor_ = it->first;
            auto who = it->second.who.lock();
            if (!who) {
                subs_.erase(it);
            } else if (it->second.on[s] && (ev.quote || ev.seq > it->second.floor[s])) {
                auto text = ev.text;  // keep the message alive even if the log drops it meanwhile
                who->deliver(text, ev.key);
            }
            it = subs_.upper_bound(cursor_);
        }
        if (it == subs_.end()) {  // every session saw this event
            fanout_.pop_front();
            cursor_ = 0;
        }
    }
    schedule_pump();
}

hub::subscriber_id hub::attach(std::weak_ptr<subscriber> s) {
    subscriber_id id = next_id_++;
    subs_[id].who = std::move(s);
    return id;
}

void hub::detach(subscriber_id id) { subs_.erase(id); }

void hub::subscribe(subscriber_id id, const std::vector<engine::channel>& channels,
                    const std::vector<engine::mode>& modes, const std::map<engine::mode, std::int64_t>& since_seq) {
    auto found = subs_.find(id);
    if (found == subs_.end()) return;
    auto who = found->second.who.lock();
    if (!who) return;
    for (auto m : modes) {
        auto mi = static_cast<std::size_t>(m);
        std::int64_t last = last_seq_[mi];
        const auto& log = log_[mi];
        // Resume is possible when every event after since_seq is still in the log.
        bool resume = false;
        std::int64_t since = 0;
        if (auto s = since_seq.find(m); s != since_seq.end()) {
            since = s->second;
            if (since == last)
                resume = true;
            else if (since < last && !log.empty() && since >= log.front().seq - 1)
                resume = true;
        }
        // The session may be detached by deliver() (overflow): look it up again each time.
        auto state = [&]() -> sub_state* {
            auto it = subs_.find(id);
            return it == subs_.end() ? nullptr : &it->second;
        };
        for (auto ch : channels) {
            if (auto* st = state()) {
                st->on[slot(m, ch)] = true;
                st->floor[slot(m, ch)] = last;
            }
        }
        if (resume) {
            for (const auto& ev : log) {
                if (ev.seq <= since) continue;
                if (std::find(channels.begin(), channels.end(), ev.ch) == channels.end()) continue;
                if (!state()) return;
                auto text = ev.text;
                who->deliver(text, ev.key);
            }
        }
        for (auto ch : channels) {
            // Quotes are never replayed: the market channel always starts from its snapshot.
            if (resume && ch != engine::channel::market) continue;
            if (!state()) return;
            std::string data;
            try {
                data = backend_.snapshot(ch, m);
            } catch (const std::exception& e) {  // a backend bug must not take the server down
                log::error("api", "snapshot {}/{} failed: {}", engine::to_string(ch), engine::to_string(m), e.what());
                data.clear();
            }
            auto text = std::make_shared<std::string>();
            text->reserve(data.size() + 128);
            *text += "{\"type\":\"snapshot\",\"channel\":";
            append_quoted(*text, engine::to_string(ch));
            *text += ",\"mode\":";
            append_quoted(*text, engine::to_string(m));
            *text += ",\"seq\":";
            append_integer(*text, last);
            *text += ",\"ts\":";
            append_integer(*text, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
            *text += ",\"data\":";
            *text += data.empty() ? std::string_view("null") : std::string_view(data);
            text->push_back('}');
            who->deliver(std::move(text), {});
        }
    }
}

void hub::unsubscribe(subscriber_id id, const std::vector<engine::channel>& channels,
                      const std::vector<engine::mode>& modes) {
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    for (auto m : modes)
        for (auto ch : channels) it->second.on[slot(m, ch)] = false;
}

}  // namespace traded::api
