#include "exchange/binance/port_logic.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace traded::binance::logic {

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

namespace {

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

/// A YAML scalar on one line: quoted ('...' or "..."), or plain with an optional # comment.
std::optional<std::string> scalar(std::string v) {
    v = trim(std::move(v));
    if (v.empty()) return std::string{};
    if (v.front() == '"' || v.front() == '\'') {
        const char q = v.front();
        const auto end = v.find(q, 1);
        if (end == std::string::npos) return std::nullopt;
        std::string rest = trim(v.substr(end + 1));
        if (!rest.empty() && rest.front() != '#') return std::nullopt;
        return v.substr(1, end - 1);
    }
    const auto hash = v.find(" #");
    if (hash != std::string::npos) v = trim(v.substr(0, hash));
    return v;
}

credentials fail(std::string code, std::string message) {
    credentials c;
    c.code = std::move(code);
    c.message = std::move(message);
    return c;
}

}  // namespace

credentials parse_credentials_text(const std::string& text, const std::string& path) {
    credentials c;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty() || t.front() == '#' || t == "---") continue;
        const auto colon = t.find(':');
        if (colon == std::string::npos)
            return fail("CREDENTIALS_FILE_INVALID", path + ":" + std::to_string(n) + ": expected 'key: value'");
        const std::string key = trim(t.substr(0, colon));
        auto value = scalar(t.substr(colon + 1));
        // Messages name the line, never its text: a malformed line may be a secret pasted in the
        // wrong place ("api_secret abc:def..."), and these messages reach the log and the API.
        const bool known = key == "api_key" || key == "api_secret";
        if (!known)
            return fail("CREDENTIALS_FILE_INVALID",
                        path + ":" + std::to_string(n) + ": unknown key (expected api_key or api_secret)");
        if (!value)
            return fail("CREDENTIALS_FILE_INVALID", path + ":" + std::to_string(n) + ": malformed value of " + key);
        (key == "api_key" ? c.api_key : c.api_secret) = *value;
    }
    if (c.api_key.empty() || c.api_secret.empty())
        return fail("MISSING_CREDENTIALS",
                    path + ": " + (c.api_key.empty() ? std::string("api_key") : std::string("api_secret")) + " is missing or empty");
    c.source = "file " + path;
    return c;
}

credentials load_credentials(const config::exchange_config& cfg, const env_reader& env) {
    if (!cfg.credentials_file.empty()) {
        const std::string& path = cfg.credentials_file;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return fail("MISSING_CREDENTIALS", "exchange.credentials_file: cannot read " + path);
        if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
            return fail("CREDENTIALS_FILE_INSECURE",
                        "exchange.credentials_file: " + path + " may be read by other users; run chmod 600 " + path);
        std::ifstream f(path);
        if (!f) return fail("MISSING_CREDENTIALS", "exchange.credentials_file: cannot read " + path);
        std::stringstream ss;
        ss << f.rdbuf();
        return parse_credentials_text(ss.str(), path);
    }
    // systemd credentials (LoadCredential=binance:FILE): the file, under $CREDENTIALS_DIRECTORY,
    // readable by this service alone.
    if (auto dir = env("CREDENTIALS_DIRECTORY"); dir && !dir->empty()) {
        const std::string path = *dir + "/binance";
        std::ifstream f(path);
        if (f) {
            std::stringstream ss;
            ss << f.rdbuf();
            auto c = parse_credentials_text(ss.str(), path);
            if (c.ok()) c.source = "systemd credential binance";
            return c;
        }
    }
    auto key = env(cfg.api_key_env);
    auto secret = env(cfg.api_secret_env);
    if (!key || key->empty() || !secret || secret->empty()) {
        std::string missing;
        if (!key || key->empty()) missing = cfg.api_key_env;
        if (!secret || secret->empty()) missing += (missing.empty() ? "" : " and ") + cfg.api_secret_env;
        return fail("MISSING_CREDENTIALS", "no exchange API credentials: set the environment variable(s) " + missing +
                                               " or exchange.credentials_file");
    }
    credentials c;
    c.api_key = trim(*key);
    c.api_secret = trim(*secret);
    c.source = "environment (" + cfg.api_key_env + ", " + cfg.api_secret_env + ")";
    return c;
}

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

