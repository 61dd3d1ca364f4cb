// Faults that act on a request before the venue reads it (drop_request) and on the
// lifetime of stream connections (rotate_streams). They are decided here, without sockets; the
// Beast server only holds, drops or closes on the venue's say-so.

#include "exchange/sim/venue.hpp"

namespace traded::sim {

namespace {

std::string path_of(const http_request& req) { return req.target.substr(0, req.target.find('?')); }

}  // namespace

bool venue::take_request_drop(const http_request& req, millis wall_now) {
    const std::string path = path_of(req);
    if (path.starts_with("/admin")) return false;
    return take_fault("drop_request", path, server_time(wall_now)).has_value();
}

millis venue::stream_max_connection_ms() const {
    if (stream_max_connection_ms_ > 0) return stream_max_connection_ms_;
    return static_cast<millis>(cfg_.streams.max_connection_s) * 1000;
}

}  // namespace traded::sim
