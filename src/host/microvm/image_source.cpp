#include "host/microvm/image_source.hpp"

#include <array>

#include "base/safe_file.hpp"
#include "host/image/fetch.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/platform.hpp"
#include "host/image/store/rootfs_cache.hpp"
#include "host/image/unpack/unpack.hpp"
#include "host/microvm/data_dir.hpp"

namespace microvm {

namespace {

image::PullPolicy to_image_policy(PullPolicy policy) {
    switch (policy) {
    case PullPolicy::always:
        return image::PullPolicy::always;
    case PullPolicy::never:
        return image::PullPolicy::never;
    case PullPolicy::missing:
        break;
    }
    return image::PullPolicy::missing;
}

} // namespace

Result<std::filesystem::path> unpack_rootfs(image::ContentStore const& store,
                                            image::PulledImage const& pulled) {
    auto const manifest = TRY(image::Digest::parse(pulled.record.manifest_digest));
    std::vector<std::filesystem::path> layers;
    for (auto const& layer : pulled.manifest.layers) {
        layers.push_back(store.blob_path(layer.digest));
    }
    return image::ensure_rootfs(store, manifest,
                                [&](std::filesystem::path const& dir) -> Result<void> {
                                    TRY(image::unpack_image(layers, dir));
                                    return {};
                                });
}

namespace {

Result<ImageRoot> prepare(image::Source const& source, RunOptions const& options,
                          std::filesystem::path const& data_dir) {
    auto const store = TRY(open_image_store(data_dir));
    // Shared with pulls, exclusive for prune: from here until the rootfs lock is taken, the
    // image's blobs and rootfs cannot be pruned.
    auto store_lock = TRY_CTX(store.lock_store(image::LockMode::shared), "lock image store");
    auto const pulled = TRY(image::fetch_image(store, source, TRY(pull_options(options)),
                                               to_image_policy(options.pull)));
    auto const manifest = TRY(image::Digest::parse(pulled.record.manifest_digest));
    auto rootfs = TRY(unpack_rootfs(store, pulled));
    auto lock = TRY_CTX(store.lock_rootfs(manifest, image::LockMode::shared),
                        "lock rootfs " + manifest.text());
    auto config = TRY(image::parse_image_config(pulled.config));
    return ImageRoot{.name = source.to_string(),
                     .rootfs = std::move(rootfs),
                     .config = std::move(config),
                     .lock = std::move(lock)};
}

} // namespace

Result<image::ContentStore> open_image_store(std::filesystem::path const& data_dir) {
    TRY_CTX(ensure_private_dir(data_dir), "data directory");
    return TRY_CTX(image::ContentStore::open(image::ContentStore::dir_in(data_dir)), "image store");
}

Result<image::PullOptions> pull_options(RunOptions const& options) {
    image::PullOptions pull;
    if (!options.platform.empty()) {
        pull.platform = TRY_CTX(image::parse_platform(options.platform), "platform");
    }
    return pull;
}

Result<ImageRoot> prepare_image(std::string const& image, RunOptions const& options,
                                std::filesystem::path const& data_dir) {
    auto const source = TRY(image::parse_source(image));
    return prepare(source, options, data_dir);
}

Result<image::Workload> image_workload(ImageRoot const& image, RunOptions const& options) {
    image::WorkloadOverrides overrides{
        .command = options.command,
        .env = options.env,
        .working_dir = options.workdir,
    };
    auto const root = TRY_CTX(base::open_root(image.rootfs), "open rootfs");
    return image::resolve_workload(image.config, overrides, root);
}

std::string guest_user(image::Workload const& workload) {
    if (workload.uid == 0 && workload.gid == 0) {
        return "";
    }
    return std::to_string(workload.uid) + ":" + std::to_string(workload.gid);
}

} // namespace microvm
