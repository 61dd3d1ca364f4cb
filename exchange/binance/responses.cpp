#include "exchange/binance/responses.hpp"

#include "exchange/binance/json_detail.hpp"

#include <algorithm>

namespace traded::binance {

namespace {

using detail::for_each_element;
using detail::for_each_field;
namespace od = detail::od;
using detail::reader;

/// Parses a body that is one JSON object with fill(object, reader, value).
template <class T, class F>
result<T> object_body(json_parser& p, std::string_view body, std::string_view context, F&& fill) {
    reader r(context);
    od::document doc;
    if (!detail::begin_rest_body(p, body, r, doc)) return failure<result<T>>(r.error());
    od::object obj;
    if (doc.get_object().get(obj)) return failure<result<T>>(std::string(context) + ": expected a JSON object");
    T value{};
    if (!fill(obj, r, value)) return failure<result<T>>(r.error());
    return result<T>(std::move(value));
}

/// Parses a body that is a JSON array of objects (or, with allow_single, one object).
template <class T, class F>
result<std::vector<T>> array_body(json_parser& p, std::string_view body, std::string_view context, F&& fill,
                                  bool allow_single = false) {
    using out_t = result<std::vector<T>>;
    reader r(context);
    od::document doc;
    if (!detail::begin_rest_body(p, body, r, doc)) return binance::failure<out_t>(r.error());
    std::vector<T> out;
    od::json_type t;
    if (auto e = doc.type().get(t); e) return binance::failure<out_t>(std::string(context) + ": invalid JSON: " + simdjson::error_message(e));
    if (t == od::json_type::object && allow_single) {
        od::object obj;
        if (doc.get_object().get(obj)) return binance::failure<out_t>(std::string(context) + ": expected a JSON object");
        T value{};
        if (!fill(obj, r, value)) return binance::failure<out_t>(r.error());
        out.push_back(std::move(value));
        return out_t(std::move(out));
    }
    od::array arr;
    if (doc.get_array().get(arr)) return binance::failure<out_t>(std::string(context) + ": expected a JSON array");
    std::size_t index = 0;
    for (auto element_result : arr) {
        od::value element;
        if (auto e = std::move(element_result).get(element); e)
            return binance::failure<out_t>(std::string(context) + ": invalid JSON: " + simdjson::error_message(e));
        std::string element_context = std::string(context) + "[" + std::to_string(index++) + "]";
        reader er(element_context);
        od::object obj;
        if (!er.object(element, "(element)", obj)) return binance::failure<out_t>(er.error());
        T value{};
        if (!fill(obj, er, value)) return binance::failure<out_t>(er.error());
        out.push_back(std::move(value));
    }
    return out_t(std::move(out));
}

// ----- object readers (shared by single and array bodies) ------------------------------------

bool read_order(od::object& obj, reader& r, order_info& o) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "symbol") r.string(v, "symbol", o.symbol);
        else if (k == "orderId") r.int64(v, "orderId", o.order_id);
        else if (k == "clientOrderId") r.string(v, "clientOrderId", o.client_order_id);
        else if (k == "status") r.string(v, "status", o.status);
        else if (k == "side") r.string(v, "side", o.side);
        else if (k == "type") r.string(v, "type", o.type);
        else if (k == "origType") r.string(v, "origType", o.orig_type);
        else if (k == "positionSide") r.string(v, "positionSide", o.position_side);
        else if (k == "timeInForce") r.string(v, "timeInForce", o.time_in_force);
        else if (k == "origQty") r.dec(v, "origQty", o.orig_qty);
        else if (k == "executedQty") r.dec(v, "executedQty", o.executed_qty);
        else if (k == "price") r.dec(v, "price", o.price);
        else if (k == "stopPrice") r.dec(v, "stopPrice", o.stop_price);
        else if (k == "avgPrice") r.dec(v, "avgPrice", o.avg_price);
        else if (k == "cumQuote") r.dec(v, "cumQuote", o.cum_quote);
        else if (k == "reduceOnly") r.boolean(v, "reduceOnly", o.reduce_only);
        else if (k == "closePosition") r.boolean(v, "closePosition", o.close_position);
        else if (k == "updateTime") r.int64(v, "updateTime", o.update_time);
        else if (k == "time") r.int64(v, "time", o.time);
    });
    if (!r.ok() || !r.require({"symbol", "orderId", "clientOrderId", "status"})) return false;
    o.state = to_order_status(o.status);
    return true;
}

