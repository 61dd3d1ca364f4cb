#pragma once
/// JSON text for API answers and pushes. Boost.JSON 1.81 always prints doubles in exponent form
/// ("2E2", "9.48767E4"): valid JSON, but hard on people reading curl output. This prints the same
/// value with doubles in their shortest round-trip decimal form, never in exponent form ("200",
/// "94876.7", "0.00000001"): for the views' decimals this is the decimal's exact text.
///
/// It writes straight into one output string (no temporary string per key or value), because
/// every REST answer and every pushed event goes through it.

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
