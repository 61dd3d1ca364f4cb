#pragma once
/// Parsing of the configured exchange URLs (https://, http://, wss://, ws://).

#include "exchange/binance/result.hpp"

#include <string>
#include <string_view>

namespace traded::exchange_io {

/// The parts of an absolute URL that a client connection needs.
struct url_parts {
    std::string scheme;  // "https", "http", "wss", "ws"
    bool tls = false;    // https / wss
    std::string host;    // "fapi.binance.com", "127.0.0.1" (IPv6 literals without brackets)
    std::string port;    // explicit, or 443 / 80 by scheme
    std::string target;  // path + query, "/" when empty
};

/// Parses `url`; the error names what is wrong ("url: unsupported scheme 'ftp'").
binance::result<url_parts> parse_url(std::string_view url);

/// `host` or `host:port` for the Host header (port omitted when it is the scheme's default).
std::string host_header(const url_parts& u);

/// True when `host` is an IPv4 or IPv6 literal (no SNI is sent for those).
bool is_ip_literal(std::string_view host);

}  // namespace traded::exchange_io
