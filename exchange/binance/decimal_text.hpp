#pragma once
/// Decimal text -> fixed-point in one scan, for the market-data hot path.
///
/// Accepts exactly what `decimal::parse` accepts and yields the same value (a property test
/// holds the two together on random strings), but without its 128-bit arithmetic per digit:
/// the integer part and up to 8 fraction digits accumulate in 64-bit integers and are joined
/// once. On refusal it also says why, so the codec can name the problem (exponent, too many
/// decimal places, out of range) instead of a bare "malformed".

#include "engine/decimal.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace traded::binance {

/// Why a decimal text was refused (`none` when it was accepted).
enum class decimal_text_error : std::uint8_t {
    none,
    empty,        // ""
    malformed,    // not [+-]digits[.digits] (also: no digit at all, a second point, spaces)
    exponent,     // "1e5", "1E-3": refused, never converted
    too_precise,  // more than 8 fraction digits that are not all zeros
    out_of_range, // beyond +-92,233,720,368.54775807, or longer than 40 characters
};

/// Human-readable reason, for error messages ("more than 8 decimal places").
constexpr std::string_view describe(decimal_text_error e) {
    switch (e) {
        case decimal_text_error::none: return "ok";
        case decimal_text_error::empty: return "empty";
        case decimal_text_error::malformed: return "not a decimal";
        case decimal_text_error::exponent: return "exponent not accepted";
        case decimal_text_error::too_precise: return "more than 8 decimal places";
        case decimal_text_error::out_of_range: return "out of range";
    }
    return "not a decimal";
}

/// Parses `s` ("123", "-0.001", "+5.", ".5"; like decimal::parse) into `out`. Returns `none`
/// and sets `out`, or the reason and leaves `out` untouched.
inline decimal_text_error parse_decimal_text(std::string_view s, decimal& out) {
    // decimal::parse refuses more than 40 characters outright; so do we, to stay equivalent.
    if (s.empty()) return decimal_text_error::empty;
    if (s.size() > 40) return decimal_text_error::out_of_range;
    const char* p = s.data();
    const char* const end = p + s.size();
    bool neg = false;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        ++p;
    }
    constexpr std::uint64_t whole_limit = static_cast<std::uint64_t>(decimal::max_raw / decimal::scale);
    std::uint64_t whole = 0;
    const char* digits_start = p;
    for (; p != end && static_cast<unsigned char>(*p - '0') <= 9; ++p) {
        whole = whole * 10 + static_cast<unsigned>(*p - '0');
        if (whole > whole_limit) return decimal_text_error::out_of_range;  // checked per digit: no wrap
    }
    bool any_digit = p != digits_start;
    std::uint64_t frac = 0;
    int frac_digits = 0;
    if (p != end && *p == '.') {
        ++p;
        const char* frac_start = p;
        if (end - p >= 8) {
            // Binance writes prices and quantities with exactly 8 decimals ("25.35190000"): take
            // 8 digits at once when they are 8 digits (the classic SWAR digit check and sum).
            std::uint64_t chunk = 0;
            std::memcpy(&chunk, p, 8);
            if ((((chunk & 0xF0F0F0F0F0F0F0F0u) | (((chunk + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) ==
                 0x3333333333333333u)) {
                chunk = (chunk & 0x0F0F0F0F0F0F0F0Fu) * 2561 >> 8;
                chunk = (chunk & 0x00FF00FF00FF00FFu) * 6553601 >> 16;
                frac = static_cast<std::uint32_t>((chunk & 0x0000FFFF0000FFFFu) * 42949672960001u >> 32);
                frac_digits = 8;
                p += 8;
            }
        }
        for (; p != end && static_cast<unsigned char>(*p - '0') <= 9; ++p) {
            if (frac_digits < decimal::digits) {
                frac = frac * 10 + static_cast<unsigned>(*p - '0');
                ++frac_digits;
            } else if (*p != '0') {
                return decimal_text_error::too_precise;  // refuse rather than round or truncate
            }
        }
        any_digit = any_digit || p != frac_start;
    }
    if (p != end) return (*p == 'e' || *p == 'E') && any_digit ? decimal_text_error::exponent : decimal_text_error::malformed;
    if (!any_digit) return decimal_text_error::malformed;
    static constexpr std::uint64_t pow10[] = {100'000'000, 10'000'000, 1'000'000, 100'000, 10'000, 1'000, 100, 10, 1};
    // whole <= 92,233,720,368 so whole * 1e8 + frac < 2^64: one unsigned check suffices.
    const std::uint64_t raw = whole * static_cast<std::uint64_t>(decimal::scale) + frac * pow10[frac_digits];
    if (raw > static_cast<std::uint64_t>(decimal::max_raw)) return decimal_text_error::out_of_range;
    const auto r = static_cast<std::int64_t>(raw);
    out = decimal::from_raw(neg ? -r : r);
    return decimal_text_error::none;
}

}  // namespace traded::binance
