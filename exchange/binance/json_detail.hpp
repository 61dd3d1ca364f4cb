#pragma once
/// Internal helpers of the Binance codec (not part of the public API): the simdjson parser
/// behind json_parser, and a field reader that copies values out of On-Demand values with
/// messages naming the field. Included only by exchange/binance/*.cpp.

#include "engine/decimal.hpp"
#include "exchange/binance/json_parser.hpp"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traded::binance::detail {

namespace od = simdjson::ondemand;

/// Largest payload we accept (exchangeInfo is about 1-2 MB); anything bigger is an error.
inline constexpr std::size_t max_payload = 64u * 1024u * 1024u;

struct json_parser_impl {
    od::parser parser;
    std::string buffer;  // input copy with SIMDJSON_PADDING bytes of slack, reused

    /// Copies `json` into the padded buffer and starts On-Demand iteration over it. The document
    /// is valid until the next iterate() on this parser.
    simdjson::simdjson_result<od::document> iterate(std::string_view json);
};

/// Decimal from an exchange string. Digits beyond the 8 we represent are truncated (Binance
/// sends e.g. breakEvenPrice "70.900038636"); anything else malformed is nullopt.
std::optional<decimal> parse_decimal_lenient(std::string_view s);

/// Copies typed values out of On-Demand values; the first failure is kept as
/// "<context>: field <name>: <what>". Field names passed in must be string literals: they are
/// remembered (as string_views) to check required fields afterwards.
class reader {
public:
    explicit reader(std::string_view context) : context_(context) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    /// True when the failure was malformed JSON (as opposed to a bad or missing value).
    bool json_broken() const { return json_broken_; }
    /// Records a failure for `field` (only the first one is kept). Always returns false.
    bool fail(std::string_view field, std::string_view what);
    /// Takes over the failure of a nested reader (array elements use their own reader so that
    /// required-field checks are per element). Always returns false.
    bool adopt(const reader& inner) {
        if (error_.empty()) {
            error_ = inner.error_;
            json_broken_ = inner.json_broken_;
        }
        return false;
    }
    /// Records a failure not tied to one field.
    bool fail_json(simdjson::error_code e);
    /// Marks a field as present without reading a value (objects and arrays read by hand).
    void mark(std::string_view field) {
        if (seen_count_ < seen_inline_.size())
            seen_inline_[seen_count_++] = field;
        else
            seen_more_.push_back(field);
    }
    bool seen(std::string_view field) const;
    /// Fails naming the first field of `fields` that was not read. Returns ok().
    bool require(std::initializer_list<std::string_view> fields);

    /// JSON string (or a number or bool, copied as its token: ids sometimes come as either).
    /// null leaves `out` untouched.
    bool string(od::value& v, std::string_view field, std::string& out);
    /// Decimal from a string or a JSON number. "" and null leave `out` untouched (absent).
    bool dec(od::value& v, std::string_view field, decimal& out);
    bool dec(od::value& v, std::string_view field, std::optional<decimal>& out);
    /// Like dec(), for informational fields (max notional, max price ...): a value we cannot
    /// represent (Binance sends e.g. "9223372036854775807") is skipped, not an error.
    bool dec_soft(od::value& v, std::string_view field, decimal& out);
    bool dec_soft(od::value& v, std::string_view field, std::optional<decimal>& out);
    /// Integer from a JSON integer or a string of digits ("E":"1736996475556"). "" and null
    /// leave `out` untouched.
    bool int64(od::value& v, std::string_view field, std::int64_t& out);
    bool int64(od::value& v, std::string_view field, std::optional<std::int64_t>& out);
    bool int32(od::value& v, std::string_view field, int& out);
    bool int32(od::value& v, std::string_view field, std::optional<int>& out);
    /// true/false, also as the strings "true"/"false" (any case). null leaves `out` untouched.
    bool boolean(od::value& v, std::string_view field, bool& out);
    bool boolean(od::value& v, std::string_view field, std::optional<bool>& out);
    /// An object / array value; fails naming the field otherwise.
    bool object(od::value& v, std::string_view field, od::object& out);
    bool array(od::value& v, std::string_view field, od::array& out);

    /// String token of a scalar: strings unescaped, numbers (validated) and bools as written,
    /// nullopt for null; fails naming the field for objects and arrays.
    bool text(od::value& v, std::string_view field, std::optional<std::string_view>& out) {
        return scalar_text(v, field, out);
    }

private:
    bool scalar_text(od::value& v, std::string_view field, std::optional<std::string_view>& out);

    std::string_view context_;
    std::string error_;
    // Fields read so far: inline for the usual payload (no heap allocation per message on the
    // market-data path), spilling to the vector only for very wide objects.
    std::array<std::string_view, 32> seen_inline_{};
    std::size_t seen_count_ = 0;
    std::vector<std::string_view> seen_more_;
    bool json_broken_ = false;
};

/// Calls f(key, value) for every field of `obj`, stopping at the first JSON or reader error.
template <class F>
bool for_each_field(od::object& obj, reader& r, F&& f) {
    for (auto field_result : obj) {
        od::field field;
        if (auto e = std::move(field_result).get(field); e) return r.fail_json(e);
        std::string_view key;
        if (auto e = field.unescaped_key().get(key); e) return r.fail_json(e);
        f(key, field.value());
        if (!r.ok()) return false;
    }
    return r.ok();
}

/// Calls f(value, index) for every element of `arr`, stopping at the first error.
template <class F>
bool for_each_element(od::array& arr, reader& r, F&& f) {
    std::size_t index = 0;
    for (auto element_result : arr) {
        od::value element;
        if (auto e = std::move(element_result).get(element); e) return r.fail_json(e);
        f(element, index++);
        if (!r.ok()) return false;
    }
    return r.ok();
}

/// What the top level of a payload is, read without consuming it (pass one of two).
struct envelope {
    enum class shape { object, array, other } kind = shape::other;
    bool wrapped = false;        // {"stream":..,"data":{..}}
    bool data_is_array = false;  // {"stream":..,"data":[..]}
    bool has_event = false;
    std::string event_type;      // "e"
    bool is_response = false;    // {"result":..,"id":..} or {"code":..,"msg":..}
    std::string response_detail;
};

/// Scans the top level (and "data" of a combined-stream wrapper) for "e", then rewinds `doc`.
/// Returns false with r's error on malformed JSON.
bool scan_envelope(od::document& doc, reader& r, envelope& env);

/// Positions `out` on the event object: the document's object, or its "data" when wrapped.
bool event_object(od::document& doc, const envelope& env, reader& r, od::object& out);

/// Starts iteration of a REST body and checks for a Binance error body ({"code":<0,"msg":..}).
/// On an error body or malformed JSON, returns false with r's error set. The document is
/// rewound and ready for the caller when true.
bool begin_rest_body(json_parser& p, std::string_view body, reader& r, od::document& doc);

}  // namespace traded::binance::detail
