#pragma once
/// The reconciliation sweep's decisions, pure: (what the exchange showed, what the engine holds)
/// -> what to do, and the report lines. The port (port_reconcile.cpp) reads the exchange, asks
/// these functions, performs the steps (lookups, cancels, position queries) and reports.
///
/// The sweep runs in phases because each phase's actions change the engine's state the next one
/// reads (a lookup's answer may fail a position, a cancel ends an order):
///   1. plan_orders:    every order the engine holds as live -> confirm it from the open-order
///                      lists, or look it up by client id; on_missing() decides what a lookup
///                      that found nothing means;
///   2. plan_leftovers: orders of ours still open on the exchange for positions that are over
///                      -> cancel them (a reduce-only stop of an old position could cut a new one);
///   3. plan_positions: OPEN positions flat on the exchange -> confirm with a second reading, then
///                      close as EXTERNAL; CLOSING ones -> a fresh position reading.
/// Tests step each phase by hand, with no sockets.

#include "engine/types.hpp"
#include "exchange/binance/responses.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace traded::binance::reconcile {

using millis = engine::millis;

/// What one sweep read from the exchange (the configured symbols' open orders).
struct exchange_snapshot {
    std::vector<position_row> positions;
    std::map<std::string, order_info> open_orders;     // by client order id
    std::map<std::string, algo_order_info> open_algos;  // by client algo id
};

/// The net exchange position on `symbol` (one-way mode: one row; summed to be safe).
decimal amount_of(const std::vector<position_row>& rows, const std::string& symbol);

/// True when the exchange amount is on the position's side (it still holds the position).
bool holds(const engine::position& p, decimal amount);

// ----- phase 1: live orders ------------------------------------------------------------------

/// What to do about one order the engine holds as live.
struct order_step {
    enum class kind {
        confirm_open,  // it is in the snapshot's open orders / open algo orders: apply that
        look_up,       // not open: ask the exchange by client id what became of it
    };
    kind what = kind::look_up;
    std::string client_id;
    std::string symbol;
    bool algo = false;
};

/// Every live (pending / accepted / partially filled) engine order, except those a placement or
/// cancel flow is handling (`busy`: their answer is fresher than any sweep reading).
std::vector<order_step> plan_orders(const exchange_snapshot& x, const std::map<std::string, engine::order_record>& orders,
                                    const std::set<std::string>& busy);

/// What a live order the lookup did not find means.
struct missing_verdict {
    enum class kind {
        await_entry,   // an entry the exchange may still execute until final_at: kept OPENING
        entry_failed,  // an entry past its window: the position fails (order_rejected -2013)
        canceled,      // TP/SL/close not on the exchange: reported canceled
    };
    kind what = kind::canceled;
    millis final_at = 0;  // await_entry: until when
    std::string line;     // the report line
};

/// The verdict for `o` (not found by its lookup) at `now`. An entry counts as not found only once
/// recvWindow (+ |clock offset| + margin) has passed since it was decided and written.
missing_verdict on_missing(const engine::order_record& o, millis now, millis recv_window_ms, millis clock_offset_ms);

/// The report line of a live order the lookup found (`final_status` empty: still open).
std::string found_line(const std::string& client_id, const std::string& final_status);

// ----- phase 2: leftovers --------------------------------------------------------------------

/// An order of ours open on the exchange that must be canceled.
struct leftover {
    std::string client_id;
    std::string symbol;
    std::string line;
};

/// What phase 2 decided: the cancels, and open orders of ours that name a position the engine
/// does not know (left alone, logged).
struct leftover_plan {
    std::vector<leftover> cancels;
    std::vector<std::string> unknown_positions;  // client ids
};

/// Our (`own`) orders in the snapshot whose position is over (CLOSED / FAILED) or whose order the
/// engine no longer holds as live. Busy client ids are left to their flow; ids not ours are never
/// touched.
leftover_plan plan_leftovers(const exchange_snapshot& x, const std::map<std::string, engine::position>& positions,
                             const std::map<std::string, engine::order_record>& orders,
                             const std::function<bool(const std::string&)>& own, const std::set<std::string>& busy);

// ----- phase 3: positions --------------------------------------------------------------------

/// What to do about one position that is not over.
struct position_step {
    enum class kind {
        query,         // CLOSING: a fresh position reading lets its close flow continue
        confirm_flat,  // OPEN but flat on the exchange: read again; still flat -> close as EXTERNAL
    };
    kind what = kind::query;
    std::string position_id;
    std::string symbol;
};

/// Positions to act on. `busy_symbols`: symbols with an order of ours in flight or fills being
/// fetched (a reading there may predate them: not judged).
std::vector<position_step> plan_positions(const exchange_snapshot& x, const std::map<std::string, engine::position>& positions,
                                          const std::set<std::string>& busy_symbols);

/// The report line of a position confirmed flat by the second reading.
std::string closed_outside_line(const std::string& position_id);

}  // namespace traded::binance::reconcile
