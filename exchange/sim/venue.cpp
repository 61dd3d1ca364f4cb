// The venue's plumbing: routing, authentication (API key, HMAC signature, timestamp window),
// rate-limit accounting, fault injection, and turning matching-model events into Binance
// user-data and market events. REST handlers are in venue_rest.cpp, admin in venue_admin.cpp.

#include "exchange/sim/venue.hpp"

#include "exchange/binance/sign.hpp"
#include "exchange/sim/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace traded::sim {

namespace json = boost::json;

namespace {

constexpr int weight_limit_1m = 2400;

std::vector<engine::symbol_info> symbol_infos(const sim_config& cfg) {
    std::vector<engine::symbol_info> out;
    for (const auto& s : cfg.symbols) out.push_back({s.symbol, s.tick_size, s.step_size, s.min_qty, s.min_notional});
    return out;
}

std::map<std::string, decimal> start_prices(const sim_config& cfg) {
    std::map<std::string, decimal> out;
    for (const auto& s : cfg.symbols) out[s.symbol] = s.start_price;
    return out;
}

http_response error_response(unsigned status, int code, const std::string& msg) {
    http_response r;
    r.status = status;
    r.body = json::serialize(json::object{{"code", code}, {"msg", msg}});
    return r;
}

bool is_api_key_format(const std::string& key) {
    return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char ch) {
               return std::isalnum(static_cast<unsigned char>(ch)) != 0;
           });
}

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

}  // namespace

std::optional<std::string> venue::call::get(const std::string& key) const {
    auto it = params.find(key);
    if (it == params.end()) return std::nullopt;
    return it->second;
}

venue::account_state::account_state(const account_config& c, const std::vector<engine::symbol_info>& symbols)
    : cfg(c), book(paper::account_config{c.starting_balance, c.taker_fee, c.slippage_bps, c.leverage}, symbols) {}

venue::venue(sim_config cfg, millis wall_now)
    : cfg_(std::move(cfg)),
      feed_(cfg_.prices.seed, cfg_.prices.volatility_bps, symbol_infos(cfg_), start_prices(cfg_)),
      rng_(std::random_device{}()) {
    for (const auto& s : cfg_.symbols) {
        auto q = feed_.current(s.symbol);
        if (!q) continue;
        q->ts = wall_now;
        quotes_[s.symbol] = *q;
    }
    reset_accounts();
}

void venue::reset_accounts() {
    accounts_.clear();
    accounts_.reserve(cfg_.accounts.size());
    const auto infos = symbol_infos(cfg_);
    for (const auto& a : cfg_.accounts) {
        accounts_.emplace_back(a, infos);
        for (const auto& [sym, q] : quotes_) accounts_.back().book.on_quote(sym, q, q.ts);
    }
}

std::size_t venue::index_of(const account_state& a) const { return static_cast<std::size_t>(&a - accounts_.data()); }

const symbol_config* venue::symbol(const std::string& name) const {
    for (const auto& s : cfg_.symbols)
        if (s.symbol == name) return &s;
    return nullptr;
}

bool venue::has_symbol(const std::string& name) const { return symbol(name) != nullptr; }

bool venue::listen_key_active(const std::string& key) const {
    if (key.empty()) return false;
    for (const auto& a : accounts_)
        if (a.listen_key == key) return true;
    return false;
}

std::string venue::generate_id(std::size_t length) {
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    out.reserve(length);
    for (std::size_t i = 0; i < length; ++i) out.push_back(alphabet[rng_() % (sizeof(alphabet) - 1)]);
    return out;
}

outbox venue::take_outbox() {
    outbox o = std::move(out_);
    out_ = outbox{};
    return o;
}

// ------------------------------------------------------------------------------------------------
// Requests

http_response venue::handle(const http_request& req, millis wall_now) {
    http_response resp = dispatch(req, wall_now);
    const bool admin_path = req.target == "/admin" || req.target.starts_with("/admin/");
    const bool has_weight = std::any_of(resp.headers.begin(), resp.headers.end(),
                                        [](const auto& h) { return h.first == "X-MBX-USED-WEIGHT-1M"; });
    if (!admin_path && !has_weight) {
        // Every answer carries the IP's used weight, refusals included.
        const bool same_window = server_time(wall_now) / 60000 == weight_window_;
        resp.headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(same_window ? used_weight_ : 0));
    }
    resp.headers.emplace_back("Content-Type", "application/json");
    return resp;
}

