#pragma once
/// Request signing for Binance USD-M SIGNED endpoints (binance-usdm.md §2).
///
/// The rule we follow is "sign exactly the bytes that go on the wire": parameters are kept in
/// insertion order, values are percent-encoded, `recvWindow` and `timestamp` are appended, the
/// HMAC-SHA256 of that encoded string is computed with the secret key, and `&signature=<hex>` is
/// appended last. The transport sends the whole string as the query string for every method
/// (as the official SDK does), so the signed bytes and the sent bytes are the same.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace traded::binance {

/// Lowercase hex HMAC-SHA256 of `payload` keyed with `secret` (64 characters).
std::string hmac_sha256_hex(std::string_view secret, std::string_view payload);

/// Percent-encodes everything except the RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~`
/// ("my:id/1" -> "my%3Aid%2F1"; a space becomes "%20").
std::string url_encode(std::string_view value);

/// One request parameter, unencoded.
struct query_param {
    std::string key;
    std::string value;
    bool operator==(const query_param&) const = default;
};

/// `k1=v1&k2=v2` with keys and values percent-encoded, in the given order.
std::string encode_query(const std::vector<query_param>& params);

/// The signed query string: encode_query(params) + `&recvWindow=<w>` (omitted when
/// recv_window_ms <= 0) + `&timestamp=<ts>` + `&signature=<hmac of everything before it>`.
std::string signed_query(const std::vector<query_param>& params, std::string_view secret,
                         std::int64_t recv_window_ms, std::int64_t timestamp_ms);

/// Builds a parameter list in insertion order (Binance accepts any order; we keep ours so the
/// signed bytes are predictable and testable).
class query_builder {
public:
    /// Appends key=value (value unencoded; encoding happens in encoded()/signed_query()).
    query_builder& add(std::string_view key, std::string_view value);
    /// Appends an integer value.
    query_builder& add(std::string_view key, std::int64_t value);
    /// The parameters so far.
    const std::vector<query_param>& params() const { return params_; }
    /// Unsigned encoded form (for NONE and USER_STREAM endpoints).
    std::string encoded() const { return encode_query(params_); }
    /// Signed encoded form, see signed_query().
    std::string signed_query(std::string_view secret, std::int64_t recv_window_ms,
                             std::int64_t timestamp_ms) const {
        return binance::signed_query(params_, secret, recv_window_ms, timestamp_ms);
    }

private:
    std::vector<query_param> params_;
};

}  // namespace traded::binance
