#pragma once
// Real files for the market-data tests: a fresh temporary directory per test, plain files and
// real zip archives written with libzip.

#include <zip.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace market_test {

/// A temporary directory removed at the end of the test.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static std::atomic<int> n{0};
        path = std::filesystem::temp_directory_path() /
               ("traded-market-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

inline std::string write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// Writes a real zip archive holding `entry` with `content` (deflated, as Binance publishes).
inline std::string write_zip(const std::string& path, const std::string& entry, const std::string& content) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (z == nullptr) return {};
    zip_source_t* s = zip_source_buffer(z, content.data(), content.size(), 0);
    const auto idx = zip_file_add(z, entry.c_str(), s, ZIP_FL_OVERWRITE);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 0);
    zip_close(z);
    return path;
}

}  // namespace market_test
