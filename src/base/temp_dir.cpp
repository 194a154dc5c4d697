#include "base/temp_dir.hpp"

#include <stdlib.h>

#include <cstdlib>
#include <system_error>

namespace microvm::base {

Result<TempDir> TempDir::create(std::filesystem::path const& parent, std::string const& prefix) {
    std::string const requested = (parent / (prefix + "XXXXXX")).string();
    std::string pattern = requested; // mkdtemp overwrites the X's even when it fails
    if (::mkdtemp(pattern.data()) == nullptr) {
        return fail_errno("mkdtemp " + requested);
    }
    return TempDir(std::filesystem::path(pattern));
}

Result<TempDir> TempDir::create(std::string const& prefix) {
    char const* tmp = std::getenv("TMPDIR");
    return create(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", prefix);
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        m_path = std::move(other.m_path);
        other.m_path.clear();
    }
    return *this;
}

TempDir::~TempDir() {
    remove();
}

std::filesystem::path TempDir::release() {
    auto path = std::move(m_path);
    m_path.clear();
    return path;
}

void TempDir::remove() {
    if (m_path.empty()) {
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
    m_path.clear();
}

} // namespace microvm::base
