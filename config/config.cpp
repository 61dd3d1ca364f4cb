#include "config/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

namespace traded::config {

engine::engine_config trading_config::to_engine(engine::mode m) const {
    engine::engine_config e = *this;
    e.engine_mode = m;
    return e;
}

const std::vector<std::string>& notification_event_names() {
    static const std::vector<std::string> names{"position_opened",      "position_closed",
                                                "profit_floor",         "emergency_stop",
                                                "daily_loss_limit_hit", "exchange_disconnected",
                                                "reconciliation_fixed", "storage_unavailable"};
    return names;
}

namespace {

/// True when a URL's host is localhost or a loopback address ("http://127.0.0.1:9000/x").
bool url_host_is_loopback(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return false;
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host;
    if (!rest.empty() && rest.front() == '[') {
        host = rest.substr(1, rest.find(']') == std::string_view::npos ? 0 : rest.find(']') - 1);
    } else {
        host = rest.substr(0, rest.find(':'));
    }
    std::string h(host);
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h == "localhost" || h == "::1") return true;
    return h.rfind("127.", 0) == 0 && h.find_first_not_of("0123456789.") == std::string::npos;
}

/// How a value the user wrote is quoted back in a message: scalars as a quoted string, other
/// nodes by their shape, so "got a map" tells the user what went wrong without dumping YAML.
std::string describe(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return "nothing";
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    std::string out = "\"";
    for (char c : n.Scalar()) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

/// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). Strings that are not
/// cannot be written back by to_yaml (the emitter replaces the bytes), so they are refused.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

/// Levenshtein distance, for "did you mean" on unknown keys (typos are the usual cause).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

using handler = std::function<void(const YAML::Node&, const std::string&)>;
using field_table = std::vector<std::pair<std::string_view, handler>>;

/// Walks the YAML tree against the typed structs, collecting every error with its key path.
class reader {
public:
    std::vector<std::string> errors;
    /// Paths that already have an error: cross-key checks skip them rather than pile on.
    std::set<std::string> failed;

    void fail(const std::string& path, std::string_view expected, const YAML::Node& got) {
        errors.push_back(fmt::format("{}: expected {}, got {}", path, expected, describe(got)));
        failed.insert(path);
    }
    void fail_msg(const std::string& path, std::string_view message) {
        errors.push_back(fmt::format("{}: {}", path, message));
        failed.insert(path);
    }
    bool any_failed(std::initializer_list<std::string_view> paths) const {
        for (auto p : paths) {
            for (const auto& f : failed)
                if (f == p || (f.size() > p.size() && f.compare(0, p.size(), p) == 0 && f[p.size()] == '.'))
                    return true;
        }
        return false;
    }

    /// A map whose keys must all be in `fields`. Null (an empty section) means all defaults.
    void map(const YAML::Node& n, const std::string& path, const field_table& fields) {
        if (n.IsNull()) return;
        if (!n.IsMap()) {
            fail(path.empty() ? std::string("(root)") : path, "a map", n);
            return;
        }
        std::set<std::string> seen;
        for (const auto& kv : n) {
            const YAML::Node& key = kv.first;
            if (!key.IsScalar()) {
                fail_msg(path.empty() ? std::string("(root)") : path, "keys must be plain names");
                continue;
            }
            const std::string& name = key.Scalar();
            std::string child = path.empty() ? name : path + "." + name;
            if (!seen.insert(name).second) {
                fail_msg(child, "duplicate key");
                continue;
            }
            auto it = std::find_if(fields.begin(), fields.end(),
                                   [&](const auto& f) { return f.first == name; });
            if (it == fields.end()) {
                unknown(child, name, fields);
                continue;
            }
            // Not echoed: the value may be a secret (server.api_token).
            if (kv.second.IsScalar() && !valid_utf8(kv.second.Scalar())) {
                fail_msg(child, "expected UTF-8 text");
                continue;
            }
            it->second(kv.second, child);
        }
    }

    void unknown(const std::string& path, const std::string& name, const field_table& fields) {
        std::string_view best;
        std::size_t best_d = 3;  // suggest only close matches
        for (const auto& f : fields) {
            std::size_t d = edit_distance(name, f.first);
            if (d < best_d) {
                best_d = d;
                best = f.first;
            }
        }
        if (best.empty())
            fail_msg(path, "unknown key");
        else
            fail_msg(path, fmt::format("unknown key (did you mean {}?)", best));
    }

    // Field readers. Each returns a handler that writes into `out` only when the value is valid,
    // so an invalid value leaves the default in place and the error list says why.

    handler str(std::string& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            if (n.IsNull()) {
                out.clear();
                return;
            }
            if (!n.IsScalar()) return fail(path, "a string", n);
            out = n.Scalar();
        };
    }

    handler url(std::string& out, std::string_view what, std::vector<std::string_view> schemes) {
        return [this, &out, what, schemes](const YAML::Node& n, const std::string& path) {
            if (!n.IsScalar()) return fail(path, what, n);
            const std::string& s = n.Scalar();
            for (auto scheme : schemes) {
                if (s.size() > scheme.size() && s.compare(0, scheme.size(), scheme) == 0 &&
                    s.find_first_of(" \t") == std::string::npos) {
                    out = s;
                    return;
                }
            }
            fail(path, what, n);
        };
    }

    handler boolean(bool& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            bool v = false;
            if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) return fail(path, "true or false", n);
            out = v;
        };
    }

    template <typename Int>
    handler integer(Int& out, std::int64_t lo, std::int64_t hi) {
        return [this, &out, lo, hi](const YAML::Node& n, const std::string& path) {
            std::string expected = fmt::format("an integer {}-{}", lo, hi);
            if (!n.IsScalar()) return fail(path, expected, n);
            const std::string& s = n.Scalar();
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
                return fail(path, expected, n);
            out = static_cast<Int>(v);
        };
    }

    handler unsigned64(std::uint64_t& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            std::string_view expected = "a non-negative integer";
            if (!n.IsScalar()) return fail(path, expected, n);
            const std::string& s = n.Scalar();
            std::uint64_t v = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc{} || end != s.data() + s.size()) return fail(path, expected, n);
            out = v;
        };
    }

    /// A double within [lo, hi] (lo excluded when `lo_open`): rates and display-only tuning.
    handler real(double& out, double lo, double hi, bool lo_open = false) {
        return [this, &out, lo, hi, lo_open](const YAML::Node& n, const std::string& path) {
            std::string expected = lo_open ? fmt::format("a number greater than {} and at most {}", lo, hi)
                                           : fmt::format("a number {}-{}", lo, hi);
            if (!n.IsScalar()) return fail(path, expected, n);
            const std::string& s = n.Scalar();
            double v = 0;
            auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v) || v > hi ||
                (lo_open ? v <= lo : v < lo))
                return fail(path, expected, n);
            out = v;
        };
    }

    /// Money: parsed from the scalar text itself (never through double), so "0.1" stays 0.1.
    /// Must be > 0, and below `below` when given.
    handler money(decimal& out, std::optional<decimal> below = std::nullopt) {
        return [this, &out, below](const YAML::Node& n, const std::string& path) {
            std::string expected = below ? fmt::format("a number greater than 0 and less than {}",
                                                       below->to_string())
                                         : std::string("a positive number");
            if (!n.IsScalar()) return fail(path, expected, n);
            auto v = decimal::parse(n.Scalar());
            if (!v || !v->is_positive() || (below && *v >= *below)) return fail(path, expected, n);
            out = *v;
        };
    }

    handler one_of(std::string& out, std::vector<std::string_view> allowed) {
        return [this, &out, allowed](const YAML::Node& n, const std::string& path) {
            std::string expected = "one of ";
            for (std::size_t i = 0; i < allowed.size(); ++i)
                expected += (i ? ", " : "") + std::string(allowed[i]);
            if (!n.IsScalar()) return fail(path, expected, n);
            if (std::find(allowed.begin(), allowed.end(), n.Scalar()) == allowed.end())
                return fail(path, expected, n);
            out = n.Scalar();
        };
    }

    handler string_list(std::vector<std::string>& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            if (n.IsNull()) {
                out.clear();
                return;
            }
            if (!n.IsSequence()) return fail(path, "a list of strings", n);
            std::vector<std::string> v;
            bool ok = true;
            for (std::size_t i = 0; i < n.size(); ++i) {
                if (!n[i].IsScalar() || n[i].Scalar().empty()) {
                    fail(fmt::format("{}[{}]", path, i), "a non-empty string", n[i]);
                    ok = false;
                    continue;
                }
                v.push_back(n[i].Scalar());
            }
            if (ok) out = std::move(v);
        };
    }

    handler symbols(std::vector<std::string>& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            if (!n.IsSequence()) return fail(path, "a list of symbols like [BTCUSDT, ETHUSDT]", n);
            if (n.size() == 0) return fail_msg(path, "expected at least one symbol, got an empty list");
            std::vector<std::string> v;
            bool ok = true;
            for (std::size_t i = 0; i < n.size(); ++i) {
                std::string item_path = fmt::format("{}[{}]", path, i);
                const YAML::Node& item = n[i];
                if (!item.IsScalar() || !valid_symbol(item.Scalar())) {
                    fail(item_path, "an uppercase symbol like BTCUSDT", item);
                    ok = false;
                    continue;
                }
                if (std::find(v.begin(), v.end(), item.Scalar()) != v.end()) {
                    fail_msg(item_path, fmt::format("duplicate symbol {}", item.Scalar()));
                    ok = false;
                    continue;
                }
                v.push_back(item.Scalar());
            }
            if (ok) out = std::move(v);
        };
    }

    /// A map of header name -> value (webhook headers). Values are secrets: messages quote the
    /// header name only.
    handler header_map(std::map<std::string, std::string>& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            if (n.IsNull()) {
                out.clear();
                return;
            }
            if (!n.IsMap()) return fail(path, "a map of header names to values", n);
            std::map<std::string, std::string> v;
            bool ok = true;
            for (const auto& kv : n) {
                if (!kv.first.IsScalar() || kv.first.Scalar().empty() ||
                    kv.first.Scalar().find_first_of(" \t\r\n:") != std::string::npos) {
                    fail_msg(path, "header names must be plain tokens like Authorization");
                    ok = false;
                    continue;
                }
                const auto& name = kv.first.Scalar();
                if (!kv.second.IsScalar() || kv.second.Scalar().find_first_of("\r\n") != std::string::npos) {
                    // The value is not quoted back: it is usually a credential.
                    fail_msg(path + "." + name, "expected a one-line string value");
                    ok = false;
                    continue;
                }
                v[name] = kv.second.Scalar();
            }
            if (ok) out = std::move(v);
        };
    }

    /// notifications.targets: a list of maps, each checked against the fields of its type.
    handler notification_targets(std::vector<notification_target_config>& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            if (n.IsNull()) {
                out.clear();
                return;
            }
            if (!n.IsSequence()) return fail(path, "a list of targets (each with type: webhook or telegram)", n);
            std::vector<notification_target_config> v;
            for (std::size_t i = 0; i < n.size(); ++i) {
                const std::string item = fmt::format("{}[{}]", path, i);
                const YAML::Node& t = n[i];
                if (!t.IsMap()) {
                    fail(item, "a map with type: webhook or telegram", t);
                    continue;
                }
                const YAML::Node type = t["type"];
                if (!type.IsDefined() || !type.IsScalar() || (type.Scalar() != "webhook" && type.Scalar() != "telegram")) {
                    fail(item + ".type", "one of webhook, telegram", type);
                    continue;
                }
                notification_target_config c;
                c.type = type.Scalar();
                const std::size_t errors_before = errors.size();
                field_table fields{{"type", [](const YAML::Node&, const std::string&) {}},
                                   {"timeout_ms", integer(c.timeout_ms, 100, 60000)}};
                if (c.type == "webhook") {
                    fields.emplace_back("url", url(c.url, "an http:// or https:// URL", {"http://", "https://"}));
                    fields.emplace_back("headers", header_map(c.headers));
                } else {
                    fields.emplace_back("bot_token_env", str(c.bot_token_env));
                    fields.emplace_back("chat_id", str(c.chat_id));
                    fields.emplace_back("api_url", url(c.api_url, "an http:// or https:// URL", {"http://", "https://"}));
                }
                map(t, item, fields);
                if (errors.size() != errors_before) continue;
                if (c.type == "webhook" && c.url.empty()) fail_msg(item + ".url", "required for a webhook target");
                if (c.type == "telegram") {
                    if (c.bot_token_env.empty())
                        fail_msg(item + ".bot_token_env",
                                 "required: the name of the environment variable that holds the bot token");
                    else if (c.bot_token_env.find_first_of(" =\t") != std::string::npos)
                        fail_msg(item + ".bot_token_env", "expected an environment variable name like TRADED_TELEGRAM_TOKEN");
                    if (c.chat_id.empty()) fail_msg(item + ".chat_id", "required for a telegram target");
                }
                if (errors.size() == errors_before) v.push_back(std::move(c));
            }
            out = std::move(v);
        };
    }

    handler notification_events(std::vector<std::string>& out) {
        return [this, &out](const YAML::Node& n, const std::string& path) {
            const auto& known = notification_event_names();
            std::string expected = "a list of events from ";
            for (std::size_t i = 0; i < known.size(); ++i) expected += (i ? ", " : "") + known[i];
            if (n.IsNull()) {
                out.clear();
                return;
            }
            if (!n.IsSequence()) return fail(path, expected, n);
            std::vector<std::string> v;
            bool ok = true;
            for (std::size_t i = 0; i < n.size(); ++i) {
                if (!n[i].IsScalar() || std::find(known.begin(), known.end(), n[i].Scalar()) == known.end()) {
                    fail(fmt::format("{}[{}]", path, i), expected, n[i]);
                    ok = false;
                    continue;
                }
                if (std::find(v.begin(), v.end(), n[i].Scalar()) == v.end()) v.push_back(n[i].Scalar());
            }
            if (ok) out = std::move(v);
        };
    }

    static bool valid_symbol(const std::string& s) {
        if (s.size() < 2 || s.size() > 20) return false;
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
    }

    /// The rule fields shared by paper_trading and real_trading.
    void trading_fields(field_table& t, trading_config& c) {
        t.emplace_back("enabled", boolean(c.enabled));
        t.emplace_back("stake_usd", money(c.stake_usd));
        t.emplace_back("max_positions", integer(c.max_positions, 0, 1000));
        t.emplace_back("leverage", integer(c.leverage, 1, 125));
        t.emplace_back("pure_3_rule_mode", boolean(c.pure_3_rule_mode));
        t.emplace_back("primary_target_dollars", money(c.primary_target_dollars));
        t.emplace_back("absolute_floor_dollars", money(c.absolute_floor_dollars));
        t.emplace_back("stop_loss_percent", money(c.stop_loss_percent, decimal::from_int(100)));
        t.emplace_back("max_daily_loss", money(c.max_daily_loss));
    }

    void root(const YAML::Node& n, config& c) {
        auto section = [this](field_table fields) {
            return [this, f = std::move(fields)](const YAML::Node& node, const std::string& path) {
                map(node, path, f);
            };
        };

        server_config& s = c.server;
        field_table server{
            {"bind", str(s.bind)},
            {"port", integer(s.port, 1, 65535)},
            {"api_token", str(s.api_token)},
            {"api_token_file", str(s.api_token_file)},
            {"read_token", str(s.read_token)},
            {"cors_origins", string_list(s.cors_origins)},
            {"hostnames", string_list(s.hostnames)},
            {"tls", section({{"cert_file", str(s.tls.cert_file)}, {"key_file", str(s.tls.key_file)}})},
            {"max_connections", integer(s.max_connections, 1, 100000)},
            {"idle_timeout_s", integer(s.idle_timeout_s, 1, 86400)},
        };

        field_table storage{{"data_dir", str(c.storage.data_dir)},
                            {"trades_in_memory", integer(c.storage.trades_in_memory, 1, 1000000)}};

        exchange_config& x = c.exchange;
        field_table exchange{
            {"rest_url", url(x.rest_url, "an http:// or https:// URL", {"http://", "https://"})},
            {"ws_public_url", url(x.ws_public_url, "a ws:// or wss:// URL", {"ws://", "wss://"})},
            {"ws_market_url", url(x.ws_market_url, "a ws:// or wss:// URL", {"ws://", "wss://"})},
            {"ws_private_url", url(x.ws_private_url, "a ws:// or wss:// URL", {"ws://", "wss://"})},
            {"api_key_env", str(x.api_key_env)},
            {"api_secret_env", str(x.api_secret_env)},
            {"credentials_file", str(x.credentials_file)},
            {"recv_window_ms", integer(x.recv_window_ms, 1, 60000)},
            {"connect_timeout_ms", integer(x.connect_timeout_ms, 0, 120000)},
            {"rest_connections", integer(x.rest_connections, 1, 16)},
            {"listen_key_keepalive_ms", integer(x.listen_key_keepalive_ms, 1000, 3300000)},
            {"ca_file", str(x.ca_file)},
        };

        market_config& m = c.market;
        field_table market{
            {"source", one_of(m.source, {"synthetic", "exchange", "replay"})},
            {"symbols", symbols(m.symbols)},
            {"replay_file", str(m.replay_file)},
            {"replay_speed", real(m.replay_speed, 0, 1000000)},
            {"record_dir", str(m.record_dir)},
            {"max_staleness_ms", integer(m.max_staleness_ms, 100, 86400000)},
            {"push_interval_ms", integer(m.push_interval_ms, 10, 60000)},
            {"synthetic", section({
                              {"seed", unsigned64(m.synthetic.seed)},
                              {"interval_ms", integer(m.synthetic.interval_ms, 10, 60000)},
                              {"volatility_bps", real(m.synthetic.volatility_bps, 0, 1000)},
                          })},
        };

        paper_trading_config& p = c.paper_trading;
        field_table paper;
        trading_fields(paper, p);
        paper.emplace_back("autostart", boolean(p.autostart));
        paper.emplace_back("starting_balance", money(p.starting_balance));
        paper.emplace_back("taker_fee", real(p.taker_fee, 0, 0.01));
        paper.emplace_back("slippage_bps", real(p.slippage_bps, 0, 100));

        real_trading_config& r = c.real_trading;
        field_table real_t;
        trading_fields(real_t, r);
        real_t.emplace_back("autostart", boolean(r.autostart));

        opportunities_config& o = c.opportunities;
        field_table opportunities{
            {"strategy", one_of(o.strategy, {"none", "momentum"})},
            {"params", section({
                           {"lookback", integer(o.lookback, 2, 10000)},
                           {"threshold_bps", real(o.threshold_bps, 0, 10000, true)},
                           {"cooldown_ms", integer(o.cooldown_ms, 0, 86400000)},
                       })},
        };

        field_table log{
            {"level", one_of(c.log.level, {"trace", "debug", "info", "warn", "error"})},
            {"format", one_of(c.log.format, {"text", "json"})},
        };

        notifications_config& nc = c.notifications;
        field_table notifications{
            {"targets", notification_targets(nc.targets)},
            {"events", notification_events(nc.events)},
            {"min_interval_ms", integer(nc.min_interval_ms, 0, 3600000)},
            {"max_queue", integer(nc.max_queue, 1, 100000)},
        };

        field_table top{
            {"server", section(std::move(server))},
            {"storage", section(std::move(storage))},
            {"exchange", section(std::move(exchange))},
            {"market", section(std::move(market))},
            {"paper_trading", section(std::move(paper))},
            {"real_trading", section(std::move(real_t))},
            {"opportunities", section(std::move(opportunities))},
            {"log", section(std::move(log))},
            {"notifications", section(std::move(notifications))},
        };
        map(n, "", top);
    }

    /// Rules that involve more than one key.
    void cross_checks(const config& c) {
        if (!any_failed({"server.bind"}) &&
            (c.server.bind.empty() || c.server.bind.find_first_of(" \t/") != std::string::npos))
            fail_msg("server.bind", "expected an IP address or host name");
        if (!any_failed({"server.tls"}) && c.server.tls.cert_file.empty() != c.server.tls.key_file.empty())
            fail_msg("server.tls", "cert_file and key_file must both be set (https) or both be empty");
        if (!any_failed({"server.api_token", "server.api_token_file"}) && !c.server.api_token.empty() &&
            !c.server.api_token_file.empty())
            fail_msg("server.api_token_file", "set either server.api_token or server.api_token_file, not both");
        if (!any_failed({"server.read_token", "server.api_token"}) && !c.server.read_token.empty() &&
            c.server.read_token == c.server.api_token)
            fail_msg("server.read_token", "must differ from server.api_token (it grants less)");
        if (!any_failed({"server.read_token"}) && !c.server.read_token.empty() &&
            c.server.read_token.size() < min_token_length)
            fail_msg("server.read_token", fmt::format("must be at least {} characters (generate one with: openssl rand -hex 32)",
                                                      min_token_length));
        if (!any_failed({"server.api_token"}) && !c.server.api_token.empty() &&
            c.server.api_token.size() < min_token_length)
            fail_msg("server.api_token", fmt::format("must be at least {} characters (a short token can be guessed; "
                                                     "generate one with: openssl rand -hex 32)",
                                                     min_token_length));
        for (std::size_t i = 0; i < c.server.hostnames.size(); ++i) {
            const auto& h = c.server.hostnames[i];
            if (h.find_first_of(" \t/@?#:") != std::string::npos)
                fail_msg(fmt::format("server.hostnames[{}]", i), "expected a host name without scheme or port");
        }
        // Real money over plain http/ws to another machine would expose the signed requests and
        // the listen key to the network; loopback (the simulator) is the only exception.
        if (c.real_trading.enabled) {
            const std::pair<const char*, const std::string*> urls[] = {
                {"exchange.rest_url", &c.exchange.rest_url},
                {"exchange.ws_public_url", &c.exchange.ws_public_url},
                {"exchange.ws_market_url", &c.exchange.ws_market_url},
                {"exchange.ws_private_url", &c.exchange.ws_private_url}};
            for (const auto& [key, u] : urls) {
                if (any_failed({key})) continue;
                bool plain = u->rfind("http://", 0) == 0 || u->rfind("ws://", 0) == 0;
                if (plain && !url_host_is_loopback(*u))
                    fail_msg(key, "real trading needs https:// or wss:// for a host other than loopback");
            }
        }
        if (!any_failed({"storage.data_dir"}) && c.storage.data_dir.empty())
            fail_msg("storage.data_dir", "expected a directory path");
        if (!any_failed({"market.source", "market.replay_file"}) && c.market.source == "replay" &&
            c.market.replay_file.empty())
            fail_msg("market.replay_file", "required when market.source is replay");
        // SPEC §5/§8: real money never follows a recording; replay drives paper trading only.
        if (!any_failed({"market.source", "real_trading.enabled"}) && c.market.source == "replay" &&
            c.real_trading.enabled)
            fail_msg("market.source", "replay drives paper trading only; it cannot be used with "
                                      "real_trading.enabled: true (real trading always uses the exchange's own streams)");
    }
};

}  // namespace

