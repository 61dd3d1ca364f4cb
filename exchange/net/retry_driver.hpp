#pragma once
/// The one thin Asio loop that performs a retry rule (binance/request_retry): attempt, report
/// the outcome to the rule, sleep the wait it decides, attempt again, until it says done, look
/// up or give up. The owner supplies what one attempt is and how to sleep (so its stop() cancels
/// the wait); nothing here decides a number.
///
/// Threading: io_context thread only, like all of exchange/net.

#include <functional>

#include "exchange/binance/request_retry.hpp"
#include "exchange/net/io.hpp"

namespace traded::exchange_io {

/// One attempt; `n` counts the calls (0 for the first), whatever the rule's own count says.
using attempt_fn = std::function<asio::awaitable<binance::attempt_outcome>(int n)>;
/// Sleeps `ms` (0: not at all); false when the owner stopped meanwhile.
using sleep_fn = std::function<asio::awaitable<bool>(engine::millis ms)>;

/// Performs `rule` (see the file comment). Returns the rule's last decision (done, look_up or
/// give_up) after its wait was slept; give_up with reason "stopped" when `sleep` said so.
asio::awaitable<binance::retry_decision> perform_retry(binance::retry_settings rule, attempt_fn attempt,
                                                       sleep_fn sleep);

}  // namespace traded::exchange_io
