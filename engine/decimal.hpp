#pragma once
/// Fixed-point decimal for prices, quantities and money.
///
/// Every amount in traded is an int64 count of 1e-8 units, parsed straight from the exchange's
/// decimal strings and formatted back exactly. Eight fractional digits cover every USD-M tick and
/// step size. Products use a 128-bit intermediate so notional = price * qty cannot overflow for
/// realistic values. A double appears only in `to_double()`, for display values.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace traded {

/// Exact decimal with 8 fractional digits.
class decimal {
public:
    static constexpr int digits = 8;
    static constexpr std::int64_t scale = 100'000'000;

    constexpr decimal() = default;

    /// The value raw * 1e-8.
    static constexpr decimal from_raw(std::int64_t raw) { decimal d; d.raw_ = raw; return d; }
    /// A whole number (saturating beyond +-92,233,720,368).
    static constexpr decimal from_int(std::int64_t v) {
        constexpr std::int64_t limit = INT64_MAX / scale;
        return from_raw(v > limit ? INT64_MAX : v < -limit ? -INT64_MAX : v * scale);
    }
    /// Parses "123", "-0.001", "1e-3" is not accepted; more than 8 fractional digits is an error
    /// unless the extra digits are zeros. Returns nullopt on anything malformed or out of range.
    static std::optional<decimal> parse(std::string_view s);
    /// Nearest decimal to a double (config values, display only). nullopt when not finite or huge.
    static std::optional<decimal> from_double(double v);

    constexpr std::int64_t raw() const { return raw_; }
    /// Shortest exact representation: "0.001", "-12.5", "100".
    std::string to_string() const;
    /// Exactly `places` fractional digits (truncating toward zero): for exchange requests.
    std::string to_string_fixed(int places) const;
    double to_double() const { return static_cast<double>(raw_) / static_cast<double>(scale); }

    constexpr bool is_zero() const { return raw_ == 0; }
    constexpr bool is_negative() const { return raw_ < 0; }
    constexpr bool is_positive() const { return raw_ > 0; }
    constexpr decimal abs() const { return raw_ < 0 ? -*this : *this; }

    /// Number of significant fractional digits of a tick/step size ("0.010" → 2).
    int fractional_digits() const;

    // Sums, differences and negation saturate at +-max_raw like products and quotients: an
    // absurd amount stays visibly absurd instead of wrapping into a plausible one of the other
    // sign (and signed overflow, which is undefined behaviour, never happens).
    static constexpr std::int64_t max_raw = INT64_MAX;
    constexpr decimal operator-() const { return from_raw(raw_ < -max_raw ? max_raw : -raw_); }
    constexpr decimal operator+(decimal o) const {
        std::int64_t r = 0;
        if (__builtin_add_overflow(raw_, o.raw_, &r)) return from_raw(o.raw_ > 0 ? max_raw : -max_raw);
        return from_raw(r < -max_raw ? -max_raw : r);
    }
    constexpr decimal operator-(decimal o) const {
        std::int64_t r = 0;
        if (__builtin_sub_overflow(raw_, o.raw_, &r)) return from_raw(o.raw_ < 0 ? max_raw : -max_raw);
        return from_raw(r < -max_raw ? -max_raw : r);
    }
    constexpr decimal& operator+=(decimal o) { return *this = *this + o; }
    constexpr decimal& operator-=(decimal o) { return *this = *this - o; }
    /// Product, truncated toward zero at 8 digits.
    decimal operator*(decimal o) const;
    /// Quotient, truncated toward zero at 8 digits, saturating like operator*. The divisor must
    /// not be zero: every caller divides by a quantity or price it checked positive, or by a
    /// constant, so a zero divisor is a bug and stops the process (TRADED_INVARIANT,
    /// engine/invariant.hpp). Divide by values that may be zero with checked_div.
    decimal operator/(decimal o) const;
    /// Times a whole number, saturating like operator*.
    decimal mul_int(std::int64_t k) const;

    // Checked arithmetic for values from outside (files, exchange answers, config): nullopt on
    // a zero divisor or a result beyond +-max_raw, where the operators saturate (or, for a
    // zero divisor, abort), so the caller can report the bad value and carry on.
    std::optional<decimal> checked_add(decimal o) const;
    std::optional<decimal> checked_sub(decimal o) const;
    std::optional<decimal> checked_mul(decimal o) const;
    std::optional<decimal> checked_div(decimal o) const;

    constexpr auto operator<=>(const decimal&) const = default;
    constexpr bool operator==(const decimal&) const = default;

    /// Largest multiple of step that is <= this (step > 0).
    decimal floor_to(decimal step) const;
    /// Smallest multiple of step that is >= this (step > 0).
    decimal ceil_to(decimal step) const;
    /// Nearest multiple of step, halves away from zero (step > 0).
    decimal round_to(decimal step) const;
    /// True when this is an exact multiple of step.
    bool is_multiple_of(decimal step) const;

private:
    std::int64_t raw_ = 0;
};

}  // namespace traded
