#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace traded::metrics {

std::vector<double> latency_buckets() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void histogram::observe(double v) const {
    if (s_ == nullptr || bounds_ == nullptr || std::isnan(v)) return;
    // Buckets are few (under 20): a linear scan beats a binary search's branches here.
    for (std::size_t i = 0; i < bounds_->size(); ++i)
        if (v <= (*bounds_)[i]) {
            ++s_->buckets[i];
            break;
        }
    ++s_->count;
    s_->sum += v;
}

void registry::declare(std::string name, kind k, std::string help, std::vector<double> buckets) {
    auto it = families_.find(name);
    if (it != families_.end()) return;
    family f;
    f.k = k;
    f.help = std::move(help);
    if (k == kind::histogram) {
        f.bounds = buckets.empty() ? latency_buckets() : std::move(buckets);
        std::sort(f.bounds.begin(), f.bounds.end());
        f.bounds.erase(std::unique(f.bounds.begin(), f.bounds.end()), f.bounds.end());
        // +Inf is implicit (the count); an explicit one would be written twice.
        while (!f.bounds.empty() && std::isinf(f.bounds.back())) f.bounds.pop_back();
    }
    families_.emplace(std::move(name), std::move(f));
}

series* registry::find(std::string_view name, kind k, const labels& l, family** fam) {
    auto it = families_.find(name);
    if (it == families_.end() || it->second.k != k) return nullptr;
    auto& f = it->second;
    auto [sit, inserted] = f.by_labels.try_emplace(l);
    if (inserted && k == kind::histogram) sit->second.buckets.assign(f.bounds.size(), 0);
    if (fam != nullptr) *fam = &f;
    return &sit->second;
}

counter registry::get_counter(std::string_view name, const labels& l) {
    return counter(find(name, kind::counter, l, nullptr));
}

gauge registry::get_gauge(std::string_view name, const labels& l) { return gauge(find(name, kind::gauge, l, nullptr)); }

histogram registry::get_histogram(std::string_view name, const labels& l) {
    family* f = nullptr;
    series* s = find(name, kind::histogram, l, &f);
    return s != nullptr ? histogram(s, &f->bounds) : histogram();
}

void registry::clear(std::string_view name) {
    auto it = families_.find(name);
    if (it != families_.end()) it->second.by_labels.clear();
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

namespace {

std::string_view type_name(kind k) {
    switch (k) {
        case kind::counter: return "counter";
        case kind::gauge: return "gauge";
        case kind::histogram: return "histogram";
    }
    return "untyped";
}

/// `{a="x",b="y"}` plus an optional extra label (histogram `le`); empty when there are none.
void append_labels(std::string& out, const labels& l, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
    if (l.empty() && extra_name.empty()) return;
    out.push_back('{');
    bool first = true;
    for (const auto& [k, v] : l) {
        if (!first) out.push_back(',');
        first = false;
        out += k;
        out += "=\"";
        out += escape_label_value(v);
        out.push_back('"');
    }
    if (!extra_name.empty()) {
        if (!first) out.push_back(',');
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out.push_back('"');
    }
    out.push_back('}');
}

}  // namespace

std::string registry::text() const {
    std::string out;
    out.reserve(families_.size() * 160);
    for (const auto& [name, f] : families_) {
        out += "# HELP ";
        out += name;
        out.push_back(' ');
        out += escape_help(f.help);
        out += "\n# TYPE ";
        out += name;
        out.push_back(' ');
        out += type_name(f.k);
        out.push_back('\n');
        for (const auto& [l, s] : f.by_labels) {
            if (f.k != kind::histogram) {
                out += name;
                append_labels(out, l);
                out.push_back(' ');
                out += format_value(s.value);
                out.push_back('\n');
                continue;
            }
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < f.bounds.size(); ++i) {
                cumulative += s.buckets[i];
                out += name;
                out += "_bucket";
                append_labels(out, l, "le", format_value(f.bounds[i]));
                out += fmt::format(" {}\n", cumulative);
            }
            out += name;
            out += "_bucket";
            append_labels(out, l, "le", "+Inf");
            out += fmt::format(" {}\n", s.count);
            out += name;
            out += "_sum";
            append_labels(out, l);
            out.push_back(' ');
            out += format_value(s.sum);
            out.push_back('\n');
            out += name;
            out += "_count";
            append_labels(out, l);
            out += fmt::format(" {}\n", s.count);
        }
    }
    return out;
}

}  // namespace traded::metrics
