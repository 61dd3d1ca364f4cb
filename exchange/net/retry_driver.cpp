#include "exchange/net/retry_driver.hpp"

namespace traded::exchange_io {

asio::awaitable<binance::retry_decision> perform_retry(binance::retry_settings rule, attempt_fn attempt,
                                                       sleep_fn sleep) {
    binance::retry_run run(std::move(rule));
    for (int n = 0;; ++n) {
        const binance::attempt_outcome o = co_await attempt(n);
        binance::retry_decision d = run.step(o);
        if (d.wait_ms > 0 && !co_await sleep(d.wait_ms))
            co_return binance::retry_decision{binance::retry_decision::give_up, 0, "stopped"};
        if (d.kind != binance::retry_decision::retry) co_return d;
    }
}

}  // namespace traded::exchange_io
