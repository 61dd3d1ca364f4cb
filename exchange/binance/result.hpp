#pragma once
/// Result type of every Binance codec function: a value, or a message that names the field.

#include <optional>
#include <string>
#include <utility>

namespace traded::binance {

/// A parsed value or an error message ("ORDER_TRADE_UPDATE: field o.l: expected a decimal").
/// Parsers never throw and never crash on malformed input; they return this instead.
template <class T>
struct result {
    std::optional<T> value;
    std::string error;

    /// A successful result.
    static result success(T v) {
        result r;
        r.value = std::move(v);
        return r;
    }
    /// A failed result with a message naming the field.
    static result failure(std::string message) {
        result r;
        r.error = std::move(message);
        return r;
    }

    bool ok() const { return value.has_value(); }
    explicit operator bool() const { return ok(); }
    /// Precondition: ok().
    const T& operator*() const { return *value; }
    T& operator*() { return *value; }
    const T* operator->() const { return &*value; }
    T* operator->() { return &*value; }
};

}  // namespace traded::binance
