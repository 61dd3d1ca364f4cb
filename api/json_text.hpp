#pragma once
/// JSON text for API answers and pushes: the pieces the views' text writers are made of
/// (append_key, append_quoted, append_decimal for money in the decimal's exact text, append_number
/// for display values), and to_text/append_text for the few answers still built as a
/// boost::json tree (errors, readiness, config). Boost.JSON 1.81 always prints doubles in exponent
/// form ("2E2", "9.48767E4"); these print them in their shortest round-trip plain form ("200",
/// "94876.7", "0.00000001").
///
/// Everything writes straight into one output string (no temporary string per key or value).

#include "engine/decimal.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace traded::api {

/// Serialize `v` (same JSON as boost::json::serialize, friendlier numbers).
std::string to_text(const boost::json::value& v);
/// Appends the JSON text of `v` to `out`.
void append_text(std::string& out, const boost::json::value& v);
/// Appends `s` as a quoted, escaped JSON string.
void append_quoted(std::string& out, std::string_view s);
/// Appends a double exactly as append_text prints a JSON double (plain shortest form, null
/// when not finite).
void append_number(std::string& out, double d);
/// Appends an integer.
void append_integer(std::string& out, std::int64_t v);
/// Appends a decimal as a JSON number in its exact text ("94725.1", "0.00000001", "-3"), for
/// every digit it has (a double keeps 15-17): money, prices and quantities.
void append_decimal(std::string& out, decimal d);
/// Appends `"k":`, preceded by a comma unless it opens its object (the last byte is '{'):
/// text writers build objects member by member with it.
void append_key(std::string& out, std::string_view k);

}  // namespace traded::api
