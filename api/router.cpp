#include "api/json_text.hpp"
#include "api/router.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_set>

namespace traded::api {

namespace {

namespace sj = simdjson::ondemand;
namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Error replies
// ---------------------------------------------------------------------------------------------

/// Longest piece of client text echoed in an error: a 64 KiB key must not come back whole
/// (an unauthenticated client could otherwise make the server hold megabytes of answers).
constexpr std::size_t max_echo = 64;

/// `s` cut to max_echo characters, marked when cut.
std::string echo(std::string_view s) {
    if (s.size() <= max_echo) return std::string(s);
    return std::string(s.substr(0, max_echo)) + "...";
}

/// Most members an object may have: a message needs at most 6 top-level ones and a body 4, so
/// these leave room and still bound the work done on hostile input.
constexpr std::size_t max_members = 32;
/// Most items in a channels/modes list.
constexpr std::size_t max_list_items = 32;

reply invalid_json(std::string_view why) {
    return reply::error(400, "INVALID_JSON", fmt::format("malformed JSON: {}", why));
}
reply invalid_param(std::string_view field, std::string_view what) {
    return reply::error(400, "INVALID_PARAMETER", fmt::format("{}: {}", echo(field), what));
}
reply too_many_members(std::string_view where) {
    return reply::error(400, "INVALID_PARAMETER", fmt::format("{}: too many fields (at most {})", where, max_members));
}
reply not_found() { return reply::error(404, "NOT_FOUND", "no such endpoint"); }
reply unknown_mode(std::string_view m) {
    return reply::error(404, "UNKNOWN_MODE",
                        fmt::format("unknown mode '{}': use real-trading or paper-trading",
                                    m.substr(0, 64)));
}

// ---------------------------------------------------------------------------------------------
// JSON numbers: exact conversion from the raw token text (never through double)
// ---------------------------------------------------------------------------------------------

/// True when `t` is a JSON number token: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
    std::size_t i = 0;
    auto digit = [&](std::size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
    if (i < t.size() && t[i] == '-') ++i;
    if (!digit(i)) return false;
    if (t[i] == '0') {
        ++i;
    } else {
        while (digit(i)) ++i;
    }
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (!digit(i)) return false;
        while (digit(i)) ++i;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        if (!digit(i)) return false;
        while (digit(i)) ++i;
    }
    return i == t.size();
}

/// A JSON number rewritten without exponent and without redundant zeros ("1.50e2" -> "150",
/// "-0.0" -> "0"). nullopt when the exponent moves a non-zero digit absurdly far.
std::optional<std::string> plain_number(std::string_view t) {
    if (!is_json_number(t)) return std::nullopt;
    bool neg = false;
    std::size_t i = 0;
    if (t[0] == '-') {
        neg = true;
        i = 1;
    }
    std::string digits;
    long point = 0;  // position of the decimal point within `digits`
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) digits += t[i];
    point = static_cast<long>(digits.size());
    if (i < t.size() && t[i] == '.')
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) digits += t[i];
    if (i < t.size()) {  // exponent
        ++i;
        bool eneg = false;
        if (t[i] == '+' || t[i] == '-') eneg = t[i++] == '-';
        long e = 0;
        for (; i < t.size(); ++i) {
            e = e * 10 + (t[i] - '0');
            if (e > 100000) break;
        }
        point += eneg ? -e : e;
    }
    // Strip leading zeros (moving the point) and trailing zeros (fractional only).
    std::size_t lead = 0;
    while (lead < digits.size() && digits[lead] == '0') ++lead;
    if (lead == digits.size()) return std::string("0");
    digits.erase(0, lead);
    point -= static_cast<long>(lead);
    while (static_cast<long>(digits.size()) > std::max(point, 0L) && digits.back() == '0')
        digits.pop_back();
    if (point > 40 || point < -40) return std::nullopt;
    std::string out = neg ? "-" : "";
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-point), '0');
        out += digits;
    } else if (point >= static_cast<long>(digits.size())) {
        out += digits;
        out.append(static_cast<std::size_t>(point) - digits.size(), '0');
    } else {
        out += digits.substr(0, static_cast<std::size_t>(point));
        out += '.';
        out += digits.substr(static_cast<std::size_t>(point));
    }
    return out;
}

