#include "engine/events.hpp"
#include "engine/types.hpp"

#include <array>
#include <utility>

namespace traded::engine {

namespace {
template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
    for (const auto& [value, name] : table)
        if (name == s) return value;
    return std::nullopt;
}
template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
    for (const auto& [value, name] : table)
        if (value == v) return name;
    return "";
}

constexpr std::array<std::pair<mode, std::string_view>, 2> modes{{
    {mode::paper, "paper-trading"}, {mode::real, "real-trading"}}};
constexpr std::array<std::pair<side, std::string_view>, 2> sides{{
    {side::long_side, "LONG"}, {side::short_side, "SHORT"}}};
constexpr std::array<std::pair<position_status, std::string_view>, 5> statuses{{
    {position_status::opening, "OPENING"}, {position_status::open, "OPEN"},
    {position_status::closing, "CLOSING"}, {position_status::closed, "CLOSED"},
    {position_status::failed, "FAILED"}}};
constexpr std::array<std::pair<exit_reason, std::string_view>, 8> reasons{{
    {exit_reason::none, ""}, {exit_reason::take_profit, "TAKE_PROFIT"},
    {exit_reason::stop_loss, "STOP_LOSS"}, {exit_reason::profit_floor, "PROFIT_FLOOR"},
    {exit_reason::manual, "MANUAL"}, {exit_reason::stop, "STOP"},
    {exit_reason::emergency, "EMERGENCY"}, {exit_reason::external, "EXTERNAL"}}};
constexpr std::array<std::pair<order_kind, std::string_view>, 5> kinds{{
    {order_kind::entry, "ENTRY"}, {order_kind::take_profit, "TAKE_PROFIT"},
    {order_kind::stop_loss, "STOP_LOSS"}, {order_kind::floor_stop, "FLOOR_STOP"},
    {order_kind::close, "CLOSE"}}};
constexpr std::array<std::pair<order_kind, std::string_view>, 5> suffixes{{
    {order_kind::entry, "E"}, {order_kind::take_profit, "TP"}, {order_kind::stop_loss, "SL"},
    {order_kind::floor_stop, "FL"}, {order_kind::close, "X"}}};
constexpr std::array<std::pair<order_status, std::string_view>, 8> order_statuses{{
    {order_status::pending, "PENDING"}, {order_status::accepted, "NEW"},
    {order_status::partially_filled, "PARTIALLY_FILLED"}, {order_status::filled, "FILLED"},
    {order_status::canceled, "CANCELED"}, {order_status::rejected, "REJECTED"},
    {order_status::expired, "EXPIRED"}, {order_status::unknown, "UNKNOWN"}}};
constexpr std::array<std::pair<channel, std::string_view>, 7> channels{{
    {channel::positions, "positions"}, {channel::trades, "trades"}, {channel::safety, "safety"},
    {channel::account, "account"}, {channel::status, "status"},
    {channel::opportunities, "opportunities"}, {channel::market, "market"}}};
}  // namespace

std::string_view to_string(mode m) { return name_of(modes, m); }
std::optional<mode> parse_mode(std::string_view s) { return lookup(modes, s); }
std::string_view id_prefix(mode m) { return m == mode::paper ? "paper" : "live"; }
std::string_view to_string(side s) { return name_of(sides, s); }
std::optional<side> parse_side(std::string_view s) { return lookup(sides, s); }
std::string_view to_string(order_side s) { return s == order_side::buy ? "BUY" : "SELL"; }
std::string_view to_string(position_status s) { return name_of(statuses, s); }
std::optional<position_status> parse_position_status(std::string_view s) { return lookup(statuses, s); }
std::string_view to_string(exit_reason r) { return name_of(reasons, r); }

void add_commission(std::vector<commission>& to, std::string_view asset, decimal amount) {
    if (asset.empty()) asset = "USDT";
    for (auto& c : to)
        if (c.asset == asset) {
            c.amount += amount;
            return;
        }
    to.push_back(commission{std::string(asset), amount});
}

std::string commissions_text(const std::vector<commission>& c) {
    std::string out;
    for (const auto& x : c) {
        if (!out.empty()) out.push_back(',');
        out += x.asset;
        out.push_back(':');
        out += x.amount.to_string();
    }
    return out;
}

std::optional<std::vector<commission>> parse_commissions(std::string_view s) {
    std::vector<commission> out;
    while (!s.empty()) {
        const auto end = s.find(',');
        const std::string_view item = s.substr(0, end);
        const auto colon = item.find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        auto amount = decimal::parse(item.substr(colon + 1));
        if (!amount) return std::nullopt;
        out.push_back(commission{std::string(item.substr(0, colon)), *amount});
        if (end == std::string_view::npos) break;
        s.remove_prefix(end + 1);
    }
    return out;
}
std::optional<exit_reason> parse_exit_reason(std::string_view s) { return lookup(reasons, s); }
std::string_view suffix(order_kind k) { return name_of(suffixes, k); }
std::string_view to_string(order_kind k) { return name_of(kinds, k); }
std::optional<order_kind> parse_order_kind(std::string_view s) { return lookup(kinds, s); }
std::string_view to_string(order_status s) { return name_of(order_statuses, s); }
std::optional<order_status> parse_order_status(std::string_view s) { return lookup(order_statuses, s); }
std::string_view to_string(channel c) { return name_of(channels, c); }
std::optional<channel> parse_channel(std::string_view s) { return lookup(channels, s); }

std::string_view to_string(order_type t) {
    switch (t) {
        case order_type::market: return "MARKET";
        case order_type::take_profit_market: return "TAKE_PROFIT_MARKET";
        case order_type::stop_market: return "STOP_MARKET";
    }
    return "MARKET";
}

std::string client_order_id(std::string_view position_id, order_kind k) {
    std::string id(position_id);
    id.push_back('-');
    id += suffix(k);
    return id;
}

std::optional<std::pair<std::string, order_kind>> split_client_order_id(std::string_view id) {
    auto dash = id.rfind('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto sfx = lookup(suffixes, id.substr(dash + 1));
    if (!sfx) return std::nullopt;
    return std::pair{std::string(id.substr(0, dash)), *sfx};
}

std::string make_position_id(mode m, millis now, std::string_view symbol) {
    // Binance takes client order ids of at most 36 characters, and every order id is the position
    // id plus a suffix of up to 3 ("-TP"): a long symbol is cut to fit. Ids stay unique because
    // the engine bumps `now` while an id is taken.
    constexpr std::size_t max_position_id = 36 - 3;
    std::string id(id_prefix(m));
    id.push_back('_');
    id += std::to_string(now);
    id.push_back('_');
    id += symbol.substr(0, max_position_id > id.size() ? max_position_id - id.size() : 0);
    return id;
}

}  // namespace traded::engine
