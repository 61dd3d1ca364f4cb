#pragma once
/// Server-side request rules of the Binance USD-M REST API, as the simulator enforces them: form
/// parsing (query string and x-www-form-urlencoded body), which raw bytes a signature covers,
/// signature comparison, the timestamp window and the client-id pattern. Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace traded::sim {

/// One decoded `key=value` pair of a query string or form body.
struct form_param {
    std::string key;
    std::string value;
};

/// Result of parsing a form: the pairs, or a Binance error (code and message) when malformed.
struct form_parse {
    std::vector<form_param> params;
    int code = 0;  // -1100 bad percent-escape, -1101 duplicate key
    std::string message;
};

/// Decodes `%XX` escapes and `+` (space). nullopt on a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view s);

/// Splits "a=1&b=2" into decoded pairs in order. Empty segments are skipped; a key sent twice in
/// the same part is rejected with -1101 as Binance does.
form_parse parse_form(std::string_view s);

/// What a request's signature covers: Binance's `totalParams` (query string concatenated with the
/// body, no `&` between them) with the `signature=<hex>` pair cut out of the part that carried it.
struct signature_split {
    std::string payload;
    std::optional<std::string> signature;  // raw value as sent; nullopt when absent
    bool last = true;                      // the signature was the last parameter of its part
};

/// Locates the signature in the raw query string (preferred, like every parameter sent in both)
/// or else in the raw body, and returns the exact bytes the client must have signed.
signature_split split_signature(std::string_view query, std::string_view body);

/// Case-insensitive comparison of hex digests ("The signature is not case sensitive").
bool signature_matches(std::string_view expected_hex, std::string_view given);

/// Binance's timing check, verbatim from the docs:
/// `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow`.
enum class timestamp_verdict { ok, ahead, outside_window };
timestamp_verdict check_timestamp(std::int64_t timestamp, std::int64_t server_time, std::int64_t recv_window);

/// `^[\.A-Z\:/a-z0-9_-]{1,36}$` without the length part: true when every character is allowed.
bool client_id_chars_ok(std::string_view id);

/// Decimal parameters must match `^([0-9]{1,20})(\.[0-9]{1,20})?$` (no sign, no exponent).
bool decimal_syntax_ok(std::string_view s);

/// Integer parameters (LONG/INT): optional '-' then 1-19 digits; nullopt otherwise.
std::optional<std::int64_t> parse_long(std::string_view s);

/// Number of digits after the decimal point as written ("0.0100" -> 4, "5" -> 0).
int written_fraction_digits(std::string_view s);

}  // namespace traded::sim
