#pragma once
/// Always-on checks for broken invariants: states the code guarantees cannot happen (a money
/// division by zero, an index out of its table), as opposed to bad input, which every parser and
/// handler reports as an error and survives.
///
/// Why abort, in Release too, rather than `assert` or an exception:
/// - `assert` disappears under NDEBUG, which is exactly the build that trades. A broken invariant
///   in the engine means its numbers can no longer be trusted; carrying on would place orders
///   from them. Stopping is the safe outcome: the supervisor restarts the daemon and recovery
///   reconciles with the exchange (SPEC §6).
/// - An exception would be caught by some generic handler up the stack and turned into an error
///   answer while the engine keeps its half-updated state.
/// - Catch2 has no death tests; the unit test runs the failing path in a forked child and checks
///   it died with SIGABRT and this message.
/// Code that can meet an impossible value from outside data uses a checked API instead
/// (decimal::checked_div and friends return nullopt) and reports it.

#include <cstdio>
#include <cstdlib>

namespace traded {

/// Prints "traded: broken invariant at FILE:LINE: WHAT (CONDITION)" to stderr and aborts.
[[noreturn]] inline void invariant_failed(const char* file, int line, const char* what, const char* condition) {
    std::fprintf(stderr, "traded: broken invariant at %s:%d: %s (%s)\n", file, line, what, condition);
    std::fflush(stderr);
    std::abort();
}

}  // namespace traded

/// Checks `cond` in every build; on failure reports `what` with the place and aborts.
#define TRADED_INVARIANT(cond, what) \
    ((cond) ? static_cast<void>(0) : ::traded::invariant_failed(__FILE__, __LINE__, (what), #cond))