bool is_algo_client_id(const std::string& client_id) {
    auto parsed = engine::split_client_order_id(client_id);
    if (!parsed) return false;
    return parsed->second == engine::order_kind::take_profit || parsed->second == engine::order_kind::stop_loss ||
           parsed->second == engine::order_kind::floor_stop;
}

std::string fill_trade_id(const std::string& symbol, std::int64_t trade_id) {
    return symbol + ":" + std::to_string(trade_id);
}

namespace {

std::int64_t parse_id(const std::string& s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return 0;
    return v;
}

/// Commission in USDT; fees in another asset (BNB discount) are not convertible here.
bool ended(const std::string& status) {
    return status == "CANCELED" || status == "EXPIRED" || status == "EXPIRED_IN_MATCH" || status == "REJECTED";
}

}  // namespace

void order_tracker::output::append(output o) {
    for (auto& e : o.events) events.push_back(std::move(e));
    for (auto& c : o.need_trades)
        if (std::find(need_trades.begin(), need_trades.end(), c) == need_trades.end()) need_trades.push_back(std::move(c));
}

bool order_tracker::is_own(const std::string& client_id) const {
    return client_id.rfind(own_prefix_, 0) == 0 && engine::split_client_order_id(client_id).has_value();
}

tracked_order& order_tracker::begin(const std::string& client_id, const std::string& symbol, bool algo, decimal qty) {
    tracked_order& t = orders_[client_id];
    std::set<std::int64_t> retired = std::move(t.retired_ids);
    if (t.exchange_id != 0) retired.insert(t.exchange_id);
    if (t.child_id != 0) by_child_.erase(t.child_id);
    t = tracked_order{};
    t.client_id = client_id;
    t.symbol = symbol;
    t.algo = algo;
    t.qty = qty;
    t.retired_ids = std::move(retired);
    t.in_flight = true;
    touched_[client_id] = now_;
    return t;
}

tracked_order& order_tracker::adopt(const std::string& client_id, const std::string& symbol, bool algo) {
    auto it = orders_.find(client_id);
    if (it != orders_.end()) return it->second;
    tracked_order& t = orders_[client_id];
    t.client_id = client_id;
    t.symbol = symbol;
    t.algo = algo;
    touched_[client_id] = now_;
    return t;
}

tracked_order* order_tracker::find(const std::string& client_id) {
    auto it = orders_.find(client_id);
    return it == orders_.end() ? nullptr : &it->second;
}

const tracked_order* order_tracker::find(const std::string& client_id) const {
    auto it = orders_.find(client_id);
    return it == orders_.end() ? nullptr : &it->second;
}

tracked_order* order_tracker::find_by_child(std::int64_t order_id) {
    auto it = by_child_.find(order_id);
    return it == by_child_.end() ? nullptr : find(it->second);
}

order_tracker::output order_tracker::accept(tracked_order& t) {
    output out;
    t.in_flight = false;
    if (t.accepted_sent || t.final_sent) return out;
    t.accepted_sent = true;
    out.events.emplace_back(engine::order_accepted{t.client_id, t.exchange_id != 0 ? std::to_string(t.exchange_id) : ""});
    return out;
}