namespace {

/// A failed load_result carrying `errors` (never empty).
load_result failed(config_errors errors) { return load_result(boost::system::in_place_error, std::move(errors)); }

}  // namespace

load_result load_string(const std::string& yaml) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml);
    } catch (const YAML::ParserException& e) {
        return failed({fmt::format("YAML syntax error at line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1,
                                   e.msg)});
    } catch (const YAML::Exception& e) {
        return failed({fmt::format("YAML error: {}", e.what())});
    }
    config cfg;
    reader r;
    try {
        r.root(root, cfg);
    } catch (const YAML::Exception& e) {
        // Defensive: the reader checks node kinds before converting, so this is not expected.
        r.errors.push_back(fmt::format("YAML error: {}", e.what()));
    }
    r.cross_checks(cfg);
    if (!r.errors.empty()) return failed(std::move(r.errors));
    return cfg;
}

load_result load_file(const std::string& path) {
    // A directory opens fine as a stream and reads as empty, which would load the defaults.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return failed({fmt::format("cannot read {}: is a directory", path)});
    std::ifstream in(path, std::ios::binary);
    if (!in) return failed({fmt::format("cannot read {}: {}", path, std::strerror(errno))});
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return failed({fmt::format("cannot read {}: read error", path)});
    return load_string(ss.str());
}

