#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "base/temp_dir.hpp"

namespace microvm::fuzz {

namespace {

[[noreturn]] void harness_failure(std::string const& what) {
    std::fprintf(stderr, "fuzz harness: %s\n", what.c_str());
    std::abort();
}

} // namespace

std::vector<std::string_view> split(std::string_view input, std::string_view separator,
                                    std::size_t count) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < count) {
        std::size_t const at = input.find(separator);
        if (at == std::string_view::npos) {
            break;
        }
        parts.push_back(input.substr(0, at));
        input.remove_prefix(at + separator.size());
    }
    parts.push_back(input);
    parts.resize(count);
    return parts;
}

std::filesystem::path const& scratch_dir() {
    // A static: its destructor removes the directory when the fuzzer exits normally.
    static std::optional<base::TempDir> dir = [] {
        auto made = base::TempDir::create("microvm-fuzz-");
        if (!made) {
            harness_failure(made.error().text());
        }
        return std::optional<base::TempDir>(std::move(*made));
    }();
    return dir->path();
}

void write_file(std::filesystem::path const& path, std::string_view bytes) {
    // A new file rather than a truncated one: ext4 (auto_da_alloc) flushes a file truncated to
    // zero when it is closed, which made each input cost milliseconds.
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
        harness_failure("write " + path.string());
    }
}

void empty_dir(std::filesystem::path const& dir) {
    namespace fs = std::filesystem;
    std::error_code error;
    auto remove_entries = [&] {
        std::vector<fs::path> entries;
        for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
            entries.push_back(it->path());
        }
        for (auto const& entry : entries) {
            if (!error) {
                fs::remove_all(entry, error);
            }
        }
    };
    remove_entries();
    if (error) {
        // A directory without write permission (a tree a target made as non-root): open up
        // every directory below, then try again.
        error.clear();
        for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
             it.increment(error)) {
            if (it->is_directory(error) && !it->is_symlink(error)) {
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, error);
            }
        }
        error.clear();
        remove_entries();
    }
    if (error) {
        harness_failure("empty " + dir.string() + ": " + error.message());
    }
}

void finding(std::string const& what) {
    std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
    std::abort();
}

} // namespace microvm::fuzz