order_tracker::output order_tracker::fill(tracked_order& t, const std::string& trade_id, decimal qty, decimal price,
                                          const fee_paid& fee, std::int64_t exchange_id, bool exchange_says_done) {
    output out;
    if (!qty.is_positive() || t.trade_ids.count(trade_id) != 0) return out;
    touched_[t.client_id] = now_;
    t.trade_ids.insert(trade_id);
    t.filled += qty;
    if (t.exchange_filled < t.filled) t.exchange_filled = t.filled;
    if (exchange_says_done) t.final_status = "FILLED";
    const bool complete_status =
        t.final_status == "FILLED" || (t.final_status == "FINISHED" && t.qty.is_positive() && t.exchange_filled >= t.qty);
    const bool done = exchange_says_done || (complete_status && t.filled >= t.exchange_filled);
    engine::order_fill f;
    f.client_id = t.client_id;
    f.exchange_id = std::to_string(exchange_id != 0 ? exchange_id : t.exchange_id);
    f.trade_id = trade_id;
    f.qty = qty;
    f.price = price;
    f.fee = fee.usdt;
    f.fee_asset = fee.asset;
    f.fee_amount = fee.amount;
    f.order_done = done && !t.final_sent;
    if (done) t.final_sent = true;
    t.in_flight = false;
    out.events.emplace_back(std::move(f));
    out.append(maybe_finish(t));
    return out;
}

order_tracker::output order_tracker::maybe_finish(tracked_order& t) {
    output out;
    if (t.final_sent || t.final_status.empty()) return out;
    if (t.filled < t.exchange_filled) {
        // The exchange executed more than we have delivered: the end waits for those fills.
        out.need_trades.push_back(t.client_id);
        return out;
    }
    touched_[t.client_id] = now_;
    t.final_sent = true;
    t.in_flight = false;
    const bool complete = t.final_status == "FILLED" || (t.final_status == "FINISHED" && t.qty.is_positive() &&
                                                         t.filled >= t.qty);
    if (complete && t.filled.is_positive()) return out;  // the fills said it all
    if (t.final_status == "REJECTED" && !t.algo && t.filled.is_zero()) {
        out.events.emplace_back(engine::order_rejected{t.client_id, 0, "order rejected by the exchange"});
        return out;
    }
    // Canceled, expired, an algo order whose trigger was rejected, or finished short: the
    // engine re-places protection or re-reads the position as its rules say.
    out.events.emplace_back(engine::order_canceled{t.client_id});
    return out;
}

tracked_order* order_tracker::claim(const std::string& client_id, const std::string& symbol, bool algo,
                                    std::int64_t exchange_id) {
    tracked_order* t = find(client_id);
    if (t == nullptr) {
        if (!is_own(client_id)) return nullptr;
        t = &adopt(client_id, symbol, algo);
    }
    if (t->retired_ids.count(exchange_id) != 0) return nullptr;  // an earlier incarnation
    if (t->exchange_id != 0 && t->exchange_id != exchange_id) return nullptr;
    t->exchange_id = exchange_id;
    t->in_flight = false;
    return t;
}

order_tracker::output order_tracker::on_order_info(const binance::order_info& o) {
    output out;
    tracked_order* t = claim(o.client_order_id, o.symbol, false, o.order_id);
    if (t == nullptr) return out;
    if (t->exchange_filled < o.executed_qty) t->exchange_filled = o.executed_qty;
    if (o.status != "REJECTED") out.append(accept(*t));
    if (o.status == "FILLED" || ended(o.status)) {
        if (t->final_status.empty() || t->final_status == "FILLED") t->final_status = o.status;
        out.append(maybe_finish(*t));
    }
    return out;
}

order_tracker::output order_tracker::on_algo_info(const binance::algo_order_info& a) {
    output out;
    tracked_order* t = claim(a.client_algo_id, a.symbol, true, a.algo_id);
    if (t == nullptr) return out;
    if (!t->qty.is_positive()) t->qty = a.quantity;
    const std::int64_t child = parse_id(a.actual_order_id);
    if (child != 0 && t->child_id != child) {
        t->child_id = child;
        by_child_[child] = t->client_id;
    }
    using binance::algo_status;
    switch (a.status) {
        case algo_status::new_:
        case algo_status::triggering:
        case algo_status::triggered: out.append(accept(*t)); break;
        case algo_status::finished:
            out.append(accept(*t));
            if (t->exchange_filled < a.actual_qty) t->exchange_filled = a.actual_qty;
            t->final_status = "FINISHED";
            out.append(maybe_finish(*t));
            break;
        case algo_status::canceled:
        case algo_status::expired:
        case algo_status::rejected:
            t->final_status = std::string(binance::to_string(a.status));
            out.append(maybe_finish(*t));
            break;
        case algo_status::unknown: break;
    }
    // Child updates that arrived before we knew the child's id.
    if (child != 0) {
        auto range = orphans_.equal_range(child);
        std::vector<binance::order_trade_update> held;
        for (auto it = range.first; it != range.second; ++it) held.push_back(it->second.update);
        orphans_.erase(range.first, range.second);
        for (const auto& u : held) out.append(apply_child_update(*t, u));
    }
    return out;
}

