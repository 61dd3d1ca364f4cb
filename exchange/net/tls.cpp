#include "exchange/net/tls.hpp"

namespace traded::exchange_io {

binance::result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const std::string& ca_file) {
    using out_t = binance::result<std::shared_ptr<boost::asio::ssl::context>>;
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    if (ec) return binance::failure<out_t>("tls: cannot set protocol options: " + ec.message());
    ctx->set_default_verify_paths(ec);
    if (ec) return binance::failure<out_t>("tls: cannot load the system trust store: " + ec.message());
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) return binance::failure<out_t>("exchange.ca_file: cannot load '" + ca_file + "': " + ec.message());
    }
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (ec) return binance::failure<out_t>("tls: cannot enable peer verification: " + ec.message());
    return out_t(std::move(ctx));
}

}  // namespace traded::exchange_io