http_response venue::handle_held(const http_request& req, millis wall_now) {
    executing_held_ = true;
    http_response resp = handle(req, wall_now);
    executing_held_ = false;
    return resp;
}

const std::vector<venue::route>& venue::routes() {
    using s = security;
    static const std::vector<route> table{
        {"GET", "/fapi/v1/ping", s::none, 1, 1, false, &venue::get_ping},
        {"GET", "/fapi/v1/time", s::none, 1, 1, false, &venue::get_time},
        {"GET", "/fapi/v1/exchangeInfo", s::none, 1, 1, false, &venue::get_exchange_info},
        {"GET", "/fapi/v1/premiumIndex", s::none, 1, 10, false, &venue::get_premium_index},
        {"GET", "/fapi/v1/ticker/bookTicker", s::none, 2, 5, false, &venue::get_book_ticker},
        {"POST", "/fapi/v1/order", s::signed_, 0, 0, true, &venue::post_order},
        {"GET", "/fapi/v1/order", s::signed_, 1, 1, false, &venue::get_order},
        {"DELETE", "/fapi/v1/order", s::signed_, 1, 1, true, &venue::delete_order},
        {"GET", "/fapi/v1/openOrders", s::signed_, 1, 40, false, &venue::get_open_orders},
        {"DELETE", "/fapi/v1/allOpenOrders", s::signed_, 1, 1, true, &venue::delete_all_open_orders},
        {"POST", "/fapi/v1/algoOrder", s::signed_, 0, 0, true, &venue::post_algo_order},
        {"GET", "/fapi/v1/algoOrder", s::signed_, 1, 1, false, &venue::get_algo_order},
        {"DELETE", "/fapi/v1/algoOrder", s::signed_, 1, 1, true, &venue::delete_algo_order},
        {"GET", "/fapi/v1/openAlgoOrders", s::signed_, 1, 40, false, &venue::get_open_algo_orders},
        {"GET", "/fapi/v1/allAlgoOrders", s::signed_, 5, 5, false, &venue::get_all_algo_orders},
        {"DELETE", "/fapi/v1/algoOpenOrders", s::signed_, 1, 1, true, &venue::delete_algo_open_orders},
        {"GET", "/fapi/v2/positionRisk", s::signed_, 5, 5, false, &venue::get_position_risk_v2},
        {"GET", "/fapi/v3/positionRisk", s::signed_, 5, 5, false, &venue::get_position_risk_v3},
        {"GET", "/fapi/v2/balance", s::signed_, 5, 5, false, &venue::get_balance},
        {"GET", "/fapi/v3/balance", s::signed_, 5, 5, false, &venue::get_balance},
        {"GET", "/fapi/v2/account", s::signed_, 5, 5, false, &venue::get_account_v2},
        {"GET", "/fapi/v3/account", s::signed_, 5, 5, false, &venue::get_account_v3},
        {"POST", "/fapi/v1/leverage", s::signed_, 1, 1, false, &venue::post_leverage},
        {"POST", "/fapi/v1/marginType", s::signed_, 1, 1, false, &venue::post_margin_type},
        {"GET", "/fapi/v1/positionSide/dual", s::signed_, 30, 30, false, &venue::get_dual_side},
        {"POST", "/fapi/v1/positionSide/dual", s::signed_, 1, 1, false, &venue::post_dual_side},
        {"GET", "/fapi/v1/symbolConfig", s::signed_, 5, 5, false, &venue::get_symbol_config},
        {"GET", "/fapi/v1/accountConfig", s::signed_, 5, 5, false, &venue::get_account_config},
        {"GET", "/fapi/v1/userTrades", s::signed_, 5, 5, false, &venue::get_user_trades},
        {"POST", "/fapi/v1/listenKey", s::user_stream, 1, 1, false, &venue::post_listen_key},
        {"PUT", "/fapi/v1/listenKey", s::user_stream, 1, 1, false, &venue::put_listen_key},
        {"DELETE", "/fapi/v1/listenKey", s::user_stream, 1, 1, false, &venue::delete_listen_key},
    };
    return table;
}