order_tracker::output order_tracker::on_gone(const std::string& client_id) {
    output out;
    tracked_order* t = find(client_id);
    if (t == nullptr) t = &adopt(client_id, "", is_algo_client_id(client_id));
    t->in_flight = false;
    if (t->final_status.empty() || t->final_status == "FINISHED") t->final_status = "CANCELED";
    out.append(maybe_finish(*t));
    return out;
}

order_tracker::output order_tracker::on_rejected(const std::string& client_id, int code, const std::string& message) {
    output out;
    tracked_order* t = find(client_id);
    if (t != nullptr) {
        if (t->final_sent) return out;
        t->final_sent = true;
        t->in_flight = false;
        t->final_status = "REJECTED";
    }
    out.events.emplace_back(engine::order_rejected{client_id, code, message});
    return out;
}

order_tracker::output order_tracker::on_trades(const std::string& client_id,
                                               const std::vector<binance::user_trade>& trades) {
    output out;
    tracked_order* t = find(client_id);
    if (t == nullptr) return out;
    std::vector<binance::user_trade> sorted = trades;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    for (const auto& tr : sorted) {
        const std::int64_t expected = t->algo ? t->child_id : t->exchange_id;
        if (expected != 0 && tr.order_id != expected) continue;
        const std::string sym = tr.symbol.empty() ? t->symbol : tr.symbol;
        out.append(fill(*t, fill_trade_id(sym, tr.id), tr.qty, tr.price, fee_of(tr.commission_asset, tr.commission),
                        t->algo ? t->exchange_id : tr.order_id, false));
    }
    out.append(maybe_finish(*t));
    return out;
}

order_tracker::output order_tracker::apply_child_update(tracked_order& t, const binance::order_trade_update& u) {
    output out;
    if (t.child_id == 0) {
        t.child_id = u.order_id;
        by_child_[u.order_id] = t.client_id;
    }
    if (t.exchange_filled < u.cum_filled_qty) t.exchange_filled = u.cum_filled_qty;
    if (u.is_fill())
        out.append(fill(t, fill_trade_id(u.symbol, u.trade_id), u.last_filled_qty, u.last_filled_price,
                        fee_of(u.commission_asset, u.commission), t.exchange_id, u.order_status == "FILLED"));
    if (u.order_status == "FILLED") {
        t.final_status = "FILLED";
        out.append(maybe_finish(t));
    } else if (ended(u.order_status)) {
        // The triggered order ended in the matching engine: the algo order is finished.
        t.final_status = "FINISHED";
        out.append(maybe_finish(t));
    }
    return out;
}

