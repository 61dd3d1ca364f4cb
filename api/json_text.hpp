#pragma once
/// JSON text for API answers and pushes. Boost.JSON 1.81 always prints doubles in exponent form
/// ("2E2", "9.48767E4"): valid JSON, but hard on people reading curl output. This prints the same
/// value with doubles in their shortest round-trip decimal form, never in exponent form ("200",
/// "94876.7", "0.00000001"): for the views' decimals this is the decimal's exact text.

#include <boost/json/value.hpp>

#include <string>

namespace traded::api {

/// Serialize `v` (same JSON as boost::json::serialize, friendlier numbers).
std::string to_text(const boost::json::value& v);

}  // namespace traded::api
