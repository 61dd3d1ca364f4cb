#pragma once
/// The `traded backtest` command line (SPEC §8).

namespace traded::backtest {

/// `traded backtest --config FILE --replay PATH... [--out DIR]`; argv[0] is "backtest".
/// Exit code: 0 done, 2 bad input (arguments, config, a replay file; the reason on stderr),
/// 1 the results could not be written.
int cli_main(int argc, char** argv);

}  // namespace traded::backtest