order_tracker::output order_tracker::on_order_update(const binance::order_trade_update& u, std::int64_t now) {
    now_ = now;
    output out;
    tracked_order* t = find(u.client_order_id);
    if (t == nullptr && is_own(u.client_order_id)) t = &adopt(u.client_order_id, u.symbol, is_algo_client_id(u.client_order_id));
    if (t != nullptr && t->algo) return apply_child_update(*t, u);  // the child carries the algo id
    if (t == nullptr) {
        if (tracked_order* parent = find_by_child(u.order_id)) return apply_child_update(*parent, u);
        // The exchange closing the position itself: never an algo child, record it at once.
        if (is_forced_close_id(u.client_order_id)) {
            if (u.is_fill()) out.events.emplace_back(external_fill_of(u, fee_of(u.commission_asset, u.commission)));
            return out;
        }
        // Not ours by client id and no known parent yet: perhaps a child whose ALGO_UPDATE is
        // still on its way. Hold it; anything else (manual orders, liquidations) expires.
        orphans_.emplace(u.order_id, orphan{u, now});
        return out;
    }
    touched_[t->client_id] = now;
    const bool current = !t->retired_ids.count(u.order_id) && (t->exchange_id == 0 || t->exchange_id == u.order_id);
    if (current && t->exchange_id == 0) {
        t->exchange_id = u.order_id;
        t->in_flight = false;
    }
    if (current && t->exchange_filled < u.cum_filled_qty) t->exchange_filled = u.cum_filled_qty;
    if (u.is_fill())
        out.append(fill(*t, fill_trade_id(u.symbol, u.trade_id), u.last_filled_qty, u.last_filled_price,
                        fee_of(u.commission_asset, u.commission), u.order_id, current && u.order_status == "FILLED"));
    if (!current) return out;  // fills of an earlier incarnation count; its end does not
    if (u.order_status == "NEW" || u.order_status == "PARTIALLY_FILLED") {
        out.append(accept(*t));
    } else if (u.order_status == "FILLED" || ended(u.order_status)) {
        if (u.order_status != "REJECTED") out.append(accept(*t));
        if (t->final_status.empty() || t->final_status == "FILLED") t->final_status = u.order_status;
        out.append(maybe_finish(*t));
    }
    return out;
}

order_tracker::output order_tracker::on_algo_update(const binance::algo_update& u) {
    binance::algo_order_info a;
    a.algo_id = u.algo_id;
    a.client_algo_id = u.client_algo_id;
    a.algo_type = u.algo_type;
    a.order_type = u.order_type;
    a.symbol = u.symbol;
    a.side = u.side;
    a.status_text = u.status_text;
    a.status = u.status;
    a.quantity = u.qty;
    a.trigger_price = u.trigger_price;
    a.actual_order_id = u.actual_order_id;
    a.actual_qty = u.executed_qty;
    a.actual_price = u.avg_price;
    return on_algo_info(a);
}

std::size_t order_tracker::expire_orphans(std::int64_t now, std::int64_t max_age_ms) {
    std::size_t n = 0;
    for (auto it = orphans_.begin(); it != orphans_.end();) {
        if (now - it->second.at > max_age_ms) {
            it = orphans_.erase(it);
            ++n;
        } else {
            ++it;
        }
    }
    return n;
}