/// Exact decimal of a JSON number token; nullopt when it has more than 8 significant fractional
/// digits or is out of range (refuse rather than round: these are money amounts).
std::optional<decimal> json_decimal(std::string_view t) {
    auto p = plain_number(t);
    if (!p) return std::nullopt;
    return decimal::parse(*p);
}

/// Integral value of a JSON number token ("100", "1e2", "100.0"); nullopt when not integral or
/// beyond +-1e18.
std::optional<std::int64_t> json_integer(std::string_view t) {
    auto p = plain_number(t);
    if (!p || p->find('.') != std::string::npos) return std::nullopt;
    std::string_view s = *p;
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// JSON input: simdjson On-Demand, one reused parser per thread, error codes only
// ---------------------------------------------------------------------------------------------

/// Kind of a JSON value as far as parameter validation cares.
enum class jkind { null_value, boolean, number, string, object, array };

/// One named input parameter: from a JSON object member, a query parameter or a path segment.
/// Numbers keep their raw token text so decimals are converted exactly.
struct jfield {
    std::string key;
    jkind kind = jkind::null_value;
    std::string text;  // number token or unescaped string
    bool flag = false; // boolean value
};
using jfields = std::vector<jfield>;

/// The reused parser and its padded input buffer. The API runs on one thread; thread_local
/// keeps unit tests on other threads safe too.
struct json_reader {
    std::string buffer;
    sj::parser parser;
};

json_reader& reader() {
    thread_local json_reader r;
    return r;
}

simdjson::error_code start_document(std::string_view text, sj::document& doc) {
    auto& r = reader();
    r.buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    r.buffer.assign(text.data(), text.size());
    return r.parser
        .iterate(simdjson::padded_string_view(r.buffer.data(), r.buffer.size(), r.buffer.capacity()))
        .get(doc);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    return s;
}

/// True when something follows the top-level value (simdjson 3.0 has no document::at_end).
bool has_trailing_content(sj::document& doc) {
    const char* at = nullptr;
    return doc.current_location().get(at) == simdjson::SUCCESS;
}

/// Reads one value into `f` (kind and scalar content). Containers are typed, not read: no
/// parameter takes one, and the caller rejects the field by type.
simdjson::error_code read_value(sj::value& v, jfield& f) {
    sj::json_type t{};
    if (auto e = v.type().get(t)) return e;
    switch (t) {
        case sj::json_type::number: {
            std::string_view raw = trim(v.raw_json_token());
            if (!is_json_number(raw)) return simdjson::NUMBER_ERROR;
            f.kind = jkind::number;
            f.text.assign(raw);
            return simdjson::SUCCESS;
        }
        case sj::json_type::string: {
            std::string_view s;
            if (auto e = v.get_string().get(s)) return e;
            f.kind = jkind::string;
            f.text.assign(s);
            return simdjson::SUCCESS;
        }
        case sj::json_type::boolean: {
            bool b = false;
            if (auto e = v.get_bool().get(b)) return e;
            f.kind = jkind::boolean;
            f.flag = b;
            return simdjson::SUCCESS;
        }
        case sj::json_type::null: {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return e;
            if (!is_null) return simdjson::N_ATOM_ERROR;
            f.kind = jkind::null_value;
            return simdjson::SUCCESS;
        }
        case sj::json_type::object: f.kind = jkind::object; return simdjson::SUCCESS;
        case sj::json_type::array: f.kind = jkind::array; return simdjson::SUCCESS;
    }
    return simdjson::INCORRECT_TYPE;
}

/// Result of reading a flat object: the fields, or the reply to send.
using fields_result = std::variant<jfields, reply>;

/// Reads the members of an object whose values are scalars (REST bodies, WS params).
/// Duplicate keys are refused (which one wins would be a guess), found with a hash set; more
/// than max_members members are refused before any more work is done.
fields_result read_flat_object(sj::object& obj, std::string_view where) {
    jfields out;
    std::unordered_set<std::string> seen;
    for (auto member : obj) {
        if (out.size() == max_members) return too_many_members(where);
        sj::field fld;
        if (std::move(member).get(fld)) return invalid_json("bad object member");
        std::string_view key;
        if (fld.unescaped_key().get(key)) return invalid_json("bad key");
        jfield f;
        f.key.assign(key);
        if (!seen.insert(f.key).second) return invalid_param(f.key, "duplicate field");
        if (read_value(fld.value(), f)) return invalid_json(fmt::format("bad value for '{}'", echo(f.key)));
        out.push_back(std::move(f));
    }
    return out;
}

/// Parses a request body that must be a JSON object of scalars. Empty (or blank) body: no fields.
fields_result parse_body(std::string_view body) {
    if (trim(body).empty()) return jfields{};
    sj::document doc;
    if (start_document(body, doc)) return invalid_json("cannot parse body");
    sj::object obj;
    if (auto e = doc.get_object().get(obj))
        return invalid_json(e == simdjson::INCORRECT_TYPE ? "body must be a JSON object" : "cannot parse body");
    auto fields = read_flat_object(obj, "body");
    if (std::holds_alternative<reply>(fields)) return fields;
    if (has_trailing_content(doc)) return invalid_json("trailing characters after the object");
    return fields;
}

// ---------------------------------------------------------------------------------------------
// Parameter builders: one per op, shared by REST and WebSocket
// ---------------------------------------------------------------------------------------------

using params_result = std::variant<params, reply>;

const jfield* find_field(const jfields& f, std::string_view key) {
    for (const auto& x : f)
        if (x.key == key && x.kind != jkind::null_value) return &x;  // null == absent
    return nullptr;
}

/// The first field whose key is not in `allowed`, as a reply.
std::optional<reply> reject_unknown(const jfields& f, std::initializer_list<std::string_view> allowed) {
    for (const auto& x : f)
        if (std::find(allowed.begin(), allowed.end(), x.key) == allowed.end())
            return invalid_param(x.key, "unknown field");
    return std::nullopt;
}

std::string_view kind_name(jkind k) {
    switch (k) {
        case jkind::null_value: return "null";
        case jkind::boolean: return "a boolean";
        case jkind::number: return "a number";
        case jkind::string: return "a string";
        case jkind::object: return "an object";
        case jkind::array: return "an array";
    }
    return "?";
}

bool valid_position_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == ':' || c == '-';
    });
}

