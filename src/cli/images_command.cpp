#include "cli/images_command.hpp"

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/human_units.hpp"
#include "cli/image_store.hpp"
#include "cli/table.hpp"
#include "host/image/store/tag_index.hpp"

namespace microvm::cli {

namespace {

struct ImagesArgs {
    std::string format = "table";
};

void print_table(std::vector<image::ImageRecord> const& records) {
    std::int64_t const now = std::time(nullptr);
    // IMAGE ID as podman and docker show it (the config digest, 12 hex digits): what `rmi`
    // takes as an ID. DIGEST is what the name resolved to (the index's, or the manifest's).
    std::vector<std::vector<std::string>> rows = {
        {"REPOSITORY", "TAG", "IMAGE ID", "DIGEST", "SIZE", "CREATED"}};
    for (auto const& r : records) {
        rows.push_back({r.repository, r.tag.empty() ? "<none>" : r.tag,
                        image::short_id(image::image_id(r)), image::short_id(r.digest),
                        human_size(r.size), human_age(r.created, now)});
    }
    std::cout << format_table(rows);
}

void print_json(std::vector<image::ImageRecord> const& records) {
    auto out = nlohmann::json::array();
    for (auto const& r : records) {
        // The store's record with the image ID added; the blob list is the store's business.
        auto entry = image::to_json(r);
        entry.erase("blobs");
        entry["id"] = image::image_id(r);
        out.push_back(std::move(entry));
    }
    std::cout << out.dump(2) << "\n";
}

Result<int> images_verb(ImagesArgs const& args) {
    if (args.format != "table" && args.format != "json") {
        return fail("--format: expected table or json, got \"" + args.format + "\"");
    }
    auto const store = TRY(open_store());
    auto const records = TRY(image::list_images(store));
    if (args.format == "json") {
        print_json(records);
    } else {
        print_table(records);
    }
    return 0;
}

} // namespace

std::function<Result<int>()> add_images_command(CLI::App& app) {
    auto args = std::make_shared<ImagesArgs>();
    auto* images = app.add_subcommand("images", "List the images in the local store");
    images->add_option("--format", args->format, "table (default) or json");
    return [args]() -> Result<int> {
        return images_verb(*args);
    };
}

} // namespace microvm::cli
