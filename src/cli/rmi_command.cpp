#include "cli/rmi_command.hpp"

#include <iostream>

#include "cli/image_store.hpp"
#include "host/image/fetch.hpp"
#include "host/image/reference.hpp"
#include "host/image/store/tag_index.hpp"

namespace microvm::cli {

namespace {

struct RmiArgs {
    std::vector<std::string> images;
};

// Removes the records `text` names; fails when there is none.
Result<void> remove_one(image::ContentStore const& store, std::string const& text) {
    auto const source = TRY(image::parse_source(text));
    if (source.transport == image::Transport::registry && !source.reference->digest.empty()) {
        auto const& ref = *source.reference;
        // "name@sha256:..." removes every tag of that content in the repository.
        auto const removed = TRY(image::remove_images_by_digest(store, ref.name(), ref.digest));
        if (removed == 0) {
            return fail("no such image: " + text);
        }
        return {};
    }
    auto const name = image::record_name(source);
    if (!TRY(image::remove_image(store, name.repository, name.tag))) {
        return fail("no such image: " + text);
    }
    return {};
}

Result<int> rmi_verb(RmiArgs const& args) {
    auto const store = TRY(open_store());
    // Like docker: remove what can be removed, report each failure, fail at the end.
    std::optional<Error> first_error;
    for (auto const& text : args.images) {
        auto removed = remove_one(store, text);
        if (removed) {
            std::cout << "Untagged: " << text << "\n";
        } else if (!first_error) {
            first_error = std::move(removed.error());
        } else {
            std::cerr << "microvm rmi: " << removed.error().text() << "\n";
        }
    }
    if (first_error) {
        return std::unexpected(std::move(*first_error));
    }
    return 0;
}

} // namespace

std::function<Result<int>()> add_rmi_command(CLI::App& app) {
    auto args = std::make_shared<RmiArgs>();
    auto* rmi = app.add_subcommand("rmi", "Remove images from the local store (their content "
                                          "stays until `microvm image prune`)");
    rmi->add_option("image", args->images, "Image names, as given to pull or run")->required();
    return [args]() -> Result<int> {
        return rmi_verb(*args);
    };
}

} // namespace microvm::cli
