#pragma once
/// Namespace aliases and the completion token shared by the exchange I/O layer (exchange/net).
///
/// Threading: everything in exchange/net runs on the daemon's single io_context thread. Nothing
/// here is thread-safe and nothing needs to be: there are no mutexes by design.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace traded::exchange_io {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

/// `co_await op(..., use_tuple)` yields (error_code, values...) instead of throwing: I/O errors
/// are ordinary results here, handled on the line after the await.
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace traded::exchange_io
