#include "exchange/market/replay_reader.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace traded::market {

namespace {

constexpr std::size_t chunk_size = std::size_t{1} << 20;
constexpr std::size_t max_line = std::size_t{16} << 20;

class plain_source final : public byte_source {
public:
    explicit plain_source(int fd) : fd_(fd) {}
    ~plain_source() override { ::close(fd_); }
    long read(char* buf, std::size_t n) override {
        for (;;) {
            const auto r = ::read(fd_, buf, n);
            if (r < 0 && errno == EINTR) continue;
            return static_cast<long>(r);
        }
    }

private:
    int fd_;
};

class zip_source final : public byte_source {
public:
    zip_source(zip_t* archive, zip_file_t* file) : archive_(archive), file_(file) {}
    ~zip_source() override {
        zip_fclose(file_);
        zip_discard(archive_);
    }
    long read(char* buf, std::size_t n) override {
        return static_cast<long>(zip_fread(file_, buf, static_cast<zip_uint64_t>(n)));
    }

private:
    zip_t* archive_;
    zip_file_t* file_;
};

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool replay_name(std::string_view name) {
    return ends_with(name, ".jsonl") || ends_with(name, ".csv") || ends_with(name, ".zip");
}

}  // namespace

file_reader::file_reader(std::string path, const std::set<std::string>& symbols)
    : path_(std::move(path)), symbols_(symbols) {
    std::string why;
    kind_ = classify_file(path_, why);
    if (!why.empty()) {
        error_ = path_ + ": " + why;
        return;
    }
    if (!kind_.symbol.empty() && !symbols.empty() && !symbols.count(kind_.symbol)) {
        error_ = path_ + ": symbol " + kind_.symbol + " is not in market.symbols";
        return;
    }
    if (kind_.zip) {
        int zerr = 0;
        zip_t* z = zip_open(path_.c_str(), ZIP_RDONLY, &zerr);
        if (z == nullptr) {
            zip_error_t e;
            zip_error_init_with_code(&e, zerr);
            error_ = path_ + ": cannot open the zip: " + zip_error_strerror(&e);
            zip_error_fini(&e);
            return;
        }
        const zip_int64_t n = zip_get_num_entries(z, 0);
        for (zip_int64_t i = 0; i < n; ++i) {
            const char* name = zip_get_name(z, static_cast<zip_uint64_t>(i), 0);
            if (name == nullptr || !ends_with(name, ".csv")) continue;
            zip_stat_t st;
            if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
                size_ = st.size;
            zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
            if (f == nullptr) {
                error_ = path_ + ": cannot read " + name + " in the zip: " + zip_strerror(z);
                zip_discard(z);
                return;
            }
            src_ = std::make_unique<zip_source>(z, f);
            break;
        }
        if (!src_) {
            zip_discard(z);
            error_ = path_ + ": no CSV file in the zip";
            return;
        }
    } else {
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error_ = path_ + ": cannot open: " + std::strerror(errno);
            return;
        }
        struct stat st {};
        if (::fstat(fd, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                ::close(fd);
                error_ = path_ + ": is a directory";
                return;
            }
            size_ = static_cast<std::uint64_t>(st.st_size);
        }
        src_ = std::make_unique<plain_source>(fd);
    }
    buf_.resize(chunk_size);
    if (kind_.format == file_format::recording) return;
    std::string_view header;
    bool complete = false;
    if (!next_line(header, complete)) {
        if (error_.empty()) error_ = path_ + ": empty file (expected the header line)";
        return;
    }
    const auto expected = kind_.format == file_format::book_ticker_csv ? book_ticker_header : agg_trades_header;
    if (header != expected) fail_line("wrong header: expected \"" + std::string(expected) + "\"");
}

file_reader::~file_reader() = default;

void file_reader::fail_line(std::string_view message) {
    error_ = path_ + ":" + std::to_string(line_) + ": " + std::string(message);
}

bool file_reader::next_line(std::string_view& line, bool& complete) {
    for (;;) {
        if (pos_ < len_) {
            const char* start = buf_.data() + pos_;
            const auto* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
            if (nl != nullptr) {
                line = std::string_view(start, static_cast<std::size_t>(nl - start));
                pos_ += line.size() + 1;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                complete = true;
                ++line_;
                return true;
            }
        }
        if (eof_) {
            if (pos_ >= len_) return false;
            line = std::string_view(buf_.data() + pos_, len_ - pos_);
            pos_ = len_;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            complete = false;
            ++line_;
            return true;
        }
        // Keep the partial line, read the next chunk behind it.
        if (pos_ > 0) {
            std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
            len_ -= pos_;
            pos_ = 0;
        }
        if (len_ == buf_.size()) {
            if (buf_.size() >= max_line) {
                ++line_;
                fail_line("line longer than 16 MiB");
                return false;
            }
            buf_.resize(buf_.size() * 2);
        }
        const long n = src_->read(buf_.data() + len_, buf_.size() - len_);
        if (n < 0) {
            error_ = path_ + ": read error after line " + std::to_string(line_);
            return false;
        }
        if (n == 0) eof_ = true;
        len_ += static_cast<std::size_t>(n);
        consumed_ += static_cast<std::uint64_t>(n);
    }
}

