#include "exchange/binance/stream_events.hpp"

#include "exchange/binance/json_detail.hpp"

namespace traded::binance {

namespace {

using detail::envelope;
using detail::for_each_element;
using detail::for_each_field;
namespace od = detail::od;
using detail::reader;

// ----- user ----------------------------------------------------------------------------------

bool read_order_update_body(od::object& o, reader& r, order_trade_update& u) {
    for_each_field(o, r, [&](std::string_view k, od::value& v) {
        if (k == "s") r.string(v, "o.s", u.symbol);
        else if (k == "c") r.string(v, "o.c", u.client_order_id);
        else if (k == "S") r.string(v, "o.S", u.side);
        else if (k == "o") r.string(v, "o.o", u.order_type);
        else if (k == "ot") r.string(v, "o.ot", u.orig_type);
        else if (k == "f") r.string(v, "o.f", u.time_in_force);
        else if (k == "q") r.dec(v, "o.q", u.orig_qty);
        else if (k == "p") r.dec(v, "o.p", u.orig_price);
        else if (k == "ap") r.dec(v, "o.ap", u.avg_price);
        else if (k == "sp") r.dec(v, "o.sp", u.stop_price);
        else if (k == "x") r.string(v, "o.x", u.execution_type);
        else if (k == "X") r.string(v, "o.X", u.order_status);
        else if (k == "i") r.int64(v, "o.i", u.order_id);
        else if (k == "l") r.dec(v, "o.l", u.last_filled_qty);
        else if (k == "z") r.dec(v, "o.z", u.cum_filled_qty);
        else if (k == "L") r.dec(v, "o.L", u.last_filled_price);
        else if (k == "N") r.string(v, "o.N", u.commission_asset);
        else if (k == "n") r.dec(v, "o.n", u.commission);
        else if (k == "T") r.int64(v, "o.T", u.trade_time);
        else if (k == "t") r.int64(v, "o.t", u.trade_id);
        else if (k == "m") r.boolean(v, "o.m", u.is_maker);
        else if (k == "R") r.boolean(v, "o.R", u.reduce_only);
        else if (k == "ps") r.string(v, "o.ps", u.position_side);
        else if (k == "cp") r.boolean(v, "o.cp", u.close_position);
        else if (k == "rp") r.dec(v, "o.rp", u.realized_pnl);
        else if (k == "er") r.string(v, "o.er", u.expiry_reason);
    });
    if (!r.ok() || !r.require({"o.s", "o.c", "o.S", "o.x", "o.X", "o.i"})) return false;
    // A fill without its quantity, price or trade id cannot be booked (nor deduplicated).
    if (u.is_fill() && !r.require({"o.l", "o.L", "o.t"})) return false;
    u.state = to_order_status(u.order_status);
    return true;
}

bool read_order_trade_update(od::object& obj, reader& r, order_trade_update& u) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") r.int64(v, "E", u.event_time);
        else if (k == "T") r.int64(v, "T", u.transaction_time);
        else if (k == "o") {
            od::object o;
            if (r.object(v, "o", o)) read_order_update_body(o, r, u);
        }
    });
    return r.ok() && r.require({"o"});
}

bool read_algo_update_body(od::object& o, reader& r, algo_update& u) {
    for_each_field(o, r, [&](std::string_view k, od::value& v) {
        if (k == "caid") r.string(v, "o.caid", u.client_algo_id);
        else if (k == "aid") r.int64(v, "o.aid", u.algo_id);
        else if (k == "at") r.string(v, "o.at", u.algo_type);
        else if (k == "o") r.string(v, "o.o", u.order_type);
        else if (k == "s") r.string(v, "o.s", u.symbol);
        else if (k == "S") r.string(v, "o.S", u.side);
        else if (k == "ps") r.string(v, "o.ps", u.position_side);
        else if (k == "q") r.dec(v, "o.q", u.qty);
        else if (k == "X") r.string(v, "o.X", u.status_text);
        else if (k == "ai") r.string(v, "o.ai", u.actual_order_id);
        else if (k == "ap") r.dec(v, "o.ap", u.avg_price);
        else if (k == "aq") r.dec(v, "o.aq", u.executed_qty);
        else if (k == "act") r.string(v, "o.act", u.actual_type);
        else if (k == "tp") r.dec(v, "o.tp", u.trigger_price);
        else if (k == "p") r.dec(v, "o.p", u.price);
        else if (k == "wt") r.string(v, "o.wt", u.working_type);
        else if (k == "cp") r.boolean(v, "o.cp", u.close_position);
        else if (k == "R") r.boolean(v, "o.R", u.reduce_only);
        else if (k == "tt") r.int64(v, "o.tt", u.trigger_time);
        else if (k == "rm") r.string(v, "o.rm", u.reason);
    });
    if (!r.ok() || !r.require({"o.caid", "o.aid", "o.X", "o.s"})) return false;
    u.status = parse_algo_status(u.status_text);
    return true;
}

