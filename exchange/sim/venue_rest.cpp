// REST endpoint handlers of the venue: parameter rules and answers as binance-usdm.md §4 gives
// them. Authentication, rate limits and faults happened before a handler runs (venue.cpp).

#include "exchange/sim/protocol.hpp"
#include "exchange/sim/venue.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace traded::sim {

namespace json = boost::json;

namespace {

http_response json_ok(const json::value& v) {
    http_response r;
    r.body = json::serialize(v);
    return r;
}

http_response fail(int code, const std::string& msg, unsigned status = 400) {
    http_response r;
    r.status = status;
    r.body = json::serialize(json::object{{"code", code}, {"msg", msg}});
    return r;
}

http_response mandatory(const std::string& name) {
    return fail(-1102, fmt::format("Mandatory parameter '{}' was not sent, was empty/null, or malformed.", name));
}
http_response not_required(const std::string& name) {
    return fail(-1106, fmt::format("Parameter '{}' sent when not required.", name));
}
http_response invalid_data(const std::string& name) {
    return fail(-1130, fmt::format("Data sent for parameter '{}' is not valid.", name));
}
http_response either_required(const std::string& a, const std::string& b) {
    return fail(-1102, fmt::format("Param '{}' or '{}' must be sent, but both were empty/null!", a, b));
}
const char* decimal_range = "^([0-9]{1,20})(\\.[0-9]{1,20})?$";

/// A value or the error answer that replaces it.
template <typename T>
struct outcome {
    std::optional<T> value;
    http_response error;
    static outcome ok(T v) { return {std::move(v), {}}; }
    static outcome bad(http_response e) { return {std::nullopt, std::move(e)}; }
    explicit operator bool() const { return value.has_value(); }
};

bool one_of(const std::string& v, std::initializer_list<const char*> options) {
    return std::any_of(options.begin(), options.end(), [&](const char* o) { return v == o; });
}

std::string upper(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
}

/// A DECIMAL parameter: syntax first (-1100), then more than 8 fractional digits (-1111).
outcome<decimal> parse_decimal_param(const std::string& name, const std::string& raw) {
    if (!decimal_syntax_ok(raw))
        return outcome<decimal>::bad(fail(
            -1100, fmt::format("Illegal characters found in parameter '{}'; legal range is '{}'.", name, decimal_range)));
    auto d = decimal::parse(raw);
    if (!d) return outcome<decimal>::bad(fail(-1111, "Precision is over the maximum defined for this asset."));
    return outcome<decimal>::ok(*d);
}

/// quantity against LOT_SIZE / MARKET_LOT_SIZE: precision, bounds, step from minQty.
outcome<decimal> check_quantity(const std::string& raw, const symbol_config& s, bool market) {
    auto q = parse_decimal_param("quantity", raw);
    if (!q) return q;
    const decimal v = *q.value;
    const decimal max = market ? s.market_max_qty : s.max_qty;
    if (!v.is_positive()) return outcome<decimal>::bad(fail(-4003, "Quantity less than or equal to zero."));
    if (v.fractional_digits() > s.step_size.fractional_digits())
        return outcome<decimal>::bad(fail(-1111, "Precision is over the maximum defined for this asset."));
    if (v < s.min_qty) return outcome<decimal>::bad(fail(-4004, "Quantity less than min quantity."));
    if (max.is_positive() && v > max) return outcome<decimal>::bad(fail(-4005, "Quantity greater than max quantity."));
    if (!(v - s.min_qty).is_multiple_of(s.step_size))
        return outcome<decimal>::bad(fail(-4023, "Qty not increased by step size."));
    return q;
}

/// triggerPrice against PRICE_FILTER (it applies to stop prices too).
outcome<decimal> check_trigger_price(const std::string& raw, const symbol_config& s) {
    auto p = parse_decimal_param("triggerPrice", raw);
    if (!p) return p;
    const decimal v = *p.value;
    if (!v.is_positive()) return outcome<decimal>::bad(fail(-4006, "Stop price less than zero."));
    if (v.fractional_digits() > s.tick_size.fractional_digits())
        return outcome<decimal>::bad(fail(-1111, "Precision is over the maximum defined for this asset."));
    if (s.min_price.is_positive() && v < s.min_price)
        return outcome<decimal>::bad(fail(-4013, "Price less than min price."));
    if (s.max_price.is_positive() && v > s.max_price)
        return outcome<decimal>::bad(fail(-4007, "Stop price greater than max price."));
    if (!(v - s.min_price).is_multiple_of(s.tick_size))
        return outcome<decimal>::bad(fail(-4014, "Price not increased by tick size."));
    return p;
}

/// "true"/"false" parameters (reduceOnly, closePosition, priceProtect, dualSidePosition).
outcome<bool> bool_param(const std::optional<std::string>& raw, const std::string& name, bool fallback) {
    if (!raw) return outcome<bool>::ok(fallback);
    const std::string v = upper(*raw);
    if (v == "TRUE") return outcome<bool>::ok(true);
    if (v == "FALSE") return outcome<bool>::ok(false);
    return outcome<bool>::bad(invalid_data(name));
}

/// newClientOrderId / clientAlgoId: `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
std::optional<http_response> client_id_problem(const std::string& name, const std::string& id) {
    if (id.empty()) return fail(-1118, "New client order ID was empty.");
    if (id.size() > 36) return fail(-4015, "Client order id length should not be more than 36 chars");
    if (!client_id_chars_ok(id))
        return fail(-1100, fmt::format("Illegal characters found in parameter '{}'; legal range is "
                                       "'^[\\.A-Z\\:/a-z0-9_-]{{1,36}}$'.",
                                       name));
    return std::nullopt;
}

std::optional<http_response> stp_problem(const std::optional<std::string>& v) {
    if (v && !one_of(*v, {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"}))
        return invalid_data("selfTradePreventionMode");
    return std::nullopt;
}

http_response too_many_orders(int count_10s) {
    return fail(-1015,
                count_10s > 300 ? "Too many new orders; current limit is 300 orders per 10 SECOND."
                                : "Too many new orders; current limit is 1200 orders per MINUTE.",
                429);
}

/// Maps a matching-model refusal onto Binance's answer.
http_response model_refusal(const paper::place_result& r) {
    if (r.code == paper::codes::no_market_price) return fail(-2020, "Unable to fill.");
    return fail(r.code, r.message);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Market data (NONE)

http_response venue::get_ping(call&) { return json_ok(json::object{}); }

http_response venue::get_time(call& c) { return json_ok(json::object{{"serverTime", c.now}}); }

http_response venue::get_exchange_info(call& c) { return json_ok(exchange_info(cfg_, c.now)); }

http_response venue::get_premium_index(call& c) {
    if (auto sym = c.get("symbol")) {
        const symbol_config* s = symbol(*sym);
        if (s == nullptr) return fail(-1121, "Invalid symbol.");
        return json_ok(premium_index(*s, quotes_.at(s->symbol), c.now));
    }
    json::array all;
    for (const auto& s : cfg_.symbols) all.push_back(premium_index(s, quotes_.at(s.symbol), c.now));
    return json_ok(all);
}

http_response venue::get_book_ticker(call& c) {
    if (auto sym = c.get("symbol")) {
        const symbol_config* s = symbol(*sym);
        if (s == nullptr) return fail(-1121, "Invalid symbol.");
        return json_ok(rest_book_ticker(*s, quotes_.at(s->symbol), c.now));
    }
    json::array all;
    for (const auto& s : cfg_.symbols) all.push_back(rest_book_ticker(s, quotes_.at(s.symbol), c.now));
    return json_ok(all);
}

// ------------------------------------------------------------------------------------------------
// Orders (matching engine: MARKET only)

http_response venue::post_order(call& c) {
    auto& a = *c.acct;
    for (const char* name : {"symbol", "side", "type"})
        if (auto v = c.get(name); !v || v->empty()) return mandatory(name);
    const symbol_config* s = symbol(*c.get("symbol"));
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    const std::string side = *c.get("side");
    if (!one_of(side, {"BUY", "SELL"})) return fail(-1117, "Invalid side.");
    const std::string type = *c.get("type");
    if (one_of(type, {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}))
        return fail(-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
    if (type == "LIMIT") return fail(-1020, "This operation is not supported.");  // the model has no book
    if (type != "MARKET") return fail(-1116, "Invalid orderType.");

    const std::string position_side = c.get("positionSide").value_or(a.dual_side ? "" : "BOTH");
    if (!position_side.empty() && !one_of(position_side, {"BOTH", "LONG", "SHORT"}))
        return fail(-4060, "Invalid position side.");
    if (a.dual_side != (position_side == "LONG" || position_side == "SHORT"))
        return fail(-4061, "Order's position side does not match user's setting.");
    if (a.dual_side) return fail(-1020, "This operation is not supported.");  // hedge mode is not modelled

    // Parameters the new-order endpoint lost with the algo migration, and ones MARKET never takes.
    for (const char* name : {"price", "stopPrice", "closePosition", "activationPrice", "callbackRate", "workingType",
                             "priceProtect", "goodTillDate"})
        if (c.get(name)) return not_required(name);
    std::string tif = "GTC";
    if (auto v = c.get("timeInForce")) {
        if (!one_of(*v, {"GTC", "IOC", "FOK", "GTX", "GTD", "RPI"})) return fail(-1115, "Invalid timeInForce.");
        tif = *v;
    }
    auto reduce_only = bool_param(c.get("reduceOnly"), "reduceOnly", false);
    if (!reduce_only) return reduce_only.error;
    std::string resp_type = "ACK";
    if (auto v = c.get("newOrderRespType")) {
        if (!one_of(*v, {"ACK", "RESULT"})) return fail(-1136, "Invalid newOrderRespType.");
        resp_type = *v;
    }
    if (auto v = c.get("priceMatch"); v && *v != "NONE") return not_required("priceMatch");
    if (auto e = stp_problem(c.get("selfTradePreventionMode"))) return *e;
    std::string client_id;
    if (auto v = c.get("newClientOrderId")) {
        if (auto e = client_id_problem("newClientOrderId", *v)) return *e;
        client_id = *v;
    }
    auto raw_qty = c.get("quantity");
    if (!raw_qty || raw_qty->empty()) return mandatory("quantity");
    auto qty = check_quantity(*raw_qty, *s, true);
    if (!qty) return qty.error;

    c.order_counted = true;
    if (!count_order(a, c.now)) return too_many_orders(a.orders_10s);
    if (*reduce_only.value && take_reduce_only_fault("order")) {
        c.fault_applied = "err_2022";
        return fail(-2022, "ReduceOnly Order is rejected.");
    }
    if (client_id.empty()) client_id = generate_id(22);

    paper::new_order o;
    o.client_id = client_id;
    o.symbol = s->symbol;
    o.side = side == "BUY" ? engine::order_side::buy : engine::order_side::sell;
    o.type = engine::order_type::market;
    o.qty = *qty.value;
    o.reduce_only = *reduce_only.value;

    order_record meta;
    meta.client_order_id = client_id;
    meta.symbol = s->symbol;
    meta.side = side;
    meta.position_side = position_side;
    meta.time_in_force = tif;
    meta.stp_mode = c.get("selfTradePreventionMode").value_or("EXPIRE_MAKER");
    meta.reduce_only = o.reduce_only;
    return place_market(c, o, meta, resp_type == "RESULT");
}

http_response venue::place_market(call& c, const paper::new_order& o, const order_record& meta, bool result_resp) {
    auto& a = *c.acct;
    auto r = a.book.place(o, c.now);
    if (!r.ok()) return model_refusal(r);
    order_record rec = meta;
    rec.order_id = r.order->order_id;
    rec.client_order_id = r.order->req.client_id;
    rec.orig_qty = r.order->req.qty;
    rec.time = c.now;
    rec.update_time = c.now;
    a.orders[rec.order_id] = rec;
    c.log_id = rec.order_id;
    apply_events(c.acct_index, r.events, c.now);
    return json_ok(new_order_response(a.orders.at(rec.order_id), *symbol(o.symbol), result_resp));
}

http_response venue::get_order(call& c) {
    auto& a = *c.acct;
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    const symbol_config* s = symbol(*sym);
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    auto id_raw = c.get("orderId");
    auto cid = c.get("origClientOrderId");
    if (!id_raw && !cid) return either_required("orderId", "origClientOrderId");
    const order_record* found = nullptr;
    if (id_raw) {
        auto id = parse_long(*id_raw);
        if (!id) return mandatory("orderId");
        if (auto it = a.orders.find(*id); it != a.orders.end() && it->second.symbol == s->symbol) found = &it->second;
    } else {
        for (auto it = a.orders.rbegin(); it != a.orders.rend(); ++it)
            if (it->second.symbol == s->symbol && it->second.client_order_id == *cid) {
                found = &it->second;
                break;
            }
    }
    if (found == nullptr) return fail(-2013, "Order does not exist.");
    return json_ok(query_order(*found, *s));
}

http_response venue::delete_order(call& c) {
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
    auto id_raw = c.get("orderId");
    if (!id_raw && !c.get("origClientOrderId")) return either_required("orderId", "origClientOrderId");
    if (id_raw && !parse_long(*id_raw)) return mandatory("orderId");
    // MARKET orders are done the moment they are placed, and algo orders are not in the matching
    // engine: nothing here is ever cancelable.
    return fail(-2011, "Unknown order sent.");
}

http_response venue::get_open_orders(call& c) {
    std::string only;
    if (auto sym = c.get("symbol")) {
        if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
        only = *sym;
    }
    json::array out;
    for (const auto& [id, o] : c.acct->orders)
        if ((o.status == "NEW" || o.status == "PARTIALLY_FILLED") && (only.empty() || o.symbol == only))
            out.push_back(query_order(o, *symbol(o.symbol)));
    return json_ok(out);
}

http_response venue::delete_all_open_orders(call& c) {
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
    // Conditional orders live in the Algo Service and are not touched (DELETE algoOpenOrders).
    return json_ok(json::object{{"code", 200}, {"msg", "The operation of cancel all open order is done."}});
}

// ------------------------------------------------------------------------------------------------
// Algo (conditional) orders

http_response venue::post_algo_order(call& c) {
    auto& a = *c.acct;
    for (const char* name : {"algoType", "symbol", "side", "type"})
        if (auto v = c.get(name); !v || v->empty()) return mandatory(name);
    if (*c.get("algoType") != "CONDITIONAL") return invalid_data("algoType");
    const symbol_config* s = symbol(*c.get("symbol"));
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    const std::string side = *c.get("side");
    if (!one_of(side, {"BUY", "SELL"})) return fail(-1117, "Invalid side.");
    const std::string type = *c.get("type");
    if (one_of(type, {"STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET"}))
        return fail(-1020, "This operation is not supported.");  // only the *_MARKET conditionals are modelled
    if (!one_of(type, {"STOP_MARKET", "TAKE_PROFIT_MARKET"})) return fail(-1116, "Invalid orderType.");

    const std::string position_side = c.get("positionSide").value_or(a.dual_side ? "" : "BOTH");
    if (!position_side.empty() && !one_of(position_side, {"BOTH", "LONG", "SHORT"}))
        return fail(-4060, "Invalid position side.");
    if (a.dual_side != (position_side == "LONG" || position_side == "SHORT"))
        return fail(-4061, "Order's position side does not match user's setting.");
    if (a.dual_side) return fail(-1020, "This operation is not supported.");

    std::string tif = "GTC";
    if (auto v = c.get("timeInForce")) {
        if (!one_of(*v, {"GTC", "IOC", "FOK", "GTX"})) return fail(-1115, "Invalid timeInForce.");
        tif = *v;
    }
    std::string working_type = "CONTRACT_PRICE";
    if (auto v = c.get("workingType")) {
        if (!one_of(*v, {"MARK_PRICE", "CONTRACT_PRICE"}))
            return fail(-4031, fmt::format("Invalid parameter working type: {}", *v));
        working_type = *v;
    }
    auto protect = bool_param(c.get("priceProtect"), "priceProtect", false);
    if (!protect) return protect.error;
    auto close_position = bool_param(c.get("closePosition"), "closePosition", false);
    if (!close_position) return close_position.error;
    auto reduce_only = bool_param(c.get("reduceOnly"), "reduceOnly", false);
    if (!reduce_only) return reduce_only.error;
    for (const char* name : {"price", "activatePrice", "callbackRate", "stopPrice", "priceMatch", "goodTillDate"})
        if (c.get(name)) return not_required(name);
    if (auto e = stp_problem(c.get("selfTradePreventionMode"))) return *e;
    if (auto v = c.get("newOrderRespType"); v && !one_of(*v, {"ACK", "RESULT"}))
        return fail(-1136, "Invalid newOrderRespType.");

    auto raw_trigger = c.get("triggerPrice");
    if (!raw_trigger || raw_trigger->empty()) return mandatory("triggerPrice");
    auto trigger = check_trigger_price(*raw_trigger, *s);
    if (!trigger) return trigger.error;

    decimal qty;
    if (*close_position.value) {
        if (c.get("quantity")) return fail(-4137, "Quantity must be zero with closePosition equals true");
        if (c.get("reduceOnly")) return not_required("reduceOnly");
    } else {
        auto raw_qty = c.get("quantity");
        if (!raw_qty || raw_qty->empty()) return mandatory("quantity");
        auto q = check_quantity(*raw_qty, *s, true);
        if (!q) return q.error;
        qty = *q.value;
    }
    std::string client_id;
    if (auto v = c.get("clientAlgoId")) {
        if (auto e = client_id_problem("clientAlgoId", *v)) return *e;
        client_id = *v;
    }

    c.order_counted = true;
    if (!count_order(a, c.now)) return too_many_orders(a.orders_10s);
    if ((*reduce_only.value || *close_position.value) && take_reduce_only_fault("algo")) {
        c.fault_applied = "err_2022";
        return fail(-2022, "ReduceOnly Order is rejected.");
    }
    if (client_id.empty()) client_id = generate_id(22);

    paper::new_order o;
    o.client_id = client_id;
    o.symbol = s->symbol;
    o.side = side == "BUY" ? engine::order_side::buy : engine::order_side::sell;
    o.type = type == "STOP_MARKET" ? engine::order_type::stop_market : engine::order_type::take_profit_market;
    o.qty = qty;
    o.trigger_price = *trigger.value;
    o.reduce_only = *reduce_only.value;
    o.close_position = *close_position.value;

    auto r = a.book.place(o, c.now);
    if (!r.ok()) return model_refusal(r);

    algo_record rec;
    rec.algo_id = r.order->order_id;
    rec.client_algo_id = r.order->req.client_id;
    rec.symbol = s->symbol;
    rec.side = side;
    rec.order_type = type;
    rec.position_side = position_side;
    rec.time_in_force = tif;
    rec.working_type = working_type;
    rec.stp_mode = c.get("selfTradePreventionMode").value_or("EXPIRE_MAKER");
    rec.quantity = qty;
    rec.trigger_price = o.trigger_price;
    rec.close_position = o.close_position;
    rec.price_protect = *protect.value;
    rec.reduce_only = o.reduce_only;
    rec.create_time = c.now;
    rec.update_time = c.now;
    a.algos[rec.algo_id] = rec;
    c.log_id = rec.algo_id;
    apply_events(c.acct_index, r.events, c.now);
    return json_ok(algo_order(a.algos.at(rec.algo_id), *s, false));
}

namespace {

/// Finds an algo order by algoId or clientAlgoId (the newest with that client id).
template <typename Map>
auto* find_algo(Map& algos, const std::optional<std::int64_t>& id, const std::optional<std::string>& cid) {
    decltype(&algos.begin()->second) found = nullptr;
    if (id) {
        if (auto it = algos.find(*id); it != algos.end()) found = &it->second;
    } else if (cid) {
        for (auto it = algos.rbegin(); it != algos.rend(); ++it)
            if (it->second.client_algo_id == *cid) {
                found = &it->second;
                break;
            }
    }
    return found;
}

}  // namespace

http_response venue::get_algo_order(call& c) {
    auto id_raw = c.get("algoId");
    auto cid = c.get("clientAlgoId");
    if (!id_raw && !cid) return either_required("algoId", "clientAlgoId");
    std::optional<std::int64_t> id;
    if (id_raw) {
        id = parse_long(*id_raw);
        if (!id) return mandatory("algoId");
    }
    auto* r = find_algo(c.acct->algos, id, cid);
    if (r == nullptr) return fail(-2013, "Order does not exist.");
    return json_ok(algo_order(*r, *symbol(r->symbol), true));
}

http_response venue::delete_algo_order(call& c) {
    auto& a = *c.acct;
    auto id_raw = c.get("algoId");
    auto cid = c.get("clientAlgoId");
    if (!id_raw && !cid) return either_required("algoId", "clientAlgoId");
    std::optional<std::int64_t> id;
    if (id_raw) {
        id = parse_long(*id_raw);
        if (!id) return mandatory("algoId");
    }
    auto* r = find_algo(a.algos, id, cid);
    if (r == nullptr || r->status != "NEW") return fail(-2011, "Unknown order sent.");
    auto res = a.book.cancel(r->symbol, "", r->algo_id, c.now);
    if (!res.ok()) return fail(-2011, "Unknown order sent.");
    c.log_id = r->algo_id;
    apply_events(c.acct_index, res.events, c.now);
    return json_ok(json::object{{"algoId", r->algo_id}, {"clientAlgoId", r->client_algo_id}, {"code", "200"}, {"msg", "success"}});
}

http_response venue::get_open_algo_orders(call& c) {
    if (auto t = c.get("algoType"); t && *t != "CONDITIONAL") return invalid_data("algoType");
    std::string only;
    if (auto sym = c.get("symbol")) {
        if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
        only = *sym;
    }
    std::optional<std::int64_t> only_id;
    if (auto v = c.get("algoId")) {
        only_id = parse_long(*v);
        if (!only_id) return mandatory("algoId");
    }
    json::array out;
    for (const auto& [id, r] : c.acct->algos)
        if (r.status == "NEW" && (only.empty() || r.symbol == only) && (!only_id || *only_id == id))
            out.push_back(algo_order(r, *symbol(r.symbol), false));
    return json_ok(out);
}

http_response venue::get_all_algo_orders(call& c) {
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
    std::int64_t from_id = 0, start = 0, end = 0, limit = 500;
    for (auto [name, target] : {std::pair{"algoId", &from_id}, {"startTime", &start}, {"endTime", &end}, {"limit", &limit}})
        if (auto v = c.get(name)) {
            auto parsed = parse_long(*v);
            if (!parsed) return mandatory(name);
            *target = *parsed;
        }
    if (limit < 1 || limit > 1000) return invalid_data("limit");
    json::array out;
    for (const auto& [id, r] : c.acct->algos) {
        if (r.symbol != *sym || id < from_id) continue;
        if ((start != 0 && r.create_time < start) || (end != 0 && r.create_time > end)) continue;
        out.push_back(algo_order(r, *symbol(r.symbol), true));
        if (static_cast<std::int64_t>(out.size()) >= limit) break;
    }
    return json_ok(out);
}

http_response venue::delete_algo_open_orders(call& c) {
    auto& a = *c.acct;
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
    std::vector<std::int64_t> open;
    for (const auto& [id, r] : a.algos)
        if (r.symbol == *sym && r.status == "NEW") open.push_back(id);
    for (auto id : open) {
        auto res = a.book.cancel(*sym, "", id, c.now);
        if (res.ok()) apply_events(c.acct_index, res.events, c.now);
    }
    return json_ok(json::object{{"code", 200}, {"msg", "The operation of cancel all open order is done."}});
}

// ------------------------------------------------------------------------------------------------
// Account

http_response venue::get_position_risk_v2(call& c) {
    std::string only;
    if (auto sym = c.get("symbol")) {
        if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
        only = *sym;
    }
    json::array out;
    for (const auto& s : cfg_.symbols)
        if (only.empty() || s.symbol == only) out.push_back(position_risk_v2(position_of(c.acct_index, s.symbol)));
    return json_ok(out);
}

http_response venue::get_position_risk_v3(call& c) {
    std::string only;
    if (auto sym = c.get("symbol")) {
        if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
        only = *sym;
    }
    // v3 lists only symbols with a position or open orders (algo orders live elsewhere).
    json::array out;
    for (const auto& s : cfg_.symbols) {
        if (!only.empty() && s.symbol != only) continue;
        auto p = position_of(c.acct_index, s.symbol);
        if (!p.amount.is_zero()) out.push_back(position_risk_v3(p));
    }
    return json_ok(out);
}

http_response venue::get_balance(call& c) { return json_ok(balances(balance_of(c.acct_index))); }

http_response venue::get_account_v2(call& c) {
    std::vector<position_view> rows;
    for (const auto& s : cfg_.symbols) rows.push_back(position_of(c.acct_index, s.symbol));
    return json_ok(account_info(balance_of(c.acct_index), rows, false));
}

http_response venue::get_account_v3(call& c) {
    std::vector<position_view> rows;
    for (const auto& s : cfg_.symbols) rows.push_back(position_of(c.acct_index, s.symbol));
    return json_ok(account_info(balance_of(c.acct_index), rows, true));
}

http_response venue::post_leverage(call& c) {
    auto& a = *c.acct;
    for (const char* name : {"symbol", "leverage"})
        if (auto v = c.get(name); !v || v->empty()) return mandatory(name);
    const symbol_config* s = symbol(*c.get("symbol"));
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    auto lev = parse_long(*c.get("leverage"));
    if (!lev) return mandatory("leverage");
    if (*lev < 1 || *lev > 125) return fail(-4028, fmt::format("Leverage {} is not valid", *lev));
    const int value = static_cast<int>(*lev);
    if (a.book.set_leverage(s->symbol, value) != 0) return fail(-4028, fmt::format("Leverage {} is not valid", *lev));
    push_user(c.acct_index, "ACCOUNT_CONFIG_UPDATE", leverage_update(s->symbol, value, c.now), c.now);
    return json_ok(json::object{{"leverage", value}, {"maxNotionalValue", max_notional_for(value)}, {"symbol", s->symbol}});
}

http_response venue::post_margin_type(call& c) {
    auto& a = *c.acct;
    for (const char* name : {"symbol", "marginType"})
        if (auto v = c.get(name); !v || v->empty()) return mandatory(name);
    const symbol_config* s = symbol(*c.get("symbol"));
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    const std::string type = *c.get("marginType");
    if (!one_of(type, {"ISOLATED", "CROSSED"})) return invalid_data("marginType");
    const bool isolated = type == "ISOLATED";
    if (isolated == (a.isolated.count(s->symbol) != 0)) return fail(-4046, "No need to change margin type.");
    if (!a.book.position(s->symbol).amount.is_zero())
        return fail(-4048, "Margin type cannot be changed if there exists position.");
    for (const auto& [id, r] : a.algos)
        if (r.symbol == s->symbol && r.status == "NEW")
            return fail(-4047, "Margin type cannot be changed if there exists open orders.");
    if (isolated)
        a.isolated.insert(s->symbol);
    else
        a.isolated.erase(s->symbol);
    return json_ok(json::object{{"code", 200}, {"msg", "success"}});
}

http_response venue::get_dual_side(call& c) { return json_ok(json::object{{"dualSidePosition", c.acct->dual_side}}); }

http_response venue::post_dual_side(call& c) {
    auto& a = *c.acct;
    auto raw = c.get("dualSidePosition");
    if (!raw || raw->empty()) return mandatory("dualSidePosition");
    auto v = bool_param(raw, "dualSidePosition", false);
    if (!v) return v.error;
    if (*v.value == a.dual_side) return fail(-4059, "No need to change position side.");
    if (!a.book.positions().empty()) return fail(-4068, "Position side cannot be changed if there exists position.");
    for (const auto& [id, r] : a.algos)
        if (r.status == "NEW") return fail(-4067, "Position side cannot be changed if there exists open orders.");
    a.dual_side = *v.value;
    return json_ok(json::object{{"code", 200}, {"msg", "success"}});
}

http_response venue::get_symbol_config(call& c) {
    std::string only;
    if (auto sym = c.get("symbol")) {
        if (symbol(*sym) == nullptr) return fail(-1121, "Invalid symbol.");
        only = *sym;
    }
    json::array out;
    for (const auto& s : cfg_.symbols) {
        if (!only.empty() && s.symbol != only) continue;
        const int lev = c.acct->book.leverage(s.symbol);
        out.push_back(json::object{{"symbol", s.symbol},
                                   {"marginType", c.acct->isolated.count(s.symbol) ? "ISOLATED" : "CROSSED"},
                                   {"isAutoAddMargin", false},
                                   {"leverage", lev},
                                   {"maxNotionalValue", max_notional_for(lev)}});
    }
    return json_ok(out);
}

http_response venue::get_account_config(call& c) {
    return json_ok(json::object{{"feeTier", 0},
                                {"canTrade", true},
                                {"canDeposit", true},
                                {"canWithdraw", true},
                                {"dualSidePosition", c.acct->dual_side},
                                {"updateTime", 0},
                                {"multiAssetsMargin", false},
                                {"tradeGroupId", -1}});
}

http_response venue::get_user_trades(call& c) {
    auto sym = c.get("symbol");
    if (!sym || sym->empty()) return mandatory("symbol");
    const symbol_config* s = symbol(*sym);
    if (s == nullptr) return fail(-1121, "Invalid symbol.");
    std::optional<std::int64_t> order_id, start, end, from_id;
    std::int64_t limit = 500;
    for (auto [name, target] : {std::pair{"orderId", &order_id}, {"startTime", &start}, {"endTime", &end}, {"fromId", &from_id}})
        if (auto v = c.get(name)) {
            auto parsed = parse_long(*v);
            if (!parsed) return mandatory(name);
            *target = *parsed;
        }
    if (auto v = c.get("limit")) {
        auto parsed = parse_long(*v);
        if (!parsed || *parsed < 1) return invalid_data("limit");
        limit = std::min<std::int64_t>(*parsed, 1000);
    }
    if (from_id && (start || end)) return fail(-1128, "Combination of optional parameters invalid.");
    constexpr std::int64_t week = 7LL * 24 * 3600 * 1000;
    if (start && end && *end - *start > week) return fail(-1127, "More than 168 hours between startTime and endTime.");
    if (!start && !end && !from_id) start = c.now - week;
    if (start && !end) end = *start + week;
    if (end && !start) start = *end - week;

    std::vector<const trade_record*> hits;
    for (const auto& t : c.acct->trades) {
        if (t.symbol != s->symbol) continue;
        if (order_id && t.order_id != *order_id) continue;
        if (from_id && t.trade_id < *from_id) continue;
        if (start && (t.time < *start || t.time > *end)) continue;
        hits.push_back(&t);
    }
    // fromId reads forward from that trade; otherwise the most recent `limit` trades.
    std::size_t first = 0;
    if (!from_id && hits.size() > static_cast<std::size_t>(limit)) first = hits.size() - static_cast<std::size_t>(limit);
    json::array out;
    for (std::size_t i = first; i < hits.size() && out.size() < static_cast<std::size_t>(limit); ++i)
        out.push_back(user_trade(*hits[i], *s));
    return json_ok(out);
}

// ------------------------------------------------------------------------------------------------
// User data stream keys (USER_STREAM: API key only)

http_response venue::post_listen_key(call& c) {
    auto& a = *c.acct;
    ++a.listen_key_creates;
    if (!a.listen_key.empty() && c.now >= a.listen_key_expiry) expire_listen_key(a, c.now);
    if (a.listen_key.empty()) a.listen_key = generate_id(64);
    a.listen_key_expiry = c.now + cfg_.listen_key_validity_s * 1000LL;
    return json_ok(json::object{{"listenKey", a.listen_key}});
}

http_response venue::put_listen_key(call& c) {
    auto& a = *c.acct;
    ++a.listen_key_keepalives;
    if (!a.listen_key.empty() && c.now >= a.listen_key_expiry) expire_listen_key(a, c.now);
    auto sent = c.get("listenKey");
    if (take_fault("err_1125", c.path, c.now)) {
        // The key is gone without a listenKeyExpired event: only the keep-alive answer says so.
        c.fault_applied = "err_1125";
        a.listen_key.clear();
        a.listen_key_expiry = 0;
    }
    if (a.listen_key.empty() || (sent && *sent != a.listen_key)) return fail(-1125, "This listenKey does not exist.");
    a.listen_key_expiry = c.now + cfg_.listen_key_validity_s * 1000LL;
    return json_ok(json::object{{"listenKey", a.listen_key}});
}

http_response venue::delete_listen_key(call& c) {
    auto& a = *c.acct;
    if (!a.listen_key.empty()) {
        out_.closed_listen_keys.push_back(a.listen_key);
        a.listen_key.clear();
        a.listen_key_expiry = 0;
        a.held.reset();
    }
    return json_ok(json::object{});
}

}  // namespace traded::sim