params_result trades_from(const jfields& f) {
    if (auto bad = reject_unknown(f, {"limit", "since"})) return *bad;
    trades_params p;
    if (const auto* l = find_field(f, "limit")) {
        auto v = l->kind == jkind::number ? json_integer(l->text) : std::nullopt;
        if (!v || *v < 1 || *v > 1000) return invalid_param("limit", "must be an integer between 1 and 1000");
        p.limit = static_cast<int>(*v);
    }
    if (const auto* s = find_field(f, "since")) {
        auto v = s->kind == jkind::number ? json_integer(s->text) : std::nullopt;
        if (!v || *v < 0) return invalid_param("since", "must be a non-negative integer (epoch milliseconds)");
        p.since = *v;
    }
    return p;
}

params_result close_from(const jfields& f) {
    if (auto bad = reject_unknown(f, {"position_id"})) return *bad;
    const auto* id = find_field(f, "position_id");
    if (!id) return invalid_param("position_id", "required");
    if (id->kind != jkind::string || !valid_position_id(id->text))
        return invalid_param("position_id", "must be 1-64 characters of [A-Za-z0-9_.:-]");
    return close_params{id->text};
}

params_result start_from(const jfields& f) {
    if (auto bad = reject_unknown(f, {"clear_emergency"})) return *bad;
    start_params p;
    if (const auto* c = find_field(f, "clear_emergency")) {
        if (c->kind != jkind::boolean) return invalid_param("clear_emergency", "must be a boolean");
        p.clear_emergency = c->flag;
    }
    return p;
}

