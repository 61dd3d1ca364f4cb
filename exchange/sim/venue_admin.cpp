// The admin API (no auth, loopback only): set prices, inject faults, close a position "by hand",
// inspect and reset the whole state. JSON in, JSON out; errors are {"error": "..."} with 400.

#include "exchange/sim/venue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace traded::sim {

namespace json = boost::json;

namespace {

http_response admin_json(const json::value& v, unsigned status = 200) {
    http_response r;
    r.status = status;
    r.body = json::serialize(v);
    return r;
}

http_response admin_error(const std::string& msg, unsigned status = 400) {
    return admin_json(json::object{{"error", msg}}, status);
}

/// A price given as a JSON string ("43000.1", exact) or number.
std::optional<decimal> json_decimal(const json::value* v) {
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) return decimal::parse(std::string(v->as_string()));
    if (v->is_int64()) return decimal::from_int(v->as_int64());
    if (v->is_uint64()) return decimal::from_int(static_cast<std::int64_t>(v->as_uint64()));
    if (v->is_double()) return decimal::from_double(v->as_double());
    return std::nullopt;
}

/// An integer field; `fallback` when absent, nullopt when present but not an integer.
std::optional<std::int64_t> json_int(const json::object& o, const char* key, std::int64_t fallback) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double() && std::floor(v->as_double()) == v->as_double()) return static_cast<std::int64_t>(v->as_double());
    return std::nullopt;
}

