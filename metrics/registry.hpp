#pragma once
/// Operator metrics: a small registry of counters, gauges and histograms with labels, and the
/// writer for the Prometheus text exposition format 0.0.4 (what `/metrics` answers).
///
/// Why a registry instead of formatting strings where the numbers live: the format requires every
/// family to appear once, as one block with its HELP and TYPE lines, and the daemon's numbers come
/// from many components (engine runners, the exchange port, the API server, notifications). Each
/// records into the registry; the writer groups by family, so no two components can interleave.
///
/// Pure: standard library and fmt only, no clocks (durations are handed in), no I/O.
/// Threading: like everything in traded, used from the one io_context thread only; no mutexes.
///
/// Handles (`counter`, `gauge`, `histogram`) point into node-stable maps: they stay valid for the
/// registry's lifetime unless the series is removed with `clear()` (use handles only for series
/// that are never cleared, i.e. pushed ones; refill scrape-time gauges through `set()`).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traded::metrics {

/// Label pairs in the order they are written (`{mode="real-trading",symbol="BTCUSDT"}`).
using labels = std::vector<std::pair<std::string, std::string>>;

/// The kind of a metric family.
enum class kind { counter, gauge, histogram };

/// Default latency buckets in seconds: 50 µs to 10 s, for in-process steps and network round trips.
std::vector<double> latency_buckets();

/// One labelled time series (a counter or gauge value, or a histogram's buckets).
struct series {
    double value = 0;                    // counter / gauge
    std::vector<std::uint64_t> buckets;  // histogram: observations <= bounds[i] (not cumulative)
    std::uint64_t count = 0;             // histogram
    double sum = 0;                      // histogram
};

/// A monotonically increasing value. Cheap to copy; see the file comment on lifetime.
class counter {
public:
    counter() = default;
    explicit counter(series* s) : s_(s) {}
    /// Adds `v` (negative values are ignored: counters never go down).
    void inc(double v = 1) const {
        if (s_ != nullptr && v > 0) s_->value += v;
    }
    double value() const { return s_ != nullptr ? s_->value : 0; }

private:
    series* s_ = nullptr;
};

/// A value that goes up and down.
class gauge {
public:
    gauge() = default;
    explicit gauge(series* s) : s_(s) {}
    void set(double v) const {
        if (s_ != nullptr) s_->value = v;
    }
    void add(double v) const {
        if (s_ != nullptr) s_->value += v;
    }
    double value() const { return s_ != nullptr ? s_->value : 0; }

private:
    series* s_ = nullptr;
};

/// A distribution of observations over fixed buckets.
class histogram {
public:
    histogram() = default;
    histogram(series* s, const std::vector<double>* bounds) : s_(s), bounds_(bounds) {}
    /// Records one observation (seconds, for latency families).
    void observe(double v) const;
    std::uint64_t count() const { return s_ != nullptr ? s_->count : 0; }
    double sum() const { return s_ != nullptr ? s_->sum : 0; }

private:
    series* s_ = nullptr;
    const std::vector<double>* bounds_ = nullptr;
};

/// The registry; see the file comment.
class registry {
public:
    /// Declares a family. Names must match `[a-zA-Z_:][a-zA-Z0-9_:]*` and, in traded, start with
    /// `traded_`; counters end in `_total`. Declaring it again with the same kind is a no-op;
    /// `buckets` (ascending, without +Inf) is used by histograms only, latency_buckets() when empty.
    void declare(std::string name, kind k, std::string help, std::vector<double> buckets = {});

    /// The series of a declared family (created at zero on first use). An undeclared name or a
    /// kind mismatch returns an inert handle (a programming error, caught by the unit tests).
    counter get_counter(std::string_view name, const labels& l = {});
    gauge get_gauge(std::string_view name, const labels& l = {});
    histogram get_histogram(std::string_view name, const labels& l = {});

    /// Shorthands for code that records rarely.
    void inc(std::string_view name, const labels& l = {}, double v = 1) { get_counter(name, l).inc(v); }
    void set(std::string_view name, const labels& l, double v) { get_gauge(name, l).set(v); }
    void observe(std::string_view name, const labels& l, double v) { get_histogram(name, l).observe(v); }

    /// Removes every series of a family (a scrape-time gauge whose label set changes, e.g. the
    /// symbols of an engine). Handles to those series become invalid.
    void clear(std::string_view name);

    /// True when the family was declared.
    bool has(std::string_view name) const { return families_.count(std::string(name)) != 0; }

    /// The whole registry in the Prometheus text format 0.0.4: families sorted by name, each
    /// written once (HELP, TYPE, then its samples); a family with no series is written with its
    /// HELP and TYPE only.
    std::string text() const;

private:
    struct family {
        kind k = kind::counter;
        std::string help;
        std::vector<double> bounds;
        std::map<labels, series> by_labels;
    };
    series* find(std::string_view name, kind k, const labels& l, family** fam);

    std::map<std::string, family, std::less<>> families_;
};

/// `help` escaped for a HELP line (backslash and newline).
std::string escape_help(std::string_view help);
/// A label value escaped for the text format (backslash, double quote, newline).
std::string escape_label_value(std::string_view v);
/// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as the format wants.
std::string format_value(double v);

}  // namespace traded::metrics