params_result limits_from(const jfields& f) {
    if (auto bad = reject_unknown(f, {"stake_usd", "max_positions", "max_daily_loss"})) return *bad;
    limits_params p;
    auto money = [&](std::string_view key, bool allow_zero) -> std::optional<reply> {
        const auto* x = find_field(f, key);
        if (!x) return std::nullopt;
        if (x->kind != jkind::number) return invalid_param(key, fmt::format("must be a number, got {}", kind_name(x->kind)));
        auto d = json_decimal(x->text);
        if (!d) return invalid_param(key, "out of range or more than 8 decimal places");
        if (d->is_negative() || (!allow_zero && d->is_zero()))
            return invalid_param(key, allow_zero ? "must not be negative" : "must be greater than 0");
        if (key == "stake_usd") p.update.stake_usd = *d;
        else p.update.max_daily_loss = *d;
        return std::nullopt;
    };
    if (auto bad = money("stake_usd", false)) return *bad;
    if (auto bad = money("max_daily_loss", true)) return *bad;
    if (const auto* x = find_field(f, "max_positions")) {
        auto v = x->kind == jkind::number ? json_integer(x->text) : std::nullopt;
        if (!v || *v < 0 || *v > 100000) return invalid_param("max_positions", "must be an integer between 0 and 100000");
        p.update.max_positions = static_cast<int>(*v);
    }
    if (!p.update.stake_usd && !p.update.max_positions && !p.update.max_daily_loss)
        return reply::error(400, "INVALID_PARAMETER",
                            "body: give at least one of stake_usd, max_positions, max_daily_loss");
    return p;
}

params_result opportunity_from(const jfields& f) {
    if (auto bad = reject_unknown(f, {"symbol", "side", "reason", "mode"})) return *bad;
    opportunity_params p;
    const auto* sym = find_field(f, "symbol");
    if (!sym) return invalid_param("symbol", "required");
    if (sym->kind != jkind::string) return invalid_param("symbol", "must be a string");
    std::string s = sym->text;
    for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    bool ok = !s.empty() && s.size() <= 32 &&
              std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
    if (!ok) return invalid_param("symbol", "must be 1-32 letters or digits, like BTCUSDT");
    p.symbol = std::move(s);
    const auto* side = find_field(f, "side");
    if (!side) return invalid_param("side", "required");
    auto parsed = side->kind == jkind::string ? engine::parse_side(side->text) : std::nullopt;
    if (!parsed) return invalid_param("side", "must be \"LONG\" or \"SHORT\"");
    p.opp_side = *parsed;
    if (const auto* r = find_field(f, "reason")) {
        if (r->kind != jkind::string || r->text.size() > 256)
            return invalid_param("reason", "must be a string of at most 256 characters");
        p.reason = r->text;
    }
    if (const auto* m = find_field(f, "mode")) {
        auto parsed_mode = m->kind == jkind::string ? engine::parse_mode(m->text) : std::nullopt;
        if (!parsed_mode) return invalid_param("mode", "must be \"real-trading\" or \"paper-trading\"");
        p.target = parsed_mode;
    }
    return p;
}

params_result build_params(op o, const jfields& f) {
    switch (o) {
        case op::trades: return trades_from(f);
        case op::close_position: return close_from(f);
        case op::start: return start_from(f);
        case op::set_safety_limits: return limits_from(f);
        case op::submit_opportunity: return opportunity_from(f);
        default:
            if (auto bad = reject_unknown(f, {})) return *bad;
            return no_params{};
    }
}

/// Command or reply from an op, its mode and its parameters.
route_result make_command(op o, std::optional<engine::mode> m, const jfields& f, std::string_view transport) {
    auto p = build_params(o, f);
    if (auto* r = std::get_if<reply>(&p)) return std::move(*r);
    command c;
    c.name = o;
    c.mode = needs_mode(o) ? m : std::nullopt;
    c.args = std::move(std::get<params>(p));
    c.from.transport = std::string(transport);
    return c;
}

// ---------------------------------------------------------------------------------------------
// REST routes
// ---------------------------------------------------------------------------------------------

/// One per-mode REST action: /api/v1/{mode}/<name>[/<id>].
struct mode_route {
    std::string_view name;
    std::string_view method;
    op action;
    bool takes_id;   // close-position/{position_id}
    bool has_body;   // JSON body parsed into the params
};

