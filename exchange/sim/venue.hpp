#pragma once
/// The simulated exchange itself, without sockets: it takes HTTP requests (method, target, headers,
/// body) and the time, and returns HTTP responses plus the stream messages they caused. The Beast
/// server (server.cpp) only moves bytes and arms timers; every protocol rule lives here, so it can
/// be driven by hand in tests.
///
/// Accounts are `traded::paper::account` (the matching model shared with paper trading), one per
/// API key, all fed the same quotes. Everything Binance shows beyond the model (client ids, algo
/// status, listenKeys, rate-limit counters) is kept here. Fault injection for tests (POST
/// /admin/fault) is applied here too, except delaying and dropping streams, which the server does
/// on our say-so (`stream_delay_ms()`, `outbox::drop_streams`).
///
/// Time: every entry point takes the wall clock in epoch ms; the exchange's own clock is that plus
/// an offset a test may set (fault `clock_offset`), so clients can rehearse clock drift.

#include "exchange/paper/matching.hpp"
#include "exchange/paper/synthetic_feed.hpp"
#include "exchange/sim/payloads.hpp"
#include "exchange/sim/sim_config.hpp"
#include "exchange/sim/state.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace traded::sim {

/// An HTTP request as the venue needs it.
struct http_request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and raw query string, as sent
    std::string body;
    std::string content_type;
    std::optional<std::string> api_key;  // X-MBX-APIKEY header when present
    bool from_loopback = true;           // admin endpoints answer loopback peers only
};

/// The answer, and how long to hold it back (the `timeout` fault).
struct http_response {
    unsigned status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    int delay_ms = 0;
    /// The `hold` fault: nothing was done yet. The server calls venue::handle_held with the same
    /// request after hold_ms (whatever became of the client's connection meanwhile), then sends
    /// that answer, or closes the connection without one when drop_answer.
    int hold_ms = 0;
    bool drop_answer = false;
};

/// A user-data event for the connections listening on `listen_key`.
struct user_push {
    std::string listen_key;
    std::string event_type;  // "ORDER_TRADE_UPDATE", ... (for the `events=` filter)
    std::string json;
};

/// A market-data event for one stream name ("btcusdt@bookTicker").
struct market_push {
    std::string stream;
    std::string json;
};

/// What the server has to deliver after a call into the venue.
struct outbox {
    std::vector<user_push> user;
    std::vector<market_push> market;
    std::vector<std::string> closed_listen_keys;  // DELETE listenKey: close these streams
    bool drop_streams = false;                    // fault drop_streams: close every WebSocket now
};

/// The simulated exchange.
class venue {
public:
    /// `wall_now` seeds the quotes' timestamps.
    venue(sim_config cfg, millis wall_now);

    /// Answers one REST request (including /admin/...).
    http_response handle(const http_request& req, millis wall_now);
    /// Executes a request the `hold` fault held back (it passed the recvWindow check on arrival,
    /// as on the real exchange, so the check is not repeated).
    http_response handle_held(const http_request& req, millis wall_now);
    /// One step of the synthetic walk (symbols frozen by /admin/price stay put).
    void feed_step(millis wall_now);
    /// Publishes <symbol>@markPrice (fast=false, every 3 s) or @markPrice@1s (fast=true).
    void mark_price_tick(millis wall_now, bool fast);
    /// Housekeeping: listenKey expiry, flushing events held back by the reorder fault.
    void tick(millis wall_now);
    /// Takes what is waiting for delivery.
    outbox take_outbox();