std::optional<venue::fault> venue::take_fault(const std::string& kind, const std::string& path, millis now) {
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->kind != kind || (!it->path.empty() && it->path != path)) continue;
        if (it->until != 0 && now >= it->until) continue;
        fault f = *it;
        if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
        return f;
    }
    return std::nullopt;
}

bool venue::take_reduce_only_fault(const std::string& endpoint) {
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->kind != "err_2022" || (it->scope != endpoint && it->scope != "any")) continue;
        if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
        return true;
    }
    return false;
}

http_response venue::dispatch(const http_request& req, millis wall_now) {
    const auto qpos = req.target.find('?');
    call c;
    c.req = &req;
    c.path = req.target.substr(0, qpos);
    c.query = qpos == std::string::npos ? std::string() : req.target.substr(qpos + 1);
    c.now = server_time(wall_now);

    if (c.path == "/admin" || c.path.starts_with("/admin/")) return admin(req, c.path, wall_now);

    const route* r = nullptr;
    for (const auto& candidate : routes())
        if (c.path == candidate.path && req.method == candidate.method) r = &candidate;
    if (r == nullptr)
        return error_response(404, -5000, fmt::format("Path {}, Method {} is invalid", c.path, req.method));

    // Bans and limits come first: the real exchange refuses before it reads the request.
    if (auto f = take_fault("http_418", c.path, c.now)) {
        const millis until = f->until != 0 ? f->until : c.now + f->retry_after_s * 1000LL;
        auto resp = error_response(418, -1003,
                                   fmt::format("Way too many requests; IP banned until {}. Please use the websocket for "
                                               "live updates to avoid bans.",
                                               until));
        resp.headers.emplace_back("Retry-After", std::to_string(std::max<millis>((until - c.now + 999) / 1000, 1)));
        add_rate_headers(resp, c);
        return resp;
    }
    if (auto f = take_fault("http_429", c.path, c.now)) {
        auto resp = error_response(429, -1003,
                                   "Too many requests; current limit is 2400 requests per minute. Please use the "
                                   "websocket for live updates to avoid polling the API.");
        resp.headers.emplace_back("Retry-After", std::to_string(f->retry_after_s));
        add_rate_headers(resp, c);
        return resp;
    }

    // Parameters: query string, plus the body when it is a form. The query wins on duplicates.
    auto query = parse_form(c.query);
    if (query.code != 0) return error_response(400, query.code, query.message);
    const bool form_body = req.content_type.starts_with("application/x-www-form-urlencoded");
    if (form_body) {
        auto body = parse_form(req.body);
        if (body.code != 0) return error_response(400, body.code, body.message);
        for (auto& p : body.params) c.params[p.key] = std::move(p.value);
    }
    for (auto& p : query.params) c.params[p.key] = std::move(p.value);

    const int weight = c.params.count("symbol") ? r->weight : r->weight_without_symbol;
    const std::int64_t window = c.now / 60000;
    if (window != weight_window_) {
        weight_window_ = window;
        used_weight_ = 0;
    }
    used_weight_ += weight;

    http_response resp;
    if (used_weight_ > weight_limit_1m) {
        resp = error_response(429, -1003,
                              "Too many requests; current limit is 2400 requests per minute. Please use the websocket "
                              "for live updates to avoid polling the API.");
        resp.headers.emplace_back("Retry-After", std::to_string((window + 1) * 60 - c.now / 1000));
    } else if (auto denied = authenticate(c, *r)) {
        resp = std::move(*denied);
    } else if (std::optional<fault> h;
               r->order_endpoint && req.method == "POST" && !executing_held_ && (h = take_fault("hold", c.path, c.now))) {
        // A slow exchange: the request arrived in time and is executed N ms later, whether or not
        // the client is still connected then. Logged in the order log when it executes.
        http_response held;
        held.hold_ms = h->ms;
        held.drop_answer = h->drop_answer;
        return held;
    } else if (r->order_endpoint && req.method == "POST" && !executing_held_ &&
               take_fault("unknown_503_unexecuted", c.path, c.now)) {
        // Binance's "execution status unknown" 503 for an order that was in fact never placed:
        // the client has to look it up, find nothing, and send it again.
        resp = error_response(503, -1000, "An unknown error occured while processing the request.");
        c.fault_applied = "unknown_503_unexecuted";
    } else {
        if (executing_held_) c.fault_applied = "hold";
        resp = (this->*(r->fn))(c);
        if (r->order_endpoint && req.method == "POST" && resp.status == 200) {
            if (take_fault("unknown_503", c.path, c.now)) {
                // The order stands; only the answer is lost, as with Binance's "execution status
                // unknown" 503. The client has to look the order up by its client id.
                resp = error_response(503, -1000, "An unknown error occured while processing the request.");
                c.fault_applied = "unknown_503";
            }
        }
        if (auto f = take_fault("timeout", c.path, c.now)) {
            resp.delay_ms = f->ms;
            c.fault_applied = c.fault_applied.empty() ? "timeout" : c.fault_applied + ",timeout";
        }
    }
    add_rate_headers(resp, c);

    if (r->order_endpoint) {
        order_log_entry e;
        e.seq = next_log_seq_++;
        e.time = c.now;
        e.account = c.acct ? c.acct->cfg.name : std::string();
        e.method = req.method;
        e.path = c.path;
        for (const auto& [k, v] : c.params)
            if (k != "signature" && k != "timestamp" && k != "recvWindow") e.params[k] = v;
        e.http_status = resp.status;
        e.id = c.log_id;
        e.fault = c.fault_applied;
        if (resp.status != 200 || c.fault_applied.find("unknown_503") != std::string::npos) {
            boost::system::error_code ec;
            auto v = json::parse(resp.body, ec);
            if (!ec && v.is_object()) {
                if (auto* code = v.as_object().if_contains("code"); code && code->is_int64())
                    e.code = static_cast<int>(code->as_int64());
                if (auto* msg = v.as_object().if_contains("msg"); msg && msg->is_string())
                    e.msg = std::string(msg->as_string());
            }
        }
        order_log_.push_back(std::move(e));
    }
    return resp;
}