constexpr std::array<mode_route, 11> mode_routes{{
    {"status", "GET", op::status, false, false},
    {"safety-status", "GET", op::safety_status, false, false},
    {"account-balance", "GET", op::account_balance, false, false},
    {"performance", "GET", op::performance, false, false},
    {"positions", "GET", op::positions, false, false},
    {"trades", "GET", op::trades, false, false},
    {"close-position", "POST", op::close_position, true, false},
    {"start", "POST", op::start, false, true},
    {"stop", "POST", op::stop, false, true},
    {"emergency-stop", "POST", op::emergency_stop, false, true},
    {"safety-limits", "PUT", op::set_safety_limits, false, true},
}};

constexpr std::string_view api_prefix = "/api/v1/";

std::vector<std::string_view> split_path(std::string_view rest) {
    std::vector<std::string_view> segs;
    while (true) {
        auto slash = rest.find('/');
        segs.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return segs;
}

const mode_route* find_mode_route(std::string_view name, std::size_t nsegs) {
    for (const auto& r : mode_routes)
        if (r.name == name && nsegs == (r.takes_id ? 3u : 2u)) return &r;
    return nullptr;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// Query parameters limit/since of GET trades as fields: plain unsigned integers only.
std::variant<jfields, reply> trades_query(std::string_view target) {
    jfields f;
    for (std::string_view key : {"limit", "since"}) {
        auto v = query_param(target, key);
        if (!v) continue;
        bool digits = !v->empty() && v->size() <= 18 &&
                      std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            if (key == "limit") return invalid_param("limit", "must be an integer between 1 and 1000");
            return invalid_param("since", "must be a non-negative integer (epoch milliseconds)");
        }
        // Leading zeros are harmless in a query string but not valid JSON numbers.
        std::string_view d = *v;
        while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
        f.push_back(jfield{std::string(key), jkind::number, std::string(d), false});
    }
    return f;
}

}  // namespace

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = target.substr(q + 1);
    if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    std::optional<std::string> found;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        auto eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        if (percent_decode(key) == name)
            found = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return found;  // the last occurrence wins, as with most frameworks
}

std::string allowed_methods(std::string_view target) {
    std::string_view path = target_path(target);
    if (path.substr(0, api_prefix.size()) != api_prefix) return {};
    auto segs = split_path(path.substr(api_prefix.size()));
    if (segs.size() == 1 && segs[0] == "opportunities") return "GET, POST";
    if (segs.size() >= 2 && engine::parse_mode(segs[0]))
        if (const auto* r = find_mode_route(segs[1], segs.size())) return std::string(r->method);
    return {};
}

route_result parse_http(const http_request& r) {
    std::string_view path = target_path(r.target);
    if (path.substr(0, api_prefix.size()) != api_prefix) return not_found();
    auto segs = split_path(path.substr(api_prefix.size()));

    if (segs.size() == 1 && segs[0] == "opportunities") {
        if (r.method == "GET") return make_command(op::opportunities, std::nullopt, {}, "http");
        if (r.method != "POST")
            return reply::error(405, "METHOD_NOT_ALLOWED", fmt::format("use GET or POST on {}", echo(path)));
        auto body = parse_body(r.body);
        if (auto* bad = std::get_if<reply>(&body)) return std::move(*bad);
        return make_command(op::submit_opportunity, std::nullopt, std::get<jfields>(body), "http");
    }
    if (segs.size() < 2) return not_found();

    auto m = engine::parse_mode(segs[0]);
    const auto* route = find_mode_route(segs[1], segs.size());
    if (!route) return not_found();
    if (!m) return unknown_mode(segs[0]);  // a known action under an unknown mode
    if (r.method != route->method)
        return reply::error(405, "METHOD_NOT_ALLOWED",
                            fmt::format("use {} on {}", route->method, path.substr(0, 128)));

    jfields fields;
    if (route->action == op::trades) {
        auto q = trades_query(r.target);
        if (auto* bad = std::get_if<reply>(&q)) return std::move(*bad);
        fields = std::move(std::get<jfields>(q));
    } else if (route->takes_id) {
        fields.push_back(jfield{"position_id", jkind::string, std::string(segs[2]), false});
    } else if (route->has_body) {
        auto body = parse_body(r.body);
        if (auto* bad = std::get_if<reply>(&body)) return std::move(*bad);
        fields = std::move(std::get<jfields>(body));
    }
    return make_command(route->action, m, fields, "http");
}

