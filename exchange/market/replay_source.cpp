#include "exchange/market/replay_source.hpp"

#include "log/log.hpp"

#include <boost/asio/post.hpp>

#include <chrono>

namespace traded::market {

namespace {
/// Updates handled per loop turn: bounded so API requests and timers interleave with a replay.
constexpr int slice_updates = 2000;
constexpr int validate_slice_updates = 50000;
}  // namespace

replay_source::replay_source(boost::asio::io_context& io, std::vector<std::string> paths,
                             std::set<std::string> symbols, double speed, std::function<engine::millis()> clock)
    : io_(io), paths_(std::move(paths)), symbols_(std::move(symbols)), speed_(speed), clock_(std::move(clock)),
      timer_(io), pacer_(speed) {
    status_.detail = "not started";
}

replay_source::~replay_source() {
    *alive_ = false;
    stop();
}

void replay_source::set_status(bool connected, std::string detail) {
    status_.connected = connected;
    status_.detail = std::move(detail);
    if (h_.on_status) h_.on_status(status_);
}

void replay_source::start(source_handlers h) {
    h_ = std::move(h);
    std::string why;
    files_ = expand_replay_paths(paths_, why);
    if (!why.empty()) {
        log::error("market", "replay: {}", why);
        set_status(false, "replay error: " + why);
        return;
    }
    stream_ = std::make_unique<replay_stream>(files_, symbols_);
    set_status(false, "validating " + std::to_string(files_.size()) + " replay file(s)");
    boost::asio::post(io_, [this, alive = alive_] {
        if (*alive) validate_slice();
    });
}

void replay_source::stop() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
}

void replay_source::validate_slice() {
    if (stopped_) return;
    quote_update u;
    for (int i = 0; i < validate_slice_updates; ++i) {
        const auto st = stream_->next(u);
        if (st == read_status::update) {
            ++validated_;
            continue;
        }
        if (st == read_status::error) {
            // Nothing has been delivered: a file that fails anywhere trades nothing.
            log::error("market", "replay: {} (nothing replayed)", stream_->error());
            set_status(false, "replay error: " + stream_->error());
            stream_.reset();
            return;
        }
        // Valid to the end: read again from the start, this time delivering.
        log::info("market", "replay: {} updates in {} file(s) at speed {}", validated_, files_.size(), speed_);
        stream_ = std::make_unique<replay_stream>(files_, symbols_);
        set_status(true, "replaying");
        deliver();
        return;
    }
    boost::asio::post(io_, [this, alive = alive_] {
        if (*alive) validate_slice();
    });
}

void replay_source::deliver() {
    if (stopped_ || !stream_) return;
    const auto now = clock_();
    for (int i = 0; i < slice_updates; ++i) {
        if (!next_) {
            quote_update u;
            const auto st = stream_->next(u);
            if (st != read_status::update) {
                // Validated before, so an error here means the file changed under us.
                if (st == read_status::error) log::error("market", "replay: {}", stream_->error());
                set_status(false, st == read_status::error ? "replay error: " + stream_->error()
                                                           : "replay finished: " + std::to_string(delivered_) + " updates");
                stream_.reset();
                return;
            }
            next_ = std::move(u);
        }
        const auto due = pacer_.due(next_->event_time, now);
        if (due > now) {
            timer_.expires_after(std::chrono::milliseconds(due - now));
            timer_.async_wait([this](boost::system::error_code ec) {
                if (!ec) deliver();
            });
            return;
        }
        // One event time per loop turn: updates recorded together are merged by the hub as the
        // live daemon merged them, and updates recorded apart are not (same trades as live).
        if (i > 0 && next_->event_time != last_event_) break;
        ++delivered_;
        status_.last_update_ms = now;
        last_event_ = next_->event_time;
        auto u = std::move(*next_);
        next_.reset();
        if (h_.on_update) h_.on_update(u);
        if (stopped_) return;
    }
    boost::asio::post(io_, [this, alive = alive_] {
        if (*alive) deliver();
    });
}

}  // namespace traded::market