namespace {

/// Shortest text that reads back as the same double.
std::string num(double v) { return fmt::format("{}", v); }

void emit_trading(YAML::Emitter& e, const trading_config& t) {
    e << YAML::Key << "enabled" << YAML::Value << t.enabled;
    e << YAML::Key << "stake_usd" << YAML::Value << t.stake_usd.to_string();
    e << YAML::Key << "max_positions" << YAML::Value << t.max_positions;
    e << YAML::Key << "leverage" << YAML::Value << t.leverage;
    e << YAML::Key << "pure_3_rule_mode" << YAML::Value << t.pure_3_rule_mode;
    e << YAML::Key << "primary_target_dollars" << YAML::Value << t.primary_target_dollars.to_string();
    e << YAML::Key << "absolute_floor_dollars" << YAML::Value << t.absolute_floor_dollars.to_string();
    e << YAML::Key << "stop_loss_percent" << YAML::Value << t.stop_loss_percent.to_string();
    e << YAML::Key << "max_daily_loss" << YAML::Value << t.max_daily_loss.to_string();
}

/// scheme://host[:port]/<redacted>: where a webhook goes, without the path or query that may
/// hold its token.
std::string redact_url(const std::string& u) {
    const auto scheme = u.find("://");
    if (scheme == std::string::npos) return "<redacted>";
    const auto path = u.find_first_of("/?#", scheme + 3);
    std::string host = u.substr(0, path);
    // user:password@host
    const auto at = host.find('@', scheme + 3);
    if (at != std::string::npos) host = host.substr(0, scheme + 3) + "<redacted>@" + host.substr(at + 1);
    return path == std::string::npos ? host : host + "/<redacted>";
}

void emit_list(YAML::Emitter& e, const std::vector<std::string>& v) {
    e << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : v) e << s;
    e << YAML::EndSeq;
}

}  // namespace