    /// True while `key` is a live listenKey (user-data connections on other keys get nothing).
    bool listen_key_active(const std::string& key) const;
    /// Extra delay for every stream message (fault delay_streams), 0 normally.
    int stream_delay_ms() const { return stream_delay_ms_; }
    /// Fault drop_request: true when `req` must be dropped unprocessed (the connection is closed
    /// without an answer, as when the network loses it before the exchange reads it).
    bool take_request_drop(const http_request& req, millis wall_now);
    /// Lifetime of a stream connection in ms: streams.max_connection_s, or what the
    /// rotate_streams fault set (Binance cuts every connection at 24 h).
    millis stream_max_connection_ms() const;
    const sim_config& config() const { return cfg_; }
    /// True when the upper-case symbol is listed.
    bool has_symbol(const std::string& symbol) const;

private:
    struct account_state {
        account_state(const account_config& c, const std::vector<engine::symbol_info>& symbols);
        account_config cfg;
        paper::account book;
        bool dual_side = false;
        std::set<std::string> isolated;  // symbols switched to ISOLATED margin
        std::string listen_key;          // empty when none is live
        millis listen_key_expiry = 0;
        int listen_key_creates = 0;      // POST listenKey received (GET /admin/state)
        int listen_key_keepalives = 0;   // PUT listenKey received
        std::map<std::int64_t, order_record> orders;
        std::map<std::int64_t, algo_record> algos;
        std::set<std::int64_t> announced_algos;  // ALGO_UPDATE NEW already sent
        std::vector<trade_record> trades;
        std::map<std::string, decimal> realized;       // ACCOUNT_UPDATE `cr` per symbol
        std::map<std::string, millis> position_time;   // updateTime per symbol
        millis balance_time = 0;
        std::int64_t window_10s = -1;
        std::int64_t window_1m = -1;
        int orders_10s = 0;
        int orders_1m = 0;
        std::optional<user_push> held;  // reorder fault: sent after the next event
        millis held_at = 0;
    };

    /// A fault armed through POST /admin/fault.
    struct fault {
        std::string kind;
        int remaining = 0;      // responses/events it still affects; -1 = until `until` or cleared
        int ms = 0;
        int retry_after_s = 0;
        std::string path;       // only requests to this path ("" = any)
        std::string scope;      // err_2022: order | algo | any
        std::string account;    // expire_listen_key etc.: account name ("" = all)
        millis until = 0;       // time-limited faults (http_418 without count)
        bool drop_answer = false;  // hold: close the connection instead of answering
    };

    /// One line of the order log (GET /admin/state): every order request received.
    struct order_log_entry {
        std::int64_t seq = 0;
        millis time = 0;
        std::string account;
        std::string method;
        std::string path;
        std::map<std::string, std::string> params;  // as sent, signature and timestamp removed
        unsigned http_status = 0;
        int code = 0;
        std::string msg;
        std::int64_t id = 0;  // orderId or algoId when one was created
        std::string fault;
    };

    /// One REST call in flight.
    struct call {
        const http_request* req = nullptr;
        std::string path;
        std::string query;
        std::map<std::string, std::string> params;  // query wins over body
        account_state* acct = nullptr;
        std::size_t acct_index = 0;
        millis now = 0;  // server time
        std::int64_t log_id = 0;
        std::string fault_applied;
        bool order_counted = false;
        std::optional<std::string> get(const std::string& key) const;
    };

    using handler = http_response (venue::*)(call&);
    enum class security { none, user_stream, signed_ };
    struct route {
        const char* method;
        const char* path;
        security sec;
        int weight;
        int weight_without_symbol;  // endpoints that are heavier for every symbol at once
        bool order_endpoint;        // counts on X-MBX-ORDER-COUNT-*, logged in the order log
        handler fn;
    };
    static const std::vector<route>& routes();