bool read_algo_order(od::object& obj, reader& r, algo_order_info& a) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "algoId") r.int64(v, "algoId", a.algo_id);
        else if (k == "clientAlgoId") r.string(v, "clientAlgoId", a.client_algo_id);
        else if (k == "algoType") r.string(v, "algoType", a.algo_type);
        else if (k == "orderType") r.string(v, "orderType", a.order_type);
        else if (k == "symbol") r.string(v, "symbol", a.symbol);
        else if (k == "side") r.string(v, "side", a.side);
        else if (k == "positionSide") r.string(v, "positionSide", a.position_side);
        else if (k == "algoStatus") r.string(v, "algoStatus", a.status_text);
        else if (k == "quantity") r.dec(v, "quantity", a.quantity);
        else if (k == "triggerPrice") r.dec(v, "triggerPrice", a.trigger_price);
        else if (k == "price") r.dec(v, "price", a.price);
        else if (k == "workingType") r.string(v, "workingType", a.working_type);
        else if (k == "closePosition") r.boolean(v, "closePosition", a.close_position);
        else if (k == "reduceOnly") r.boolean(v, "reduceOnly", a.reduce_only);
        else if (k == "actualOrderId") r.string(v, "actualOrderId", a.actual_order_id);
        else if (k == "actualPrice") r.dec(v, "actualPrice", a.actual_price);
        else if (k == "actualQty") r.dec(v, "actualQty", a.actual_qty);
        else if (k == "actualType") r.string(v, "actualType", a.actual_type);
        else if (k == "createTime") r.int64(v, "createTime", a.create_time);
        else if (k == "updateTime") r.int64(v, "updateTime", a.update_time);
        else if (k == "triggerTime") r.int64(v, "triggerTime", a.trigger_time);
    });
    if (!r.ok() || !r.require({"algoId", "clientAlgoId", "algoStatus", "symbol"})) return false;
    a.status = parse_algo_status(a.status_text);
    return true;
}

bool read_position(od::object& obj, reader& r, position_row& p) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "symbol") r.string(v, "symbol", p.symbol);
        else if (k == "positionSide") r.string(v, "positionSide", p.position_side);
        else if (k == "positionAmt") r.dec(v, "positionAmt", p.amount);
        else if (k == "entryPrice") r.dec(v, "entryPrice", p.entry_price);
        else if (k == "breakEvenPrice") r.dec(v, "breakEvenPrice", p.break_even_price);
        else if (k == "markPrice") r.dec(v, "markPrice", p.mark_price);
        else if (k == "unRealizedProfit") r.dec(v, "unRealizedProfit", p.unrealized_pnl);
        else if (k == "unrealizedProfit") r.dec(v, "unrealizedProfit", p.unrealized_pnl);
        else if (k == "liquidationPrice") r.dec(v, "liquidationPrice", p.liquidation_price);
        else if (k == "notional") r.dec(v, "notional", p.notional);
        else if (k == "leverage") r.int32(v, "leverage", p.leverage);
        else if (k == "marginType") r.string(v, "marginType", p.margin_type);
        else if (k == "updateTime") r.int64(v, "updateTime", p.update_time);
    });
    return r.ok() && r.require({"symbol", "positionAmt"});
}

