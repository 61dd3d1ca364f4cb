#pragma once
// Integration-test harness: starts the real `traded` (and `traded-sim`) binaries on free loopback
// ports with their own temporary data directories, and talks HTTP/WebSocket to them over real
// sockets with Boost.Beast's synchronous client. Every wait is bounded.

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <thread>
#include <string>
#include <vector>

namespace traded::test {

namespace json = boost::json;

/// A free TCP port on 127.0.0.1 (bound then released).
unsigned short free_port();
/// A fresh directory under /tmp, removed by the caller with remove_tree.
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);
void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

/// A child process with stdout+stderr captured to a log file.
class process {
public:
    process() = default;
    process(const process&) = delete;
    process& operator=(const process&) = delete;
    process(process&& o) noexcept;
    process& operator=(process&& o) noexcept;
    ~process();

    /// Starts argv[0] with argv; output goes to log_file.
    static process spawn(const std::vector<std::string>& argv, const std::string& log_file);
    /// SIGTERM then wait (bounded); returns the exit status (-1 if it had to be killed).
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    /// SIGKILL and reap.
    void kill9();
    bool running();
    int pid() const { return pid_; }
    const std::string& log_file() const { return log_; }
    std::string log() const;

private:
    int pid_ = -1;
    std::string log_;
};

/// An HTTP answer.
struct http_answer {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    json::value json() const;  // parsed body (null when not JSON)
};

/// Minimal HTTP/1.1 client: one request per connection unless `keep` is used.
http_answer http(const std::string& method, unsigned short port, const std::string& target,
                 const std::string& body = "", const std::string& token = "",
                 const std::map<std::string, std::string>& extra_headers = {});

/// A synchronous WebSocket client for tests.
class ws_client {
public:
    ws_client();
    ~ws_client();
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;
    /// Connects to ws://127.0.0.1:port/target; returns an error message or "".
    std::string connect(unsigned short port, const std::string& target,
                        const std::map<std::string, std::string>& headers = {});
    void send(const std::string& text);
    /// Next text message, or nullopt on timeout/close.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    std::optional<json::value> receive_json(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    /// Close code the server sent, if it closed.
    int close_code() const;
    void close();

private:
    struct impl;
    impl* impl_;
};

/// A running traded daemon with its own data dir, port and token.
class daemon_fixture {
public:
    /// Starts traded with `extra_yaml` appended to a base config (synthetic market, the given
    /// token, a free port). Waits until /healthz answers.
    explicit daemon_fixture(const std::string& extra_yaml = "", std::string data_dir = "");
    ~daemon_fixture();

    /// Restart on the same data dir (after stop() or kill9()).
    void restart();
    void kill9() { proc_.kill9(); }
    int stop() { return proc_.stop(); }

    http_answer get(const std::string& target) { return http("GET", port_, target, "", token_); }
    http_answer post(const std::string& target, const std::string& body = "") {
        return http("POST", port_, target, body, token_);
    }
    http_answer put(const std::string& target, const std::string& body) {
        return http("PUT", port_, target, body, token_);
    }
    /// GET and return `data` of a success envelope (REQUIREs success).
    json::value data(const std::string& target);

    unsigned short port() const { return port_; }
    const std::string& token() const { return token_; }
    const std::string& data_dir() const { return data_dir_; }
    process& proc() { return proc_; }
    /// The config file the daemon was started with (--config): tests rewrite it for SIGHUP.
    std::string config_path() const { return root_ + "/traded.yaml"; }
    /// The config the fixture writes before `extra_yaml` (port and token).
    std::string base_yaml() const {
        return "server:\n  bind: 127.0.0.1\n  port: " + std::to_string(port_) + "\n  api_token: \"" + token_ + "\"\n";
    }

private:
    void launch();
    std::string name_;
    std::string root_;
    std::string data_dir_;
    std::string token_ = "test-token-0123456789abcdef0123456789abcdef";
    unsigned short port_ = 0;
    std::string yaml_;
    process proc_;
    bool own_dir_ = true;
};

/// Polls `pred` every 50 ms until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

}  // namespace traded::test
