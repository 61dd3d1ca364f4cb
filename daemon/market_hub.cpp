#include "daemon/market_hub.hpp"

#include "exchange/market/exchange_source.hpp"
#include "exchange/market/replay_source.hpp"
#include "exchange/market/synthetic_source.hpp"
#include "exchange/paper/synthetic_feed.hpp"
#include "log/log.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace traded::daemon {

using engine::mode;
using market::source_kind;

std::vector<mode> signal_targets(source_kind signal_source, source_kind paper_source, bool real_enabled) {
    std::vector<mode> out;
    // Real money only on the exchange's own prices (SPEC §1); paper on whatever it trades on.
    if (real_enabled && signal_source == source_kind::exchange) out.push_back(mode::real);
    if (signal_source == paper_source) out.push_back(mode::paper);
    return out;
}

std::optional<source_kind> parse_source_kind(std::string_view name) {
    if (name == "synthetic") return source_kind::synthetic;
    if (name == "exchange") return source_kind::exchange;
    if (name == "replay") return source_kind::replay;
    return std::nullopt;
}

struct market_hub::lane {
    std::unique_ptr<market::quote_source> src;
    source_kind kind = source_kind::synthetic;
    std::vector<mode> feeds;
    market::quote_book book;
    std::map<std::string, market::symbol_quote> merged;  // latest complete quote per symbol
    std::set<std::string> dirty;                         // symbols updated since the last flush
    engine::opportunity_manager strategy;
};

market_hub::market_hub(boost::asio::io_context& io, const config::config& cfg, std::vector<engine::symbol_info> symbols,
                       std::map<std::string, decimal> synthetic_start, clock_fn clock, market_sinks sinks)
    : io_(io), cfg_(cfg), symbols_(std::move(symbols)), synthetic_start_(std::move(synthetic_start)),
      clock_(std::move(clock)), sinks_(std::move(sinks)) {}

market_hub::~market_hub() {
    *alive_ = false;
    stop();
}

std::string market_hub::start() {
    const auto paper_kind = parse_source_kind(cfg_.market.source);
    if (!paper_kind)
        return "market.source: expected one of synthetic, exchange, replay, got \"" + cfg_.market.source + "\"";
    const bool real_enabled = cfg_.real_trading.enabled;
    if (*paper_kind == source_kind::replay && real_enabled)
        return "market.source: replay drives paper trading only; it cannot be used with real_trading.enabled: true";

    auto make_lane = [&](source_kind k) -> std::string {
        auto l = std::make_unique<lane>();
        l->kind = k;
        l->strategy = engine::opportunity_manager(cfg_.opportunities);
        switch (k) {
            case source_kind::synthetic: {
                market::synthetic_options so;
                so.seed = cfg_.market.synthetic.seed;
                so.volatility_bps = cfg_.market.synthetic.volatility_bps;
                so.interval_ms = cfg_.market.synthetic.interval_ms;
                so.symbols = symbols_;
                so.start_prices = synthetic_start_;
                so.clock = clock_;
                l->src = std::make_unique<market::synthetic_source>(io_, std::move(so));
                break;
            }
            case source_kind::exchange: {
                market::exchange_source_options eo;
                eo.ws_public_url = cfg_.exchange.ws_public_url;
                eo.ws_market_url = cfg_.exchange.ws_market_url;
                eo.ca_file = cfg_.exchange.ca_file;
                eo.symbols = cfg_.market.symbols;
                eo.clock = clock_;
                eo.metrics = sinks_.metrics;
                l->src = std::make_unique<market::exchange_source>(io_, std::move(eo));
                break;
            }
            case source_kind::replay: {
                // Only the configured symbols may appear in the files (a file with another is an
                // error naming it); the files are validated on the loop, not here.
                std::set<std::string> syms(cfg_.market.symbols.begin(), cfg_.market.symbols.end());
                l->src = std::make_unique<market::replay_source>(io_, std::vector<std::string>{cfg_.market.replay_file},
                                                                 std::move(syms), cfg_.market.replay_speed, clock_);
                break;
            }
        }
        lanes_.push_back(std::move(l));
        return {};
    };

    if (!cfg_.market.record_dir.empty()) {
        // The recorder's writer thread owns the disk; the loop only appends to its bounded buffer
        // (recorder.hpp), so a slow disk drops (and counts) lines instead of stalling trading.
        auto rec = std::make_unique<market::recorder>(cfg_.market.record_dir);
        if (auto err = rec->start(); !err.empty()) return err;
        recorder_ = std::move(rec);
        raw_watchers_.insert(raw_watchers_.begin(), [r = recorder_.get()](const market::raw_message& m) {
            r->record(m.receive_ms, m.stream, m.payload);
        });
        log::info("market", "recording exchange market messages to {}", cfg_.market.record_dir);
    }

    // The exchange lane first: with market.source exchange it is shared by both engines.
    if (real_enabled || *paper_kind == source_kind::exchange)
        if (auto err = make_lane(source_kind::exchange); !err.empty()) return err;
    if (*paper_kind != source_kind::exchange)
        if (auto err = make_lane(*paper_kind); !err.empty()) return err;
    for (auto& l : lanes_) {
        if (l->kind == source_kind::exchange && real_enabled) l->feeds.push_back(mode::real);
        if (l->kind == *paper_kind) l->feeds.push_back(mode::paper);
    }

    for (auto& lp : lanes_) {
        lane* l = lp.get();
        market::source_handlers h;
        h.on_update = [this, l](const market::quote_update& u) { on_update(*l, u); };
        h.on_status = [kind = l->kind](const market::source_status& s) {
            log::debug("market", "{} source: {}", market::to_string(kind), s.detail);
        };
        if (l->kind == source_kind::exchange)
            h.on_raw = [this](const market::raw_message& m) {
                for (auto& w : raw_watchers_) w(m);
            };
        if (recorder_ && l->kind != source_kind::exchange && lanes_.size() == 1)
            log::warn("market", "market.record_dir is set but no exchange source runs (market.source {}, real "
                      "trading disabled): nothing will be recorded", market::to_string(l->kind));
        std::string feeds;
        for (auto m : l->feeds) feeds += (feeds.empty() ? "" : " and ") + std::string(engine::to_string(m));
        log::info("market", "{} market data feeds {}", market::to_string(l->kind), feeds);
        l->src->start(std::move(h));
    }
    return {};
}

