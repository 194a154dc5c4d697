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
    bool force = false;
};

// "repository:tag", or "repository@digest" for a record pulled by digest only.
std::string display_name(image::ImageRecord const& record) {
    return record.tag.empty() ? record.repository + "@" + record.digest
                              : record.repository + ":" + record.tag;
}

std::string joined_names(std::vector<image::ImageRecord> const& records) {
    std::string text;
    for (auto const& r : records) {
        text += (text.empty() ? "" : ", ") + display_name(r);
    }
    return text;
}

// Removes the image whose ID starts with `prefix` (as `microvm images` shows it), under every
// name it has when `force` is set; an ambiguous prefix is refused (find_image_by_id_prefix).
Result<std::vector<std::string>> remove_by_id(image::ContentStore const& store,
                                              std::string const& prefix, bool force) {
    auto const found = TRY(image::find_image_by_id_prefix(store, prefix));
    if (found.records.size() > 1 && !force) {
        // As docker and podman: an ID names the image, not one of its names.
        return fail("image " + image::short_id(found.id) + " has several names (" +
                    joined_names(found.records) + "); remove them by name, or use --force");
    }
    TRY(image::remove_images_by_id(store, found.id));
    std::vector<std::string> removed;
    for (auto const& r : found.records) {
        removed.push_back(display_name(r));
    }
    return removed;
}

// Removes the records `text` names (a name, name@digest, or an image ID prefix) and returns
// the names that went; fails when there is none.
Result<std::vector<std::string>> remove_one(image::ContentStore const& store,
                                            std::string const& text, bool force) {
    // A hex string is also a valid repository name; as docker, the name wins when it exists.
    bool const may_be_id = image::looks_like_id_prefix(text);
    auto source = image::parse_source(text);
    if (!source) {
        if (may_be_id) {
            return remove_by_id(store, text, force);
        }
        return std::unexpected(std::move(source.error()));
    }
    if (source->transport == image::Transport::registry && !source->reference->digest.empty()) {
        auto const& ref = *source->reference;
        // "name@sha256:..." removes every tag of that content in the repository.
        auto const removed = TRY(image::remove_images_by_digest(store, ref.name(), ref.digest));
        if (removed == 0) {
            return fail("no such image: " + text);
        }
        return std::vector<std::string>{text};
    }
    auto const name = image::record_name(*source);
    if (TRY(image::remove_image(store, name.repository, name.tag))) {
        return std::vector<std::string>{text};
    }
    if (may_be_id) {
        return remove_by_id(store, text, force);
    }
    return fail("no such image: " + text);
}

Result<int> rmi_verb(RmiArgs const& args) {
    auto const store = TRY(open_store());
    // Like docker: remove what can be removed, report each failure, fail at the end.
    std::optional<Error> first_error;
    for (auto const& text : args.images) {
        auto removed = remove_one(store, text, args.force);
        if (removed) {
            for (auto const& name : *removed) {
                std::cout << "Untagged: " << name << "\n";
            }
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
    rmi->add_option("image", args->images,
                    "Image names as given to pull or run, or image IDs (a unique prefix of at "
                    "least 4 hex digits of the IMAGE ID `microvm images` shows)")
        ->required();
    rmi->add_flag("-f,--force", args->force, "Remove an image given by ID under all of its names");
    return [args]() -> Result<int> {
        return rmi_verb(*args);
    };
}

} // namespace microvm::cli
