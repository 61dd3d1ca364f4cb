#pragma once
// Template part of tls.hpp.

#include "exchange/net/url.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <openssl/ssl.h>

namespace traded::exchange_io {

template <class TlsStream>
bool prepare_tls_stream(TlsStream& s, const std::string& host) {
    if (!is_ip_literal(host)) {
        // SSL_set_tlsext_host_name is a macro around SSL_ctrl taking void*.
        if (SSL_set_tlsext_host_name(s.native_handle(), const_cast<char*>(host.c_str())) != 1) return false;
    }
    s.set_verify_mode(boost::asio::ssl::verify_peer);
    s.set_verify_callback(boost::asio::ssl::host_name_verification(host));
    return true;
}

}  // namespace traded::exchange_io
