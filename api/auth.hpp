#pragma once
/// Pure access checks for the server: the API token (SPEC §4). Host/Origin checks: api/guard.hpp.

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

}  // namespace traded::api