read_status file_reader::next(quote_update& out) {
    if (!error_.empty()) return read_status::error;
    std::string_view line;
    bool complete = false;
    while (next_line(line, complete)) {
        if (line.empty()) continue;
        switch (kind_.format) {
            case file_format::book_ticker_csv:
            case file_format::agg_trades_csv: {
                const auto why = kind_.format == file_format::book_ticker_csv
                                     ? parse_book_ticker_row(line, kind_.symbol, out)
                                     : parse_agg_trade_row(line, kind_.symbol, out);
                if (!why.empty()) {
                    fail_line(why);
                    return read_status::error;
                }
                return read_status::update;
            }
            case file_format::recording: {
                if (!complete) {
                    // Torn by a kill mid-write (SPEC §8): the only line that may be incomplete.
                    ++torn_;
                    continue;
                }
                switch (parse_recording_line(line, parser_, out, scratch_)) {
                    case line_status::skip: continue;
                    case line_status::error: fail_line(scratch_); return read_status::error;
                    case line_status::update: break;
                }
                if (!symbols_.empty() && !symbols_.count(out.symbol)) {
                    fail_line("symbol " + out.symbol + " is not in market.symbols");
                    return read_status::error;
                }
                return read_status::update;
            }
        }
    }
    return error_.empty() ? read_status::end : read_status::error;
}

std::vector<std::string> expand_replay_paths(const std::vector<std::string>& args, std::string& error) {
    error.clear();
    std::vector<std::string> out;
    for (const auto& a : args) {
        std::error_code ec;
        if (std::filesystem::is_directory(a, ec)) {
            std::vector<std::string> files;
            for (const auto& e : std::filesystem::directory_iterator(a, ec))
                if (e.is_regular_file() && replay_name(e.path().filename().string())) files.push_back(e.path().string());
            if (ec) {
                error = a + ": cannot list the directory: " + ec.message();
                return {};
            }
            if (files.empty()) {
                error = a + ": no replay files (*.jsonl, *.csv, *.zip) in the directory";
                return {};
            }
            std::sort(files.begin(), files.end());
            out.insert(out.end(), files.begin(), files.end());
        } else if (a.find_first_of("*?[") != std::string::npos) {
            glob_t g{};
            const int r = ::glob(a.c_str(), 0, nullptr, &g);
            if (r != 0 || g.gl_pathc == 0) {
                globfree(&g);
                error = a + ": no file matches";
                return {};
            }
            for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);  // glob sorts
            globfree(&g);
        } else {
            if (!std::filesystem::exists(a, ec)) {
                error = a + ": no such file";
                return {};
            }
            out.push_back(a);
        }
    }
    if (out.empty()) error = "no replay file given";
    return out;
}

replay_stream::replay_stream(const std::vector<std::string>& files, const std::set<std::string>& symbols) {
    for (const auto& f : files) {
        readers_.push_back(std::make_unique<file_reader>(f, symbols));
        if (!readers_.back()->ok()) {
            error_ = readers_.back()->error();
            return;
        }
    }
    heads_.resize(readers_.size());
    for (std::size_t i = 0; i < readers_.size(); ++i)
        if (!refill(i)) return;
}

bool replay_stream::refill(std::size_t i) {
    switch (readers_[i]->next(heads_[i].u)) {
        case read_status::update: heads_[i].live = true; return true;
        case read_status::end: heads_[i].live = false; return true;
        case read_status::error:
            heads_[i].live = false;
            error_ = readers_[i]->error();
            return false;
    }
    return false;
}

read_status replay_stream::next(quote_update& out) {
    if (!error_.empty()) return read_status::error;
    // Few files: a linear scan for the earliest head is cheaper than a heap. Strict < keeps ties
    // in file order, so the merge is deterministic.
    std::size_t best = heads_.size();
    for (std::size_t i = 0; i < heads_.size(); ++i)
        if (heads_[i].live && (best == heads_.size() || heads_[i].u.event_time < heads_[best].u.event_time)) best = i;
    if (best == heads_.size()) return read_status::end;
    std::swap(out, heads_[best].u);  // swap, not move: the head keeps a buffer to parse into
    if (!refill(best)) return read_status::error;
    return read_status::update;
}

std::uint64_t replay_stream::bytes_read() const {
    std::uint64_t n = 0;
    for (const auto& r : readers_) n += r->bytes_read();
    return n;
}

std::uint64_t replay_stream::size() const {
    std::uint64_t n = 0;
    for (const auto& r : readers_) n += r->size();
    return n;
}

}  // namespace traded::market