std::string json_string(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

http_response venue::admin(const http_request& req, const std::string& path, millis wall_now) {
    if (!req.from_loopback) return admin_error("the admin API answers loopback clients only", 403);
    json::object body;
    if (!req.body.empty()) {
        boost::system::error_code ec;
        auto v = json::parse(req.body, ec);
        if (ec || !v.is_object()) return admin_error("the body must be a JSON object");
        body = std::move(v.as_object());
    }
    const std::string& m = req.method;
    if (m == "POST" && path == "/admin/price") return admin_price(body, wall_now);
    if (m == "POST" && path == "/admin/resume") return admin_resume(body);
    if (m == "POST" && path == "/admin/fault") return admin_fault(body, wall_now);
    if (m == "DELETE" && path == "/admin/fault") {
        body["kind"] = "clear";
        return admin_fault(body, wall_now);
    }
    if (m == "POST" && path == "/admin/close-position") return admin_close_position(body, wall_now);
    if (m == "POST" && path == "/admin/cancel-algo") return admin_cancel_algo(body, wall_now);
    if (m == "GET" && path == "/admin/state") return admin_state(wall_now);
    if (m == "POST" && path == "/admin/reset") return admin_reset(wall_now);
    return admin_error(fmt::format("no admin endpoint {} {}", m, path), 404);
}

venue::account_state* venue::admin_account(const json::object& body, std::string& error) {
    const std::string key = json_string(body, "api_key");
    const std::string name = json_string(body, "account");
    for (auto& a : accounts_)
        if ((!key.empty() && a.cfg.api_key == key) || (key.empty() && !name.empty() && a.cfg.name == name)) return &a;
    if (key.empty() && name.empty() && !accounts_.empty()) return &accounts_.front();
    error = key.empty() ? "no account named '" + name + "'" : "no account with that api_key";
    return nullptr;
}

http_response venue::admin_price(const json::object& body, millis wall_now) {
    const std::string name = json_string(body, "symbol");
    const symbol_config* s = symbol(name);
    if (s == nullptr) return admin_error("symbol: expected a listed symbol, got '" + name + "'");
    auto bid = json_decimal(body.if_contains("bid"));
    auto ask = json_decimal(body.if_contains("ask"));
    auto mark = json_decimal(body.if_contains("mark"));
    for (auto [key, v] : {std::pair{"bid", &bid}, {"ask", &ask}, {"mark", &mark}})
        if (body.if_contains(key) && (!*v || !(*v)->is_positive()))
            return admin_error(fmt::format("{}: expected a positive price", key));
    if (!mark) {
        if (!bid || !ask) return admin_error("mark: required unless both bid and ask are given");
        mark = ((*bid + *ask) / decimal::from_int(2)).round_to(s->tick_size);
    }
    if (!bid) bid = mark;
    if (!ask) ask = mark;
    if (*bid > *ask) return admin_error("bid must not be above ask");

    const millis now = server_time(wall_now);
    frozen_.insert(s->symbol);
    // The walk continues from here after /admin/resume.
    feed_.set_price(s->symbol, (*bid + *ask) / decimal::from_int(2));
    engine::quote q{*bid, *ask, *mark, now};
    apply_quote(s->symbol, q, now, false);
    // Mark price streams get the new price at once (tests need not wait for the next second).
    const auto ev = mark_price_event(*s, q, now);
    std::string lower_name = s->symbol;
    for (auto& ch : lower_name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    push_market(lower_name + "@markPrice@1s", ev);
    push_market(lower_name + "@markPrice", ev);
    return admin_json(json::object{{"symbol", s->symbol},
                                   {"bid", fmt_price(*bid, *s)},
                                   {"ask", fmt_price(*ask, *s)},
                                   {"mark", fmt_price(*mark, *s)},
                                   {"frozen", true}});
}

http_response venue::admin_resume(const json::object& body) {
    const std::string name = json_string(body, "symbol");
    json::array resumed;
    if (name.empty()) {
        for (const auto& s : frozen_) resumed.push_back(json::value(s));
        frozen_.clear();
    } else {
        if (symbol(name) == nullptr) return admin_error("symbol: expected a listed symbol, got '" + name + "'");
        if (frozen_.erase(name)) resumed.push_back(json::value(name));
    }
    return admin_json(json::object{{"resumed", std::move(resumed)}});
}

http_response venue::admin_fault(const json::object& body, millis wall_now) {
    const millis now = server_time(wall_now);
    const std::string kind = json_string(body, "kind");
    auto count = json_int(body, "count", 1);
    auto ms = json_int(body, "ms", 0);
    if (!count || *count < 1) return admin_error("count: expected a positive integer");
    if (!ms) return admin_error("ms: expected an integer");

    fault f;
    f.kind = kind;
    f.remaining = static_cast<int>(*count);
    f.ms = static_cast<int>(*ms);
    f.path = json_string(body, "path");

    if (kind == "clear") {
        faults_.clear();
        stream_delay_ms_ = 0;
        duplicate_events_ = 0;
        reorder_events_ = 0;
        clock_offset_ = 0;
        stream_max_connection_ms_ = 0;
    } else if (kind == "drop_streams") {
        out_.drop_streams = true;
    } else if (kind == "delay_streams") {
        if (*ms < 0) return admin_error("ms: expected a non-negative integer");
        stream_delay_ms_ = static_cast<int>(*ms);
    } else if (kind == "clock_offset") {
        clock_offset_ = *ms;
    } else if (kind == "expire_listen_key") {
        if (body.if_contains("api_key") || body.if_contains("account")) {
            std::string error;
            auto* a = admin_account(body, error);
            if (a == nullptr) return admin_error(error);
            expire_listen_key(*a, now);
        } else {
            for (auto& a : accounts_) expire_listen_key(a, now);
        }
    } else if (kind == "duplicate_user_events") {
        duplicate_events_ += f.remaining;
    } else if (kind == "reorder_user_events") {
        reorder_events_ += f.remaining;
    } else if (kind == "http_429" || kind == "http_418") {
        auto retry = json_int(body, "retry_after_s", kind == "http_429" ? 1 : 120);
        if (!retry || *retry < 0) return admin_error("retry_after_s: expected a non-negative integer");
        f.retry_after_s = static_cast<int>(*retry);
        if (kind == "http_418" && !body.if_contains("count")) {
            // A ban: every request is refused until it ends.
            f.remaining = -1;
            f.until = now + *retry * 1000;
        }
        faults_.push_back(f);
    } else if (kind == "err_1021" || kind == "unknown_503" || kind == "unknown_503_unexecuted") {
        faults_.push_back(f);
    } else if (kind == "err_2022") {
        f.scope = json_string(body, "scope");
        if (f.scope.empty()) f.scope = "order";
        if (f.scope != "order" && f.scope != "algo" && f.scope != "any")
            return admin_error("scope: expected order, algo or any");
        faults_.push_back(f);
    } else if (kind == "timeout") {
        if (*ms <= 0) return admin_error("ms: expected a positive integer");
        faults_.push_back(f);
    } else if (kind == "hold") {
        // POST order requests (path, default any order endpoint) are executed ms later; the
        // answer follows then, or never (drop_answer: the connection is closed instead).
        if (*ms <= 0) return admin_error("ms: expected a positive integer");
        const json::value* drop = body.if_contains("drop_answer");
        if (drop != nullptr && !drop->is_bool()) return admin_error("drop_answer: expected true or false");
        f.drop_answer = drop != nullptr && drop->as_bool();
        faults_.push_back(f);
    } else if (kind == "drop_request" || kind == "err_1125") {
        faults_.push_back(f);
    } else if (kind == "rotate_streams") {
        if (*ms < 0) return admin_error("ms: expected a non-negative integer (0: the configured lifetime)");
        stream_max_connection_ms_ = *ms;
    } else {
        return admin_error("kind: unknown fault '" + kind +
                           "' (drop_streams, delay_streams, expire_listen_key, http_429, http_418, err_1021, err_2022, "
                           "unknown_503, unknown_503_unexecuted, timeout, hold, drop_request, err_1125, rotate_streams, "
                           "duplicate_user_events, reorder_user_events, clock_offset, clear)");
    }
    return admin_json(json::object{{"ok", true}, {"kind", kind}});
}

http_response venue::admin_close_position(const json::object& body, millis wall_now) {
    std::string error;
    account_state* a = admin_account(body, error);
    if (a == nullptr) return admin_error(error);
    const std::string name = json_string(body, "symbol");
    const symbol_config* s = symbol(name);
    if (s == nullptr) return admin_error("symbol: expected a listed symbol, got '" + name + "'");
    const decimal amount = a->book.position(s->symbol).amount;
    if (amount.is_zero()) return admin_error("no open position on " + s->symbol, 409);

    http_request req;
    req.method = "POST";
    req.target = "/admin/close-position";
    call c;
    c.req = &req;
    c.path = req.target;
    c.acct = a;
    c.acct_index = index_of(*a);
    c.now = server_time(wall_now);

    paper::new_order o;
    o.client_id = "web_" + generate_id(18);  // what an order from the web UI looks like
    o.symbol = s->symbol;
    o.side = amount.is_positive() ? engine::order_side::sell : engine::order_side::buy;
    o.type = engine::order_type::market;
    o.qty = amount.abs();
    o.reduce_only = true;
    order_record meta;
    meta.client_order_id = o.client_id;
    meta.symbol = s->symbol;
    meta.side = std::string(engine::to_string(o.side));
    meta.reduce_only = true;
    count_order(*a, c.now);  // a manual order counts on the account like any other (never refused)
    auto resp = place_market(c, o, meta, true);

    order_log_entry e;
    e.seq = next_log_seq_++;
    e.time = c.now;
    e.account = a->cfg.name;
    e.method = "POST";
    e.path = "/admin/close-position";
    e.params = {{"symbol", s->symbol}, {"side", meta.side}, {"type", "MARKET"}, {"quantity", fmt_qty(o.qty, *s)},
                {"reduceOnly", "true"}, {"newClientOrderId", o.client_id}};
    e.http_status = resp.status;
    e.id = c.log_id;
    order_log_.push_back(e);

    boost::system::error_code ec;
    auto answer = json::parse(resp.body, ec);
    if (resp.status != 200) return admin_json(json::object{{"error", "the exchange refused"}, {"answer", answer}}, 409);
    return admin_json(json::object{{"ok", true}, {"order", answer}});
}

/// Cancels a resting algo order by clientAlgoId, as a user would on the exchange's web UI.
http_response venue::admin_cancel_algo(const json::object& body, millis wall_now) {
    std::string error;
    account_state* a = admin_account(body, error);
    if (a == nullptr) return admin_error(error);
    const std::string cid = json_string(body, "clientAlgoId");
    http_request req;
    req.method = "DELETE";
    req.target = "/admin/cancel-algo";
    call c;
    c.req = &req;
    c.path = req.target;
    c.acct = a;
    c.acct_index = index_of(*a);
    c.now = server_time(wall_now);
    c.params["clientAlgoId"] = cid;
    auto resp = delete_algo_order(c);
    boost::system::error_code ec;
    auto answer = json::parse(resp.body, ec);
    if (resp.status != 200) return admin_json(json::object{{"error", "the exchange refused"}, {"answer", answer}}, 409);
    return admin_json(json::object{{"ok", true}, {"answer", answer}});
}

http_response venue::admin_state(millis wall_now) {
    const millis now = server_time(wall_now);
    json::object prices;
    for (const auto& s : cfg_.symbols) {
        const auto& q = quotes_.at(s.symbol);
        prices[s.symbol] = json::object{{"bid", fmt_price(q.bid, s)},
                                        {"ask", fmt_price(q.ask, s)},
                                        {"mark", fmt_price(q.mark, s)},
                                        {"frozen", frozen_.count(s.symbol) != 0}};
    }
    json::array faults;
    for (const auto& f : faults_)
        faults.push_back(json::object{{"kind", f.kind},
                                      {"remaining", f.remaining},
                                      {"ms", f.ms},
                                      {"retry_after_s", f.retry_after_s},
                                      {"path", f.path},
                                      {"scope", f.scope},
                                      {"until", f.until}});

    json::array accounts;
    for (std::size_t i = 0; i < accounts_.size(); ++i) {
        const auto& a = accounts_[i];
        const auto b = balance_of(i);
        json::array positions, algos, orders;
        json::object leverage;
        for (const auto& s : cfg_.symbols) {
            leverage[s.symbol] = a.book.leverage(s.symbol);
            auto p = position_of(i, s.symbol);
            if (p.amount.is_zero()) continue;
            positions.push_back(json::object{{"symbol", s.symbol},
                                             {"positionAmt", fmt_qty(p.amount, s)},
                                             {"entryPrice", p.entry_price.to_string()},
                                             {"markPrice", fmt8(p.mark_price)},
                                             {"unRealizedProfit", fmt8(p.unrealized_pnl)}});
        }
        for (const auto& [id, r] : a.algos) algos.push_back(algo_order(r, *symbol(r.symbol), true));
        for (const auto& [id, o] : a.orders) {
            auto row = query_order(o, *symbol(o.symbol));
            row["parentAlgoId"] = o.parent_algo_id;
            orders.push_back(std::move(row));
        }
        // Every execution as GET userTrades shows it (realizedPnl, commission): what tests
        // compare the daemon's recorded money with.
        json::array trades;
        for (const auto& t : a.trades) trades.push_back(user_trade(t, *symbol(t.symbol)));
        std::size_t open_algos = static_cast<std::size_t>(
            std::count_if(a.algos.begin(), a.algos.end(), [](const auto& kv) { return kv.second.status == "NEW"; }));
        accounts.push_back(json::object{
            {"name", a.cfg.name},
            {"walletBalance", fmt8(b.wallet)},
            {"availableBalance", fmt8(b.available)},
            {"unrealizedProfit", fmt8(b.unrealized_pnl)},
            {"dualSidePosition", a.dual_side},
            {"leverage", std::move(leverage)},
            {"listenKeyActive", !a.listen_key.empty()},
            {"listenKeyExpiresAt", a.listen_key_expiry},
            {"listenKeyCreates", a.listen_key_creates},
            {"listenKeyKeepalives", a.listen_key_keepalives},
            {"positions", std::move(positions)},
            {"openAlgoOrderCount", open_algos},
            {"algoOrders", std::move(algos)},
            {"orders", std::move(orders)},
            {"tradeCount", a.trades.size()},
            {"trades", std::move(trades)},
        });
    }

    json::array log;
    for (const auto& e : order_log_) {
        json::object params;
        for (const auto& [k, v] : e.params) params[k] = v;
        auto param = [&](const char* k) {
            auto it = e.params.find(k);
            return it == e.params.end() ? std::string() : it->second;
        };
        std::string client_id = param("newClientOrderId");
        if (client_id.empty()) client_id = param("clientAlgoId");
        if (client_id.empty()) client_id = param("origClientOrderId");
        auto is_true = [&](const char* k) {
            std::string v = param(k);
            for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return v == "true";
        };
        log.push_back(json::object{{"seq", e.seq},
                                   {"time", e.time},
                                   {"account", e.account},
                                   {"method", e.method},
                                   {"path", e.path},
                                   {"clientId", client_id},
                                   {"symbol", param("symbol")},
                                   {"side", param("side")},
                                   {"type", param("type")},
                                   {"quantity", param("quantity")},
                                   {"triggerPrice", param("triggerPrice")},
                                   {"reduceOnly", is_true("reduceOnly")},
                                   {"closePosition", is_true("closePosition")},
                                   {"params", std::move(params)},
                                   {"httpStatus", e.http_status},
                                   {"code", e.code},
                                   {"msg", e.msg},
                                   {"id", e.id},
                                   {"fault", e.fault}});
    }
    return admin_json(json::object{{"serverTime", now},
                                   {"clockOffsetMs", clock_offset_},
                                   {"streamDelayMs", stream_delay_ms_},
                                   {"pendingDuplicateEvents", duplicate_events_},
                                   {"pendingReorderEvents", reorder_events_},
                                   {"prices", std::move(prices)},
                                   {"faults", std::move(faults)},
                                   {"accounts", std::move(accounts)},
                                   {"orderLog", std::move(log)}});
}

http_response venue::admin_reset(millis wall_now) {
    for (auto& a : accounts_)
        if (!a.listen_key.empty()) out_.closed_listen_keys.push_back(a.listen_key);
    reset_accounts();
    faults_.clear();
    order_log_.clear();
    frozen_.clear();
    stream_delay_ms_ = 0;
    clock_offset_ = 0;
    stream_max_connection_ms_ = 0;
    duplicate_events_ = 0;
    reorder_events_ = 0;
    weight_window_ = -1;
    used_weight_ = 0;
    return admin_json(json::object{{"ok", true}, {"serverTime", server_time(wall_now)}});
}

}  // namespace traded::sim
