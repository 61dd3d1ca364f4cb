#pragma once
/// The Pure 3-rule exit prices (SPEC §1 "Sizing and the Pure 3-rule exit mode").
///
/// Every price here is exact fixed-point arithmetic on the symbol's tick. Rounding always goes in
/// the direction that keeps the promise made to the user: the take-profit and the profit floor are
/// rounded *away* from the entry so the dollar target is still met when they fill, the stop loss
/// is rounded to the nearest tick (a fraction of a tick either way is noise next to the percent).

#include "engine/types.hpp"

namespace traded::engine {

/// Unrealized (gross, before fees) PnL of `qty` entered at `entry` and valued at `mark`:
/// (mark - entry) * qty for LONG, (entry - mark) * qty for SHORT.
decimal unrealized_pnl(side s, decimal entry, decimal mark, decimal qty);

/// Rule 1: the take-profit trigger where the gross PnL of `qty` reaches `target` dollars:
/// LONG entry + target/qty rounded UP to the tick, SHORT entry - target/qty rounded DOWN.
/// Returns zero when qty or tick is not positive (no meaningful price exists).
decimal tp_price(side s, decimal entry, decimal qty, decimal target, decimal tick);

/// Rule 3: the stop-loss trigger entry * (1 - pct/100) for LONG, entry * (1 + pct/100) for SHORT,
/// rounded to the nearest tick.
decimal sl_price(side s, decimal entry, decimal pct, decimal tick);

/// Rule 2: the stop price that still locks in `floor` dollars of gross profit once the floor is
/// activated (same rounding as tp_price: the floor is still met when it fills).
decimal floor_price(side s, decimal entry, decimal qty, decimal floor, decimal tick);

}  // namespace traded::engine
