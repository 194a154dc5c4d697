// The image content store (DESIGN.md §4.5): <data_dir>/images/, private to the user (0700).
//
//   blobs/sha256/<hex>    every blob by digest, verified before it gets its name, never
//                         rewritten; shared by all images that reference it
//   index.json            tags -> digests (tag_index.hpp)
//   rootfs/<hex>          unpacked root file systems, keyed by the platform manifest digest,
//                         published by rename and never written again
//   locks/                flock files (file_lock.hpp)
//
// Nothing gets a final name before it is complete: blobs are written to a temporary file in
// their own directory and renamed once the digest matches; a crash leaves only ".tmp-*" entries,
// which prune() removes.
//
// Locking protocol, so that several processes can share one store:
//   - a pull holds lock_store(shared) from start to finish and prune holds it exclusive, so a
//     prune never deletes a blob a pull has fetched but not yet tagged;
//   - a blob is downloaded under lock_blob(digest); whoever gets the lock second finds it
//     present and does not download it again;
//   - a rootfs is unpacked under lock_rootfs(digest, exclusive), with the same re-check;
//   - index.json is read-modified-written under the index lock (tag_index.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "host/image/store/digest.hpp"
#include "host/image/store/file_lock.hpp"

namespace microvm::image {

class BlobWriter;

class ContentStore {
public:
    // Opens the store at `images_dir`, creating it and its subdirectories private (0700).
    // Fails when a directory cannot be created or belongs to another user.
    static Result<ContentStore> open(std::filesystem::path const& images_dir);

    // <data_dir>/images: where the store lives inside the data directory.
    static std::filesystem::path dir_in(std::filesystem::path const& data_dir) {
        return data_dir / "images";
    }

    std::filesystem::path const& root() const { return m_root; }
    std::filesystem::path blobs_dir() const { return m_root / "blobs" / "sha256"; }
    std::filesystem::path blob_path(Digest const& digest) const { return blobs_dir() / digest.hex; }
    std::filesystem::path index_path() const { return m_root / "index.json"; }
    // The directory in which rootfs trees are staged and published; a temporary directory
    // created here is on the same file system as the final name, so rename() is atomic.
    std::filesystem::path rootfs_dir() const { return m_root / "rootfs"; }
    std::filesystem::path rootfs_path(Digest const& manifest) const {
        return rootfs_dir() / manifest.hex;
    }

    bool has_blob(Digest const& digest) const;
    // Size of a stored blob; nullopt when it is absent.
    std::optional<std::uint64_t> blob_size(Digest const& digest) const;

    // Reads a stored blob and checks it against its digest again (for the small blobs that
    // are parsed: manifests, configs). Fails when it is absent, larger than `max_bytes`, or
    // no longer matches its digest (the store was tampered with).
    Result<std::string> read_blob(Digest const& digest, std::size_t max_bytes) const;

    // Stores `bytes` as the blob `expected`. Fails with "digest mismatch: expected ..., got
    // ..." when they do not hash to it; nothing is stored then. A blob that is already
    // present is left as it is.
    Result<void> put_blob(Digest const& expected, std::string_view bytes) const;

    // Starts streaming the blob `expected` into a temporary file. `expected_size`, when
    // known, bounds what may be written.
    Result<BlobWriter> begin_blob(Digest const& expected,
                                  std::optional<std::uint64_t> expected_size) const;

    Result<FileLock> lock_store(LockMode mode) const;
    Result<FileLock> lock_index() const;
    Result<FileLock> lock_blob(Digest const& digest) const;
    Result<FileLock> lock_rootfs(Digest const& manifest, LockMode mode) const;
    // nullopt when someone else holds a conflicting rootfs lock.
    Result<std::optional<FileLock>> try_lock_rootfs(Digest const& manifest, LockMode mode) const;

private:
    explicit ContentStore(std::filesystem::path root) : m_root(std::move(root)) {}
    std::filesystem::path lock_path(std::string const& name) const {
        return m_root / "locks" / name;
    }

    std::filesystem::path m_root;
};

// A blob on its way into the store. Each write() feeds the hash as the bytes arrive, so the
// digest is known the moment the last byte is written; commit() renames the temporary file to
// the blob's name only when it matches. A writer destroyed without a successful commit()
// removes its temporary file.
class BlobWriter {
public:
    BlobWriter(BlobWriter&& other) noexcept;
    BlobWriter& operator=(BlobWriter&& other) noexcept;
    BlobWriter(BlobWriter const&) = delete;
    BlobWriter& operator=(BlobWriter const&) = delete;
    ~BlobWriter();

    // Appends `bytes`. Fails on a write error or when more than the expected size arrives.
    Result<void> write(std::string_view bytes);
    // Drops what was written so far, for a retried download.
    Result<void> restart();
    // Verifies size and digest, fsyncs, and renames into place. Fails with "digest mismatch:
    // expected sha256:..., got sha256:..." (or a size mismatch) and removes the temporary file.
    Result<void> commit();

    std::uint64_t bytes_written() const { return m_written; }
    Digest const& expected() const { return m_expected; }

private:
    friend class ContentStore;
    BlobWriter(base::Fd fd, std::filesystem::path temp, std::filesystem::path final_path,
               Digest expected, std::optional<std::uint64_t> expected_size)
        : m_fd(std::move(fd)), m_temp(std::move(temp)), m_final(std::move(final_path)),
          m_expected(std::move(expected)), m_expected_size(expected_size) {}
    void discard() noexcept;

    base::Fd m_fd;
    std::filesystem::path m_temp;
    std::filesystem::path m_final;
    Digest m_expected;
    std::optional<std::uint64_t> m_expected_size;
    std::uint64_t m_written = 0;
    Sha256 m_hash;
};

} // namespace microvm::image
