#pragma once
/// Pure access checks for the server: the API token (SPEC §4). Host/Origin checks: api/guard.hpp.

#include "api/command.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace traded::api {

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive);
/// nullopt for any other scheme or an empty token.
std::optional<std::string_view> bearer_token(std::string_view authorization);

/// True when `given` equals the configured token, compared in constant time (both are hashed
/// with SHA-256 and the digests compared with CRYPTO_memcmp, so neither the content nor the
/// length leaks through timing). An empty configured token matches nothing.
bool token_matches(std::string_view expected, std::string_view given);

/// What a presented token may do (SPEC §9): the API token everything; `server.read_token` every
/// GET route, /metrics and WebSocket subscriptions, but no control operation.
enum class access { none, read, full };

/// The access `given` grants: full for the API token, read for the read token (each compared in
/// constant time; an empty configured token matches nothing).
access token_access(std::string_view full_token, std::string_view read_token, std::string_view given);

/// The configured tokens, hashed once: checking a presented token then costs one SHA-256 (of the
/// token presented) instead of one per configured token per request. Same answers and the same
/// constant-time comparison as token_access.
class token_checker {
public:
    token_checker(std::string_view full_token, std::string_view read_token);
    access check(std::string_view given) const;
    /// True when `given` is the full API token.
    bool full(std::string_view given) const { return check(given) == access::full; }

private:
    std::array<unsigned char, 32> full_{};
    std::array<unsigned char, 32> read_{};
    bool has_full_ = false;
    bool has_read_ = false;
};

/// True for the operations that change state (start, stop, close, emergency stop, safety limits,
/// opportunities): refused with 403 READ_ONLY_TOKEN to the read token.
bool is_control(op o);

}  // namespace traded::api