bool read_balance(od::object& obj, reader& r, balance_row& b) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "asset") r.string(v, "asset", b.asset);
        else if (k == "balance") r.dec(v, "balance", b.wallet_balance);
        else if (k == "walletBalance") r.dec(v, "walletBalance", b.wallet_balance);
        else if (k == "crossWalletBalance") r.dec(v, "crossWalletBalance", b.cross_wallet_balance);
        else if (k == "crossUnPnl") r.dec(v, "crossUnPnl", b.cross_unrealized_pnl);
        else if (k == "availableBalance") r.dec(v, "availableBalance", b.available_balance);
        else if (k == "maxWithdrawAmount") r.dec(v, "maxWithdrawAmount", b.max_withdraw_amount);
        else if (k == "unrealizedProfit") r.dec(v, "unrealizedProfit", b.unrealized_pnl);
        else if (k == "marginBalance") r.dec(v, "marginBalance", b.margin_balance);
        else if (k == "updateTime") r.int64(v, "updateTime", b.update_time);
    });
    if (!r.ok() || !r.require({"asset"})) return false;
    if (!r.seen("balance") && !r.seen("walletBalance")) return r.fail("balance", "missing (nor walletBalance)");
    return true;
}

bool read_user_trade(od::object& obj, reader& r, user_trade& t) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "id") r.int64(v, "id", t.id);
        else if (k == "orderId") r.int64(v, "orderId", t.order_id);
        else if (k == "symbol") r.string(v, "symbol", t.symbol);
        else if (k == "side") r.string(v, "side", t.side);
        else if (k == "positionSide") r.string(v, "positionSide", t.position_side);
        else if (k == "price") r.dec(v, "price", t.price);
        else if (k == "qty") r.dec(v, "qty", t.qty);
        else if (k == "quoteQty") r.dec(v, "quoteQty", t.quote_qty);
        else if (k == "realizedPnl") r.dec(v, "realizedPnl", t.realized_pnl);
        else if (k == "commission") r.dec(v, "commission", t.commission);
        else if (k == "commissionAsset") r.string(v, "commissionAsset", t.commission_asset);
        else if (k == "maker") r.boolean(v, "maker", t.maker);
        else if (k == "buyer") r.boolean(v, "buyer", t.buyer);
        else if (k == "time") r.int64(v, "time", t.time);
    });
    return r.ok() && r.require({"id", "orderId", "price", "qty"});
}

/// One filter object of a symbol; fills the matching members of `s`.
bool read_filter(od::object& obj, reader& r, symbol_rules& s, decimal& lot_step, decimal& lot_min,
                 decimal& market_step, decimal& market_min, bool& has_price, bool& has_lot) {
    // The filterType may come after the values: collect everything, then assign.
    std::string type;
    std::optional<decimal> tick, min_price, max_price, step, min_qty, max_qty, notional;
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "filterType") r.string(v, "filterType", type);
        else if (k == "tickSize") r.dec(v, "tickSize", tick);
        else if (k == "minPrice") r.dec(v, "minPrice", min_price);
        else if (k == "maxPrice") r.dec_soft(v, "maxPrice", max_price);
        else if (k == "stepSize") r.dec(v, "stepSize", step);
        else if (k == "minQty") r.dec(v, "minQty", min_qty);
        else if (k == "maxQty") r.dec_soft(v, "maxQty", max_qty);
        else if (k == "notional") r.dec(v, "notional", notional);
    });
    if (!r.ok()) return false;
    if (type == "PRICE_FILTER") {
        if (!tick || !tick->is_positive()) return r.fail("PRICE_FILTER.tickSize", "missing or not positive");
        s.info.tick_size = *tick;
        s.min_price = min_price.value_or(decimal{});
        s.max_price = max_price.value_or(decimal{});
        has_price = true;
    } else if (type == "LOT_SIZE") {
        if (!step || !step->is_positive()) return r.fail("LOT_SIZE.stepSize", "missing or not positive");
        lot_step = *step;
        lot_min = min_qty.value_or(decimal{});
        s.max_qty = max_qty.value_or(decimal{});
        has_lot = true;
    } else if (type == "MARKET_LOT_SIZE") {
        if (step && step->is_positive()) market_step = *step;
        market_min = min_qty.value_or(decimal{});
        s.market_max_qty = max_qty.value_or(decimal{});
    } else if (type == "MIN_NOTIONAL") {
        s.info.min_notional = notional.value_or(decimal{});
    }
    return true;
}