// ---------------------------------------------------------------------------------------------
// WebSocket messages
// ---------------------------------------------------------------------------------------------

namespace {

/// Top-level members of a WS message, read in whatever order they come.
struct ws_input {
    json::value id;  // null until a valid id is seen
    bool has_id = false;
    std::optional<std::string> op_name;
    std::optional<std::string> mode_name;
    std::optional<std::string> token;
    std::optional<jfields> params;
    std::optional<std::vector<std::string>> channels;
    std::optional<std::vector<std::string>> modes;
    std::optional<std::int64_t> since_all;
    std::optional<jfields> since_by_mode;
    std::vector<std::string> present;  // keys seen, to reject the ones an op does not take
    std::unordered_set<std::string> seen;  // the same keys, for the duplicate check
    std::optional<reply> error;        // first problem (the id is still wanted for the answer)
};

void note_error(ws_input& in, reply r) {
    if (!in.error) in.error = std::move(r);
}

/// Reads an array of strings; a type problem is noted, a syntax problem returned.
simdjson::error_code read_string_list(sj::value& v, std::string_view key, ws_input& in,
                                      std::optional<std::vector<std::string>>& out) {
    sj::array arr;
    if (auto e = v.get_array().get(arr)) {
        if (e != simdjson::INCORRECT_TYPE) return e;
        note_error(in, invalid_param(key, "must be an array of strings"));
        return simdjson::SUCCESS;
    }
    std::vector<std::string> list;
    for (auto item : arr) {
        if (list.size() == max_list_items) {
            note_error(in, invalid_param(key, fmt::format("at most {} items", max_list_items)));
            return simdjson::SUCCESS;  // the rest is not read: the message is refused anyway
        }
        sj::value iv;
        if (auto e = std::move(item).get(iv)) return e;
        std::string_view s;
        if (auto e = iv.get_string().get(s)) {
            if (e != simdjson::INCORRECT_TYPE) return e;
            note_error(in, invalid_param(key, "must be an array of strings"));
            continue;
        }
        list.emplace_back(s);
    }
    out = std::move(list);
    return simdjson::SUCCESS;
}

/// Reads one top-level member into `in`. Returns a syntax error only; semantic problems go to
/// `in.error` so the id can still be echoed.
simdjson::error_code read_ws_member(std::string_view key, sj::value& v, ws_input& in) {
    in.present.emplace_back(key);
    if (key == "channels") return read_string_list(v, key, in, in.channels);
    if (key == "modes") return read_string_list(v, key, in, in.modes);
    if (key == "params" || key == "since_seq") {
        sj::json_type t{};
        if (auto e = v.type().get(t)) return e;
        if (t == sj::json_type::object) {
            sj::object obj;
            if (auto e = v.get_object().get(obj)) return e;
            auto fields = read_flat_object(obj, key);
            if (auto* bad = std::get_if<reply>(&fields)) {
                if (bad->code == "INVALID_JSON") return simdjson::TAPE_ERROR;
                note_error(in, std::move(*bad));
                return simdjson::SUCCESS;
            }
            (key == "params" ? in.params : in.since_by_mode) = std::move(std::get<jfields>(fields));
            return simdjson::SUCCESS;
        }
        jfield f;
        if (auto e = read_value(v, f)) return e;
        if (key == "params") {
            if (f.kind != jkind::null_value) note_error(in, invalid_param("params", "must be an object"));
        } else if (f.kind == jkind::number && json_integer(f.text) && *json_integer(f.text) >= 0) {
            in.since_all = json_integer(f.text);
        } else if (f.kind != jkind::null_value) {
            note_error(in, invalid_param("since_seq", "must be a non-negative integer or an object of them per mode"));
        }
        return simdjson::SUCCESS;
    }
    jfield f;
    if (auto e = read_value(v, f)) return e;
    if (key == "id") {
        if (f.kind == jkind::number && json_integer(f.text)) {
            in.id = *json_integer(f.text);
            in.has_id = true;
        } else if (f.kind == jkind::string && f.text.size() <= 64) {
            in.id = json::string(f.text);
            in.has_id = true;
        } else {
            note_error(in, invalid_param("id", "must be an integer or a string of at most 64 characters"));
        }
        return simdjson::SUCCESS;
    }
    if (key == "op" || key == "mode" || key == "token") {
        if (f.kind != jkind::string) {
            note_error(in, invalid_param(key, "must be a string"));
            return simdjson::SUCCESS;
        }
        (key == "op" ? in.op_name : key == "mode" ? in.mode_name : in.token) = std::move(f.text);
        return simdjson::SUCCESS;
    }
    note_error(in, invalid_param(key, "unknown field"));
    return simdjson::SUCCESS;
}

std::optional<reply> reject_members(const ws_input& in, std::initializer_list<std::string_view> allowed,
                                    std::string_view op_name) {
    for (const auto& k : in.present)
        if (k != "op" && k != "id" && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
            return invalid_param(k, fmt::format("not used by op '{}'", op_name));
    return std::nullopt;
}

ws_message ws_fail(const ws_input& in, reply r) { return ws_error{in.id, std::move(r)}; }

/// Channels and modes of a (un)subscribe; missing lists mean all of them.
std::optional<reply> subscription_lists(const ws_input& in, std::vector<engine::channel>& chans,
                                        std::vector<engine::mode>& mods) {
    if (in.channels) {
        for (const auto& c : *in.channels) {
            auto ch = engine::parse_channel(c);
            if (!ch) return invalid_param("channels", fmt::format("unknown channel '{}'", c.substr(0, 64)));
            if (std::find(chans.begin(), chans.end(), *ch) == chans.end()) chans.push_back(*ch);
        }
    } else {
        chans = {engine::channel::positions, engine::channel::trades, engine::channel::safety,
                 engine::channel::account, engine::channel::status, engine::channel::opportunities};
    }
    if (in.modes) {
        for (const auto& m : *in.modes) {
            auto md = engine::parse_mode(m);
            if (!md) return invalid_param("modes", fmt::format("unknown mode '{}'", m.substr(0, 64)));
            if (std::find(mods.begin(), mods.end(), *md) == mods.end()) mods.push_back(*md);
        }
    } else {
        mods = {engine::mode::real, engine::mode::paper};
    }
    return std::nullopt;
}

}  // namespace

ws_message parse_ws(std::string_view text) {
    ws_input in;
    sj::document doc;
    if (start_document(text, doc)) return ws_fail(in, invalid_json("cannot parse message"));
    sj::object obj;
    if (auto e = doc.get_object().get(obj))
        return ws_fail(in, invalid_json(e == simdjson::INCORRECT_TYPE ? "message must be a JSON object"
                                                                      : "cannot parse message"));
    std::size_t members = 0;
    for (auto member : obj) {
        // A bound before any work on hostile input: the message cannot be valid anyway.
        if (++members > max_members) return ws_fail(in, too_many_members("message"));
        sj::field fld;
        if (std::move(member).get(fld)) return ws_fail(in, invalid_json("bad object member"));
        std::string_view key;
        if (fld.unescaped_key().get(key)) return ws_fail(in, invalid_json("bad key"));
        std::string k(key);
        if (!in.seen.insert(k).second) {
            note_error(in, invalid_param(k, "duplicate field"));
            continue;
        }
        if (read_ws_member(k, fld.value(), in))
            return ws_fail(in, invalid_json(fmt::format("bad value for '{}'", echo(k))));
    }
    if (has_trailing_content(doc)) return ws_fail(in, invalid_json("trailing characters after the object"));

    if (!in.op_name) {
        if (in.error) return ws_fail(in, *in.error);
        return ws_fail(in, reply::error(400, "MISSING_OP", "op is required"));
    }
    const std::string& name = *in.op_name;
    if (name == "auth") {  // the one op that may come without an id
        if (in.error) return ws_fail(in, *in.error);
        if (auto bad = reject_members(in, {"token"}, name)) return ws_fail(in, *bad);
        if (!in.token) return ws_fail(in, invalid_param("token", "required"));
        return ws_auth{in.id, *in.token};
    }
    if (!in.has_id) {
        if (in.error) return ws_fail(in, *in.error);
        return ws_fail(in, reply::error(400, "MISSING_ID", "id is required (an integer or a string)"));
    }
    if (in.error) return ws_fail(in, *in.error);

    if (name == "subscribe" || name == "unsubscribe") {
        bool sub = name == "subscribe";
        if (auto bad = sub ? reject_members(in, {"channels", "modes", "since_seq"}, name)
                           : reject_members(in, {"channels", "modes"}, name))
            return ws_fail(in, *bad);
        std::vector<engine::channel> chans;
        std::vector<engine::mode> mods;
        if (auto bad = subscription_lists(in, chans, mods)) return ws_fail(in, *bad);
        if (!sub) return ws_unsubscribe{in.id, std::move(chans), std::move(mods)};
        ws_subscribe s{in.id, std::move(chans), std::move(mods), {}};
        if (in.since_all)
            for (auto m : s.modes) s.since_seq[m] = *in.since_all;
        if (in.since_by_mode) {
            for (const auto& f : *in.since_by_mode) {
                auto m = engine::parse_mode(f.key);
                if (!m) return ws_fail(in, invalid_param("since_seq", fmt::format("unknown mode '{}'", f.key.substr(0, 64))));
                auto v = f.kind == jkind::number ? json_integer(f.text) : std::nullopt;
                if (!v || *v < 0) return ws_fail(in, invalid_param("since_seq", "must be a non-negative integer"));
                s.since_seq[*m] = *v;
            }
        }
        return s;
    }

    auto o = parse_op(name);
    if (!o) return ws_fail(in, reply::error(400, "UNKNOWN_OP", fmt::format("unknown op '{}'", name.substr(0, 64))));
    if (auto bad = reject_members(in, {"mode", "params"}, name)) return ws_fail(in, *bad);
    std::optional<engine::mode> m;
    if (in.mode_name) {
        m = engine::parse_mode(*in.mode_name);
        if (!m) return ws_fail(in, unknown_mode(*in.mode_name));
    } else if (needs_mode(*o)) {
        return ws_fail(in, invalid_param("mode", "required: \"real-trading\" or \"paper-trading\""));
    }
    jfields params_in = in.params ? *in.params : jfields{};
    // submit_opportunity takes its target engine from params.mode; a top-level mode means the same.
    if (*o == op::submit_opportunity && m && !find_field(params_in, "mode"))
        params_in.push_back(jfield{"mode", jkind::string, std::string(engine::to_string(*m)), false});
    auto routed = make_command(*o, m, params_in, "ws");
    if (auto* bad = std::get_if<reply>(&routed)) return ws_fail(in, std::move(*bad));
    return ws_command{in.id, std::move(std::get<command>(routed))};
}

// ---------------------------------------------------------------------------------------------
// Envelopes
// ---------------------------------------------------------------------------------------------

namespace {
/// Appends `"success":...,"data"|"error":...` and the closing brace. The data is written
/// straight from the reply (no copy of it into an envelope object).
void append_outcome(std::string& out, const reply& r) {
    if (r.is_ok()) {
        out += "\"success\":true,\"data\":";
        if (r.text.empty())
            append_text(out, r.data);
        else
            out += r.text;
    } else {
        out += "\"success\":false,\"error\":{\"code\":";
        append_quoted(out, r.code);
        out += ",\"message\":";
        // Messages may quote the request target, which is raw bytes: invalid UTF-8 would make the
        // whole answer invalid JSON, so such a message keeps only its ASCII.
        if (simdjson::validate_utf8(r.message.data(), r.message.size())) {
            append_quoted(out, r.message);
        } else {
            std::string ascii = r.message;
            for (char& c : ascii) {
                if (static_cast<unsigned char>(c) >= 0x80) c = '?';
            }
            append_quoted(out, ascii);
        }
        out.push_back('}');
    }
    out.push_back('}');
}
}  // namespace

std::string render_http_body(const reply& r) {
    std::string out;
    out.reserve(r.text.size() + 512);
    out.push_back('{');
    append_outcome(out, r);
    return out;
}

std::string render_ws_answer(const json::value& id, const reply& r) {
    std::string out;
    out.reserve(512);
    out += "{\"id\":";
    append_text(out, id);
    out.push_back(',');
    append_outcome(out, r);
    return out;
}

}  // namespace traded::api
