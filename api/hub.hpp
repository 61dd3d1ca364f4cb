#pragma once
/// The WebSocket hub: subscriptions, the per-mode event log for `since_seq` resume, fan-out of
/// pushed events, and the bounded per-session send queue. No Beast here: sessions are seen
/// through the small `subscriber` interface, so all of it is tested without sockets.
///
/// Threading: everything runs on the one io_context thread (SPEC: one io_context, one thread).
/// There are no mutexes on purpose; calling the hub from another thread is a bug.
///
/// Flow of one event (modelled on the CppCon2018 chat server):
///   publish() serializes the event ONCE into a shared_ptr<const std::string>, appends it to the
///   mode's bounded log, and queues it for fan-out. The fan-out visits at most `slice` sessions
///   per handler run and continues through net::post, so exchange events and control requests
///   never wait behind a whole broadcast to a thousand clients. Each session keeps its own queue
///   of those shared strings with one write in flight.

#include "api/command.hpp"
#include "engine/events.hpp"
#include "engine/types.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace traded::api {

/// Bounds of one session's outgoing queue.
struct queue_limits {
    std::size_t max_messages = 4096;
    std::size_t max_bytes = 8 * 1024 * 1024;
    /// A session over its bound for longer than this is closed with 1013 (try again later).
    std::chrono::milliseconds grace{2000};
    /// Over `hard_factor` times the bound it is closed at once, whatever the grace.
    std::size_t hard_factor = 4;
};

/// One session's queue of serialized messages, waiting for the socket. Pure bookkeeping.
///
/// Nothing is ever dropped except a `position_updated` superseded by a newer one for the same
/// position (the coalesce key): the old entry is removed and the new one appended, so the
/// client still sees strictly increasing `seq` (with a gap it can tolerate for that event).
class send_queue {
public:
    /// What the session must do after a push.
    enum class verdict { ok, overflow };
    using clock = std::chrono::steady_clock;

    explicit send_queue(queue_limits limits = {});

    /// Appends a message. `coalesce_key` non-empty: a queued message with the same key is
    /// replaced. Returns overflow when the session must be closed (hard bound reached, or over
    /// the bound for longer than the grace period).
    verdict push(std::shared_ptr<const std::string> msg, std::string_view coalesce_key, clock::time_point now);
    /// The next message to write; nullptr when empty.
    std::shared_ptr<const std::string> pop();
    /// Forgets everything queued (the session is closing).
    void clear();

    /// Messages waiting (superseded ones not counted).
    std::size_t size() const { return live_; }
    /// Bytes of the messages waiting.
    std::size_t bytes() const { return bytes_; }
    /// True when nothing waits.
    bool empty() const { return live_ == 0; }
    /// Messages replaced by a newer one with the same key, since construction.
    std::uint64_t coalesced() const { return coalesced_; }

private:
    struct entry {
        std::shared_ptr<const std::string> msg;  // null: superseded (skipped by pop)
        std::string key;
    };
    void update_bound(clock::time_point now);

    queue_limits limits_;
    /// Created on the first queued message: most sessions are idle or keep up and never queue,
    /// and an empty std::deque already allocates a 512-byte node (B7: memory per idle client).
    std::unique_ptr<std::deque<entry>> entries_;
    std::uint64_t head_ = 0;  // absolute index of entries_.front()
    std::unordered_map<std::string, std::uint64_t> by_key_;
    std::size_t live_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t coalesced_ = 0;
    std::optional<clock::time_point> over_since_;
};

/// A WebSocket session as the hub sees it.
class subscriber {
public:
    virtual ~subscriber() = default;
    /// Queue one serialized message (event, snapshot or replay) for sending. A non-empty
    /// `coalesce_key` marks a message that a newer one with the same key may replace.
    virtual void deliver(const std::shared_ptr<const std::string>& msg, std::string_view coalesce_key) = 0;
};

/// Tuning of the hub.
struct hub_options {
    /// Events kept per mode for `since_seq` replay.
    std::size_t log_capacity = 10000;
    /// Sessions visited per fan-out handler run.
    std::size_t slice = 64;
};

/// Subscriptions, event log and fan-out (see the file comment).
class hub {
public:
    using subscriber_id = std::uint64_t;

