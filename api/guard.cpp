#include "api/guard.hpp"

#include <algorithm>
#include <cctype>

namespace traded::api {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

/// True for a dotted IPv4 literal in 127.0.0.0/8 (four decimal parts, each 0-255).
bool is_ipv4_loopback(std::string_view s) {
    int parts = 0;
    int first = -1;
    while (true) {
        auto dot = s.find('.');
        auto part = s.substr(0, dot);
        if (part.empty() || part.size() > 3 ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
        int v = std::stoi(std::string(part));
        if (v > 255) return false;
        if (parts == 0) first = v;
        ++parts;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4 && first == 127;
}

}  // namespace

std::string host_name(std::string_view h) {
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
    if (h.empty()) return {};
    std::string_view name;
    std::string_view rest;
    if (h.front() == '[') {  // IPv6 literal
        auto close = h.find(']');
        if (close == std::string_view::npos) return {};
        name = h.substr(1, close - 1);
        rest = h.substr(close + 1);
    } else {
        auto colon = h.find(':');
        name = h.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : h.substr(colon);
    }
    if (!rest.empty()) {  // ":<port>" and nothing else
        if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6 ||
            !std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return {};
    }
    if (name.empty()) return {};
    for (char c : name)
        if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '@' || c == '\\' || c == '?' || c == '#')
            return {};
    auto out = lower(name);
    if (out.back() == '.') out.pop_back();  // "localhost." is "localhost"
    return out;
}

bool is_loopback_host(std::string_view name) {
    if (name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1") return true;
    constexpr std::string_view suffix = ".localhost";  // RFC 6761: always loopback
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return true;
    return is_ipv4_loopback(name);
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& configured) {
    auto name = host_name(host_header);
    if (name.empty()) return false;
    if (is_loopback_host(name)) return true;
    return std::any_of(configured.begin(), configured.end(),
                       [&](const std::string& c) { return iequals(host_name(c), name); });
}

bool origin_allowed(std::string_view origin, std::string_view host_header, bool tls,
                    const std::vector<std::string>& cors, const std::vector<std::string>& hostnames) {
    for (const auto& a : cors)
        if (a == "*" || iequals(a, origin)) return true;
    if (host_header.empty() || !host_allowed(host_header, hostnames)) return false;
    std::string same = tls ? "https://" : "http://";
    same += host_header;
    return iequals(origin, same);
}

// ---------------------------------------------------------------------------------------------
// auth_throttle
// ---------------------------------------------------------------------------------------------

auth_throttle::auth_throttle(double burst, double per_second, std::size_t max_peers)
    : burst_(burst), rate_(per_second), max_peers_(max_peers) {}

void auth_throttle::refill(bucket& b, clock::time_point now) const {
    if (now <= b.at) return;
    double secs = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + secs * rate_);
    b.at = now;
}

bool auth_throttle::allowed(const std::string& peer, clock::time_point now) {
    auto it = buckets_.find(peer);
    if (it == buckets_.end()) return true;
    refill(it->second, now);
    if (it->second.tokens >= burst_) {  // fully recovered: forget the peer
        buckets_.erase(it);
        return true;
    }
    return it->second.tokens >= 1.0;
}

void auth_throttle::failed(const std::string& peer, clock::time_point now) {
    auto it = buckets_.find(peer);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_peers_) {
            // Bounded memory: drop the peers that have recovered; if none has, the newcomer
            // shares the fate of the fullest table (it is throttled through the oldest entry).
            for (auto i = buckets_.begin(); i != buckets_.end();) {
                refill(i->second, now);
                i = i->second.tokens >= burst_ ? buckets_.erase(i) : std::next(i);
            }
            if (buckets_.size() >= max_peers_) buckets_.erase(buckets_.begin());
        }
        it = buckets_.emplace(peer, bucket{burst_, now}).first;
    }
    refill(it->second, now);
    it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

// ---------------------------------------------------------------------------------------------
// refusal_log
// ---------------------------------------------------------------------------------------------

std::int64_t refusal_log::note(std::string_view reason, clock::time_point now) {
    auto t = totals_.find(reason);
    if (t == totals_.end()) t = totals_.emplace(std::string(reason), 0).first;
    ++t->second;
    auto s = states_.find(reason);
    if (s == states_.end()) s = states_.emplace(std::string(reason), state{}).first;
    auto& st = s->second;
    if (st.logged && now - st.last < period_) {
        ++st.suppressed;
        return -1;
    }
    auto suppressed = st.suppressed;
    st.logged = true;
    st.last = now;
    st.suppressed = 0;
    return suppressed;
}

}  // namespace traded::api
