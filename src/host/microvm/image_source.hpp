// run()'s image step: from the IMAGE argument to a cached, immutable root file system and the
// workload the image's config describes.
#pragma once

#include <filesystem>
#include <string>

#include <microvm/options.hpp>

#include "base/error.hpp"
#include "contract/guest_config.hpp"
#include "host/image/image_config.hpp"
#include "host/image/registry/pull.hpp"
#include "host/image/store/content_store.hpp"
#include "host/image/store/file_lock.hpp"

namespace microvm {

// An image ready to boot.
struct ImageRoot {
    // The canonical source text, for messages ("docker.io/library/alpine:3.20").
    std::string name;
    // <images>/rootfs/<manifest hex>: unpacked once, published by rename, never written again.
    std::filesystem::path rootfs;
    image::ImageConfig config;
    // lock_rootfs(manifest, shared): held while a VM may use the rootfs, so `image prune`
    // skips it (reported busy) instead of removing it from under the VM.
    image::FileLock lock;
};

// The store of the data directory `data_dir`, created private when missing.
Result<image::ContentStore> open_image_store(std::filesystem::path const& data_dir);

// Unpacks the layers of `pulled` into the store's rootfs cache unless they are there already
// (ensure_rootfs(): once, by atomic rename, never written again) and returns the rootfs. The
// caller holds lock_store(shared), so a prune cannot remove the blobs meanwhile.
Result<std::filesystem::path> unpack_rootfs(image::ContentStore const& store,
                                            image::PulledImage const& pulled);

// PullOptions from the run options (--platform); fails on a malformed platform.
Result<image::PullOptions> pull_options(RunOptions const& options);

// Resolves `image` (a reference or a local transport, see parse_source()), brings it into the
// store as options.pull says, unpacks its rootfs unless cached, and takes the rootfs lock.
// The store lock is held shared from the pull to the rootfs lock, so a concurrent prune can
// never remove the image in between. Errors say which step failed ("pull ...: fetch manifest:
// ..."); the caller names the image.
Result<ImageRoot> prepare_image(std::string const& image, RunOptions const& options,
                                std::filesystem::path const& data_dir);

// The workload for the guest: the image's Entrypoint + Cmd (options.command replaces the
// Cmd), the image's Env then options.env, options.workdir else WorkingDir, and the image's
// User resolved from its own /etc/passwd and /etc/group (read inside the rootfs, never the
// host's). Fails when there is no command or the user cannot be resolved.
Result<image::Workload> image_workload(ImageRoot const& image, RunOptions const& options);

// The guest's "uid[:gid]" for a resolved workload: empty for root, "uid:gid" otherwise.
std::string guest_user(image::Workload const& workload);

} // namespace microvm
