// Market-stream payloads (bookTicker, markPriceUpdate, aggTrade), read in one pass.
//
// Every market message the daemon receives goes through here, so this is the hot path of the
// market data (B1 in docs/benchmarks.md). Binance always sends "e" as the first field of the
// event object, raw ({"e":..}) or inside the combined-stream wrapper ({"stream":..,"data":{"e":..}}),
// so the fast path reads the fields in document order with simdjson On-Demand and decodes each
// one as it passes: no scan for the event type first, no re-parse, strings and decimals read
// straight from the input buffer when they hold no escape, fixed-point conversion in one scan
// (decimal_text.hpp), required fields tracked in a bit mask. Anything else (e later in the object,
// responses, arrays, malformed JSON, escaped keys or event types) takes the general path: the
// document is scanned for its type and then read, exactly as before, with the same field rules.
//
// Field rules (both paths): prices and quantities must be plain non-negative decimals with at
// most 8 decimal places ("1e5", "-1", "1.000000001" are errors naming the field, never a
// rounded or wrapped price); "" and null mean absent; integers may come as numbers or digit
// strings. The informational index price "i" and funding rate "r" (which may be negative) are
// left absent when they carry more precision than we represent, instead of failing the mark
// price with them.

#include "exchange/binance/decimal_text.hpp"
#include "exchange/binance/json_detail.hpp"
#include "exchange/binance/stream_events.hpp"

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>

