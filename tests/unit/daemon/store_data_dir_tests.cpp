// The data directory: created on demand, owned by one process at a time, and home of the
// generated API token (0600, reused on the next start).

#include "daemon/data_dir.hpp"
#include "store_test_util.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace store_test;
using traded::daemon::data_dir_lock;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool is_hex(const std::string& s) {
    return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("ensure_data_dir creates nested directories and refuses a file", "[data_dir]") {
    temp_dir dir;
    std::string nested = dir.path() + "/a/b/data";
    CHECK(traded::daemon::ensure_data_dir(nested) == "");
    struct stat st {};
    REQUIRE(::stat(nested.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(traded::daemon::ensure_data_dir(nested) == "");  // existing is fine

    std::string file = dir.path() + "/plain";
    std::ofstream(file) << "x";
    CHECK(traded::daemon::ensure_data_dir(file) == "data directory " + file + " is not a directory");
    CHECK(traded::daemon::ensure_data_dir(file + "/sub").find("cannot create data directory " + file + "/sub") == 0);
}

TEST_CASE("the data-dir lock admits one owner and names the holder's pid", "[data_dir]") {
    temp_dir dir;
    auto first = data_dir_lock::acquire(dir.path());
    REQUIRE(std::holds_alternative<data_dir_lock>(first));
    CHECK(slurp(dir.path() + "/traded.lock") == std::to_string(::getpid()) + "\n");

    auto second = data_dir_lock::acquire(dir.path());
    REQUIRE(std::holds_alternative<std::string>(second));
    CHECK(std::get<std::string>(second) == "data directory " + dir.path() +
                                               " is in use by another traded process (pid " +
                                               std::to_string(::getpid()) + ")");

    // Released when the owner goes away; a stale lock file does not block the next owner.
    first = std::string("released");
    auto third = data_dir_lock::acquire(dir.path());
    CHECK(std::holds_alternative<data_dir_lock>(third));
}

TEST_CASE("a second process cannot take the data-dir lock", "[data_dir]") {
    temp_dir dir;
    int ready[2];
    int release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Child: take the lock, say so, hold it until the parent closes the release pipe.
        ::close(release[1]);
        ::close(ready[0]);
        auto lock = data_dir_lock::acquire(dir.path());
        char ok = std::holds_alternative<data_dir_lock>(lock) ? 'y' : 'n';
        (void)!::write(ready[1], &ok, 1);
        char c;
        (void)!::read(release[0], &c, 1);
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    char ok = 0;
    REQUIRE(::read(ready[0], &ok, 1) == 1);
    REQUIRE(ok == 'y');

    auto mine = data_dir_lock::acquire(dir.path());
    REQUIRE(std::holds_alternative<std::string>(mine));
    CHECK(std::get<std::string>(mine) == "data directory " + dir.path() +
                                             " is in use by another traded process (pid " + std::to_string(child) +
                                             ")");

    ::close(release[1]);  // child exits; the kernel drops its lock
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(ready[0]);
    auto after = data_dir_lock::acquire(dir.path());
    CHECK(std::holds_alternative<data_dir_lock>(after));
}

TEST_CASE("the API token is generated once, 0600, and reused", "[data_dir]") {
    temp_dir dir;
    auto created = traded::daemon::read_or_create_token(dir.path());
    REQUIRE(created.has_value());
    CHECK(created->created);
    CHECK(created->token.size() == 64);
    CHECK(is_hex(created->token));
    struct stat st {};
    REQUIRE(::stat((dir.path() + "/api_token").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(created->warning == "");

    auto again = traded::daemon::read_or_create_token(dir.path());
    REQUIRE(again.has_value());
    CHECK_FALSE(again->created);
    CHECK(again->token == created->token);

    // Another data dir gets another token.
    temp_dir other;
    auto different = traded::daemon::read_or_create_token(other.path());
    REQUIRE(different.has_value());
    CHECK(different->token != created->token);
}

TEST_CASE("token files: trimmed, empty is regenerated, loose permissions warn", "[data_dir]") {
    temp_dir dir;
    std::string path = dir.path() + "/api_token";
    {
        std::ofstream(path) << "  my-token-value \n";
        ::chmod(path.c_str(), 0644);
        auto r = traded::daemon::read_token_file(path);
        REQUIRE(r.has_value());
        CHECK(r->token == "my-token-value");
        CHECK(r->warning.find("readable by other users") != std::string::npos);
        CHECK(r->warning.find("my-token-value") == std::string::npos);  // never the secret
    }
    {
        std::ofstream(path) << "\n";
        auto r = traded::daemon::read_token_file(path);
        CHECK(r.error() == "API token file " + path + " is empty");
        auto made = traded::daemon::read_or_create_token(dir.path());
        REQUIRE(made.has_value());
        CHECK(made->created);
        CHECK(made->token.size() == 64);
    }
    {
        auto r = traded::daemon::read_token_file(dir.path() + "/nope");
        CHECK(r.error().find("cannot read API token file " + dir.path() + "/nope") == 0);
        CHECK_FALSE(r.has_value());
    }
}