bool read_algo_update(od::object& obj, reader& r, algo_update& u) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") r.int64(v, "E", u.event_time);
        else if (k == "T") r.int64(v, "T", u.transaction_time);
        else if (k == "o") {
            od::object o;
            if (r.object(v, "o", o)) read_algo_update_body(o, r, u);
        }
    });
    return r.ok() && r.require({"o"});
}

bool read_account_update_body(od::object& a, reader& r, account_update& u) {
    for_each_field(a, r, [&](std::string_view k, od::value& v) {
        if (k == "m") {
            r.string(v, "a.m", u.reason);
        } else if (k == "B") {
            od::array arr;
            if (!r.array(v, "a.B", arr)) return;
            for_each_element(arr, r, [&](od::value& ev, std::size_t) {
                od::object bo;
                if (!r.object(ev, "a.B[]", bo)) return;
                account_balance b;
                reader br("ACCOUNT_UPDATE");
                for_each_field(bo, br, [&](std::string_view bk, od::value& bv) {
                    if (bk == "a") br.string(bv, "a.B[].a", b.asset);
                    else if (bk == "wb") br.dec(bv, "a.B[].wb", b.wallet_balance);
                    else if (bk == "cw") br.dec(bv, "a.B[].cw", b.cross_wallet_balance);
                    else if (bk == "bc") br.dec(bv, "a.B[].bc", b.balance_change);
                });
                if (!br.ok() || !br.require({"a.B[].a", "a.B[].wb"})) {
                    r.adopt(br);
                    return;
                }
                u.balances.push_back(std::move(b));
            });
        } else if (k == "P") {
            od::array arr;
            if (!r.array(v, "a.P", arr)) return;
            for_each_element(arr, r, [&](od::value& ev, std::size_t) {
                od::object po;
                if (!r.object(ev, "a.P[]", po)) return;
                account_position p;
                reader pr("ACCOUNT_UPDATE");
                for_each_field(po, pr, [&](std::string_view pk, od::value& pv) {
                    if (pk == "s") pr.string(pv, "a.P[].s", p.symbol);
                    else if (pk == "pa") pr.dec(pv, "a.P[].pa", p.amount);
                    else if (pk == "ep") pr.dec(pv, "a.P[].ep", p.entry_price);
                    else if (pk == "bep") pr.dec(pv, "a.P[].bep", p.break_even_price);
                    else if (pk == "cr") pr.dec(pv, "a.P[].cr", p.accumulated_realized);
                    else if (pk == "up") pr.dec(pv, "a.P[].up", p.unrealized_pnl);
                    else if (pk == "mt") pr.string(pv, "a.P[].mt", p.margin_type);
                    else if (pk == "iw") pr.dec(pv, "a.P[].iw", p.isolated_wallet);
                    else if (pk == "ps") pr.string(pv, "a.P[].ps", p.position_side);
                });
                if (!pr.ok() || !pr.require({"a.P[].s", "a.P[].pa"})) {
                    r.adopt(pr);
                    return;
                }
                u.positions.push_back(std::move(p));
            });
        }
    });
    return r.ok();
}

bool read_account_update(od::object& obj, reader& r, account_update& u) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") r.int64(v, "E", u.event_time);
        else if (k == "T") r.int64(v, "T", u.transaction_time);
        else if (k == "a") {
            od::object a;
            if (r.object(v, "a", a)) read_account_update_body(a, r, u);
        }
    });
    return r.ok() && r.require({"a"});
}

bool read_listen_key_expired(od::object& obj, reader& r, listen_key_expired& x) {
    return for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") r.int64(v, "E", x.event_time);
        else if (k == "listenKey") r.string(v, "listenKey", x.listen_key);
    });
}

bool read_margin_call(od::object& obj, reader& r, margin_call& m) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") {
            r.int64(v, "E", m.event_time);
        } else if (k == "cw") {
            r.dec(v, "cw", m.cross_wallet_balance);
        } else if (k == "p") {
            od::array arr;
            if (!r.array(v, "p", arr)) return;
            for_each_element(arr, r, [&](od::value& ev, std::size_t) {
                od::object po;
                if (!r.object(ev, "p[]", po)) return;
                margin_call_position p;
                reader pr("MARGIN_CALL");
                for_each_field(po, pr, [&](std::string_view pk, od::value& pv) {
                    if (pk == "s") pr.string(pv, "p[].s", p.symbol);
                    else if (pk == "ps") pr.string(pv, "p[].ps", p.position_side);
                    else if (pk == "pa") pr.dec(pv, "p[].pa", p.amount);
                    else if (pk == "mt") pr.string(pv, "p[].mt", p.margin_type);
                    else if (pk == "iw") pr.dec(pv, "p[].iw", p.isolated_wallet);
                    else if (pk == "mp") pr.dec(pv, "p[].mp", p.mark_price);
                    else if (pk == "up") pr.dec(pv, "p[].up", p.unrealized_pnl);
                    else if (pk == "mm") pr.dec(pv, "p[].mm", p.maint_margin);
                });
                if (!pr.ok() || !pr.require({"p[].s", "p[].pa"})) {
                    r.adopt(pr);
                    return;
                }
                m.positions.push_back(std::move(p));
            });
        }
    });
    return r.ok();
}