namespace traded::binance {

namespace {

namespace od = detail::od;

std::string_view trim_right(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// Short, printable excerpt of a bad value for an error message.
std::string excerpt(std::string_view s) {
    constexpr std::size_t limit = 40;
    std::string out;
    for (char c : s.substr(0, limit)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
    if (s.size() > limit) out += "...";
    return out;
}

/// The content of a JSON string value, viewed in the input buffer (no copy into simdjson's
/// string buffer); escapes are not resolved, so callers check for a backslash where it matters.
/// False for every other type.
[[gnu::always_inline]] inline bool string_token(od::value& v, std::string_view& out) {
    const std::string_view tok = v.raw_json_token();  // the token and the whitespace after it
    if (tok.size() < 2 || tok.front() != '"') return false;
    std::size_t n = tok.size();
    while (tok[n - 1] != '"') {  // compact JSON (Binance's) has no whitespace here
        const char c = tok[n - 1];
        if ((c != ' ' && c != '\n' && c != '\r' && c != '\t') || --n < 2) return false;
    }
    out = tok.substr(1, n - 2);
    return true;
}

[[gnu::always_inline]] inline bool has_backslash(std::string_view s) {
    for (char c : s)
        if (c == '\\') return true;
    return false;
}

/// The text of a JSON string value that holds no escape. False for anything else: other types,
/// and strings with a backslash, which the caller reads through simdjson's unescaping instead.
[[gnu::always_inline]] inline bool plain_string(od::value& v, std::string_view& out) {
    return string_token(v, out) && !has_backslash(out);
}

/// A field's key: viewed in the input buffer when it holds no escape, unescaped otherwise.
[[gnu::always_inline]] inline bool key_of(od::field& f, std::string_view& out) {
    const char* k = f.key().raw();
    if (k[0] != '"' && k[0] != '\\' && k[1] == '"') {  // the usual one-letter key
        out = std::string_view(k, 1);
        return true;
    }
    const char* p = k;
    while (*p != '"' && *p != '\\') ++p;  // stage 1 found the closing quote: the scan stops there
    if (*p == '"') {
        out = std::string_view(k, static_cast<std::size_t>(p - k));
        return true;
    }
    return !f.unescaped_key().get(out);
}

/// Copies typed values out of On-Demand values. The first failure is kept as
/// "<context>: field <name>: <what>"; fields read are recorded as bits for the required check.
/// Uncommon shapes (numbers where strings are documented, digit strings for integers, escapes,
/// null) go through detail::reader, which words its errors the same way.
class field_reader {
public:
    std::string_view context = "market event";
    std::uint32_t seen = 0;
    std::string error;

    bool fail(std::string_view field, std::string_view what) {
        if (error.empty()) error.append(context).append(": field ").append(field).append(": ").append(what);
        return false;
    }
    bool fail_json(simdjson::error_code e) {
        if (error.empty()) error.append(context).append(": invalid JSON: ").append(simdjson::error_message(e));
        return false;
    }
    bool adopt(const detail::reader& r) {
        if (error.empty()) error = r.error();
        return false;
    }

    [[gnu::always_inline]] bool text(od::value& v, std::string_view name, std::uint32_t bit, std::string& out) {
        std::string_view s;
        if (plain_string(v, s)) {
            if (!s.empty()) {  // "" counts as absent, as on the general path
                out.assign(s);
                seen |= bit;
            }
            return true;
        }
        detail::reader r(context);
        std::optional<std::string_view> t;
        if (!r.text(v, name, t)) return adopt(r);
        if (t) {
            out.assign(*t);
            seen |= bit;
        }
        return true;
    }

    [[gnu::always_inline]] bool integer(od::value& v, std::string_view name, std::uint32_t bit, std::int64_t& out) {
        std::int64_t i = 0;
        if (!v.get_int64().get(i)) {  // the usual JSON integer; On-Demand does not advance on failure
            out = i;
            seen |= bit;
            return true;
        }
        detail::reader r(context);  // "E":"1736996475556", null, "", and the errors' wording
        if (!r.int64(v, name, out)) return adopt(r);
        if (r.seen(name)) seen |= bit;
        return true;
    }

    bool flag(od::value& v, std::string_view name, std::uint32_t bit, bool& out) {
        const std::string_view tok = v.raw_json_token();
        if (!tok.empty() && (tok[0] == 't' || tok[0] == 'f')) {
            bool b = false;
            if (v.get_bool().get(b)) return fail(name, "expected true or false, got '" + excerpt(trim_right(tok)) + "'");
            out = b;
            seen |= bit;
            return true;
        }
        detail::reader r(context);  // "true" as a string, null
        if (!r.boolean(v, name, out)) return adopt(r);
        if (r.seen(name)) seen |= bit;
        return true;
    }

    enum class sign { non_negative, any };
    enum class precision { strict, soft };

    /// A price or quantity: every refusal is an error. "" and null leave `out` untouched.
    [[gnu::always_inline]] bool dec(od::value& v, std::string_view name, std::uint32_t bit, decimal& out) {
        std::string_view s;
        decimal d;
        decimal_text_error e = decimal_text_error::empty;
        if (!read_decimal(v, name, s, d, e)) return false;
        if (!usual(s, e, sign::non_negative) && !check(s, e, name, sign::non_negative, precision::strict)) return false;
        if (e == decimal_text_error::none) {
            out = d;
            seen |= bit;
        }
        return true;
    }

    /// An informational value: more precision than we represent leaves it absent.
    bool opt_dec(od::value& v, std::string_view name, sign sg, std::optional<decimal>& out) {
        std::string_view s;
        decimal d;
        decimal_text_error e = decimal_text_error::empty;
        if (!read_decimal(v, name, s, d, e) || !check(s, e, name, sg, precision::soft)) return false;
        if (e == decimal_text_error::none)
            out = d;
        else
            out.reset();
        return true;
    }

private:
    /// Reads a decimal value's text `s` ("" for null) and converts it into `d`, with the outcome
    /// in `e`. The text is the string's content as it stands in the input (or a JSON number's
    /// token); only when that is refused and holds a backslash is it unescaped and tried again.
    /// False when the value is no scalar (the error is kept).
    [[gnu::always_inline]] bool read_decimal(od::value& v, std::string_view name, std::string_view& s, decimal& d, decimal_text_error& e) {
        if (string_token(v, s)) {
            e = parse_decimal_text(s, d);
            if (e == decimal_text_error::none || !has_backslash(s)) return true;
        }
        detail::reader r(context);
        std::optional<std::string_view> t;
        if (!r.text(v, name, t)) return adopt(r);
        s = t ? *t : std::string_view();
        e = parse_decimal_text(s, d);
        return true;
    }

    /// The common case, decided inline: converted, and of an allowed sign.
    static bool usual(std::string_view s, decimal_text_error e, sign sg) {
        return e == decimal_text_error::none && (sg == sign::any || s.front() != '-');
    }

    /// Turns a refused or negative decimal into an error naming the field and the reason.
    bool check(std::string_view s, decimal_text_error e, std::string_view name, sign sg, precision pr) {
        switch (e) {
            case decimal_text_error::none:
                if (sg == sign::non_negative && s.front() == '-') return fail(name, "negative value '" + excerpt(s) + "'");
                return true;
            case decimal_text_error::empty:  // "" is how Binance says "not applicable"
                return true;
            case decimal_text_error::too_precise:
                if (pr == precision::soft) return true;  // left absent (e != none)
                break;
            case decimal_text_error::malformed:
                return fail(name, "expected a decimal, got '" + excerpt(s) + "'");
            default:
                break;
        }
        return fail(name, "expected a decimal, got '" + excerpt(s) + "' (" + std::string(describe(e)) + ")");
    }
};

struct required_field {
    std::string_view name;
    std::uint32_t bit;
};

bool require(field_reader& r, std::initializer_list<required_field> fields) {
    for (const auto& f : fields) {
        if ((r.seen & f.bit) == 0) return r.fail(f.name, "missing, null or empty");
    }
    return true;
}

// Bits of the required fields.
constexpr std::uint32_t f_s = 1u << 0, f_b = 1u << 1, f_B = 1u << 2, f_a = 1u << 3, f_A = 1u << 4, f_p = 1u << 5,
                        f_q = 1u << 6;

bool book_field(field_reader& r, std::string_view k, od::value& v, book_ticker& t) {
    if (k.size() != 1) return true;  // unknown fields ("st", "ps", ...) are skipped
    switch (k[0]) {
        case 's': return r.text(v, "s", f_s, t.symbol);
        case 'u': return r.integer(v, "u", 0, t.update_id);
        case 'E': return r.integer(v, "E", 0, t.event_time);
        case 'T': return r.integer(v, "T", 0, t.transaction_time);
        case 'b': return r.dec(v, "b", f_b, t.bid_price);
        case 'B': return r.dec(v, "B", f_B, t.bid_qty);
        case 'a': return r.dec(v, "a", f_a, t.ask_price);
        case 'A': return r.dec(v, "A", f_A, t.ask_qty);
        default: return true;
    }
}

bool mark_field(field_reader& r, std::string_view k, od::value& v, mark_price_update& m) {
    if (k.size() != 1) return true;  // "ap" is not used
    switch (k[0]) {
        case 's': return r.text(v, "s", f_s, m.symbol);
        case 'E': return r.integer(v, "E", 0, m.event_time);
        case 'p': return r.dec(v, "p", f_p, m.mark_price);
        case 'i': return r.opt_dec(v, "i", field_reader::sign::non_negative, m.index_price);
        case 'r': return r.opt_dec(v, "r", field_reader::sign::any, m.funding_rate);
        case 'T': return r.integer(v, "T", 0, m.next_funding_time);
        default: return true;
    }
}

bool agg_field(field_reader& r, std::string_view k, od::value& v, agg_trade& t) {
    if (k.size() != 1) return true;  // "nq" is not used
    switch (k[0]) {
        case 's': return r.text(v, "s", f_s, t.symbol);
        case 'E': return r.integer(v, "E", 0, t.event_time);
        case 'a': return r.integer(v, "a", 0, t.agg_trade_id);
        case 'p': return r.dec(v, "p", f_p, t.price);
        case 'q': return r.dec(v, "q", f_q, t.qty);
        case 'f': return r.integer(v, "f", 0, t.first_trade_id);
        case 'l': return r.integer(v, "l", 0, t.last_trade_id);
        case 'T': return r.integer(v, "T", 0, t.trade_time);
        case 'm': return r.flag(v, "m", 0, t.buyer_is_maker);
        default: return true;
    }
}

/// Receives the event object's fields in document order once its type is known, and leaves the
/// outcome in `out`.
class market_sink {
public:
    explicit market_sink(market_event& out) : out_(out) {}

    /// Selects the reader for event type `e`.
    void start(std::string_view e) {
        if (e == "bookTicker") {
            book_ = &out_.emplace<book_ticker>();
            r_.context = "bookTicker";
        } else if (e == "markPriceUpdate") {
            mark_ = &out_.emplace<mark_price_update>();
            r_.context = "markPriceUpdate";
        } else if (e == "aggTrade") {
            agg_ = &out_.emplace<agg_trade>();
            r_.context = "aggTrade";
        } else {
            ignored_ = e;  // stays valid until the parser's next document
        }
    }
    bool ignored() const { return book_ == nullptr && mark_ == nullptr && agg_ == nullptr; }

    /// One field of the event object. False (with the error in `out`) on a bad value.
    bool field(std::string_view k, od::value& v) {
        bool ok = true;
        if (book_ != nullptr) ok = book_field(r_, k, v, *book_);
        else if (mark_ != nullptr) ok = mark_field(r_, k, v, *mark_);
        else if (agg_ != nullptr) ok = agg_field(r_, k, v, *agg_);
        if (!ok) out_ = stream_error{std::move(r_.error)};
        return ok;
    }

    /// The object could not be iterated (malformed JSON).
    void json_error(simdjson::error_code e) {
        r_.fail_json(e);
        out_ = stream_error{std::move(r_.error)};
    }

    /// After the last field: required fields, or the ignored event.
    void finish() {
        bool ok = true;
        if (book_ != nullptr) ok = require(r_, {{"s", f_s}, {"b", f_b}, {"B", f_B}, {"a", f_a}, {"A", f_A}});
        else if (mark_ != nullptr) ok = require(r_, {{"s", f_s}, {"p", f_p}});
        else if (agg_ != nullptr) ok = require(r_, {{"s", f_s}, {"p", f_p}, {"q", f_q}});
        else out_ = ignored_event{std::string(ignored_)};
        if (!ok) out_ = stream_error{std::move(r_.error)};
    }

private:
    market_event& out_;
    field_reader r_;
    book_ticker* book_ = nullptr;
    mark_price_update* mark_ = nullptr;
    agg_trade* agg_ = nullptr;
    std::string_view ignored_;
};

/// The event type of an "e" value the fast path can take: a string without escapes.
bool fast_event_type(od::value& v, std::string_view& e) { return plain_string(v, e); }

enum class pass { done, general };

/// The fast path: "e" first in the event object, every field read once in document order.
/// Returns general (nothing decided) for every shape it does not take; the caller then runs the
/// general path from scratch.
pass one_pass(od::document& doc, market_sink& sink) {
    od::object top;
    if (doc.get_object().get(top)) return pass::general;  // arrays, scalars, malformed
    enum class shape { unknown, plain, wrapped } sh = shape::unknown;
    bool first = true;
    for (auto&& field_result : top) {
        if (field_result.error()) return pass::general;
        od::field& f = field_result.value_unsafe();  // in place: no copy of the field
        std::string_view key;
        if (!key_of(f, key)) return pass::general;
        od::value& v = f.value();
        if (sh == shape::plain) {
            // A later "data" or a second "e" would change what the event is: general path.
            if (key == "e" || key == "data") return pass::general;
            if (!sink.field(key, v)) return pass::done;
            continue;
        }
        if (key == "e") {
            std::string_view e;
            if (!first || sh == shape::wrapped || !fast_event_type(v, e)) return pass::general;
            sink.start(e);
            sh = shape::plain;
        } else if (key == "data") {
            od::object data;
            if (sh == shape::wrapped || v.get_object().get(data)) return pass::general;
            sh = shape::wrapped;
            bool data_first = true;
            for (auto&& data_result : data) {
                if (data_result.error()) return pass::general;
                od::field& df = data_result.value_unsafe();
                std::string_view dk;
                if (!key_of(df, dk)) return pass::general;
                od::value& dv = df.value();
                if (data_first) {
                    std::string_view e;
                    if (dk != "e" || !fast_event_type(dv, e)) return pass::general;
                    sink.start(e);
                    data_first = false;
                    if (sink.ignored()) break;  // the rest of the object is skipped by the outer loop
                    continue;
                }
                if (dk == "e") return pass::general;  // a second "e": the general path decides
                if (!sink.field(dk, dv)) return pass::done;
            }
            if (data_first) return pass::general;  // {"data":{}}: "data.e missing", worded there
        }
        // Anything else at the top level ("stream", unknown keys) is skipped unread.
        first = false;
    }
    if (sh == shape::unknown) return pass::general;  // subscription answers, errors, no "e"
    sink.finish();
    return pass::done;
}

/// The general path: pass one finds the shape and the event type, pass two reads the event
/// object with the same field rules as the fast path.
void general_path(std::string_view frame, json_parser& p, market_event& out) {
    detail::reader r("market event");
    od::document doc;
    if (auto e = p.impl().iterate(frame).get(doc); e) {
        r.fail_json(e);
        out = stream_error{r.error()};
        return;
    }
    detail::envelope env;
    if (!detail::scan_envelope(doc, r, env)) {
        out = stream_error{r.error()};
        return;
    }
    if (env.kind == detail::envelope::shape::array || env.data_is_array) {
        out = ignored_event{"array"};
        return;
    }
    if (env.is_response) {
        out = ignored_event{env.response_detail};
        return;
    }
    if (!env.has_event) {
        r.fail(env.wrapped ? "data.e" : "e", "missing");
        out = stream_error{r.error()};
        return;
    }
    market_sink sink(out);
    sink.start(env.event_type);
    if (sink.ignored()) {
        out = ignored_event{env.event_type};
        return;
    }
    od::object obj;
    if (!detail::event_object(doc, env, r, obj)) {
        out = stream_error{r.error()};
        return;
    }
    for (auto field_result : obj) {
        od::field f;
        if (auto e = std::move(field_result).get(f); e) return sink.json_error(e);
        std::string_view key;
        if (auto e = f.unescaped_key().get(key); e) return sink.json_error(e);
        if (!sink.field(key, f.value())) return;
    }
    sink.finish();
}

}  // namespace

market_event parse_market_event(std::string_view frame, json_parser& p) {
    market_event out;
    od::document doc;
    if (!p.impl().iterate(frame).get(doc)) {
        market_sink sink(out);
        if (one_pass(doc, sink) == pass::done) return out;
    }
    general_path(frame, p, out);
    return out;
}

}  // namespace traded::binance