bool read_symbol(od::object& obj, reader& r, symbol_rules& s) {
    decimal lot_step, lot_min, market_step, market_min;
    bool has_price = false;
    bool has_lot = false;
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "symbol") r.string(v, "symbol", s.info.symbol);
        else if (k == "status") r.string(v, "status", s.status);
        else if (k == "contractType") r.string(v, "contractType", s.contract_type);
        else if (k == "quoteAsset") r.string(v, "quoteAsset", s.quote_asset);
        else if (k == "triggerProtect") r.dec_soft(v, "triggerProtect", s.trigger_protect);
        else if (k == "filters") {
            od::array filters;
            if (!r.array(v, "filters", filters)) return;
            for_each_element(filters, r, [&](od::value& fv, std::size_t) {
                od::object f;
                if (!r.object(fv, "filters[]", f)) return;
                read_filter(f, r, s, lot_step, lot_min, market_step, market_min, has_price, has_lot);
            });
        }
    });
    if (!r.ok() || !r.require({"symbol", "filters"})) return false;
    if (!has_price) return r.fail("filters", "no PRICE_FILTER");
    if (!has_lot) return r.fail("filters", "no LOT_SIZE");
    // MARKET and conditional-market orders must satisfy both lot filters: use the coarser step
    // and the larger minimum.
    s.info.step_size = std::max(lot_step, market_step);
    s.info.min_qty = std::max(lot_min, market_min);
    return true;
}

bool read_rate_limit(od::object& obj, reader& r, rate_limit_rule& l) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "rateLimitType") r.string(v, "rateLimitType", l.type);
        else if (k == "interval") r.string(v, "interval", l.interval);
        else if (k == "intervalNum") r.int32(v, "intervalNum", l.interval_num);
        else if (k == "limit") r.int32(v, "limit", l.limit);
    });
    return r.ok() && r.require({"rateLimitType", "interval", "limit"});
}

}  // namespace

// ----- public --------------------------------------------------------------------------------

std::optional<api_error> parse_api_error(std::string_view body, json_parser& p) {
    od::document doc;
    if (p.impl().iterate(body).get(doc)) return std::nullopt;
    od::object obj;
    if (doc.get_object().get(obj)) return std::nullopt;
    reader r("error");
    std::optional<int> code;
    std::string msg;
    bool ok = for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "code") r.int32(v, "code", code);
        else if (k == "msg") r.string(v, "msg", msg);
    });
    if (!ok || !code || *code >= 0) return std::nullopt;
    return api_error{*code, std::move(msg)};
}

result<exchange_rules> parse_exchange_info(std::string_view body, json_parser& p) {
    return object_body<exchange_rules>(p, body, "exchangeInfo", [](od::object& obj, reader& r, exchange_rules& out) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "symbols") {
                od::array arr;
                if (!r.array(v, "symbols", arr)) return;
                for_each_element(arr, r, [&](od::value& sv, std::size_t index) {
                    std::string context = "exchangeInfo.symbols[" + std::to_string(index) + "]";
                    reader sr(context);
                    od::object so;
                    symbol_rules s;
                    if (sr.object(sv, "(element)", so) && read_symbol(so, sr, s)) {
                        out.symbols.push_back(std::move(s));
                        return;
                    }
                    // One odd symbol must not hide the others; but broken JSON stops everything.
                    if (sr.json_broken()) {
                        r.fail("symbols", sr.error());
                        return;
                    }
                    out.skipped.push_back((s.info.symbol.empty() ? context : s.info.symbol) + ": " + sr.error());
                });
            } else if (k == "rateLimits") {
                od::array arr;
                if (!r.array(v, "rateLimits", arr)) return;
                for_each_element(arr, r, [&](od::value& lv, std::size_t) {
                    od::object lo;
                    rate_limit_rule l;
                    if (r.object(lv, "rateLimits[]", lo) && read_rate_limit(lo, r, l)) out.rate_limits.push_back(l);
                });
            }
        });
        return r.ok() && r.require({"symbols"});
    });
}

