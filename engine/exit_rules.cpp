#include "engine/exit_rules.hpp"

namespace traded::engine {

namespace {

/// Exact test of unrealized_pnl(s, entry, price, qty) >= target with a 128-bit product: the
/// decimal product truncates at 8 digits, which could make a price that exactly meets the target
/// look a hair short of it.
bool meets(side s, decimal entry, decimal price, decimal qty, decimal target) {
    using i128 = __int128;
    i128 delta = s == side::long_side ? price.raw() - entry.raw() : entry.raw() - price.raw();
    return delta * qty.raw() >= static_cast<i128>(target.raw()) * decimal::scale;
}

/// The price, on the tick grid, nearest to the entry at which `qty` makes at least `target`.
decimal price_for_profit(side s, decimal entry, decimal qty, decimal target, decimal tick) {
    if (!qty.is_positive() || !tick.is_positive()) return {};
    decimal move = target / qty;  // truncated: corrected below
    if (s == side::long_side) {
        decimal p = (entry + move).ceil_to(tick);
        while (!meets(s, entry, p, qty, target)) p += tick;
        return p;
    }
    decimal p = (entry - move).floor_to(tick);
    while (!meets(s, entry, p, qty, target)) p -= tick;
    return p;
}

}  // namespace

decimal unrealized_pnl(side s, decimal entry, decimal mark, decimal qty) {
    decimal gross = (mark - entry) * qty;
    return s == side::long_side ? gross : -gross;
}

decimal tp_price(side s, decimal entry, decimal qty, decimal target, decimal tick) {
    return price_for_profit(s, entry, qty, target, tick);
}

decimal floor_price(side s, decimal entry, decimal qty, decimal floor, decimal tick) {
    return price_for_profit(s, entry, qty, floor, tick);
}

decimal sl_price(side s, decimal entry, decimal pct, decimal tick) {
    decimal distance = entry * (pct / decimal::from_int(100));
    decimal raw = s == side::long_side ? entry - distance : entry + distance;
    return tick.is_positive() ? raw.round_to(tick) : raw;
}

}  // namespace traded::engine
