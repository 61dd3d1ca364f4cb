#include "exchange/net/url.hpp"

#include <boost/asio/ip/address.hpp>

namespace traded::exchange_io {

binance::result<url_parts> parse_url(std::string_view url) {
    using out_t = binance::result<url_parts>;
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return binance::failure<out_t>("url: missing scheme in '" + std::string(url) + "'");
    url_parts u;
    u.scheme = std::string(url.substr(0, sep));
    for (auto& c : u.scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (u.scheme == "https" || u.scheme == "wss")
        u.tls = true;
    else if (u.scheme != "http" && u.scheme != "ws")
        return binance::failure<out_t>("url: unsupported scheme '" + u.scheme + "' (expected https, http, wss or ws)");
    std::string_view rest = url.substr(sep + 3);
    const auto slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (!u.target.empty() && u.target.front() == '?') u.target.insert(0, "/");
    if (authority.find('@') != std::string_view::npos)
        return binance::failure<out_t>("url: credentials in the URL are not supported");
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return binance::failure<out_t>("url: unterminated IPv6 literal");
        u.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return binance::failure<out_t>("url: unexpected text after IPv6 literal");
            u.port = std::string(after.substr(1));
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            u.host = std::string(authority.substr(0, colon));
            u.port = std::string(authority.substr(colon + 1));
        } else {
            u.host = std::string(authority);
        }
    }
    if (u.host.empty()) return binance::failure<out_t>("url: missing host in '" + std::string(url) + "'");
    if (u.port.empty()) u.port = u.tls ? "443" : "80";
    for (char c : u.port)
        if (c < '0' || c > '9') return binance::failure<out_t>("url: port '" + u.port + "' is not a number");
    if (u.port.size() > 5 || std::stoi(u.port) > 65535 || std::stoi(u.port) == 0)
        return binance::failure<out_t>("url: port '" + u.port + "' is out of range");
    return out_t(std::move(u));
}

std::string host_header(const url_parts& u) {
    const bool default_port = (u.tls && u.port == "443") || (!u.tls && u.port == "80");
    std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    if (!default_port) h += ":" + u.port;
    return h;
}

bool is_ip_literal(std::string_view host) {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

}  // namespace traded::exchange_io