bool read_trade_lite(od::object& obj, reader& r, trade_lite& t) {
    for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") r.int64(v, "E", t.event_time);
        else if (k == "T") r.int64(v, "T", t.transaction_time);
        else if (k == "s") r.string(v, "s", t.symbol);
        else if (k == "q") r.dec(v, "q", t.orig_qty);
        else if (k == "p") r.dec(v, "p", t.orig_price);
        else if (k == "m") r.boolean(v, "m", t.is_maker);
        else if (k == "c") r.string(v, "c", t.client_order_id);
        else if (k == "S") r.string(v, "S", t.side);
        else if (k == "L") r.dec(v, "L", t.last_filled_price);
        else if (k == "l") r.dec(v, "l", t.last_filled_qty);
        else if (k == "t") r.int64(v, "t", t.trade_id);
        else if (k == "i") r.int64(v, "i", t.order_id);
    });
    return r.ok() && r.require({"s", "c", "S", "L", "l", "t", "i"});
}

bool read_account_config_update(od::object& obj, reader& r, account_config_update& c) {
    return for_each_field(obj, r, [&](std::string_view k, od::value& v) {
        if (k == "E") {
            r.int64(v, "E", c.event_time);
        } else if (k == "T") {
            r.int64(v, "T", c.transaction_time);
        } else if (k == "ac") {
            od::object ac;
            if (!r.object(v, "ac", ac)) return;
            for_each_field(ac, r, [&](std::string_view ak, od::value& av) {
                if (ak == "s") r.string(av, "ac.s", c.symbol);
                else if (ak == "l") r.int32(av, "ac.l", c.leverage);
            });
        } else if (k == "ai") {
            od::object ai;
            if (!r.object(v, "ai", ai)) return;
            for_each_field(ai, r, [&](std::string_view ak, od::value& av) {
                if (ak == "j") r.boolean(av, "ai.j", c.multi_assets);
            });
        }
    });
}

/// Runs `read` on the event object and wraps the outcome in the variant.
template <class Variant, class T, class F>
Variant read_event(od::document& doc, const envelope& env, std::string_view context, F&& read) {
    reader r(context);
    od::object obj;
    if (!detail::event_object(doc, env, r, obj)) return stream_error{r.error()};
    T value{};
    if (!read(obj, r, value)) return stream_error{r.error()};
    return value;
}

/// Pass one: what the frame is. Returns an alternative when the frame is not an event to read.
template <class Variant>
std::optional<Variant> classify(json_parser& p, std::string_view frame, std::string_view context, od::document& doc,
                                envelope& env) {
    reader r(context);
    if (auto e = p.impl().iterate(frame).get(doc); e) {
        r.fail_json(e);
        return Variant{stream_error{r.error()}};
    }
    if (!detail::scan_envelope(doc, r, env)) return Variant{stream_error{r.error()}};
    if (env.kind == envelope::shape::array || env.data_is_array) return Variant{ignored_event{"array"}};
    if (env.is_response) return Variant{ignored_event{env.response_detail}};
    if (!env.has_event) {
        r.fail(env.wrapped ? "data.e" : "e", "missing");
        return Variant{stream_error{r.error()}};
    }
    return std::nullopt;
}

}  // namespace

user_event parse_user_event(std::string_view frame, json_parser& p) {
    od::document doc;
    envelope env;
    if (auto early = classify<user_event>(p, frame, "user event", doc, env)) return std::move(*early);
    const std::string& e = env.event_type;
    if (e == "ORDER_TRADE_UPDATE")
        return read_event<user_event, order_trade_update>(doc, env, "ORDER_TRADE_UPDATE", read_order_trade_update);
    if (e == "ALGO_UPDATE") return read_event<user_event, algo_update>(doc, env, "ALGO_UPDATE", read_algo_update);
    if (e == "ACCOUNT_UPDATE")
        return read_event<user_event, account_update>(doc, env, "ACCOUNT_UPDATE", read_account_update);
    if (e == "listenKeyExpired")
        return read_event<user_event, listen_key_expired>(doc, env, "listenKeyExpired", read_listen_key_expired);
    if (e == "MARGIN_CALL") return read_event<user_event, margin_call>(doc, env, "MARGIN_CALL", read_margin_call);
    if (e == "TRADE_LITE") return read_event<user_event, trade_lite>(doc, env, "TRADE_LITE", read_trade_lite);
    if (e == "ACCOUNT_CONFIG_UPDATE")
        return read_event<user_event, account_config_update>(doc, env, "ACCOUNT_CONFIG_UPDATE",
                                                             read_account_config_update);
    return ignored_event{e};
}

}  // namespace traded::binance