std::optional<http_response> venue::authenticate(call& c, const route& r) {
    if (r.sec == security::none) return std::nullopt;
    const auto& key = c.req->api_key;
    if (!key || key->empty()) return error_response(401, -2014, "API-key format invalid.");
    for (auto& a : accounts_)
        if (a.cfg.api_key == *key) {
            c.acct = &a;
            c.acct_index = index_of(a);
        }
    if (c.acct == nullptr) {
        if (!is_api_key_format(*key)) return error_response(401, -2014, "API-key format invalid.");
        return error_response(401, -2015, "Invalid API-key, IP, or permissions for action.");
    }
    if (r.sec == security::user_stream) return std::nullopt;

    auto mandatory = [](const char* name) {
        return error_response(400, -1102,
                              fmt::format("Mandatory parameter '{}' was not sent, was empty/null, or malformed.", name));
    };
    auto ts_raw = c.get("timestamp");
    if (!ts_raw || ts_raw->empty()) return mandatory("timestamp");
    auto ts = parse_long(*ts_raw);
    if (!ts) return mandatory("timestamp");
    auto sig = c.get("signature");
    if (!sig || sig->empty()) return mandatory("signature");

    const bool form_body = c.req->content_type.starts_with("application/x-www-form-urlencoded");
    auto split = split_signature(c.query, form_body ? std::string_view(c.req->body) : std::string_view());
    const std::string expected = binance::hmac_sha256_hex(c.acct->cfg.api_secret, split.payload);
    if (!split.signature || !split.last || !signature_matches(expected, *split.signature))
        return error_response(400, -1022, "Signature for this request is not valid.");

    std::int64_t recv_window = 5000;
    if (auto rw = c.get("recvWindow")) {
        auto v = parse_long(*rw);
        if (!v || *v < 0)
            return error_response(400, -1100,
                                  "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'.");
        if (*v > 60000) return error_response(400, -1130, "Data sent for parameter 'recvWindow' is not valid.");
        recv_window = *v;
    }
    // A held request passed this check when it arrived.
    switch (executing_held_ ? timestamp_verdict::ok : check_timestamp(*ts, c.now, recv_window)) {
        case timestamp_verdict::ok: break;
        case timestamp_verdict::ahead:
            return error_response(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
        case timestamp_verdict::outside_window:
            return error_response(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    if (take_fault("err_1021", c.path, c.now)) {
        c.fault_applied = "err_1021";
        return error_response(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    return std::nullopt;
}

bool venue::count_order(account_state& a, millis now) {
    const std::int64_t w10 = now / 10000;
    const std::int64_t w60 = now / 60000;
    if (w10 != a.window_10s) {
        a.window_10s = w10;
        a.orders_10s = 0;
    }
    if (w60 != a.window_1m) {
        a.window_1m = w60;
        a.orders_1m = 0;
    }
    ++a.orders_10s;
    ++a.orders_1m;
    return a.orders_10s <= 300 && a.orders_1m <= 1200;
}

void venue::add_rate_headers(http_response& resp, const call& c) {
    const std::int64_t window = c.now / 60000;
    resp.headers.emplace_back("X-MBX-USED-WEIGHT-1M", std::to_string(window == weight_window_ ? used_weight_ : 0));
    if (c.order_counted && c.acct != nullptr) {
        const bool same10 = c.acct->window_10s == c.now / 10000;
        const bool same60 = c.acct->window_1m == window;
        resp.headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(same10 ? c.acct->orders_10s : 0));
        resp.headers.emplace_back("X-MBX-ORDER-COUNT-1M", std::to_string(same60 ? c.acct->orders_1m : 0));
    }
}

// ------------------------------------------------------------------------------------------------
// Events

void venue::push_user(std::size_t idx, const std::string& type, json::object event, millis now) {
    auto& a = accounts_[idx];
    if (a.listen_key.empty()) return;  // no live listenKey: nobody can be listening
    user_push p{a.listen_key, type, json::serialize(event)};
    const bool twice = duplicate_events_ > 0;
    if (twice) --duplicate_events_;
    if (reorder_events_ > 0 && !a.held) {
        // Hold this one back until the next event of the account has gone out.
        --reorder_events_;
        if (twice) out_.user.push_back(p);
        a.held = std::move(p);
        a.held_at = now;
        return;
    }
    out_.user.push_back(p);
    if (twice) out_.user.push_back(p);
    if (a.held) {
        out_.user.push_back(std::move(*a.held));
        a.held.reset();
    }
}

void venue::push_market(const std::string& stream, const json::object& event) {
    out_.market.push_back({stream, json::serialize(event)});
}

position_view venue::position_of(std::size_t idx, const std::string& name) const {
    const auto& a = accounts_[idx];
    const auto p = a.book.position(name);
    position_view v;
    v.symbol = symbol(name);
    v.amount = p.amount;
    v.entry_price = p.entry_price;
    v.break_even_price = p.entry_price;
    v.mark_price = p.mark_price;
    v.unrealized_pnl = p.unrealized_pnl;
    v.leverage = p.leverage;
    v.isolated = a.isolated.count(name) != 0;
    if (auto it = a.realized.find(name); it != a.realized.end()) v.accumulated_realized = it->second;
    if (auto it = a.position_time.find(name); it != a.position_time.end()) v.update_time = it->second;
    return v;
}

balance_view venue::balance_of(std::size_t idx) const {
    const auto& a = accounts_[idx];
    const auto b = a.book.balance();
    balance_view v;
    v.alias = "Sim" + std::to_string(idx + 1);
    v.wallet = b.wallet_balance;
    v.unrealized_pnl = b.unrealized_pnl;
    v.margin_balance = b.margin_balance;
    v.available = b.available_balance;
    for (const auto& p : a.book.positions())
        v.initial_margin += (p.amount.abs() * p.entry_price) / decimal::from_int(p.leverage);
    v.update_time = a.balance_time;
    return v;
}

void venue::apply_events(std::size_t idx, const paper::sim_events& ev, millis now) {
    auto& a = accounts_[idx];
    std::vector<std::string> changed;
    for (const auto& f : ev.fills)
        if (std::find(changed.begin(), changed.end(), f.symbol) == changed.end()) changed.push_back(f.symbol);
    bool account_update_pending = ev.positions_changed;

    // Binance sends ACCOUNT_UPDATE between the order's NEW and its TRADE (clients must cope with
    // it arriving before the fill that caused it).
    auto send_account_update = [&] {
        if (!account_update_pending) return;
        account_update_pending = false;
        std::vector<position_view> rows;
        for (const auto& s : changed) rows.push_back(position_of(idx, s));
        push_user(idx, "ACCOUNT_UPDATE", account_update(balance_of(idx), rows, "ORDER", decimal{}, now), now);
    };

    for (const auto& o : ev.orders) {
        const symbol_config* s = symbol(o.req.symbol);
        if (s == nullptr) continue;
        if (o.req.type != engine::order_type::market) {
            auto it = a.algos.find(o.order_id);
            if (it == a.algos.end()) continue;
            algo_record& r = it->second;
            r.update_time = now;
            switch (o.status) {
                case engine::order_status::accepted:
                    if (o.triggered_order_id != 0 && r.actual_order_id == 0) {
                        r.trigger_time = now;
                        r.status = "TRIGGERING";
                        push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                        r.status = "TRIGGERED";
                        r.actual_order_id = o.triggered_order_id;
                        push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                    } else if (a.announced_algos.insert(r.algo_id).second) {
                        push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                    }
                    break;
                case engine::order_status::filled:
                case engine::order_status::partially_filled:
                    r.status = "FINISHED";
                    r.actual_price = o.avg_price;
                    r.actual_qty = o.filled_qty;
                    push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                    break;
                case engine::order_status::canceled:
                    r.status = "CANCELED";
                    push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                    break;
                case engine::order_status::expired:
                case engine::order_status::rejected:
                    // Triggered with nothing left to close: the system cancels it.
                    r.trigger_time = now;
                    r.status = "EXPIRED";
                    if (r.reduce_only) r.reject_reason = "Reduce Only reject";
                    push_user(idx, "ALGO_UPDATE", algo_update(r, *s, now), now);
                    break;
                default: break;
            }
            continue;
        }

        auto it = a.orders.find(o.order_id);
        if (it == a.orders.end()) {
            // A child order the model created when an algo order triggered.
            order_record rec;
            rec.order_id = o.order_id;
            rec.client_order_id = o.req.client_id;
            rec.symbol = o.req.symbol;
            rec.side = std::string(engine::to_string(o.req.side));
            rec.orig_qty = o.req.qty;
            rec.reduce_only = o.req.reduce_only;
            rec.parent_algo_id = o.parent_order_id;
            rec.time = now;
            rec.update_time = now;
            if (auto p = a.algos.find(o.parent_order_id); p != a.algos.end()) {
                rec.stp_mode = p->second.stp_mode;
                rec.position_side = p->second.position_side;
            }
            it = a.orders.emplace(o.order_id, rec).first;
        }
        order_record& rec = it->second;
        rec.update_time = now;
        switch (o.status) {
            case engine::order_status::accepted:
                rec.status = "NEW";
                push_user(idx, "ORDER_TRADE_UPDATE", order_trade_update(rec, *s, "NEW", nullptr, now), now);
                break;
            case engine::order_status::filled:
            case engine::order_status::partially_filled:
                send_account_update();
                for (const auto& f : ev.fills) {
                    if (f.order_id != o.order_id) continue;
                    trade_record t;
                    t.trade_id = f.trade_id;
                    t.order_id = f.order_id;
                    t.symbol = f.symbol;
                    t.side = std::string(engine::to_string(f.side));
                    t.price = f.price;
                    t.qty = f.qty;
                    t.commission = f.fee;
                    if (a.cfg.commission_asset == "BNB") {
                        // Binance's BNB fee discount: the fee is charged in BNB at BNB's price
                        // (decimals hold 8 fractional digits, as Binance prints BNB amounts).
                        t.commission = f.fee / quotes_.at("BNBUSDT").mark;
                        t.commission_asset = "BNB";
                    }
                    t.realized_pnl = f.realized_pnl;
                    t.time = now;
                    a.trades.push_back(t);
                    a.realized[f.symbol] += f.realized_pnl;
                    a.position_time[f.symbol] = now;
                    a.balance_time = now;
                    rec.executed_qty += f.qty;
                    rec.cum_quote += f.qty * f.price;
                    rec.avg_price = rec.cum_quote / rec.executed_qty;
                    rec.status = (f.order_done || rec.executed_qty >= rec.orig_qty) ? "FILLED" : "PARTIALLY_FILLED";
                    push_user(idx, "ORDER_TRADE_UPDATE", order_trade_update(rec, *s, "TRADE", &t, now), now);
                    // Our own fills print on the tape too (the taker is the buyer unless it sold).
                    push_market(lower(f.symbol) + "@aggTrade",
                                agg_trade_event(*s, f.price, f.qty, agg_trade_id_++, f.trade_id,
                                                f.side == engine::order_side::sell, now));
                }
                break;
            case engine::order_status::canceled:
                rec.status = "CANCELED";
                push_user(idx, "ORDER_TRADE_UPDATE", order_trade_update(rec, *s, "CANCELED", nullptr, now), now);
                break;
            case engine::order_status::expired:
            case engine::order_status::rejected:
                rec.status = "EXPIRED";
                push_user(idx, "ORDER_TRADE_UPDATE", order_trade_update(rec, *s, "EXPIRED", nullptr, now), now);
                break;
            default: break;
        }
    }
    send_account_update();
}

// ------------------------------------------------------------------------------------------------
// Prices and time

void venue::publish_quote(const std::string& name, const engine::quote& q, millis now, bool trade) {
    const symbol_config* s = symbol(name);
    if (s == nullptr) return;
    const auto ticker = book_ticker_event(*s, q, ++book_update_id_, now);
    push_market(lower(name) + "@bookTicker", ticker);
    push_market("!bookTicker", ticker);
    if (trade) {
        // One synthetic print per step, on the side the price moved toward.
        auto prev = quotes_.find(name);
        const bool up = prev == quotes_.end() || q.mark >= prev->second.mark;
        const decimal qty = s->step_size.mul_int(1 + static_cast<std::int64_t>(rng_() % 25));
        push_market(lower(name) + "@aggTrade",
                    agg_trade_event(*s, up ? q.ask : q.bid, qty, agg_trade_id_++, market_trade_id_++, !up, now));
    }
}

void venue::apply_quote(const std::string& name, const engine::quote& q, millis now, bool trade) {
    publish_quote(name, q, now, trade);
    quotes_[name] = q;
    for (std::size_t i = 0; i < accounts_.size(); ++i) {
        auto ev = accounts_[i].book.on_quote(name, q, now);
        apply_events(i, ev, now);
    }
}

void venue::feed_step(millis wall_now) {
    const millis now = server_time(wall_now);
    for (auto& t : feed_.step(now)) {
        if (frozen_.count(t.symbol)) continue;
        t.q.ts = now;
        apply_quote(t.symbol, t.q, now, true);
    }
}

void venue::mark_price_tick(millis wall_now, bool fast) {
    const millis now = server_time(wall_now);
    json::array all;
    for (const auto& s : cfg_.symbols) {
        auto it = quotes_.find(s.symbol);
        if (it == quotes_.end()) continue;
        auto ev = mark_price_event(s, it->second, now);
        push_market(lower(s.symbol) + (fast ? "@markPrice@1s" : "@markPrice"), ev);
        all.push_back(std::move(ev));
    }
    out_.market.push_back({fast ? "!markPrice@arr@1s" : "!markPrice@arr", json::serialize(all)});
}

void venue::expire_listen_key(account_state& a, millis now) {
    if (a.listen_key.empty()) return;
    if (a.held) {
        out_.user.push_back(std::move(*a.held));
        a.held.reset();
    }
    out_.user.push_back({a.listen_key, "listenKeyExpired", json::serialize(listen_key_expired(a.listen_key, now))});
    a.listen_key.clear();
    a.listen_key_expiry = 0;
}

void venue::tick(millis wall_now) {
    const millis now = server_time(wall_now);
    for (auto& a : accounts_) {
        if (!a.listen_key.empty() && now >= a.listen_key_expiry) expire_listen_key(a, now);
        if (a.held && now - a.held_at >= 500) {
            // Nothing followed the held event: let it go rather than lose it.
            out_.user.push_back(std::move(*a.held));
            a.held.reset();
        }
    }
    std::erase_if(faults_, [&](const fault& f) { return f.until != 0 && now >= f.until; });
}

}  // namespace traded::sim
