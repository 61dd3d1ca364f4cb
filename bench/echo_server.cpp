// Do-nothing loopback echo: the baseline for B2's real path (bench/real_path_bench.py).
//
//   bench_echo_server PORT     # prints "listening" once it accepts; serves one client at a time
//
// Blocking accept, then read() and write() the same bytes back until the client closes: the least
// a process can do between bytes arriving on a loopback socket and bytes leaving it (a wake-up, one
// read, one write). TCP_NODELAY like the daemon's sockets. Bench-only, never part of ctest.

#include <cstdio>
#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_echo_server PORT\n");
        return 2;
    }
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<unsigned short>(std::atoi(argv[1])));
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 16) != 0) {
        std::perror("bench_echo_server: listen");
        return 1;
    }
    std::printf("listening\n");
    std::fflush(stdout);
    char buf[65536];
    for (;;) {
        const int c = ::accept(lfd, nullptr, nullptr);
        if (c < 0) continue;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        for (;;) {
            const ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            if (::write(c, buf, static_cast<std::size_t>(n)) != n) break;
        }
        ::close(c);
    }
}
