#include "backtest/backtest.hpp"

#include "api/json_text.hpp"
#include "api/views.hpp"
#include "daemon/paper_port.hpp"
#include "engine/opportunities.hpp"
#include "exchange/paper/matching.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <set>

namespace traded::backtest {

namespace json = boost::json;

namespace {

/// The engine and its simulated exchange, stepped like daemon::engine_runner steps them (port
/// events are queued and handled after the event that caused them), minus storage and pushes.
class simulation {
public:
    simulation(const config::config& cfg, const std::vector<engine::symbol_info>& symbols)
        : engine_(engine_config(cfg), symbols), port_(account_config(cfg), symbols) {
        port_.set_sink([this](engine::event ev) { pending_.push_back(std::move(ev)); });
    }

    void handle(const engine::event& ev, engine::millis now) {
        // One output reused for every step: each one's actions are performed before the next.
        engine_.handle(ev, now, out_);
        for (const auto& a : out_.actions) port_.execute(a);
        while (!pending_.empty()) {
            auto next = std::move(pending_.front());
            pending_.pop_front();
            engine_.handle(next, now, out_);
            for (const auto& a : out_.actions) port_.execute(a);
        }
    }

    /// A new quote: the account first (triggered TP/SL fills reach the engine before the tick).
    /// `tick` is the symbol's market_tick, kept by the caller (its name set once): no variant
    /// construction and no name copy per tick.
    void on_quote(engine::event& tick, const engine::quote& q, engine::millis now) {
        auto& t = *std::get_if<engine::market_tick>(&tick);
        port_.set_now(now);
        port_.on_quote(t.symbol, q, now);
        t.q = q;
        handle(tick, now);
    }

    const engine::engine& engine() const { return engine_; }
    const daemon::paper_port& port() const { return port_; }

private:
    static engine::engine_config engine_config(const config::config& cfg) {
        auto c = cfg.paper_trading.to_engine(engine::mode::paper);
        c.enabled = true;       // a backtest always runs the paper engine
        c.notify_ticks = false;  // nobody listens: no position copy per open position per tick
        return c;
    }
    static paper::account_config account_config(const config::config& cfg) {
        paper::account_config pc;
        pc.starting_balance = cfg.paper_trading.starting_balance;
        pc.taker_fee = cfg.paper_trading.taker_fee;
        pc.slippage_bps = cfg.paper_trading.slippage_bps;
        pc.leverage = cfg.paper_trading.leverage;
        return pc;
    }