    /// `b` answers snapshots on subscribe; both must outlive the hub.
    hub(boost::asio::io_context& ioc, backend& b, hub_options options = {});
    ~hub();
    hub(const hub&) = delete;
    hub& operator=(const hub&) = delete;

    /// Pushes one event: `{"type":"event","channel":..,"mode":..,"seq":..,"ts":..,"event":..,
    /// "data":..}`, with `data` the event's JSON text as the views render it. `seq` is the
    /// per-mode sequence (strictly increasing; the daemon persists it). `position_updated`
    /// events are coalesced per `position_id` (the id of the position in `data`) for slow sessions.
    void publish(engine::mode m, engine::channel ch, std::string_view event_name, std::int64_t seq,
                 engine::millis ts, std::string_view data, std::string_view position_id = {});

    /// Pushes one quote on the `market` channel (SPEC §3): `{"type":"event","channel":"market",
    /// "mode":..,"ts":..,"event":"quote","data":..}` (`data`: the quote's JSON text). No seq, not
    /// logged, never replayed; a slow session keeps only the newest quote per symbol (coalesced
    /// by symbol).
    void publish_quote(engine::mode m, const std::string& symbol, engine::millis ts, std::string_view data);

    /// The sequence the daemon restored at start (snapshots carry it until the next event).
    void set_last_seq(engine::mode m, std::int64_t seq);
    /// Sequence of the last event published for a mode (or set at start).
    std::int64_t last_seq(engine::mode m) const;

    /// Registers a session; it receives nothing until it subscribes.
    subscriber_id attach(std::weak_ptr<subscriber> s);
    /// Forgets a session (safe to call more than once, and from inside deliver()).
    void detach(subscriber_id id);

    /// Adds channels x modes to a session's subscription and queues, per mode: the missed events
    /// of those channels when `since_seq` has an entry for the mode and the log still holds
    /// every event after it; otherwise one snapshot per channel (`backend.snapshot`). Events
    /// already queued for fan-out that the snapshot/replay covers are not sent twice. The
    /// caller queues the subscribe answer first.
    void subscribe(subscriber_id id, const std::vector<engine::channel>& channels,
                   const std::vector<engine::mode>& modes, const std::map<engine::mode, std::int64_t>& since_seq);
    /// Removes channels x modes from a session's subscription.
    void unsubscribe(subscriber_id id, const std::vector<engine::channel>& channels,
                     const std::vector<engine::mode>& modes);

    /// Sessions attached.
    std::size_t subscribers() const { return subs_.size(); }
    /// Events waiting for (or in the middle of) fan-out.
    std::size_t pending_fanout() const { return fanout_.size(); }
    /// Events held in a mode's log.
    std::size_t log_size(engine::mode m) const;

private:
    static constexpr std::size_t channel_count = 7;
    static constexpr std::size_t slot_count = 2 * channel_count;
    static std::size_t slot(engine::mode m, engine::channel ch);

    /// A published event as stored in the log and the fan-out queue.
    struct event_ref {
        std::int64_t seq = 0;
        engine::mode mode = engine::mode::paper;
        engine::channel ch = engine::channel::positions;
        std::shared_ptr<const std::string> text;
        std::string key;  // coalesce key ("" for none)
        bool quote = false;  // market quote: no seq, so no snapshot floor applies
    };
    struct sub_state {
        std::weak_ptr<subscriber> who;
        std::array<bool, slot_count> on{};
        /// Per slot: events with seq <= floor were covered by a snapshot or replay.
        std::array<std::int64_t, slot_count> floor{};
    };

    void schedule_pump();
    void pump();

    boost::asio::io_context& ioc_;
    backend& backend_;
    hub_options options_;
    std::array<std::int64_t, 2> last_seq_{};
    std::array<std::deque<event_ref>, 2> log_;
    std::deque<event_ref> fanout_;
    subscriber_id cursor_ = 0;  // last session visited for fanout_.front()
    bool pump_scheduled_ = false;
    std::map<subscriber_id, sub_state> subs_;
    subscriber_id next_id_ = 1;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // guards posted handlers
};

}  // namespace traded::api
