#pragma once
/// A reusable JSON parser for the Binance codec (simdjson On-Demand behind a pimpl, so users of
/// the codec do not include simdjson).

#include <memory>

namespace traded::binance {

namespace detail {
struct json_parser_impl;
}

/// One simdjson On-Demand parser plus its padded input buffer. Keep one per stream or caller and
/// reuse it: the parser's internal buffers grow once and are then recycled. Not thread-safe;
/// the daemon's single io_context thread owns all of them.
class json_parser {
public:
    json_parser();
    ~json_parser();
    json_parser(json_parser&&) noexcept;
    json_parser& operator=(json_parser&&) noexcept;
    json_parser(const json_parser&) = delete;
    json_parser& operator=(const json_parser&) = delete;

    /// Internal access for the codec's translation units.
    detail::json_parser_impl& impl() { return *impl_; }

private:
    std::unique_ptr<detail::json_parser_impl> impl_;
};

/// A parser per thread, for callers that do not keep their own (tests, one-off REST answers).
json_parser& default_parser();

}  // namespace traded::binance