result<symbol_rules> parse_symbol_rules(std::string_view body, json_parser& p) {
    return object_body<symbol_rules>(p, body, "symbol", read_symbol);
}

const symbol_rules* find_symbol(const exchange_rules& rules, std::string_view symbol) {
    for (const auto& s : rules.symbols) {
        if (s.info.symbol == symbol) return &s;
    }
    return nullptr;
}

engine::order_status to_order_status(std::string_view s) {
    using engine::order_status;
    if (s == "NEW") return order_status::accepted;
    if (s == "PARTIALLY_FILLED") return order_status::partially_filled;
    if (s == "FILLED") return order_status::filled;
    if (s == "CANCELED") return order_status::canceled;
    if (s == "REJECTED") return order_status::rejected;
    if (s == "EXPIRED" || s == "EXPIRED_IN_MATCH") return order_status::expired;
    return order_status::unknown;
}

result<order_info> parse_order(std::string_view body, json_parser& p) {
    return object_body<order_info>(p, body, "order", read_order);
}

result<std::vector<order_info>> parse_orders(std::string_view body, json_parser& p) {
    return array_body<order_info>(p, body, "orders", read_order);
}

std::string_view to_string(algo_status s) {
    switch (s) {
        case algo_status::new_: return "NEW";
        case algo_status::canceled: return "CANCELED";
        case algo_status::triggering: return "TRIGGERING";
        case algo_status::triggered: return "TRIGGERED";
        case algo_status::finished: return "FINISHED";
        case algo_status::rejected: return "REJECTED";
        case algo_status::expired: return "EXPIRED";
        case algo_status::unknown: break;
    }
    return "UNKNOWN";
}

algo_status parse_algo_status(std::string_view s) {
    if (s == "NEW") return algo_status::new_;
    if (s == "CANCELED" || s == "CANCELLED") return algo_status::canceled;
    if (s == "TRIGGERING") return algo_status::triggering;
    if (s == "TRIGGERED") return algo_status::triggered;
    if (s == "FINISHED") return algo_status::finished;
    if (s == "REJECTED") return algo_status::rejected;
    if (s == "EXPIRED") return algo_status::expired;
    return algo_status::unknown;
}

bool is_final(algo_status s) {
    return s == algo_status::canceled || s == algo_status::finished || s == algo_status::rejected ||
           s == algo_status::expired;
}

result<algo_order_info> parse_algo_order(std::string_view body, json_parser& p) {
    return object_body<algo_order_info>(p, body, "algoOrder", read_algo_order);
}

result<std::vector<algo_order_info>> parse_algo_orders(std::string_view body, json_parser& p) {
    return array_body<algo_order_info>(p, body, "algoOrders", read_algo_order);
}

result<ack> parse_ack(std::string_view body, json_parser& p) {
    return object_body<ack>(p, body, "ack", [](od::object& obj, reader& r, ack& a) {
        return for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "code") r.string(v, "code", a.code);
            else if (k == "msg") r.string(v, "msg", a.msg);
            else if (k == "algoId") r.int64(v, "algoId", a.algo_id);
            else if (k == "clientAlgoId") r.string(v, "clientAlgoId", a.client_algo_id);
        });
    });
}

result<std::vector<position_row>> parse_position_risk(std::string_view body, json_parser& p) {
    return array_body<position_row>(p, body, "positionRisk", read_position, true);
}

result<std::vector<balance_row>> parse_balances(std::string_view body, json_parser& p) {
    return array_body<balance_row>(p, body, "balance", read_balance);
}

const balance_row* find_asset(const std::vector<balance_row>& rows, std::string_view asset) {
    for (const auto& b : rows) {
        if (b.asset == asset) return &b;
    }
    return nullptr;
}

