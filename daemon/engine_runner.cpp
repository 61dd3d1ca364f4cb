#include "daemon/engine_runner.hpp"

#include "log/log.hpp"
#include "daemon/store.hpp"

#include <algorithm>

namespace traded::daemon {

namespace {
// Sequence numbers are reserved in blocks so that the many position_updated pushes of a market
// tick need no commit; after a crash the next number starts past the whole reserved block, so
// seq keeps increasing across restarts.
constexpr std::int64_t seq_block = 10'000;

std::string safety_key(const engine::safety_status& s) {
    std::string k = std::to_string(s.max_positions) + '|' + std::to_string(s.open_positions) + '|' +
                    s.max_daily_loss.to_string() + '|' + s.daily_realized_pnl.to_string() + '|' +
                    (s.daily_loss_limit_hit ? '1' : '0') + (s.emergency_stopped ? '1' : '0') +
                    (s.can_open_new ? '1' : '0') + '|' + s.stake_usd.to_string() + '|' + s.trading_day;
    for (const auto& r : s.blocked_reasons) k += '|' + r;
    return k;
}
}  // namespace

engine_runner::engine_runner(engine::mode m, engine::engine e, store* db, exchange_port& port, publisher pub,
                             clock_fn clock)
    : mode_(m), engine_(std::move(e)), store_(db), port_(port), publish_(std::move(pub)), clock_(std::move(clock)) {
    port_.set_sink([this](engine::event ev) {
        pending_.push_back(std::move(ev));
        if (!dispatching_) drain();
    });
}

std::string engine_runner::restore() {
    if (!store_) return {};
    auto snap = store_->load(mode_);
    if (auto* err = std::get_if<std::string>(&snap)) return *err;
    auto seq = store_->load_seq(mode_);
    if (auto* err = std::get_if<std::string>(&seq)) return *err;
    engine_.restore(std::move(std::get<engine::engine_snapshot>(snap)));
    last_safety_key_ = safety_key(engine_.safety(clock_()));
    seq_ = std::get<std::int64_t>(seq);
    reserved_ = seq_;
    return {};
}

engine::output engine_runner::dispatch(const engine::event& ev) {
    dispatching_ = true;
    auto out = process(ev);
    drain();
    return out;
}

void engine_runner::drain() {
    dispatching_ = true;
    while (!pending_.empty()) {
        auto ev = std::move(pending_.front());
        pending_.pop_front();
        process(ev);
    }
    dispatching_ = false;
}


engine::output engine_runner::process(const engine::event& ev) {
    const auto now = clock_();
    auto out = engine_.handle(ev, now);

    // Market ticks cannot change safety figures; everything else may.
    if (!std::holds_alternative<engine::market_tick>(ev)) {
        auto key = safety_key(engine_.safety(now));
        if (key != last_safety_key_) {
            last_safety_key_ = std::move(key);
            const bool named = std::any_of(out.notifications.begin(), out.notifications.end(),
                                           [](const auto& n) { return n.ch == engine::channel::safety; });
            if (!named) {
                engine::notification n;
                n.ch = engine::channel::safety;
                n.event_name = "safety_changed";
                out.notifications.push_back(std::move(n));
            }
        }
    }

    const auto n = static_cast<std::int64_t>(out.notifications.size());
    const bool durable = !out.dirty_positions.empty() || !out.dirty_orders.empty() || !out.new_trades.empty() ||
                         out.state_changed;
    if (seq_ + n > reserved_ || durable) {
        if (seq_ + n > reserved_) reserved_ = seq_ + n + seq_block;
        persist(out, reserved_, now);
    }
    for (const auto& note : out.notifications) publish_(mode_, note, ++seq_, now);
    for (const auto& a : out.actions) port_.execute(a);
    return out;
}

void engine_runner::announce(const engine::notification& note) {
    const auto now = clock_();
    if (seq_ + 1 > reserved_) {
        reserved_ = seq_ + 1 + seq_block;
        persist(engine::output{}, reserved_, now);
    }
    publish_(mode_, note, ++seq_, now);
}

void engine_runner::persist(const engine::output& out, std::int64_t seq_hi, engine::millis now) {
    if (!store_) return;
    std::string err;
    if (needs_full_save_) {
        // Storage failed earlier: rewrite everything the engine holds, then the new output.
        engine::output all = out;
        for (const auto& [id, p] : engine_.positions()) all.dirty_positions.push_back(id);
        for (const auto& [id, o] : engine_.orders()) all.dirty_orders.push_back(id);
        all.new_trades = engine_.trades();
        all.state_changed = true;
        err = store_->commit(mode_, engine_, all, seq_hi, now);  // trades are upserted by trade_id
    } else {
        err = store_->commit(mode_, engine_, out, seq_hi, now);
    }
    if (err.empty()) {
        if (!storage_ok_) log::info("store", "{}: storage recovered", engine::to_string(mode_));
        needs_full_save_ = false;
        set_storage_ok(true);
        return;
    }
    // Protection first: the actions are still performed (a stop must be placed even when the disk
    // is full), but new entries are blocked until a commit succeeds again.
    if (storage_ok_) log::error("store", "{}: commit failed: {}", engine::to_string(mode_), err);
    storage_error_ = err;
    needs_full_save_ = true;
    set_storage_ok(false);
}

void engine_runner::retry_storage() {
    if (storage_ok_) return;
    persist(engine::output{}, reserved_, clock_());
}

void engine_runner::set_storage_ok(bool ok) {
    storage_ok_ = ok;
    if (ok) storage_error_.clear();
    engine_.set_external_block("STORAGE_UNAVAILABLE", !ok);
}

}  // namespace traded::daemon
