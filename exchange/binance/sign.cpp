#include "exchange/binance/sign.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace traded::binance {

std::string hmac_sha256_hex(std::string_view secret, std::string_view payload) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int md_len = 0;
    // One-shot HMAC (not deprecated in OpenSSL 3, unlike HMAC_CTX); nothing is kept around.
    const unsigned char* out =
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), md.data(),
             &md_len);
    if (out == nullptr) return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(md_len * 2u);
    for (unsigned int i = 0; i < md_len; ++i) {
        s.push_back(hex[md[i] >> 4]);
        s.push_back(hex[md[i] & 0x0f]);
    }
    return s;
}

std::string url_encode(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0x0f]);
        }
    }
    return out;
}

std::string encode_query(const std::vector<query_param>& params) {
    std::string out;
    for (const auto& p : params) {
        if (!out.empty()) out.push_back('&');
        out += url_encode(p.key);
        out.push_back('=');
        out += url_encode(p.value);
    }
    return out;
}

std::string signed_query(const std::vector<query_param>& params, std::string_view secret,
                         std::int64_t recv_window_ms, std::int64_t timestamp_ms) {
    std::string q = encode_query(params);
    if (recv_window_ms > 0) {
        if (!q.empty()) q.push_back('&');
        q += "recvWindow=" + std::to_string(recv_window_ms);
    }
    if (!q.empty()) q.push_back('&');
    q += "timestamp=" + std::to_string(timestamp_ms);
    // The signature covers exactly the bytes above; it must be the last parameter.
    std::string sig = hmac_sha256_hex(secret, q);
    q += "&signature=";
    q += sig;
    return q;
}

query_builder& query_builder::add(std::string_view key, std::string_view value) {
    params_.push_back({std::string(key), std::string(value)});
    return *this;
}

query_builder& query_builder::add(std::string_view key, std::int64_t value) {
    params_.push_back({std::string(key), std::to_string(value)});
    return *this;
}

}  // namespace traded::binance