order_tracker::output order_tracker::release_foreign(std::int64_t now, std::int64_t hold_ms) {
    output out;
    for (auto it = orphans_.begin(); it != orphans_.end();) {
        const auto& u = it->second.update;
        if (u.is_fill() && now - it->second.at >= hold_ms) {
            out.events.emplace_back(external_fill_of(u, fee_of(u.commission_asset, u.commission)));
            it = orphans_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::set<std::string> order_tracker::held_fill_symbols() const {
    std::set<std::string> out;
    for (const auto& [id, o] : orphans_)
        if (o.update.is_fill()) out.insert(o.update.symbol);
    return out;
}

std::vector<std::string> order_tracker::unresolved_algos(const std::string& symbol) const {
    std::vector<std::string> out;
    for (const auto& [cid, t] : orders_)
        if (t.algo && t.symbol == symbol && !t.final_sent && t.child_id == 0) out.push_back(cid);
    return out;
}

std::set<std::int64_t> order_tracker::own_order_ids() const {
    std::set<std::int64_t> out;
    for (const auto& [cid, t] : orders_) {
        if (t.exchange_id != 0) out.insert(t.exchange_id);
        if (t.child_id != 0) out.insert(t.child_id);
        out.insert(t.retired_ids.begin(), t.retired_ids.end());
    }
    for (const auto& [child, cid] : by_child_) out.insert(child);
    return out;
}

void order_tracker::set_fee_price(const std::string& asset, decimal usdt_price) {
    if (!usdt_price.is_positive()) return;
    fee_prices_[asset] = usdt_price;
    missing_fee_assets_.erase(asset);
}

fee_paid order_tracker::fee_of(const std::string& asset, decimal amount) {
    return fee_paid{usdt_fee(asset, amount), asset.empty() ? std::string("USDT") : asset, amount};
}

decimal order_tracker::usdt_fee(const std::string& asset, decimal amount) {
    if (asset.empty() || asset == "USDT") return amount;
    auto it = fee_prices_.find(asset);
    if (it == fee_prices_.end()) {
        if (!amount.is_zero()) missing_fee_assets_.insert(asset);
        return decimal{};
    }
    return amount * it->second;
}

ban_verdict on_ban(const std::string& client_id, const std::map<std::string, engine::position>& positions,
                   const std::map<std::string, engine::order_record>& orders) {
    const auto parsed = engine::split_client_order_id(client_id);
    if (!parsed) return ban_verdict::wait;
    switch (parsed->second) {
        case engine::order_kind::entry: return ban_verdict::reject;
        case engine::order_kind::close: return ban_verdict::wait;
        default: break;
    }
    const auto o = orders.find(client_id);
    if (o == orders.end()) return ban_verdict::wait;
    const auto p = positions.find(o->second.position_id);
    if (p == positions.end() || p->second.status != engine::position_status::open) return ban_verdict::wait;
    for (const auto& [cid, other] : orders) {
        if (cid == client_id || other.position_id != o->second.position_id) continue;
        const bool stop = other.kind == engine::order_kind::stop_loss || other.kind == engine::order_kind::floor_stop;
        const bool resting = other.status == engine::order_status::accepted ||
                             other.status == engine::order_status::partially_filled;
        if (stop && resting) return ban_verdict::wait;  // protected until the ban ends
    }
    return ban_verdict::escalate;
}

std::vector<foreign_position> untracked_positions(const std::vector<binance::position_row>& rows,
                                                  const std::map<std::string, engine::position>& positions,
                                                  std::int64_t read_at) {
    std::map<std::string, foreign_position> by_symbol;  // hedge mode: LONG and SHORT rows add up
    for (const auto& row : rows) {
        if (row.amount.is_zero()) continue;
        auto& f = by_symbol[row.symbol];
        f.symbol = row.symbol;
        f.amount += row.amount;
        f.entry_price = row.entry_price;
    }
    std::vector<foreign_position> out;
    for (auto& [symbol, f] : by_symbol) {
        if (f.amount.is_zero()) continue;
        bool owned = false;
        for (const auto& [id, p] : positions) {
            const bool terminal =
                p.status == engine::position_status::closed || p.status == engine::position_status::failed;
            if (p.symbol == symbol && (!terminal || p.updated_at >= read_at - 1'000)) owned = true;
        }
        if (!owned) out.push_back(std::move(f));
    }
    return out;
}

bool is_forced_close_id(const std::string& client_id) {
    return client_id.rfind("autoclose-", 0) == 0 || client_id == "adl_autoclose" ||
           client_id.rfind("settlement_autoclose-", 0) == 0;
}

namespace {
/// One fill of an order traded did not place, from the exchange's own numbers (stream or userTrades).
engine::external_fill foreign_fill(const std::string& symbol, const std::string& side, std::int64_t trade_id,
                                   std::int64_t order_id, decimal qty, decimal price, const fee_paid& fee) {
    engine::external_fill f;
    f.symbol = symbol;
    f.side = side == "BUY" ? engine::order_side::buy : engine::order_side::sell;
    f.trade_id = fill_trade_id(symbol, trade_id);
    f.exchange_id = std::to_string(order_id);
    f.qty = qty;
    f.price = price;
    f.fee = fee.usdt;
    f.fee_asset = fee.asset;
    f.fee_amount = fee.amount;
    return f;
}
}  // namespace

engine::external_fill external_fill_of(const binance::order_trade_update& u, const fee_paid& fee) {
    return foreign_fill(u.symbol, u.side, u.trade_id, u.order_id, u.last_filled_qty, u.last_filled_price, fee);
}

std::vector<engine::external_fill> foreign_trades(const std::vector<binance::user_trade>& trades,
                                                  const std::set<std::int64_t>& own_order_ids, std::int64_t since_ms,
                                                  const std::function<fee_paid(const std::string&, decimal)>& fee_of) {
    std::vector<binance::user_trade> sorted = trades;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    std::vector<engine::external_fill> out;
    for (const auto& t : sorted) {
        if (own_order_ids.count(t.order_id) != 0 || t.time < since_ms || !t.qty.is_positive() || t.symbol.empty())
            continue;
        out.push_back(foreign_fill(t.symbol, t.side, t.id, t.order_id, t.qty, t.price,
                                   fee_of(t.commission_asset, t.commission)));
    }
    return out;
}

void order_tracker::prune(std::int64_t before) {
    for (auto it = orders_.begin(); it != orders_.end();) {
        auto touched = touched_.find(it->first);
        const bool old = touched == touched_.end() || touched->second < before;
        if (it->second.final_sent && !it->second.in_flight && old) {
            if (it->second.child_id != 0) by_child_.erase(it->second.child_id);
            touched_.erase(it->first);
            it = orders_.erase(it);
        } else {
            ++it;
        }
    }
}

bool is_not_found(int code) { return code == -2013 || code == -2011; }

std::int64_t not_found_final_at(std::int64_t latest_write_ms, std::int64_t recv_window_ms, std::int64_t clock_offset_ms,
                                std::int64_t margin_ms) {
    // The measured offset is how far our clock is from the exchange's; its error is unknown, so
    // the whole of it is added as the uncertainty (a large offset is a poorly known one).
    const std::int64_t offset = clock_offset_ms < 0 ? -clock_offset_ms : clock_offset_ms;
    return latest_write_ms + std::max<std::int64_t>(0, recv_window_ms) + offset + std::max<std::int64_t>(0, margin_ms);
}

std::int64_t entry_not_found_final_at(std::int64_t decided_at_ms, std::int64_t recv_window_ms,
                                      std::int64_t clock_offset_ms) {
    return not_found_final_at(decided_at_ms + entry_write_bound_ms, recv_window_ms, clock_offset_ms);
}

std::vector<std::string> revive_candidates(const std::vector<exchange_amount>& exchange,
                                           const std::map<std::string, engine::position>& positions,
                                           const std::map<std::string, engine::order_record>& orders,
                                           std::int64_t now_ms, std::int64_t max_age_ms) {
    std::map<std::string, decimal> amounts;
    for (const auto& x : exchange) amounts[x.symbol] += x.amount;
    std::vector<std::pair<std::int64_t, std::string>> found;  // (opened_at, client id)
    for (const auto& [symbol, amount] : amounts) {
        if (amount.is_zero()) continue;
        bool owned = false;
        for (const auto& [id, p] : positions)
            if (p.symbol == symbol && p.status != engine::position_status::closed &&
                p.status != engine::position_status::failed)
                owned = true;
        if (owned) continue;  // a live position of ours explains (or will explain) it
        const engine::side side = amount.is_positive() ? engine::side::long_side : engine::side::short_side;
        for (const auto& [id, p] : positions) {
            if (p.symbol != symbol || p.status != engine::position_status::failed || p.pos_side != side) continue;
            if (p.opened_at < now_ms - max_age_ms) continue;
            const std::string cid = engine::client_order_id(p.position_id, engine::order_kind::entry);
            auto o = orders.find(cid);
            // A fill the engine saw would have opened the position: only unseen executions.
            if (o != orders.end() && o->second.filled_qty.is_positive()) continue;
            found.emplace_back(p.opened_at, cid);
        }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
}

}  // namespace traded::binance::logic
