#pragma once
/// Notification delivery (SPEC §10): the thin I/O around one delivery_queue per target.
///
/// Never on the trading loop's critical path: on_engine()/on_daemon() only build a note and
/// queue it (a few string copies) and post a pump to the io_context; the HTTP request runs as
/// its own coroutine with a deadline on every step (resolve, connect, TLS, write, read), one in
/// flight per target. A target that hangs or answers 500 therefore costs the loop nothing but
/// its own timers; its queue is bounded, so even a dead target cannot grow memory.
///
/// Secrets: webhook URLs and headers and the Telegram bot token are never logged, nor shown in
/// status or metrics; a target is named by its type and position ("webhook-1", "telegram-2").
///
/// Threading and lifetime: io_context thread only, no mutexes. Targets are shared-owned by
/// their coroutines; stop() ends them promptly.

#include "config/config.hpp"
#include "engine/events.hpp"
#include "metrics/registry.hpp"
#include "notify/delivery.hpp"
#include "notify/note.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace traded::notify {

/// Reads an environment variable (injected so tests can fake one); nullopt when unset.
using env_fn = std::function<std::optional<std::string>(const std::string&)>;
/// The process environment.
std::optional<std::string> process_env(const std::string& name);

class notifier {
public:
    notifier(boost::asio::io_context& io, config::notifications_config cfg, env_fn env = process_env);
    ~notifier();
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    /// Resolves each target (URL, TLS, bot token). A target that cannot work (unset
    /// bot_token_env, bad URL) is disabled with an error in the log and in status; the others
    /// and the daemon carry on.
    void start();
    /// Ends delivery (queued events are dropped; the process is stopping).
    void stop();

    /// An engine notification: queued when it is one of the configured events.
    void on_engine(engine::mode m, const engine::notification& n, engine::millis ts);
    /// A daemon-side event (reconciliation_fixed, storage_unavailable).
    void on_daemon(note n);

    /// Per target: name, type, enabled, error, queued, sent, failed, dropped, retries, last_error.
    boost::json::array status_json() const;
    /// Writes the counters and queue depths into the registry (called at scrape time).
    void export_metrics(metrics::registry& r) const;
    /// Number of configured targets.
    std::size_t targets() const;

    struct target;

private:
    void queue(const note& n);
    void pump(const std::shared_ptr<target>& t);

    boost::asio::io_context& io_;
    config::notifications_config cfg_;
    env_fn env_;
    std::vector<std::shared_ptr<target>> targets_;
    bool stopped_ = false;
};

}  // namespace traded::notify