result<account_info> parse_account(std::string_view body, json_parser& p) {
    return object_body<account_info>(p, body, "account", [](od::object& obj, reader& r, account_info& a) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "totalWalletBalance") r.dec(v, "totalWalletBalance", a.total_wallet_balance);
            else if (k == "totalUnrealizedProfit") r.dec(v, "totalUnrealizedProfit", a.total_unrealized_profit);
            else if (k == "totalMarginBalance") r.dec(v, "totalMarginBalance", a.total_margin_balance);
            else if (k == "totalInitialMargin") r.dec(v, "totalInitialMargin", a.total_initial_margin);
            else if (k == "totalMaintMargin") r.dec(v, "totalMaintMargin", a.total_maint_margin);
            else if (k == "availableBalance") r.dec(v, "availableBalance", a.available_balance);
            else if (k == "maxWithdrawAmount") r.dec(v, "maxWithdrawAmount", a.max_withdraw_amount);
            else if (k == "assets") {
                od::array arr;
                if (!r.array(v, "assets", arr)) return;
                for_each_element(arr, r, [&](od::value& ev, std::size_t) {
                    od::object eo;
                    balance_row b;
                    if (r.object(ev, "assets[]", eo) && read_balance(eo, r, b)) a.assets.push_back(std::move(b));
                });
            } else if (k == "positions") {
                od::array arr;
                if (!r.array(v, "positions", arr)) return;
                for_each_element(arr, r, [&](od::value& ev, std::size_t) {
                    od::object eo;
                    position_row pr;
                    if (r.object(ev, "positions[]", eo) && read_position(eo, r, pr)) a.positions.push_back(std::move(pr));
                });
            }
        });
        return r.ok();
    });
}

result<leverage_info> parse_leverage(std::string_view body, json_parser& p) {
    return object_body<leverage_info>(p, body, "leverage", [](od::object& obj, reader& r, leverage_info& l) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "symbol") r.string(v, "symbol", l.symbol);
            else if (k == "leverage") r.int32(v, "leverage", l.leverage);
            else if (k == "maxNotionalValue") r.dec_soft(v, "maxNotionalValue", l.max_notional);
        });
        return r.ok() && r.require({"leverage"});
    });
}

result<bool> parse_position_mode(std::string_view body, json_parser& p) {
    return object_body<bool>(p, body, "positionSide/dual", [](od::object& obj, reader& r, bool& dual) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "dualSidePosition") r.boolean(v, "dualSidePosition", dual);
        });
        return r.ok() && r.require({"dualSidePosition"});
    });
}

result<std::int64_t> parse_server_time(std::string_view body, json_parser& p) {
    return object_body<std::int64_t>(p, body, "time", [](od::object& obj, reader& r, std::int64_t& t) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "serverTime") r.int64(v, "serverTime", t);
        });
        return r.ok() && r.require({"serverTime"});
    });
}

result<std::string> parse_listen_key(std::string_view body, json_parser& p) {
    return object_body<std::string>(p, body, "listenKey", [](od::object& obj, reader& r, std::string& key) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "listenKey") r.string(v, "listenKey", key);
        });
        if (!r.ok() || !r.require({"listenKey"})) return false;
        if (key.empty()) return r.fail("listenKey", "empty");
        return true;
    });
}

result<decimal> parse_premium_index_mark(std::string_view body, json_parser& p) {
    return object_body<decimal>(p, body, "premiumIndex", [](od::object& obj, reader& r, decimal& mark) {
        for_each_field(obj, r, [&](std::string_view k, od::value& v) {
            if (k == "markPrice") r.dec(v, "markPrice", mark);
        });
        if (!r.ok() || !r.require({"markPrice"})) return false;
        if (!mark.is_positive()) return r.fail("markPrice", "not positive");
        return true;
    });
}

result<std::vector<user_trade>> parse_user_trades(std::string_view body, json_parser& p) {
    return array_body<user_trade>(p, body, "userTrades", read_user_trade);
}

}  // namespace traded::binance
