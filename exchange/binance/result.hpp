#pragma once
/// Result type of every Binance codec function (and the exchange I/O's parsers): a value, or a
/// parse_error whose message names the field. boost::system::result, with our error type.

#include <boost/system/result.hpp>

#include <ostream>
#include <string>
#include <utility>

namespace traded::binance {

/// Why parsing failed ("ORDER_TRADE_UPDATE: field o.l: expected a decimal"). Made only by
/// `parse_error::of` so that a result<std::string> never mistakes a string for an error.
class parse_error {
public:
    parse_error() = default;  // user-declared: not an aggregate, so not constructible from a string
    static parse_error of(std::string message) {
        parse_error e;
        e.message = std::move(message);
        return e;
    }
    std::string message;
};

/// Prints the message (test output, logs).
inline std::ostream& operator<<(std::ostream& os, const parse_error& e) { return os << e.message; }

/// A parsed value or a parse_error. Parsers never throw and never crash on malformed input; they
/// return this instead. Read it with `if (r)`, `*r`, `r->`, `r.error().message` (value() is not
/// used: it would throw).
template <class T>
using result = boost::system::result<T, parse_error>;

/// A failed result of type R (a result<T>) with a message naming the field.
template <class R>
R failure(std::string message) {
    return R(boost::system::in_place_error, parse_error::of(std::move(message)));
}

}  // namespace traded::binance