    // --- plumbing (venue.cpp)
    millis server_time(millis wall_now) const { return wall_now + clock_offset_; }
    http_response dispatch(const http_request& req, millis wall_now);
    http_response admin(const http_request& req, const std::string& path, millis wall_now);
    std::optional<http_response> authenticate(call& c, const route& r);
    std::optional<fault> take_fault(const std::string& kind, const std::string& path, millis now);
    /// err_2022 armed for this endpoint ("order" or "algo"; scope "any" matches both).
    bool take_reduce_only_fault(const std::string& endpoint);
    void add_rate_headers(http_response& resp, const call& c);
    /// Counts one order on the account's 10 s and 1 min windows; false once over the limits
    /// exchangeInfo publishes (300 per 10 s, 1200 per minute).
    bool count_order(account_state& a, millis now);
    void apply_events(std::size_t idx, const paper::sim_events& ev, millis now);
    void push_user(std::size_t idx, const std::string& type, boost::json::object event, millis now);
    void push_market(const std::string& stream, const boost::json::object& event);
    void publish_quote(const std::string& symbol, const engine::quote& q, millis now, bool trade);
    void apply_quote(const std::string& symbol, const engine::quote& q, millis now, bool trade);
    void expire_listen_key(account_state& a, millis now);
    position_view position_of(std::size_t idx, const std::string& symbol) const;
    balance_view balance_of(std::size_t idx) const;
    const symbol_config* symbol(const std::string& name) const;
    std::string generate_id(std::size_t length);
    void reset_accounts();
    std::size_t index_of(const account_state& a) const;

    // --- REST handlers (venue_rest.cpp)
    http_response get_ping(call& c);
    http_response get_time(call& c);
    http_response get_exchange_info(call& c);
    http_response get_premium_index(call& c);
    http_response get_book_ticker(call& c);
    http_response post_order(call& c);
    http_response get_order(call& c);
    http_response delete_order(call& c);
    http_response get_open_orders(call& c);
    http_response delete_all_open_orders(call& c);
    http_response post_algo_order(call& c);
    http_response get_algo_order(call& c);
    http_response delete_algo_order(call& c);
    http_response get_open_algo_orders(call& c);
    http_response get_all_algo_orders(call& c);
    http_response delete_algo_open_orders(call& c);
    http_response get_position_risk_v2(call& c);
    http_response get_position_risk_v3(call& c);
    http_response get_balance(call& c);
    http_response get_account_v2(call& c);
    http_response get_account_v3(call& c);
    http_response post_leverage(call& c);
    http_response post_margin_type(call& c);
    http_response get_dual_side(call& c);
    http_response post_dual_side(call& c);
    http_response get_symbol_config(call& c);
    http_response get_account_config(call& c);
    http_response get_user_trades(call& c);
    http_response post_listen_key(call& c);
    http_response put_listen_key(call& c);
    http_response delete_listen_key(call& c);
    /// Places a MARKET order for an account (REST and /admin/close-position share it).
    http_response place_market(call& c, const paper::new_order& o, const order_record& meta, bool result_resp);

    // --- admin (venue_admin.cpp)
    http_response admin_price(const boost::json::object& body, millis wall_now);
    http_response admin_resume(const boost::json::object& body);
    http_response admin_fault(const boost::json::object& body, millis wall_now);
    http_response admin_close_position(const boost::json::object& body, millis wall_now);
    http_response admin_cancel_algo(const boost::json::object& body, millis wall_now);
    http_response admin_state(millis wall_now);
    http_response admin_reset(millis wall_now);
    account_state* admin_account(const boost::json::object& body, std::string& error);

    sim_config cfg_;
    std::vector<account_state> accounts_;
    paper::synthetic_feed feed_;
    std::map<std::string, engine::quote> quotes_;
    std::set<std::string> frozen_;
    std::vector<fault> faults_;
    std::vector<order_log_entry> order_log_;
    std::int64_t next_log_seq_ = 1;
    int stream_delay_ms_ = 0;
    millis stream_max_connection_ms_ = 0;  // rotate_streams fault, 0: the configured lifetime
    bool executing_held_ = false;  // handle_held in progress
    millis clock_offset_ = 0;
    int duplicate_events_ = 0;
    int reorder_events_ = 0;
    std::int64_t weight_window_ = -1;
    int used_weight_ = 0;
    std::int64_t book_update_id_ = 1000000;
    std::int64_t agg_trade_id_ = 2000000;
    std::int64_t market_trade_id_ = 9000000;
    std::mt19937_64 rng_;
    outbox out_;
};

}  // namespace traded::sim
