#include "exchange/sim/protocol.hpp"

#include <charconv>
#include <set>

namespace traded::sim {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// One raw `key=value` segment and where it sits in its part.
struct raw_segment {
    std::string_view text;
    std::size_t begin = 0;
};

std::vector<raw_segment> segments(std::string_view s) {
    std::vector<raw_segment> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t amp = s.find('&', pos);
        if (amp == std::string_view::npos) amp = s.size();
        if (amp > pos) out.push_back({s.substr(pos, amp - pos), pos});
        pos = amp + 1;
    }
    return out;
}

std::string_view key_of(std::string_view segment) { return segment.substr(0, segment.find('=')); }

/// Cuts the `signature=` segment out of one part. Returns false when the part has none.
bool cut_signature(std::string_view part, std::string& rest, std::string& value, bool& last) {
    auto segs = segments(part);
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (key_of(segs[i].text) != "signature") continue;
        const auto eq = segs[i].text.find('=');
        value = eq == std::string_view::npos ? std::string() : std::string(segs[i].text.substr(eq + 1));
        last = i + 1 == segs.size();
        // Everything before the segment minus the '&' that joined it, then whatever followed.
        std::size_t cut_begin = segs[i].begin;
        std::size_t cut_end = segs[i].begin + segs[i].text.size();
        if (cut_begin > 0 && part[cut_begin - 1] == '&')
            --cut_begin;
        else if (cut_end < part.size() && part[cut_end] == '&')
            ++cut_end;
        rest = std::string(part.substr(0, cut_begin)) + std::string(part.substr(cut_end));
        return true;
    }
    return false;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

form_parse parse_form(std::string_view s) {
    form_parse r;
    std::set<std::string> seen;
    for (const auto& seg : segments(s)) {
        const auto eq = seg.text.find('=');
        auto key = percent_decode(seg.text.substr(0, eq));
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : seg.text.substr(eq + 1));
        if (!key || !value) {
            r.code = -1100;
            r.message = "Illegal characters found in a parameter.";
            r.params.clear();
            return r;
        }
        if (!seen.insert(*key).second) {
            r.code = -1101;
            r.message = "Duplicate values for a parameter detected.";
            r.params.clear();
            return r;
        }
        r.params.push_back({std::move(*key), std::move(*value)});
    }
    return r;
}

signature_split split_signature(std::string_view query, std::string_view body) {
    signature_split r;
    std::string rest, value;
    bool last = true;
    if (cut_signature(query, rest, value, last)) {
        r.payload = rest + std::string(body);
        r.signature = value;
        r.last = last;
        return r;
    }
    if (cut_signature(body, rest, value, last)) {
        r.payload = std::string(query) + rest;
        r.signature = value;
        r.last = last;
        return r;
    }
    r.payload = std::string(query) + std::string(body);
    return r;
}

bool signature_matches(std::string_view expected_hex, std::string_view given) {
    if (expected_hex.size() != given.size()) return false;
    unsigned diff = 0;  // constant time: no early exit on the first differing character
    for (std::size_t i = 0; i < given.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        diff |= static_cast<unsigned>(lower(expected_hex[i]) ^ lower(given[i]));
    }
    return diff == 0;
}

timestamp_verdict check_timestamp(std::int64_t timestamp, std::int64_t server_time, std::int64_t recv_window) {
    if (timestamp < server_time + 1000 && server_time - timestamp <= recv_window) return timestamp_verdict::ok;
    if (timestamp >= server_time + 1000) return timestamp_verdict::ahead;
    return timestamp_verdict::outside_window;
}

bool client_id_chars_ok(std::string_view id) {
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == ':' || c == '/' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool decimal_syntax_ok(std::string_view s) {
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    if (whole.empty() || whole.size() > 20) return false;
    for (char c : whole)
        if (c < '0' || c > '9') return false;
    if (dot == std::string_view::npos) return true;
    const std::string_view frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 20) return false;
    for (char c : frac)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<std::int64_t> parse_long(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

int written_fraction_digits(std::string_view s) {
    const auto dot = s.find('.');
    return dot == std::string_view::npos ? 0 : static_cast<int>(s.size() - dot - 1);
}

}  // namespace traded::sim
