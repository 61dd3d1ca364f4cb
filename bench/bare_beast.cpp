// B5 peer: a bare Boost.Beast HTTP/1.1 keep-alive server on one io_context thread, answering
// every request with a fixed JSON body after the same bearer-token check the daemon does. It is
// the floor for the daemon's REST path: same library, same thread model, no routing, no views.
//
// Run: build/bench/bench_bare_beast PORT TOKEN BODY_FILE   (serves until killed; loopback only)

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct shared {
    std::string expected_auth;
    std::string body;
};

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket s, const shared& sh) : stream_(std::move(s)), sh_(sh) {}
    void run() { read(); }

private:
    void read() {
        req_ = {};
        http::async_read(stream_, buf_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->answer();
        });
    }
    void answer() {
        const bool ok = req_[http::field::authorization] == sh_.expected_auth;
        res_ = {ok ? http::status::ok : http::status::unauthorized, req_.version()};
        res_.set(http::field::server, "bare");
        res_.set(http::field::content_type, "application/json");
        res_.keep_alive(req_.keep_alive());
        res_.body() = ok ? sh_.body : std::string(R"({"success":false})");
        res_.prepare_payload();
        http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !self->res_.keep_alive()) return;
            self->read();
        });
    }

    beast::tcp_stream stream_;
    const shared& sh_;
    beast::flat_buffer buf_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

void accept(tcp::acceptor& a, const shared& sh) {
    a.async_accept([&a, &sh](beast::error_code ec, tcp::socket s) {
        if (!ec) std::make_shared<session>(std::move(s), sh)->run();
        accept(a, sh);
    });
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_bare_beast PORT TOKEN BODY_FILE\n");
        return 2;
    }
    shared sh;
    sh.expected_auth = std::string("Bearer ") + argv[2];
    std::ifstream f(argv[3]);
    std::stringstream ss;
    ss << f.rdbuf();
    sh.body = ss.str();
    net::io_context ioc{1};
    tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))});
    accept(a, sh);
    ioc.run();
    return 0;
}
