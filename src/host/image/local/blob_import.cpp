#include "host/image/local/blob_import.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <ctime>

#include "host/image/store/tag_index.hpp"

namespace microvm::image {

namespace {

constexpr std::size_t chunk_bytes = 1 << 20;

// Calls `sink` with each chunk of the regular file `file` from its start. Anything else (a
// FIFO or device an archive planted) is refused before it is read.
template <typename Sink>
Result<std::uint64_t> read_chunks(base::Fd const& file, std::string const& what, Sink&& sink) {
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) {
        return fail_errno("fstat " + what);
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(what + ": not a regular file");
    }
    std::vector<char> buffer(chunk_bytes);
    std::uint64_t total = 0;
    off_t offset = 0;
    while (true) {
        ssize_t const n = ::pread(file.get(), buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail_errno("read " + what);
        }
        if (n == 0) {
            return total;
        }
        TRY(sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
        offset += n;
        total += static_cast<std::uint64_t>(n);
    }
}

} // namespace

Result<void> import_blob(ContentStore const& store, base::Fd const& file, Digest const& expected,
                         std::optional<std::uint64_t> size, std::string const& what) {
    if (store.has_blob(expected)) {
        return {};
    }
    auto writer = TRY_CTX(store.begin_blob(expected, size), "import " + what);
    TRY_CTX(
        read_chunks(file, what,
                    [&](std::string_view bytes) -> Result<void> { return writer.write(bytes); }),
        "import " + what);
    TRY_CTX(writer.commit(), "import " + what);
    return {};
}

Result<FileDigest> digest_of(base::Fd const& file, std::string const& what) {
    Sha256 hash;
    auto const size = TRY(read_chunks(file, what, [&](std::string_view bytes) -> Result<void> {
        hash.update(bytes);
        return {};
    }));
    return FileDigest{.digest = hash.finish(), .size = size};
}

Result<PulledImage> record_local_image(ContentStore const& store, LocalImport const& import,
                                       Digest const& top, Digest const& manifest_digest,
                                       ImageManifest manifest) {
    auto config = TRY_CTX(store.read_blob(manifest.config.digest, max_config_bytes), "read config");
    ImageRecord record;
    record.repository = import.repository;
    record.tag = import.tag;
    record.digest = top.text();
    record.manifest_digest = manifest_digest.text();
    record.config_digest = manifest.config.digest.text();
    record.size = manifest.config.size;
    record.created = config_created(config);
    record.pulled_at = static_cast<std::int64_t>(std::time(nullptr));
    record.blobs = {record.digest};
    if (record.manifest_digest != record.digest) {
        record.blobs.push_back(record.manifest_digest);
    }
    record.blobs.push_back(record.config_digest);
    for (auto const& layer : manifest.layers) {
        record.size += layer.size;
        record.blobs.push_back(layer.digest.text());
    }
    TRY_CTX(put_image(store, record), "record tag");
    return PulledImage{std::move(record), std::move(manifest), std::move(config)};
}

} // namespace microvm::image
