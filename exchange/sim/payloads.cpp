#include "exchange/sim/payloads.hpp"

#include <algorithm>

namespace traded::sim {

namespace json = boost::json;

namespace {

int price_digits(const symbol_config& s) { return std::max(s.tick_size.fractional_digits(), 1); }
int qty_digits(const symbol_config& s) { return s.step_size.fractional_digits(); }

/// Entry prices are volume-weighted and may carry more digits than the tick; Binance prints them
/// unpadded ("22185.2", "0.385"), and "0.0" when flat.
std::string fmt_entry(decimal v) { return v.is_zero() ? std::string("0.0") : v.to_string(); }

/// A synthetic resting quantity for book tickers, stable for a given update id.
decimal book_qty(const symbol_config& s, std::int64_t update_id) {
    return s.step_size.mul_int(100 + (update_id * 7919) % 900);
}

/// Maintenance margin rate of the first bracket (0.4% for BTCUSDT on Binance).
decimal maint_rate() { return *decimal::parse("0.004"); }

json::object price_filter(const symbol_config& s) {
    return {{"filterType", "PRICE_FILTER"},
            {"minPrice", fmt_price(s.min_price, s)},
            {"maxPrice", fmt_price(s.max_price, s)},
            {"tickSize", fmt_price(s.tick_size, s)}};
}

json::object lot_filter(const char* type, const symbol_config& s, decimal max_qty) {
    return {{"filterType", type},
            {"minQty", fmt_qty(s.min_qty, s)},
            {"maxQty", fmt_qty(max_qty, s)},
            {"stepSize", fmt_qty(s.step_size, s)}};
}

decimal notional_of(const position_view& p) { return p.amount * p.mark_price; }

}  // namespace

std::string fmt_price(decimal v, const symbol_config& s) { return v.to_string_fixed(price_digits(s)); }
std::string fmt_qty(decimal v, const symbol_config& s) { return v.to_string_fixed(qty_digits(s)); }
std::string fmt8(decimal v) { return v.to_string_fixed(8); }
std::string fmt_notional(decimal v) {
    std::string out = v.to_string();
    if (out.find('.') == std::string::npos) out += ".0";
    return out;
}

millis next_funding_time(millis now) {
    constexpr millis period = 8LL * 3600 * 1000;
    return (now / period + 1) * period;
}

std::string max_notional_for(int leverage) {
    // Generic brackets shaped like BTCUSDT's: higher leverage, smaller maximum position.
    if (leverage > 100) return "300000";
    if (leverage > 75) return "800000";
    if (leverage > 50) return "3000000";
    if (leverage > 25) return "12000000";
    if (leverage > 20) return "70000000";
    if (leverage > 10) return "100000000";
    if (leverage > 5) return "230000000";
    if (leverage > 4) return "480000000";
    if (leverage > 3) return "600000000";
    if (leverage > 2) return "800000000";
    return "1200000000";
}

json::object exchange_info(const sim_config& cfg, millis server_time) {
    json::array symbols;
    for (const auto& s : cfg.symbols) {
        json::array filters;
        filters.push_back(price_filter(s));
        filters.push_back(lot_filter("LOT_SIZE", s, s.max_qty));
        filters.push_back(lot_filter("MARKET_LOT_SIZE", s, s.market_max_qty));
        filters.push_back(json::object{{"filterType", "MAX_NUM_ORDERS"}, {"limit", 200}});
        filters.push_back(json::object{{"filterType", "MIN_NOTIONAL"}, {"notional", s.min_notional_text}});
        filters.push_back(json::object{{"filterType", "PERCENT_PRICE"},
                                       {"multiplierUp", "1.0500"},
                                       {"multiplierDown", "0.9500"},
                                       {"multiplierDecimal", "4"}});
        symbols.push_back(json::object{
            {"symbol", s.symbol},
            {"pair", s.symbol},
            {"contractType", "PERPETUAL"},
            {"deliveryDate", 4133404800000LL},
            {"onboardDate", 1569398400000LL},
            {"status", "TRADING"},
            {"maintMarginPercent", "2.5000"},
            {"requiredMarginPercent", "5.0000"},
            {"baseAsset", s.base_asset},
            {"quoteAsset", "USDT"},
            {"marginAsset", "USDT"},
            {"pricePrecision", price_digits(s)},
            {"quantityPrecision", qty_digits(s)},
            {"baseAssetPrecision", 8},
            {"quotePrecision", 8},
            {"underlyingType", "COIN"},
            {"underlyingSubType", json::array{}},
            {"settlePlan", 0},
            {"triggerProtect", "0.0500"},
            {"liquidationFee", "0.012500"},
            {"marketTakeBound", "0.05"},
            {"maxMoveOrderLimit", 10000},
            {"filters", std::move(filters)},
            {"orderTypes", json::array{"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                                       "TRAILING_STOP_MARKET"}},
            {"timeInForce", json::array{"GTC", "IOC", "FOK", "GTX", "GTD"}},
        });
    }
    return {
        {"timezone", "UTC"},
        {"serverTime", server_time},
        {"futuresType", "U_MARGINED"},
        {"rateLimits",
         json::array{
             json::object{{"rateLimitType", "REQUEST_WEIGHT"}, {"interval", "MINUTE"}, {"intervalNum", 1}, {"limit", 2400}},
             json::object{{"rateLimitType", "ORDERS"}, {"interval", "MINUTE"}, {"intervalNum", 1}, {"limit", 1200}},
             json::object{{"rateLimitType", "ORDERS"}, {"interval", "SECOND"}, {"intervalNum", 10}, {"limit", 300}},
         }},
        {"exchangeFilters", json::array{}},
        {"assets",
         json::array{
             json::object{{"asset", "USDT"}, {"marginAvailable", true}, {"autoAssetExchange", "-10000"}},
             json::object{{"asset", "USDC"}, {"marginAvailable", true}, {"autoAssetExchange", "-10000"}},
             json::object{{"asset", "BNB"}, {"marginAvailable", false}, {"autoAssetExchange", nullptr}},
         }},
        {"symbols", std::move(symbols)},
    };
}

json::object new_order_response(const order_record& o, const symbol_config& s, bool result) {
    const bool show_fill = result;
    const decimal zero;
    return {
        {"orderId", o.order_id},
        {"symbol", o.symbol},
        {"status", show_fill ? o.status : std::string("NEW")},
        {"clientOrderId", o.client_order_id},
        {"price", fmt_price(zero, s)},
        {"avgPrice", fmt_price(show_fill ? o.avg_price : zero, s)},
        {"origQty", fmt_qty(o.orig_qty, s)},
        {"executedQty", fmt_qty(show_fill ? o.executed_qty : zero, s)},
        {"cumQty", fmt_qty(show_fill ? o.executed_qty : zero, s)},
        {"cumQuote", (show_fill ? o.cum_quote : zero).to_string_fixed(price_digits(s) + qty_digits(s))},
        {"timeInForce", o.time_in_force},
        {"type", "MARKET"},
        {"reduceOnly", o.reduce_only},
        {"closePosition", false},
        {"side", o.side},
        {"positionSide", o.position_side},
        {"stopPrice", fmt_price(zero, s)},
        {"workingType", "CONTRACT_PRICE"},
        {"priceProtect", false},
        {"origType", o.orig_type},
        {"priceMatch", o.price_match},
        {"selfTradePreventionMode", o.stp_mode},
        {"goodTillDate", 0},
        {"updateTime", o.update_time},
    };
}

json::object query_order(const order_record& o, const symbol_config& s) {
    const decimal zero;
    return {
        {"avgPrice", fmt_price(o.avg_price, s)},
        {"clientOrderId", o.client_order_id},
        {"cumQuote", o.cum_quote.to_string_fixed(price_digits(s) + qty_digits(s))},
        {"executedQty", fmt_qty(o.executed_qty, s)},
        {"orderId", o.order_id},
        {"origQty", fmt_qty(o.orig_qty, s)},
        {"origType", o.orig_type},
        {"price", fmt_price(zero, s)},
        {"reduceOnly", o.reduce_only},
        {"side", o.side},
        {"positionSide", o.position_side},
        {"status", o.status},
        {"stopPrice", fmt_price(zero, s)},
        {"closePosition", false},
        {"symbol", o.symbol},
        {"time", o.time},
        {"timeInForce", o.time_in_force},
        {"type", "MARKET"},
        {"updateTime", o.update_time},
        {"workingType", "CONTRACT_PRICE"},
        {"priceProtect", false},
        {"priceMatch", o.price_match},
        {"selfTradePreventionMode", o.stp_mode},
        {"goodTillDate", 0},
    };
}

json::object algo_order(const algo_record& a, const symbol_config& s, bool detailed) {
    json::object o{
        {"algoId", a.algo_id},
        {"clientAlgoId", a.client_algo_id},
        {"algoType", "CONDITIONAL"},
        {"orderType", a.order_type},
        {"symbol", a.symbol},
        {"side", a.side},
        {"positionSide", a.position_side},
        {"timeInForce", a.time_in_force},
        {"quantity", fmt_qty(a.quantity, s)},
        {"algoStatus", a.status},
    };
    if (detailed && a.actual_order_id != 0) {
        o["actualOrderId"] = std::to_string(a.actual_order_id);
        o["actualPrice"] = fmt_price(a.actual_price, s);
        o["actualQty"] = fmt_qty(a.actual_qty, s);
        o["actualType"] = "MARKET";
    }
    o["triggerPrice"] = fmt_price(a.trigger_price, s);
    o["price"] = fmt_price(decimal{}, s);
    o["icebergQuantity"] = nullptr;
    o["selfTradePreventionMode"] = a.stp_mode;
    o["workingType"] = a.working_type;
    o["priceMatch"] = a.price_match;
    o["closePosition"] = a.close_position;
    o["priceProtect"] = a.price_protect;
    o["reduceOnly"] = a.reduce_only;
    o["activatePrice"] = "";
    o["callbackRate"] = "";
    o["createTime"] = a.create_time;
    o["updateTime"] = a.update_time;
    o["triggerTime"] = a.trigger_time;
    o["goodTillDate"] = 0;
    return o;
}

json::object order_trade_update(const order_record& o, const symbol_config& s, const std::string& x,
                                const trade_record* trade, millis event_time) {
    const decimal zero;
    const bool is_trade = trade != nullptr;
    json::object body{
        {"s", o.symbol},
        {"c", o.client_order_id},
        {"S", o.side},
        {"o", "MARKET"},
        {"f", o.time_in_force},
        {"q", fmt_qty(o.orig_qty, s)},
        {"p", fmt_price(zero, s)},
        {"ap", fmt_price(o.avg_price, s)},
        {"sp", fmt_price(zero, s)},
        {"x", x},
        {"X", o.status},
        {"i", o.order_id},
        {"l", fmt_qty(is_trade ? trade->qty : zero, s)},
        {"z", fmt_qty(o.executed_qty, s)},
        {"L", fmt_price(is_trade ? trade->price : zero, s)},
        {"N", is_trade ? trade->commission_asset : std::string("USDT")},
        {"n", fmt8(is_trade ? trade->commission : zero)},
        {"T", is_trade ? trade->time : o.update_time},
        {"t", is_trade ? trade->trade_id : 0},
        {"b", "0"},
        {"a", "0"},
        {"m", false},
        {"R", o.reduce_only},
        {"wt", "CONTRACT_PRICE"},
        {"ot", o.orig_type},
        {"ps", o.position_side},
        {"cp", false},
        {"rp", fmt8(is_trade ? trade->realized_pnl : zero)},
        {"pP", false},
        {"si", 0},
        {"ss", 0},
        {"V", o.stp_mode},
        {"pm", o.price_match},
        {"gtd", 0},
        {"er", "0"},
    };
    return {{"e", "ORDER_TRADE_UPDATE"},
            {"E", event_time},
            {"T", is_trade ? trade->time : o.update_time},
            {"o", std::move(body)}};
}

json::object algo_update(const algo_record& a, const symbol_config& s, millis event_time) {
    json::object body{
        {"caid", a.client_algo_id},
        {"aid", a.algo_id},
        {"at", "CONDITIONAL"},
        {"o", a.order_type},
        {"s", a.symbol},
        {"S", a.side},
        {"ps", a.position_side},
        {"f", a.time_in_force},
        {"q", fmt_qty(a.quantity, s)},
        {"X", a.status},
        {"ai", a.actual_order_id != 0 ? std::to_string(a.actual_order_id) : std::string()},
    };
    if (a.actual_order_id != 0) {
        body["ap"] = fmt_price(a.actual_price, s);
        body["aq"] = fmt_qty(a.actual_qty, s);
        body["act"] = "MARKET";
    }
    body["tp"] = fmt_price(a.trigger_price, s);
    body["p"] = fmt_price(decimal{}, s);
    body["V"] = a.stp_mode;
    body["wt"] = a.working_type;
    body["pm"] = a.price_match;
    body["cp"] = a.close_position;
    body["pP"] = a.price_protect;
    body["R"] = a.reduce_only;
    body["tt"] = a.trigger_time;
    body["gtd"] = 0;
    if (!a.reject_reason.empty()) body["rm"] = a.reject_reason;
    return {{"e", "ALGO_UPDATE"}, {"T", a.update_time}, {"E", event_time}, {"o", std::move(body)}};
}

json::object account_update(const balance_view& b, const std::vector<position_view>& positions,
                            const std::string& reason, decimal balance_change, millis event_time) {
    json::array rows;
    for (const auto& p : positions) {
        rows.push_back(json::object{
            {"s", p.symbol->symbol},
            {"pa", fmt_qty(p.amount, *p.symbol)},
            {"ep", fmt_entry(p.entry_price)},
            {"bep", fmt_entry(p.break_even_price)},
            {"cr", fmt8(p.accumulated_realized)},
            {"up", fmt8(p.unrealized_pnl)},
            {"mt", p.isolated ? "isolated" : "cross"},
            {"iw", "0"},
            {"ps", "BOTH"},
        });
    }
    json::object data{
        {"m", reason},
        {"B", json::array{json::object{{"a", "USDT"}, {"wb", fmt8(b.wallet)}, {"cw", fmt8(b.wallet)}, {"bc", fmt8(balance_change)}}}},
        {"P", std::move(rows)},
    };
    return {{"e", "ACCOUNT_UPDATE"}, {"E", event_time}, {"T", event_time}, {"a", std::move(data)}};
}

json::object leverage_update(const std::string& symbol, int leverage, millis event_time) {
    return {{"e", "ACCOUNT_CONFIG_UPDATE"},
            {"E", event_time},
            {"T", event_time},
            {"ac", json::object{{"s", symbol}, {"l", leverage}}}};
}

json::object listen_key_expired(const std::string& listen_key, millis event_time) {
    return {{"e", "listenKeyExpired"}, {"E", std::to_string(event_time)}, {"listenKey", listen_key}};
}

json::array balances(const balance_view& b) {
    auto row = [&](const char* asset, bool usdt) {
        const decimal zero;
        return json::object{
            {"accountAlias", b.alias},
            {"asset", asset},
            {"balance", fmt8(usdt ? b.wallet : zero)},
            {"crossWalletBalance", fmt8(usdt ? b.wallet : zero)},
            {"crossUnPnl", fmt8(usdt ? b.unrealized_pnl : zero)},
            {"availableBalance", fmt8(usdt ? b.available : zero)},
            {"maxWithdrawAmount", fmt8(usdt ? b.available : zero)},
            {"marginAvailable", true},
            {"updateTime", usdt ? b.update_time : 0},
        };
    };
    return json::array{row("FDUSD", false), row("BNB", false), row("USDT", true), row("USDC", false)};
}

json::object position_risk_v2(const position_view& p) {
    const auto& s = *p.symbol;
    return {
        {"entryPrice", fmt_entry(p.entry_price)},
        {"breakEvenPrice", fmt_entry(p.break_even_price)},
        {"marginType", p.isolated ? "isolated" : "cross"},
        {"isAutoAddMargin", "false"},
        {"isolatedMargin", "0.00000000"},
        {"leverage", std::to_string(p.leverage)},
        {"liquidationPrice", "0"},
        {"markPrice", fmt8(p.mark_price)},
        {"maxNotionalValue", max_notional_for(p.leverage)},
        {"positionAmt", fmt_qty(p.amount, s)},
        {"notional", fmt8(notional_of(p))},
        {"isolatedWallet", "0"},
        {"symbol", s.symbol},
        {"unRealizedProfit", fmt8(p.unrealized_pnl)},
        {"positionSide", "BOTH"},
        {"updateTime", p.update_time},
    };
}

json::object position_risk_v3(const position_view& p) {
    const auto& s = *p.symbol;
    const decimal notional = notional_of(p);
    const decimal initial = notional.abs() / decimal::from_int(p.leverage);
    return {
        {"symbol", s.symbol},
        {"positionSide", "BOTH"},
        {"positionAmt", fmt_qty(p.amount, s)},
        {"entryPrice", fmt_entry(p.entry_price)},
        {"breakEvenPrice", fmt_entry(p.break_even_price)},
        {"markPrice", fmt8(p.mark_price)},
        {"unRealizedProfit", fmt8(p.unrealized_pnl)},
        {"liquidationPrice", "0"},
        {"isolatedMargin", "0"},
        {"notional", fmt8(notional)},
        {"marginAsset", "USDT"},
        {"isolatedWallet", "0"},
        {"initialMargin", fmt8(initial)},
        {"maintMargin", fmt8(notional.abs() * maint_rate())},
        {"positionInitialMargin", fmt8(initial)},
        {"openOrderInitialMargin", "0"},
        {"adl", 2},
        {"bidNotional", "0"},
        {"askNotional", "0"},
        {"updateTime", p.update_time},
    };
}

json::object account_info(const balance_view& b, const std::vector<position_view>& positions, bool v3) {
    decimal maint;
    for (const auto& p : positions) maint += notional_of(p).abs() * maint_rate();
    json::object usdt{
        {"asset", "USDT"},
        {"walletBalance", fmt8(b.wallet)},
        {"unrealizedProfit", fmt8(b.unrealized_pnl)},
        {"marginBalance", fmt8(b.margin_balance)},
        {"maintMargin", fmt8(maint)},
        {"initialMargin", fmt8(b.initial_margin)},
        {"positionInitialMargin", fmt8(b.initial_margin)},
        {"openOrderInitialMargin", "0.00000000"},
        {"crossWalletBalance", fmt8(b.wallet)},
        {"crossUnPnl", fmt8(b.unrealized_pnl)},
        {"availableBalance", fmt8(b.available)},
        {"maxWithdrawAmount", fmt8(b.available)},
    };
    if (!v3) usdt["marginAvailable"] = true;
    usdt["updateTime"] = b.update_time;

    json::array rows;
    for (const auto& p : positions) {
        const auto& s = *p.symbol;
        const decimal notional = notional_of(p);
        const decimal initial = notional.abs() / decimal::from_int(p.leverage);
        if (v3) {
            if (p.amount.is_zero()) continue;
            rows.push_back(json::object{
                {"symbol", s.symbol},
                {"positionSide", "BOTH"},
                {"positionAmt", fmt_qty(p.amount, s)},
                {"unrealizedProfit", fmt8(p.unrealized_pnl)},
                {"isolatedMargin", "0.00000000"},
                {"notional", fmt8(notional)},
                {"isolatedWallet", "0"},
                {"initialMargin", fmt8(initial)},
                {"maintMargin", fmt8(notional.abs() * maint_rate())},
                {"updateTime", p.update_time},
            });
        } else {
            rows.push_back(json::object{
                {"symbol", s.symbol},
                {"initialMargin", fmt8(initial)},
                {"maintMargin", fmt8(notional.abs() * maint_rate())},
                {"unrealizedProfit", fmt8(p.unrealized_pnl)},
                {"positionInitialMargin", fmt8(initial)},
                {"openOrderInitialMargin", "0"},
                {"leverage", std::to_string(p.leverage)},
                {"isolated", p.isolated},
                {"entryPrice", fmt_entry(p.entry_price)},
                {"breakEvenPrice", fmt_entry(p.break_even_price)},
                {"maxNotional", max_notional_for(p.leverage)},
                {"bidNotional", "0"},
                {"askNotional", "0"},
                {"positionSide", "BOTH"},
                {"positionAmt", fmt_qty(p.amount, s)},
                {"updateTime", p.update_time},
            });
        }
    }

    json::object out;
    if (!v3) {
        out["feeTier"] = 0;
        out["feeBurn"] = false;
        out["canTrade"] = true;
        out["canDeposit"] = true;
        out["canWithdraw"] = true;
        out["updateTime"] = 0;
        out["multiAssetsMargin"] = false;
        out["tradeGroupId"] = -1;
    }
    out["totalInitialMargin"] = fmt8(b.initial_margin);
    out["totalMaintMargin"] = fmt8(maint);
    out["totalWalletBalance"] = fmt8(b.wallet);
    out["totalUnrealizedProfit"] = fmt8(b.unrealized_pnl);
    out["totalMarginBalance"] = fmt8(b.margin_balance);
    out["totalPositionInitialMargin"] = fmt8(b.initial_margin);
    out["totalOpenOrderInitialMargin"] = "0.00000000";
    out["totalCrossWalletBalance"] = fmt8(b.wallet);
    out["totalCrossUnPnl"] = fmt8(b.unrealized_pnl);
    out["availableBalance"] = fmt8(b.available);
    out["maxWithdrawAmount"] = fmt8(b.available);
    out["assets"] = json::array{std::move(usdt)};
    out["positions"] = std::move(rows);
    return out;
}

json::object user_trade(const trade_record& t, const symbol_config& s) {
    return {
        {"buyer", t.side == "BUY"},
        {"commission", fmt8(t.commission)},
        {"commissionAsset", t.commission_asset},
        {"id", t.trade_id},
        {"maker", false},
        {"orderId", t.order_id},
        {"price", fmt_price(t.price, s)},
        {"qty", fmt_qty(t.qty, s)},
        {"quoteQty", (t.price * t.qty).to_string_fixed(price_digits(s) + qty_digits(s))},
        {"realizedPnl", fmt8(t.realized_pnl)},
        {"side", t.side},
        {"positionSide", "BOTH"},
        {"symbol", t.symbol},
        {"time", t.time},
    };
}

json::object book_ticker_event(const symbol_config& s, const engine::quote& q, std::int64_t update_id, millis now) {
    return {
        {"e", "bookTicker"},
        {"u", update_id},
        {"E", now},
        {"T", now},
        {"s", s.symbol},
        {"b", fmt_price(q.bid, s)},
        {"B", fmt_qty(book_qty(s, update_id), s)},
        {"a", fmt_price(q.ask, s)},
        {"A", fmt_qty(book_qty(s, update_id + 1), s)},
    };
}

json::object mark_price_event(const symbol_config& s, const engine::quote& q, millis now) {
    return {
        {"e", "markPriceUpdate"},
        {"E", now},
        {"s", s.symbol},
        {"p", fmt8(q.mark)},
        {"ap", fmt8(q.mark)},
        {"i", fmt8(q.mark)},
        {"P", fmt8(q.mark)},
        {"r", "0.00010000"},
        {"T", next_funding_time(now)},
    };
}

json::object agg_trade_event(const symbol_config& s, decimal price, decimal qty, std::int64_t agg_id,
                             std::int64_t trade_id, bool buyer_is_maker, millis now) {
    return {
        {"e", "aggTrade"},
        {"E", now},
        {"s", s.symbol},
        {"a", agg_id},
        {"p", fmt_price(price, s)},
        {"q", fmt_qty(qty, s)},
        {"nq", fmt_qty(qty, s)},
        {"f", trade_id},
        {"l", trade_id},
        {"T", now},
        {"m", buyer_is_maker},
    };
}

json::object premium_index(const symbol_config& s, const engine::quote& q, millis now) {
    return {
        {"symbol", s.symbol},
        {"markPrice", fmt8(q.mark)},
        {"indexPrice", fmt8(q.mark)},
        {"estimatedSettlePrice", fmt8(q.mark)},
        {"lastFundingRate", "0.00010000"},
        {"interestRate", "0.00010000"},
        {"nextFundingTime", next_funding_time(now)},
        {"time", now},
    };
}

json::object rest_book_ticker(const symbol_config& s, const engine::quote& q, millis now) {
    return {
        {"symbol", s.symbol},
        {"bidPrice", fmt_price(q.bid, s)},
        {"bidQty", fmt_qty(book_qty(s, now), s)},
        {"askPrice", fmt_price(q.ask, s)},
        {"askQty", fmt_qty(book_qty(s, now + 1), s)},
        {"time", now},
    };
}

}  // namespace traded::sim
