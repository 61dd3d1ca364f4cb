#include "api/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace traded::api {

namespace {
bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view s) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
    return out;
}
}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme))
        return std::nullopt;
    std::string_view token = authorization.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty()) return std::nullopt;
    return token;
}

bool token_matches(std::string_view expected, std::string_view given) {
    if (expected.empty()) return false;
    auto a = digest(expected);
    auto b = digest(given);
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

access token_access(std::string_view full_token, std::string_view read_token, std::string_view given) {
    // Both compared every time: which one matched does not show in the timing either.
    const bool full = token_matches(full_token, given);
    const bool read = token_matches(read_token, given);
    return full ? access::full : read ? access::read : access::none;
}

token_checker::token_checker(std::string_view full_token, std::string_view read_token)
    : has_full_(!full_token.empty()), has_read_(!read_token.empty()) {
    static_assert(sizeof(full_) == SHA256_DIGEST_LENGTH);
    if (has_full_) full_ = digest(full_token);
    if (has_read_) read_ = digest(read_token);
}

access token_checker::check(std::string_view given) const {
    const auto d = digest(given);
    // Both compared every time: which one matched does not show in the timing either.
    const bool full = CRYPTO_memcmp(d.data(), full_.data(), d.size()) == 0 && has_full_;
    const bool read = CRYPTO_memcmp(d.data(), read_.data(), d.size()) == 0 && has_read_;
    return full ? access::full : read ? access::read : access::none;
}

bool is_control(op o) {
    switch (o) {
        case op::close_position:
        case op::start:
        case op::stop:
        case op::emergency_stop:
        case op::set_safety_limits:
        case op::submit_opportunity: return true;
        default: return false;
    }
}

}  // namespace traded::api
