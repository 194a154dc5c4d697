#include "host/image/store/content_store.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "base/sys.hpp"
#include "host/microvm/data_dir.hpp"

namespace microvm::image {

namespace {

// Stored blobs are read-only: the store never rewrites a blob in place.
constexpr mode_t blob_mode = 0444;

Result<void> fsync_dir(std::filesystem::path const& dir) {
    base::Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        return fail_errno("open " + dir.string());
    }
    return base::sys::fsync(fd.get(), dir.string());
}

Result<void> rename_into_place(std::filesystem::path const& from, std::filesystem::path const& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        return fail_errno("rename " + from.string() + " to " + to.string());
    }
    return fsync_dir(to.parent_path());
}

} // namespace

Result<ContentStore> ContentStore::open(std::filesystem::path const& images_dir) {
    ContentStore store(images_dir);
    TRY_CTX(ensure_private_dir(images_dir), "open image store");
    for (auto const& dir :
         {images_dir / "blobs", store.blobs_dir(), store.rootfs_dir(), images_dir / "locks"}) {
        TRY_CTX(ensure_private_dir(dir), "open image store");
    }
    return store;
}

bool ContentStore::has_blob(Digest const& digest) const {
    return blob_size(digest).has_value();
}

std::optional<std::uint64_t> ContentStore::blob_size(Digest const& digest) const {
    struct stat st {};
    if (::lstat(blob_path(digest).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(st.st_size);
}

Result<std::string> ContentStore::read_blob(Digest const& digest, std::size_t max_bytes) const {
    auto const path = blob_path(digest);
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        return fail_errno("open blob " + path.string());
    }
    auto bytes = TRY(base::sys::read_all(fd.get(), max_bytes, "blob " + digest.text()));
    auto actual = Digest::of(bytes);
    if (actual != digest) {
        return fail("stored blob " + path.string() + " is corrupt: digest mismatch: expected " +
                    digest.text() + ", got " + actual.text());
    }
    return bytes;
}

Result<void> ContentStore::put_blob(Digest const& expected, std::string_view bytes) const {
    if (has_blob(expected)) {
        auto actual = Digest::of(bytes);
        if (actual != expected) {
            return fail("digest mismatch: expected " + expected.text() + ", got " + actual.text());
        }
        return {};
    }
    auto writer = TRY(begin_blob(expected, bytes.size()));
    TRY(writer.write(bytes));
    return writer.commit();
}

Result<BlobWriter> ContentStore::begin_blob(Digest const& expected,
                                            std::optional<std::uint64_t> expected_size) const {
    std::string pattern = (blobs_dir() / (".tmp-" + expected.hex + "-XXXXXX")).string();
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        return fail_errno("create temporary blob in " + blobs_dir().string());
    }
    return BlobWriter(base::Fd(fd), pattern, blob_path(expected), expected, expected_size);
}

Result<FileLock> ContentStore::lock_store(LockMode mode) const {
    return FileLock::acquire(lock_path("store.lock"), mode);
}

Result<FileLock> ContentStore::lock_index() const {
    return FileLock::acquire(lock_path("index.lock"), LockMode::exclusive);
}

Result<FileLock> ContentStore::lock_blob(Digest const& digest) const {
    return FileLock::acquire(lock_path("blob-" + digest.hex + ".lock"), LockMode::exclusive);
}

Result<FileLock> ContentStore::lock_rootfs(Digest const& manifest, LockMode mode) const {
    return FileLock::acquire(lock_path("rootfs-" + manifest.hex + ".lock"), mode);
}

Result<std::optional<FileLock>> ContentStore::try_lock_rootfs(Digest const& manifest,
                                                              LockMode mode) const {
    return FileLock::try_acquire(lock_path("rootfs-" + manifest.hex + ".lock"), mode);
}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : m_fd(std::move(other.m_fd)), m_temp(std::exchange(other.m_temp, {})),
      m_final(std::move(other.m_final)), m_expected(std::move(other.m_expected)),
      m_expected_size(other.m_expected_size), m_written(other.m_written),
      m_hash(std::move(other.m_hash)) {}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
    if (this != &other) {
        discard();
        m_fd = std::move(other.m_fd);
        m_temp = std::exchange(other.m_temp, {});
        m_final = std::move(other.m_final);
        m_expected = std::move(other.m_expected);
        m_expected_size = other.m_expected_size;
        m_written = other.m_written;
        m_hash = std::move(other.m_hash);
    }
    return *this;
}

BlobWriter::~BlobWriter() {
    discard();
}

void BlobWriter::discard() noexcept {
    m_fd.reset();
    if (!m_temp.empty()) {
        ::unlink(m_temp.c_str());
        m_temp.clear();
    }
}

Result<void> BlobWriter::write(std::string_view bytes) {
    if (m_expected_size && m_written + bytes.size() > *m_expected_size) {
        return fail("blob " + m_expected.text() + " is larger than the " +
                    std::to_string(*m_expected_size) + " bytes its descriptor declares");
    }
    m_hash.update(bytes);
    TRY(base::sys::write_all(m_fd.get(), bytes, m_temp.string()));
    m_written += bytes.size();
    return {};
}

Result<void> BlobWriter::restart() {
    if (::ftruncate(m_fd.get(), 0) != 0) {
        return fail_errno("ftruncate " + m_temp.string());
    }
    if (::lseek(m_fd.get(), 0, SEEK_SET) != 0) {
        return fail_errno("lseek " + m_temp.string());
    }
    m_hash.reset();
    m_written = 0;
    return {};
}

Result<void> BlobWriter::commit() {
    if (m_temp.empty()) {
        return fail("blob " + m_expected.text() + " was already committed or discarded");
    }
    if (m_expected_size && m_written != *m_expected_size) {
        auto const expected = std::to_string(*m_expected_size);
        discard();
        return fail("blob " + m_expected.text() + " is truncated: expected " + expected +
                    " bytes, got " + std::to_string(m_written));
    }
    auto actual = m_hash.finish();
    if (actual != m_expected) {
        discard();
        return fail("digest mismatch: expected " + m_expected.text() + ", got " + actual.text());
    }
    TRY(base::sys::fchmod(m_fd.get(), blob_mode, m_temp.string()));
    TRY(base::sys::fsync(m_fd.get(), m_temp.string()));
    m_fd.reset();
    TRY(rename_into_place(m_temp, m_final));
    m_temp.clear();
    return {};
}

} // namespace microvm::image
