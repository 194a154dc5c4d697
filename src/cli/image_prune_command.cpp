#include "cli/image_prune_command.hpp"

#include <iostream>

#include "cli/human_units.hpp"
#include "cli/image_store.hpp"
#include "host/image/store/prune.hpp"

namespace microvm::cli {

namespace {

Result<int> prune_verb() {
    auto const store = TRY(open_store());
    auto const report = TRY(image::prune(store));
    for (auto const& digest : report.removed_rootfs) {
        std::cout << "Deleted rootfs: " << digest << "\n";
    }
    for (auto const& digest : report.busy_rootfs) {
        std::cout << "Kept rootfs in use by a VM: " << digest << "\n";
    }
    std::cout << "Deleted " << report.removed_blobs.size() << " blobs, reclaimed "
              << human_size(report.freed_bytes) << "\n";
    return 0;
}

} // namespace

std::function<Result<int>()> add_image_command(CLI::App& app) {
    auto* image = app.add_subcommand("image", "Manage images");
    image->require_subcommand(1);
    auto* prune = image->add_subcommand(
        "prune", "Remove image content that no image name references any more");
    return [prune]() -> Result<int> {
        if (prune->parsed()) {
            return prune_verb();
        }
        return fail("expected a subcommand: prune");
    };
}

} // namespace microvm::cli
