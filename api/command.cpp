#include "api/command.hpp"

#include <array>
#include <utility>

namespace traded::api {

namespace {
constexpr std::array<std::pair<op, std::string_view>, 13> op_names{{
    {op::status, "status"},
    {op::safety_status, "safety_status"},
    {op::account_balance, "account_balance"},
    {op::performance, "performance"},
    {op::positions, "positions"},
    {op::trades, "trades"},
    {op::close_position, "close_position"},
    {op::start, "start"},
    {op::stop, "stop"},
    {op::emergency_stop, "emergency_stop"},
    {op::set_safety_limits, "set_safety_limits"},
    {op::opportunities, "opportunities"},
    {op::submit_opportunity, "submit_opportunity"},
}};
}  // namespace

std::string_view to_string(op o) {
    for (const auto& [value, name] : op_names)
        if (value == o) return name;
    return "";
}

std::optional<op> parse_op(std::string_view s) {
    for (const auto& [value, name] : op_names)
        if (name == s) return value;
    return std::nullopt;
}

bool needs_mode(op o) { return o != op::opportunities && o != op::submit_opportunity; }

}  // namespace traded::api
