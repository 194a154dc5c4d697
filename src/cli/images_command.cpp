#include "cli/images_command.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

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

std::string human_size(std::uint64_t bytes) {
    constexpr char const* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1000 && unit + 1 < std::size(units)) {
        value /= 1000;
        ++unit;
    }
    std::ostringstream out;
    if (unit == 0) {
        out << bytes << units[0];
    } else {
        out << std::setprecision(3) << value << units[unit];
    }
    return out.str();
}

std::string human_age(std::string const& rfc3339, std::int64_t now) {
    std::tm tm{};
    // The fraction and the zone are ignored: an age in whole units does not need them.
    if (rfc3339.size() < 19 || ::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
        return "N/A";
    }
    std::int64_t const then = ::timegm(&tm);
    std::int64_t const seconds = std::max<std::int64_t>(0, now - then);
    struct Unit {
        char const* name;
        std::int64_t seconds;
    };
    constexpr Unit units[] = {{"year", 365 * 86400}, {"month", 30 * 86400}, {"week", 7 * 86400},
                              {"day", 86400},        {"hour", 3600},        {"minute", 60}};
    for (auto const& unit : units) {
        if (seconds >= unit.seconds) {
            auto const n = seconds / unit.seconds;
            return std::to_string(n) + " " + unit.name + (n == 1 ? "" : "s") + " ago";
        }
    }
    return std::to_string(seconds) + " seconds ago";
}

std::function<Result<int>()> add_images_command(CLI::App& app) {
    auto args = std::make_shared<ImagesArgs>();
    auto* images = app.add_subcommand("images", "List the images in the local store");
    images->add_option("--format", args->format, "table (default) or json");
    return [args]() -> Result<int> {
        return images_verb(*args);
    };
}

} // namespace microvm::cli
