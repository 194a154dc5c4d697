// A directory that exists for the lifetime of its owner and is removed, with its contents,
// when the owner is destroyed.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace microvm::base {

class TempDir {
public:
    // Creates a fresh directory (mode 0700) named `<parent>/<prefix>XXXXXX`.
    static Result<TempDir> create(std::filesystem::path const& parent, std::string const& prefix);
    // Same, under $TMPDIR or /tmp.
    static Result<TempDir> create(std::string const& prefix);

    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    ~TempDir();

    std::filesystem::path const& path() const { return m_path; }
    // Keeps the directory: it will not be removed. Returns its path.
    std::filesystem::path release();

private:
    explicit TempDir(std::filesystem::path path) : m_path(std::move(path)) {}
    void remove();

    std::filesystem::path m_path;
};

} // namespace microvm::base
