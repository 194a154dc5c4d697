#include "cli/pull_command.hpp"

#include <iostream>

#include "cli/image_store.hpp"
#include "host/image/fetch.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/platform.hpp"
#include "host/microvm/image_source.hpp"

namespace microvm::cli {

namespace {

struct PullArgs {
    std::string image;
    std::string platform;
};

Result<int> pull_verb(PullArgs const& args) {
    auto const source = TRY(image::parse_source(args.image));
    image::PullOptions options;
    if (!args.platform.empty()) {
        options.platform = TRY_CTX(image::parse_platform(args.platform), "--platform");
    }
    auto const store = TRY(open_store());
    // Shared with other pulls and runs; keeps `image prune` out until the rootfs is published.
    auto store_lock = TRY_CTX(store.lock_store(image::LockMode::shared), "lock image store");
    // Errors already name the image ("pull REF: ...", "import oci:DIR: ...").
    auto const pulled = TRY(image::fetch_image(store, source, options, image::PullPolicy::always));
    // Unpacked now, as podman does, so that the first run boots without waiting for it.
    TRY_CTX(unpack_rootfs(store, pulled), "pull " + source.to_string());
    std::cout << pulled.record.digest << "\n";
    return 0;
}

} // namespace

std::function<Result<int>()> add_pull_command(CLI::App& app) {
    auto args = std::make_shared<PullArgs>();
    auto* pull = app.add_subcommand("pull", "Pull an image into the local store");
    pull->add_option("image", args->image,
                     "A reference (alpine:3.20, 127.0.0.1:5000/app:1) or oci:DIR[:TAG], "
                     "oci-archive:FILE[:TAG], docker-archive:FILE")
        ->required();
    pull->add_option("--platform", args->platform,
                     "Platform to pick from a multi-platform image: os/arch[/variant]");
    return [args]() -> Result<int> {
        return pull_verb(*args);
    };
}

} // namespace microvm::cli
