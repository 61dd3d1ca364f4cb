#pragma once
// The decimal fuzz target, shared by the libFuzzer entry (decimal_fuzz.cpp) and the Catch2 corpus
// replay (corpus_replay_test.cpp).
//
// The input is one or two decimal texts separated by '|'. Both parsers (decimal::parse and the market
// codec's parse_decimal_text) must agree on every text. Every accepted text must format back to
// the same value; pairs of values in a realistic range (|x| <= 1e9, where no sum can overflow)
// must agree with exact 128-bit arithmetic, and rounding to a positive step must bracket the value.
// Out-of-range arithmetic is left to decimal's own overflow policy and not asserted here.

#include "engine/decimal.hpp"
#include "exchange/binance/decimal_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace traded::fuzz {

namespace decimal_detail {

using i128 = __int128;
constexpr std::int64_t realistic = 1'000'000'000LL * decimal::scale;  // 1e9 units

inline bool fits(i128 v) {
    return v <= INT64_MAX && v >= -INT64_MAX;
}

/// One text: parse, format, parse again.
inline const char* check_text(std::string_view s) {
    auto v = decimal::parse(s);
    // The market codec's one-scan parser accepts exactly the same texts, with the same values.
    decimal fast;
    const bool fast_ok = binance::parse_decimal_text(s, fast) == binance::decimal_text_error::none;
    if (fast_ok != v.has_value() || (v && fast != *v)) return "parse_decimal_text disagrees with decimal::parse";
    if (!v) return nullptr;
    if (s.size() > 40) return "parse accepted more than 40 characters";
    auto again = decimal::parse(v->to_string());
    if (!again || *again != *v) return "to_string does not parse back to the same value";
    auto fixed = decimal::parse(v->to_string_fixed(decimal::digits));
    if (!fixed || *fixed != *v) return "to_string_fixed(8) does not parse back to the same value";
    const int fd = v->fractional_digits();
    if (fd < 0 || fd > decimal::digits) return "fractional_digits out of 0..8";
    auto shortened = decimal::parse(v->to_string_fixed(fd));
    if (!shortened || *shortened != *v) return "to_string_fixed(fractional_digits) loses digits";
    for (char c : v->to_string()) {
        if (!(c == '-' || c == '.' || (c >= '0' && c <= '9'))) return "to_string wrote a foreign character";
    }
    return nullptr;
}

inline const char* check_pair(decimal a, decimal b) {
    const i128 ar = a.raw();
    const i128 br = b.raw();
    if (ar > realistic || ar < -realistic || br > realistic || br < -realistic) return nullptr;
    if ((a + b).raw() != ar + br) return "a + b is not exact";
    if ((a - b).raw() != ar - br) return "a - b is not exact";
    // Products and quotients truncate toward zero at 8 digits (C++ integer division does too).
    if (const i128 p = ar * br / decimal::scale; fits(p) && (a * b).raw() != p) return "a * b differs from exact";
    if (br != 0) {
        if (const i128 q = ar * decimal::scale / br; fits(q) && (a / b).raw() != q) return "a / b differs from exact";
        const i128 q = ar * decimal::scale / br;
        const auto cq = a.checked_div(b);
        if (fits(q) ? !cq || cq->raw() != q : cq.has_value()) return "checked_div disagrees with exact";
    } else if (a.checked_div(b).has_value()) {
        // a / b with a zero divisor is a broken invariant (it aborts); the checked form reports it.
        return "checked_div by zero is not nullopt";
    }
    const i128 product = ar * br / decimal::scale;
    const auto checked_product = a.checked_mul(b);
    if (fits(product) ? !checked_product || checked_product->raw() != product : checked_product.has_value())
        return "checked_mul disagrees with exact";
    if (const auto cs = a.checked_add(b); !cs || cs->raw() != ar + br) return "checked_add disagrees with exact";
    if (b.is_positive()) {
        const decimal f = a.floor_to(b);
        const decimal c = a.ceil_to(b);
        const decimal r = a.round_to(b);
        if (f > a || c < a) return "floor_to/ceil_to do not bracket the value";
        if (!f.is_multiple_of(b) || !c.is_multiple_of(b) || !r.is_multiple_of(b)) return "rounded value not on the step";
        if ((c - f).raw() != (a.is_multiple_of(b) ? 0 : br)) return "ceil_to - floor_to is neither 0 nor one step";
        if (r != f && r != c) return "round_to is neither floor_to nor ceil_to";
        const i128 below = ar - f.raw();
        const i128 above = c.raw() - ar;
        if (below < above && r != f) return "round_to did not take the nearer floor";
        if (above < below && r != c) return "round_to did not take the nearer ceiling";
    }
    return nullptr;
}

}  // namespace decimal_detail

/// One fuzz input through the decimal type. nullptr when every invariant held.
inline const char* check_decimal(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    const auto bar = s.find('|');
    const std::string_view first = s.substr(0, bar);
    if (const char* p = decimal_detail::check_text(first)) return p;
    if (bar == std::string_view::npos) return nullptr;
    const std::string_view second = s.substr(bar + 1);
    if (const char* p = decimal_detail::check_text(second)) return p;
    auto a = decimal::parse(first);
    auto b = decimal::parse(second);
    if (a && b) return decimal_detail::check_pair(*a, *b);
    return nullptr;
}

}  // namespace traded::fuzz
