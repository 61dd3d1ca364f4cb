#pragma once
/// Every metric family traded exports, in one place: the names components record under and the
/// HELP text operators read. docs/operations.md ("Metrics reference") lists the same families
/// with their labels; alert rules in the docs use these names.
///
/// Label conventions: `mode` is "paper-trading" or "real-trading" (engine::to_string), `symbol`
/// an exchange symbol, `stream` a connection name ("user", or a market root such as "public"),
/// `endpoint` "<METHOD> <path>" of an exchange REST call, `target` a notification target
/// ("webhook-1", "telegram-2": type and position in the config, never its URL).

#include "metrics/registry.hpp"

#include <string_view>

namespace traded::metrics::names {

// Process
inline constexpr std::string_view build_info = "traded_build_info";
inline constexpr std::string_view start_time = "traded_process_start_time_seconds";
inline constexpr std::string_view commands = "traded_commands_total";

// Engines (per mode)
inline constexpr std::string_view market_ticks = "traded_market_ticks_total";
inline constexpr std::string_view open_positions = "traded_open_positions";
inline constexpr std::string_view trades = "traded_trades_total";
inline constexpr std::string_view engine_running = "traded_engine_running";
inline constexpr std::string_view storage_ok = "traded_storage_ok";
inline constexpr std::string_view emergency_latched = "traded_emergency_latched";
inline constexpr std::string_view daily_loss_limit_hit = "traded_daily_loss_limit_hit";
inline constexpr std::string_view daily_realized_pnl = "traded_daily_realized_pnl";
inline constexpr std::string_view unrealized_pnl = "traded_unrealized_pnl";
inline constexpr std::string_view orders = "traded_orders_total";
inline constexpr std::string_view tick_to_decision = "traded_tick_to_decision_seconds";
inline constexpr std::string_view decision_to_wire = "traded_decision_to_wire_seconds";
inline constexpr std::string_view store_commit = "traded_store_commit_seconds";

// Market data and the exchange
inline constexpr std::string_view market_staleness = "traded_market_staleness_seconds";
inline constexpr std::string_view last_event_age = "traded_last_event_age_seconds";
inline constexpr std::string_view market_messages = "traded_market_messages_total";
inline constexpr std::string_view market_recorded = "traded_market_recorded_lines_total";
inline constexpr std::string_view market_record_dropped = "traded_market_record_dropped_total";
inline constexpr std::string_view exchange_connected = "traded_exchange_connected";
inline constexpr std::string_view user_stream_connected = "traded_user_stream_connected";
inline constexpr std::string_view stream_reconnects = "traded_stream_reconnects_total";
inline constexpr std::string_view order_round_trip = "traded_order_round_trip_seconds";
inline constexpr std::string_view exchange_requests = "traded_exchange_requests_total";
inline constexpr std::string_view rate_limit_weight = "traded_rate_limit_weight_total";
inline constexpr std::string_view rate_limit_used_weight = "traded_rate_limit_used_weight_1m";

// API server
inline constexpr std::string_view http_requests = "traded_http_requests_total";
inline constexpr std::string_view http_connections = "traded_http_connections";
inline constexpr std::string_view ws_clients = "traded_ws_clients";
inline constexpr std::string_view ws_queue_max = "traded_ws_queue_messages_max";
inline constexpr std::string_view ws_dropped = "traded_ws_clients_dropped_total";
inline constexpr std::string_view ws_fanout_pending = "traded_ws_fanout_pending";
inline constexpr std::string_view api_refused = "traded_api_refused_total";
inline constexpr std::string_view api_unauthenticated = "traded_api_unauthenticated_connections";

// Notifications
inline constexpr std::string_view notify_sent = "traded_notifications_sent_total";
inline constexpr std::string_view notify_failed = "traded_notifications_failed_total";
inline constexpr std::string_view notify_dropped = "traded_notifications_dropped_total";
inline constexpr std::string_view notify_retries = "traded_notifications_retries_total";
inline constexpr std::string_view notify_queue = "traded_notifications_queue_depth";

}  // namespace traded::metrics::names

namespace traded::metrics {

/// Declares every family above with its type and HELP text.
void declare_all(registry& r);

}  // namespace traded::metrics
