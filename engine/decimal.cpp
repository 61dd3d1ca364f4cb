#include "engine/decimal.hpp"

#include "engine/invariant.hpp"

#include <cmath>
#include <limits>

namespace traded {

namespace {
using i128 = __int128;

/// A 128-bit intermediate clamped to [-INT64_MAX, INT64_MAX]: an absurd amount stays visibly
/// absurd instead of wrapping into a plausible one of the other sign.
std::int64_t saturate(i128 v) {
    if (v > INT64_MAX) return INT64_MAX;
    if (v < -static_cast<i128>(INT64_MAX)) return -INT64_MAX;
    return static_cast<std::int64_t>(v);
}

std::optional<decimal> checked(i128 v) {
    if (v > decimal::max_raw || v < -decimal::max_raw) return std::nullopt;
    return decimal::from_raw(static_cast<std::int64_t>(v));
}
}  // namespace

std::optional<decimal> decimal::parse(std::string_view s) {
    if (s.empty() || s.size() > 40) return std::nullopt;
    bool neg = false;
    std::size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    i128 whole = 0;
    i128 frac = 0;
    int frac_digits = 0;
    bool any_digit = false;
    bool seen_point = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '.') {
            if (seen_point) return std::nullopt;
            seen_point = true;
            continue;
        }
        if (c < '0' || c > '9') return std::nullopt;
        any_digit = true;
        int d = c - '0';
        if (!seen_point) {
            whole = whole * 10 + d;
            if (whole > max_raw / scale) return std::nullopt;
        } else if (frac_digits < digits) {
            frac = frac * 10 + d;
            ++frac_digits;
        } else if (d != 0) {
            return std::nullopt;  // more precision than we represent: refuse rather than round
        }
    }
    if (!any_digit) return std::nullopt;
    while (frac_digits < digits) {
        frac *= 10;
        ++frac_digits;
    }
    i128 raw = whole * scale + frac;
    return checked(neg ? -raw : raw);
}

std::optional<decimal> decimal::from_double(double v) {
    if (!std::isfinite(v) || std::fabs(v) > 9.0e10) return std::nullopt;
    return from_raw(static_cast<std::int64_t>(std::llround(v * static_cast<double>(scale))));
}

std::string decimal::to_string() const {
    std::string s = to_string_fixed(digits);
    if (auto dot = s.find('.'); dot != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

std::string decimal::to_string_fixed(int places) const {
    if (places < 0) places = 0;
    if (places > digits) places = digits;
    i128 v = raw_;
    bool neg = v < 0;
    if (neg) v = -v;
    auto whole = static_cast<std::uint64_t>(v / scale);
    auto frac = static_cast<std::uint64_t>(v % scale);
    for (int k = digits; k > places; --k) frac /= 10;
    std::string out;
    if (neg && (whole != 0 || frac != 0)) out.push_back('-');
    out += std::to_string(whole);
    if (places > 0) {
        std::string f = std::to_string(frac);
        out.push_back('.');
        out.append(static_cast<std::size_t>(places) - f.size(), '0');
        out += f;
    }
    return out;
}

int decimal::fractional_digits() const {
    std::int64_t frac = (raw_ < 0 ? -raw_ : raw_) % scale;
    if (frac == 0) return 0;
    int n = digits;
    while (frac % 10 == 0) {
        frac /= 10;
        --n;
    }
    return n;
}

decimal decimal::operator*(decimal o) const {
    // |raw| < 2^63 each, so the product fits 127 bits: only the narrowing needs a check.
    const i128 p = static_cast<i128>(raw_) * o.raw_;
    // Fast path: a 128-bit division is a library call (__divti3). 1e8 = 2^8 * 390625 and
    // floor(floor(u / 2^8) / 390625) = floor(u / 1e8), so when |p| < 2^72 (a notional below
    // ~470,000 in value) one 64-bit division gives the same truncated quotient.
    const auto u = static_cast<unsigned __int128>(p < 0 ? -p : p);
    if ((u >> 72) == 0) {
        const auto q = static_cast<std::int64_t>(static_cast<std::uint64_t>(u >> 8) / 390'625u);
        return from_raw(p < 0 ? -q : q);
    }
    return from_raw(saturate(p / scale));
}

decimal decimal::mul_int(std::int64_t k) const {
    return from_raw(saturate(static_cast<i128>(raw_) * k));
}

decimal decimal::operator/(decimal o) const {
    TRADED_INVARIANT(o.raw_ != 0, "decimal division by zero");
    // Fast path: when raw * 1e8 fits 64 bits, a 64-bit division (same truncation toward zero).
    std::int64_t n = 0;
    if (!__builtin_mul_overflow(raw_, scale, &n)) return from_raw(n / o.raw_);  // n != INT64_MIN: 5^8 divides n
    i128 q = static_cast<i128>(raw_) * scale / o.raw_;
    return from_raw(saturate(q));
}

std::optional<decimal> decimal::checked_add(decimal o) const {
    return checked(static_cast<i128>(raw_) + o.raw_);
}

std::optional<decimal> decimal::checked_sub(decimal o) const {
    return checked(static_cast<i128>(raw_) - o.raw_);
}

std::optional<decimal> decimal::checked_mul(decimal o) const {
    return checked(static_cast<i128>(raw_) * o.raw_ / scale);
}

std::optional<decimal> decimal::checked_div(decimal o) const {
    if (o.raw_ == 0) return std::nullopt;
    return checked(static_cast<i128>(raw_) * scale / o.raw_);
}

decimal decimal::floor_to(decimal step) const {
    if (step.raw_ <= 0) return *this;
    std::int64_t r = raw_ % step.raw_;
    if (r < 0) r += step.raw_;
    return from_raw(saturate(static_cast<i128>(raw_) - r));
}

decimal decimal::ceil_to(decimal step) const {
    decimal f = floor_to(step);
    return f.raw_ == raw_ ? f : from_raw(saturate(static_cast<i128>(f.raw_) + step.raw_));
}

decimal decimal::round_to(decimal step) const {
    if (step.raw_ <= 0) return *this;
    decimal f = floor_to(step);
    i128 rem = static_cast<i128>(raw_) - f.raw_;
    bool up = raw_ >= 0 ? rem * 2 >= step.raw_ : rem * 2 > step.raw_;
    return up ? from_raw(saturate(static_cast<i128>(f.raw_) + step.raw_)) : f;
}

bool decimal::is_multiple_of(decimal step) const {
    return step.raw_ > 0 && raw_ % step.raw_ == 0;
}

}  // namespace traded