    engine::engine engine_;
    daemon::paper_port port_;
    std::deque<engine::event> pending_;
    engine::output out_;
};

bool is_open(engine::position_status s) {
    return s == engine::position_status::opening || s == engine::position_status::open ||
           s == engine::position_status::closing;
}

}  // namespace

result run(const config::config& cfg, market::replay_stream& stream,
           const std::function<void(const progress&)>& on_progress) {
    result r;
    if (!stream.ok()) {
        r.error = stream.error();
        return r;
    }
    const auto symbols = paper::default_symbols(cfg.market.symbols);
    simulation sim(cfg, symbols);
    engine::opportunity_manager strategy(cfg.opportunities);
    market::quote_update u;
    bool started = false;
    engine::millis now = 0;
    engine::millis wakeup = 0;
    // Symbols by index: the merge state and the batch below are found without a lookup by name
    // for the usual run of updates of the same symbol.
    struct symbol_slot {
        std::string name;
        market::quote_book::entry book;
        market::symbol_quote pending;  // merged quote waiting in the batch
        bool in_batch = false;
        engine::event tick;  // this symbol's market_tick, reused for every delivery
    };
    std::vector<symbol_slot> slots;
    std::size_t last_slot = 0;
    auto slot_of = [&](const std::string& name) -> std::size_t {
        if (last_slot < slots.size() && engine::same_symbol(slots[last_slot].name, name)) return last_slot;
        for (std::size_t i = 0; i < slots.size(); ++i)
            if (slots[i].name == name) return last_slot = i;
        slots.push_back({name, {}, {}, false, engine::market_tick{name, {}}});
        // Symbol order, as the daemon's hub delivers a batch (std::set of names).
        std::sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        for (std::size_t i = 0; i < slots.size(); ++i)
            if (slots[i].name == name) return last_slot = i;
        return last_slot;
    };
    // Updates with the same event time are one batch: merged in the book, then each symbol's
    // quote delivered once, in symbol order. That is what the daemon does with messages that
    // arrive together (market_hub coalesces per loop turn; the replay source delivers one event
    // time per turn), so a recording replays here to the trades the live run made.
    std::size_t batch_size = 0;
    auto deliver = [&] {
        for (auto& sl : slots) {
            if (!sl.in_batch) continue;
            sl.in_batch = false;
            sim.on_quote(sl.tick, sl.pending.q, now);
            if (auto opp = strategy.on_tick(sl.name, sl.pending.q, now)) {
                ++r.opportunities;
                sim.handle(engine::open_request{std::move(*opp)}, now);
            }
        }
        batch_size = 0;
    };
    for (;;) {
        const auto st = stream.next(u);
        if (st == market::read_status::end) break;
        if (st == market::read_status::error) {
            r.error = stream.error();
            return r;
        }
        ++r.events;
        // Event time drives the clock; it never runs backwards (files merge by event time, but
        // a recording's receive times may repeat).
        if (u.event_time > now) {
            if (batch_size > 0) deliver();
            now = u.event_time;
        }
        if (!started) {
            started = true;
            r.first_event = now;
            sim.handle(engine::start_request{}, now);
            wakeup = sim.engine().next_wakeup().value_or(INT64_MAX);
        }
        if (now >= wakeup) {  // daily rollover, as the daemon's timer would fire it
            sim.handle(engine::timer_fired{}, now);
            wakeup = sim.engine().next_wakeup().value_or(INT64_MAX);
        }
        auto& sl = slots[slot_of(u.symbol)];
        if (auto sq = market::quote_book::merge(sl.book, u)) {
            sl.pending = *sq;
            if (!sl.in_batch) {
                sl.in_batch = true;
                ++batch_size;
            }
        }
        if (on_progress && (r.events & 0xFFFF) == 0)
            on_progress({r.events, stream.bytes_read(), stream.size()});
    }
    if (batch_size > 0) deliver();
    r.last_event = now;
    if (started) {
        for (const auto& [id, p] : sim.engine().positions())
            if (is_open(p.status)) ++r.closed_at_end;
        // Positions still open at the last event are closed at the last prices (exit STOP), so
        // every entry shows up in trades.csv and the PnL is realized.
        if (r.closed_at_end > 0) sim.handle(engine::stop_request{}, now);
    }
    const auto kept = sim.engine().trades();
    r.trades.assign(kept.begin(), kept.end());
    r.performance = sim.engine().performance(now);
    r.wallet_balance = sim.port().balance().wallet_balance;
    if (on_progress) on_progress({r.events, stream.bytes_read(), stream.size()});
    return r;
}

std::string trades_csv(const std::vector<engine::trade>& trades) {
    std::string out =
        "trade_id,position_id,symbol,side,entry_price,exit_price,qty,pnl,pnl_pct,fees,exit_reason,opened_at,closed_at\n";
    for (const auto& t : trades)
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{:.4f},{},{},{},{}\n", t.trade_id, t.position_id,
                       t.symbol, engine::to_string(t.pos_side), t.entry_price.to_string(), t.exit_price.to_string(),
                       t.qty.to_string(), t.pnl.to_string(), t.pnl_pct, t.fees.to_string(), engine::to_string(t.reason),
                       t.opened_at, t.closed_at);
    return out;
}

std::string report_json(const result& r, const std::vector<std::string>& files, double elapsed_s) {
    std::string performance;  // the API's performance view, extended below
    api::append_json(performance, r.performance);
    json::object o = json::parse(performance).as_object();
    struct bucket {
        int trades = 0;
        int wins = 0;
        int losses = 0;
        decimal pnl;
    };
    std::map<std::string, bucket> by_symbol;
    std::map<std::string, bucket> by_reason;
    for (const auto& t : r.trades) {
        for (auto* b : {&by_symbol[t.symbol], &by_reason[std::string(engine::to_string(t.reason))]}) {
            ++b->trades;
            if (t.pnl.is_positive()) ++b->wins;
            if (t.pnl.is_negative()) ++b->losses;
            b->pnl += t.pnl;
        }
    }
    auto to_obj = [](const std::map<std::string, bucket>& m) {
        json::object out;
        for (const auto& [k, b] : m)
            out[k] = json::object{{"trades", b.trades}, {"winning_trades", b.wins}, {"losing_trades", b.losses},
                                  {"total_pnl", b.pnl.to_double()}};
        return out;
    };
    o["by_symbol"] = to_obj(by_symbol);
    o["by_exit_reason"] = to_obj(by_reason);
    o["events"] = r.events;
    o["opportunities"] = r.opportunities;
    o["first_event_time"] = r.first_event;
    o["last_event_time"] = r.last_event;
    o["final_wallet_balance"] = r.wallet_balance.to_double();
    o["closed_at_end"] = r.closed_at_end;
    json::array f;
    for (const auto& p : files) f.emplace_back(p);
    o["files"] = std::move(f);
    o["elapsed_s"] = elapsed_s;
    o["events_per_second"] = elapsed_s > 0 ? static_cast<double>(r.events) / elapsed_s : 0.0;
    return api::to_text(o) + "\n";
}

}  // namespace traded::backtest
