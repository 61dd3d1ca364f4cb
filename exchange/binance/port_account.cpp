// The real Binance port: exchangeInfo, account checks (position mode, leverage), balance, BNB
// fee prices, the periodic loop.

#include "exchange/binance/port_impl.hpp"

namespace traded::binance {

using namespace port_detail;

asio::awaitable<bool> binance_port::impl::load_exchange_info() {
    auto self = shared_from_this();
    auto r = co_await rest->call(bn::exchange_info());
    if (!r.ok()) {
        last_error = "exchangeInfo: " + r.describe();
        log::warn(component, "{}", last_error);
        co_return false;
    }
    auto info = bn::parse_exchange_info(r.body, rest_parser);
    if (!info) {
        last_error = "exchangeInfo: " + info.error().message;
        log::warn(component, "{}", last_error);
        co_return false;
    }
    rest->governor().apply_limits(info->rate_limits);
    std::vector<engine::symbol_info> loaded;
    std::vector<std::string> missing;
    for (const auto& s : opts.symbols) {
        const bn::symbol_rules* sr = bn::find_symbol(*info, s);
        if (sr == nullptr || sr->status != "TRADING") {
            missing.push_back(sr == nullptr ? s + " (not listed)" : s + " (status " + sr->status + ")");
            if (const auto* fb = find_symbol(s)) loaded.push_back(*fb);
            continue;
        }
        rules[s] = *sr;
        loaded.push_back(sr->info);
        if (const auto* fb = find_symbol(s); fb && (fb->tick_size != sr->info.tick_size || fb->step_size != sr->info.step_size))
            log::info(component, "{}: exchange filters tick {} step {} (built-in defaults were tick {} step {})", s,
                      sr->info.tick_size.to_string(), sr->info.step_size.to_string(), fb->tick_size.to_string(),
                      fb->step_size.to_string());
    }
    missing_symbols = std::move(missing);
    symbols = std::move(loaded);
    const bool first = !info_loaded;
    info_loaded = true;
    if (first && on_symbols) on_symbols(symbols);
    co_return true;
}

asio::awaitable<void> binance_port::impl::check_account() {
    auto self = shared_from_this();
    auto mode = co_await rest->call(bn::get_position_mode());
    note_auth(mode);
    if (mode.ok()) {
        auto dual = bn::parse_position_mode(mode.body, rest_parser);
        if (dual) {
            if (*dual && (!hedge_mode || !*hedge_mode))
                log::error(component, "the account is in hedge (dual-side) position mode; real trading needs one-way mode");
            hedge_mode = *dual;
        }
    } else {
        last_error = "position mode: " + mode.describe();
    }
    co_await refresh_balance();
    if (!auth_error.empty()) co_return;
    for (const auto& s : opts.symbols) {
        if (rules.find(s) == rules.end()) continue;
        auto r = co_await rest->call(bn::set_leverage(s, leverage()));
        if (r.ok()) {
            if (!leverage_ok.count(s)) log::info(component, "{}: leverage {}x", s, leverage());
            leverage_ok.insert(s);
            leverage_errors.erase(s);
        } else if (r.outcome == xio::rest_outcome::answered) {
            leverage_ok.erase(s);
            leverage_errors[s] = r.describe();
            log::warn(component, "{}: cannot set leverage {}x: {}", s, leverage(), r.describe());
        }
    }
}

asio::awaitable<void> binance_port::impl::refresh_balance() {
    auto self = shared_from_this();
    auto r = co_await rest->call(bn::balance());
    note_auth(r);
    if (!r.ok()) {
        last_error = "balance: " + r.describe();
        co_return;
    }
    auto rows = bn::parse_balances(r.body, rest_parser);
    if (!rows) {
        log::warn(component, "balance: {}", rows.error().message);
        co_return;
    }
    balance_snapshot b;
    b.asset = "USDT";
    if (const auto* u = bn::find_asset(*rows, "USDT")) {
        b.wallet_balance = u->wallet_balance;
        b.available_balance = u->available_balance;
        b.unrealized_pnl = u->cross_unrealized_pnl;
        b.margin_balance = u->wallet_balance + u->cross_unrealized_pnl;
    }
    b.updated_at = now();
    const bool changed = !bal || bal->wallet_balance != b.wallet_balance ||
                         bal->available_balance != b.available_balance || bal->unrealized_pnl != b.unrealized_pnl;
    bal = b;
    if (changed && on_balance) on_balance();
}

void binance_port::impl::schedule_balance_refresh() {
    if (balance_refresh_pending || !rest || !creds.ok()) return;
    balance_refresh_pending = true;
    spawn([self = shared_from_this()]() -> asio::awaitable<void> {
        co_await self->sleep(balance_coalesce_ms);
        self->balance_refresh_pending = false;
        co_await self->refresh_balance();
    });
}

asio::awaitable<void> binance_port::impl::refresh_fee_prices() {
    auto self = shared_from_this();
    bn::rest_request req = bn::premium_index("BNBUSDT");
    auto r = co_await rest->call(std::move(req));
    if (!r.ok()) co_return;  // not listed (a simulator, a testnet): BNB fees stay unknown
    if (auto mark = bn::parse_premium_index_mark(r.body, rest_parser)) tracker.set_fee_price("BNB", *mark);
}

asio::awaitable<void> binance_port::impl::periodic_loop() {
    auto self = shared_from_this();
    engine::millis last_account = now();
    engine::millis last_info = now();
    co_await refresh_fee_prices();
    while (co_await sleep(periodic_ms)) {
        co_await refresh_fee_prices();
        for (const auto& asset : tracker.missing_fee_assets())
            if (fee_assets_warned.insert(asset).second)
                log::warn(component, "commissions paid in {} were counted as 0: no {} price known", asset, asset);
        co_await refresh_balance();
        co_await refresh_positions();
        tracker.expire_orphans(now(), 120'000);
        tracker.prune(now() - 3'600'000);
        if (now() - last_account >= account_check_ms) {
            last_account = now();
            co_await check_account();
        }
        if (now() - last_info >= exchange_info_refresh_ms) {
            last_info = now();
            co_await load_exchange_info();
        }
        update_connected();
    }
}

}  // namespace traded::binance
