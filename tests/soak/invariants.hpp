#pragma once
// The soak's invariants, as checks over what the exchange (traded-sim's GET /admin/state) and the
// daemon (its REST API and WebSocket pushes) show. Each returns human-readable violations.
//
// While faults fly, some states are legitimately transient (a stop is replaced, a hand close is not
// seen yet): those must not last longer than a grace period. Others must never happen at all: a
// client order id sent with two different intents, a trade recorded twice, `seq` going backwards.

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace traded::soak {

namespace json = boost::json;

/// The last `n` characters of a log.
inline std::string tail(const std::string& s, std::size_t n) {
    return s.size() <= n ? s : s.substr(s.size() - n);
}

inline double number(const json::value& v) {
    if (v.is_string()) return std::strtod(std::string(v.as_string()).c_str(), nullptr);
    if (v.is_number()) return v.to_number<double>();
    return 0.0;
}

inline std::string text(const json::value& v) {
    if (v.is_string()) return std::string(v.as_string());
    if (v.is_null()) return "";
    return json::serialize(v);
}

/// Both sides at one moment (taken one after the other, so they can disagree for a moment).
struct snapshot {
    bool ok = false;
    json::object exchange;           // traded-sim /admin/state
    json::array daemon_positions;    // GET real-trading/positions
    json::array daemon_trades;       // GET real-trading/trades
};

/// Signed position size per symbol on the exchange (the soak's only account).
inline std::map<std::string, double> exchange_positions(const snapshot& s) {
    std::map<std::string, double> out;
    for (const auto& p : s.exchange.at("accounts").at(0).at("positions").as_array()) {
        const double amt = number(p.at("positionAmt"));
        if (amt != 0.0) out[text(p.at("symbol"))] += amt;
    }
    return out;
}

/// Signed size per symbol of the daemon's positions that hold (or may hold) exchange exposure.
inline std::map<std::string, double> daemon_positions(const snapshot& s) {
    std::map<std::string, double> out;
    for (const auto& p : s.daemon_positions) {
        const std::string status = text(p.at("status"));
        if (status == "CLOSED" || status == "FAILED") continue;
        const double q = number(p.at("qty"));
        out[text(p.at("symbol"))] += text(p.at("side")) == "SHORT" ? -q : q;
    }
    return out;
}

/// Open protective orders per symbol on the exchange.
struct protection {
    int stops = 0;
    int take_profits = 0;
};

inline std::map<std::string, protection> open_protection(const snapshot& s) {
    std::map<std::string, protection> out;
    for (const auto& a : s.exchange.at("accounts").at(0).at("algoOrders").as_array()) {
        if (text(a.at("algoStatus")) != "NEW") continue;
        const std::string type = text(a.at("orderType"));
        auto& p = out[text(a.at("symbol"))];
        if (type.rfind("TAKE_PROFIT", 0) == 0) ++p.take_profits;
        else if (type.rfind("STOP", 0) == 0) ++p.stops;
    }
    return out;
}

inline bool same_size(double a, double b) { return std::fabs(a - b) < 1e-9; }

/// Violations that may exist for a moment but must not persist: keyed so a persisting one is
/// recognised from one snapshot to the next.
inline std::map<std::string, std::string> transient_violations(const snapshot& s) {
    std::map<std::string, std::string> out;
    const auto ex = exchange_positions(s);
    const auto dm = daemon_positions(s);
    const auto prot = open_protection(s);
    for (const auto& [sym, amt] : ex) {
        auto it = prot.find(sym);
        const protection p = it == prot.end() ? protection{} : it->second;
        if (p.stops != 1 || p.take_profits > 1)
            out["protect:" + sym] = fmt::format("exchange position {} {} has {} stop(s) and {} take-profit(s) "
                                                "(want exactly one stop, at most one TP)",
                                                sym, amt, p.stops, p.take_profits);
    }
    for (const auto& [sym, p] : prot) {
        if (!ex.count(sym) && (p.stops + p.take_profits) > 0)
            out["orphan:" + sym] = fmt::format("{} is flat on the exchange but has {} open stop/TP order(s)", sym,
                                               p.stops + p.take_profits);
    }
    std::set<std::string> syms;
    for (const auto& [k, v] : ex) syms.insert(k);
    for (const auto& [k, v] : dm) syms.insert(k);
    for (const auto& sym : syms) {
        const double e = ex.count(sym) ? ex.at(sym) : 0.0;
        const double d = dm.count(sym) ? dm.at(sym) : 0.0;
        if (!same_size(e, d))
            out["mismatch:" + sym] = fmt::format("{}: the exchange holds {} but the daemon's positions say {}", sym, e, d);
    }
    return out;
}

/// Violations that must never happen, whatever the timing.
inline std::vector<std::string> hard_violations(const snapshot& s) {
    std::vector<std::string> out;
    // One client order id, one intent: retries may resend it, but never with other parameters.
    std::map<std::string, std::string> intent;
    for (const auto& e : s.exchange.at("orderLog").as_array()) {
        if (text(e.at("method")) != "POST") continue;
        const std::string path = text(e.at("path"));
        if (path.rfind("/admin/", 0) == 0) continue;
        const std::string cid = text(e.at("clientId"));
        if (cid.empty()) continue;
        const std::string what = fmt::format("{} {} {} {} qty={} trigger={} reduceOnly={} closePosition={}", path,
                                             text(e.at("symbol")), text(e.at("side")), text(e.at("type")),
                                             text(e.at("quantity")), text(e.at("triggerPrice")),
                                             e.at("reduceOnly").as_bool(), e.at("closePosition").as_bool());
        auto [it, fresh] = intent.emplace(cid, what);
        if (!fresh && it->second != what)
            out.push_back(fmt::format("client id {} sent with two intents: '{}' then '{}'", cid, it->second, what));
    }
    // Every trade recorded once.
    std::map<std::string, int> trades;
    for (const auto& t : s.daemon_trades) ++trades[text(t.at("position_id"))];
    for (const auto& [id, n] : trades) {
        if (n > 1) out.push_back(fmt::format("position {} has {} trades recorded", id, n));
    }
    // A position the daemon still lists as held has no trade yet.
    for (const auto& p : s.daemon_positions) {
        const std::string status = text(p.at("status"));
        if (status != "CLOSED" && status != "FAILED" && trades.count(text(p.at("position_id"))))
            out.push_back(fmt::format("position {} is {} but already has a trade", text(p.at("position_id")), status));
    }
    return out;
}

/// Continuous checking: hard violations at once, transient ones once they outlast `grace_ms`.
class invariant_tracker {
public:
    explicit invariant_tracker(long grace_ms) : grace_ms_(grace_ms) {}

    std::vector<std::string> observe(const snapshot& s, long now_ms) {
        std::vector<std::string> out;
        for (auto& h : hard_violations(s)) {
            if (reported_.insert(h).second) out.push_back(h);
        }
        const auto current = transient_violations(s);
        for (auto it = since_.begin(); it != since_.end();) {
            it = current.count(it->first) ? std::next(it) : since_.erase(it);
        }
        for (const auto& [key, what] : current) {
            auto [it, fresh] = since_.emplace(key, now_ms);
            (void)fresh;
            if (now_ms - it->second > grace_ms_ && reported_.insert(key).second)
                out.push_back(fmt::format("for {} ms: {}", now_ms - it->second, what));
        }
        return out;
    }

private:
    long grace_ms_;
    std::map<std::string, long> since_;
    std::set<std::string> reported_;
};

/// After the faults stopped and the daemon settled: both sides agree and every position is protected.
inline std::vector<std::string> quiesced_differences(const snapshot& s) {
    std::vector<std::string> out;
    for (const auto& [key, what] : transient_violations(s)) out.push_back(what);
    for (const auto& p : s.daemon_positions) {
        const std::string status = text(p.at("status"));
        if (status != "OPEN" && status != "CLOSED" && status != "FAILED")
            out.push_back(fmt::format("position {} still {}", text(p.at("position_id")), status));
    }
    for (auto& h : hard_violations(s)) out.push_back(h);
    return out;
}

/// After closing everything: nothing held, nothing left open, anywhere.
inline std::vector<std::string> flat_differences(const snapshot& s) {
    std::vector<std::string> out = quiesced_differences(s);
    for (const auto& [sym, amt] : exchange_positions(s)) out.push_back(fmt::format("exchange still holds {} {}", sym, amt));
    for (const auto& p : s.daemon_positions) {
        const std::string status = text(p.at("status"));
        if (status != "CLOSED" && status != "FAILED")
            out.push_back(fmt::format("daemon still lists {} as {}", text(p.at("position_id")), status));
    }
    return out;
}

/// Checks the WebSocket stream: `seq` strictly increasing per mode, each trade pushed once.
class stream_checker {
public:
    void on_message(const json::object& m) {
        if (const auto* id = m.if_contains("id")) {
            (void)id;  // an answer to our subscribe
            return;
        }
        const auto* seqv = m.if_contains("seq");
        if (seqv == nullptr || !seqv->is_number()) return;  // quotes carry no seq
        const auto seq = seqv->to_number<std::int64_t>();
        const std::string mode = text(m.at("mode"));
        const std::string type = text(m.at("type"));
        auto it = last_.find(mode);
        if (type == "snapshot") {
            if (it != last_.end() && seq < it->second)
                note(fmt::format("{} snapshot seq {} below the last event's {}", mode, seq, it->second));
            last_[mode] = std::max(it == last_.end() ? seq : it->second, seq);
            return;
        }
        ++events_;
        if (it != last_.end() && seq <= it->second)
            note(fmt::format("{} event {} has seq {} after seq {}", mode, text(m.at("event")), seq, it->second));
        last_[mode] = seq;
        if (text(m.at("event")) == "position_closed") {
            const auto* data = m.if_contains("data");
            // A FAILED entry (refused, never filled) closes without a trade.
            if (data && data->is_object() && data->as_object().if_contains("position_id") &&
                text(data->at("status")) == "CLOSED")
                closed_.insert(text(data->at("position_id")));
        }
        if (text(m.at("event")) == "trade_recorded") {
            const auto* data = m.if_contains("data");
            const std::string id = data && data->is_object() && data->as_object().if_contains("position_id")
                                       ? text(data->at("position_id"))
                                       : std::string();
            // Once, plus at most one correction ("detail":"corrected", same trade) of a close
            // first recorded from a flat position report.
            const bool corrected = data && data->is_object() && data->as_object().if_contains("detail") &&
                                   text(data->at("detail")) == "corrected";
            auto& n = corrected ? corrections_[id] : trades_[id];
            if (!id.empty() && ++n == 2)
                note(fmt::format("trade_recorded{} pushed twice for {}", corrected ? " (corrected)" : "", id));
            if (corrected && !id.empty() && trades_[id] == 0) note("a trade correction pushed before the trade, for " + id);
        }
    }
    void note(std::string v) {
        if (violations_.size() < 50) violations_.push_back(std::move(v));
    }
    std::vector<std::string> violations() const { return violations_; }
    std::size_t events() const { return events_; }
    std::set<std::string> closed_positions() const { return closed_; }

private:
    std::set<std::string> closed_;
    std::map<std::string, std::int64_t> last_;
    std::map<std::string, int> trades_;
    std::map<std::string, int> corrections_;
    std::vector<std::string> violations_;
    std::size_t events_ = 0;
};

}  // namespace traded::soak