void market_hub::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& l : lanes_) l->src->stop();
    // Writes what is buffered and joins the writer thread.
    if (recorder_) recorder_->stop();
}

std::optional<market::recorder_status> market_hub::recording() const {
    if (!recorder_) return std::nullopt;
    return recorder_->status();
}

void market_hub::set_strategy(const config::opportunities_config& c) {
    cfg_.opportunities = c;
    for (auto& l : lanes_) l->strategy = engine::opportunity_manager(c);
}

void market_hub::on_update(lane& l, const market::quote_update& u) {
    if (stopped_) return;
    auto merged = l.book.apply(u);
    if (!merged) return;
    l.merged[u.symbol] = *merged;
    l.dirty.insert(u.symbol);
    // Coalescing: a burst of messages moves the latest quote; engines and the strategy see one
    // update per symbol per turn of the io_context, after the execution events already queued.
    if (!flush_posted_) {
        flush_posted_ = true;
        boost::asio::post(io_, [this, alive = alive_] {
            if (*alive) flush();
        });
    }
}

void market_hub::flush() {
    flush_posted_ = false;
    if (stopped_) return;
    const auto paper_kind = parse_source_kind(cfg_.market.source).value_or(source_kind::synthetic);
    const auto now = clock_();
    for (auto& lp : lanes_) {
        lane& l = *lp;
        auto dirty = std::move(l.dirty);
        l.dirty.clear();
        for (const auto& sym : dirty) {
            const market::symbol_quote sq = l.merged[sym];
            for (auto m : l.feeds)
                if (sinks_.quote) sinks_.quote(m, sym, sq.q);
            if (auto opp = l.strategy.on_tick(sym, sq.q, now)) {
                opp->source = std::string(market::to_string(l.kind));
                auto targets = signal_targets(l.kind, paper_kind, cfg_.real_trading.enabled);
                if (sinks_.signal && !targets.empty()) sinks_.signal(*opp, targets);
            }
            for (auto& w : quote_watchers_) w(l.kind, sym, sq);
            if (stopped_) return;
        }
    }
}

market_hub::lane* market_hub::lane_of(mode m) const {
    for (const auto& l : lanes_)
        if (std::find(l->feeds.begin(), l->feeds.end(), m) != l->feeds.end()) return l.get();
    return nullptr;
}

std::vector<market_source_view> market_hub::sources() const {
    std::vector<market_source_view> out;
    for (const auto& l : lanes_) out.push_back({l->kind, l->feeds, l->src->status()});
    return out;
}

std::optional<source_kind> market_hub::source_of(mode m) const {
    if (const auto* l = lane_of(m)) return l->kind;
    return std::nullopt;
}

market::source_status market_hub::status_of(mode m) const {
    if (const auto* l = lane_of(m)) return l->src->status();
    market::source_status s;
    s.detail = "none";
    return s;
}

std::optional<market::symbol_quote> market_hub::latest(mode m, const std::string& symbol) const {
    const auto* l = lane_of(m);
    if (!l) return std::nullopt;
    auto it = l->merged.find(symbol);
    if (it == l->merged.end()) return std::nullopt;
    return it->second;
}

}  // namespace traded::daemon