std::string to_yaml(const config& c, secrets s) {
    YAML::Emitter e;
    e << YAML::BeginMap;

    e << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "bind" << YAML::Value << c.server.bind;
    e << YAML::Key << "port" << YAML::Value << c.server.port;
    e << YAML::Key << "api_token" << YAML::Value
      << (s == secrets::include ? c.server.api_token : std::string());
    e << YAML::Key << "api_token_file" << YAML::Value << c.server.api_token_file;
    e << YAML::Key << "read_token" << YAML::Value
      << (s == secrets::include ? c.server.read_token : std::string());
    e << YAML::Key << "cors_origins" << YAML::Value;
    emit_list(e, c.server.cors_origins);
    e << YAML::Key << "hostnames" << YAML::Value;
    emit_list(e, c.server.hostnames);
    e << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "cert_file" << YAML::Value << c.server.tls.cert_file;
    e << YAML::Key << "key_file" << YAML::Value << c.server.tls.key_file;
    e << YAML::EndMap;
    e << YAML::Key << "max_connections" << YAML::Value << c.server.max_connections;
    e << YAML::Key << "idle_timeout_s" << YAML::Value << c.server.idle_timeout_s;
    e << YAML::EndMap;

    e << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "data_dir" << YAML::Value << c.storage.data_dir;
    e << YAML::Key << "trades_in_memory" << YAML::Value << c.storage.trades_in_memory;
    e << YAML::EndMap;

    const exchange_config& x = c.exchange;
    e << YAML::Key << "exchange" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "rest_url" << YAML::Value << x.rest_url;
    e << YAML::Key << "ws_public_url" << YAML::Value << x.ws_public_url;
    e << YAML::Key << "ws_market_url" << YAML::Value << x.ws_market_url;
    e << YAML::Key << "ws_private_url" << YAML::Value << x.ws_private_url;
    e << YAML::Key << "api_key_env" << YAML::Value << x.api_key_env;
    e << YAML::Key << "api_secret_env" << YAML::Value << x.api_secret_env;
    e << YAML::Key << "credentials_file" << YAML::Value << x.credentials_file;
    e << YAML::Key << "recv_window_ms" << YAML::Value << x.recv_window_ms;
    e << YAML::Key << "connect_timeout_ms" << YAML::Value << x.connect_timeout_ms;
    e << YAML::Key << "rest_connections" << YAML::Value << x.rest_connections;
    e << YAML::Key << "listen_key_keepalive_ms" << YAML::Value << x.listen_key_keepalive_ms;
    e << YAML::Key << "ca_file" << YAML::Value << x.ca_file;
    e << YAML::EndMap;

    const market_config& m = c.market;
    e << YAML::Key << "market" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "source" << YAML::Value << m.source;
    e << YAML::Key << "symbols" << YAML::Value;
    emit_list(e, m.symbols);
    e << YAML::Key << "replay_file" << YAML::Value << m.replay_file;
    e << YAML::Key << "replay_speed" << YAML::Value << num(m.replay_speed);
    e << YAML::Key << "record_dir" << YAML::Value << m.record_dir;
    e << YAML::Key << "max_staleness_ms" << YAML::Value << m.max_staleness_ms;
    e << YAML::Key << "push_interval_ms" << YAML::Value << m.push_interval_ms;
    e << YAML::Key << "synthetic" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "seed" << YAML::Value << m.synthetic.seed;
    e << YAML::Key << "interval_ms" << YAML::Value << m.synthetic.interval_ms;
    e << YAML::Key << "volatility_bps" << YAML::Value << num(m.synthetic.volatility_bps);
    e << YAML::EndMap;
    e << YAML::EndMap;

    const paper_trading_config& p = c.paper_trading;
    e << YAML::Key << "paper_trading" << YAML::Value << YAML::BeginMap;
    emit_trading(e, p);
    e << YAML::Key << "autostart" << YAML::Value << p.autostart;
    e << YAML::Key << "starting_balance" << YAML::Value << p.starting_balance.to_string();
    e << YAML::Key << "taker_fee" << YAML::Value << num(p.taker_fee);
    e << YAML::Key << "slippage_bps" << YAML::Value << num(p.slippage_bps);
    e << YAML::EndMap;

    e << YAML::Key << "real_trading" << YAML::Value << YAML::BeginMap;
    emit_trading(e, c.real_trading);
    e << YAML::Key << "autostart" << YAML::Value << c.real_trading.autostart;
    e << YAML::EndMap;

    const opportunities_config& o = c.opportunities;
    e << YAML::Key << "opportunities" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "strategy" << YAML::Value << o.strategy;
    e << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "lookback" << YAML::Value << o.lookback;
    e << YAML::Key << "threshold_bps" << YAML::Value << num(o.threshold_bps);
    e << YAML::Key << "cooldown_ms" << YAML::Value << o.cooldown_ms;
    e << YAML::EndMap;
    e << YAML::EndMap;

    e << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "level" << YAML::Value << c.log.level;
    e << YAML::Key << "format" << YAML::Value << c.log.format;
    e << YAML::EndMap;

    // Webhook URLs and headers often carry tokens: redacted unless secrets are asked for.
    const notifications_config& nc = c.notifications;
    const bool show = s == secrets::include;
    e << YAML::Key << "notifications" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "targets" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : nc.targets) {
        e << YAML::BeginMap;
        e << YAML::Key << "type" << YAML::Value << t.type;
        if (t.type == "webhook") {
            e << YAML::Key << "url" << YAML::Value << (show ? t.url : redact_url(t.url));
            e << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
            for (const auto& [k, v] : t.headers) e << YAML::Key << k << YAML::Value << (show ? v : std::string("<redacted>"));
            e << YAML::EndMap;
        } else {
            e << YAML::Key << "bot_token_env" << YAML::Value << t.bot_token_env;
            e << YAML::Key << "chat_id" << YAML::Value << t.chat_id;
            e << YAML::Key << "api_url" << YAML::Value << t.api_url;
        }
        e << YAML::Key << "timeout_ms" << YAML::Value << t.timeout_ms;
        e << YAML::EndMap;
    }
    e << YAML::EndSeq;
    e << YAML::Key << "events" << YAML::Value;
    emit_list(e, nc.events);
    e << YAML::Key << "min_interval_ms" << YAML::Value << nc.min_interval_ms;
    e << YAML::Key << "max_queue" << YAML::Value << nc.max_queue;
    e << YAML::EndMap;

    e << YAML::EndMap;
    return std::string(e.c_str()) + "\n";
}

}  // namespace traded::config
