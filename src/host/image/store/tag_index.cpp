#include "host/image/store/tag_index.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/safe_file.hpp"

namespace microvm::image {

namespace {

using nlohmann::json;

constexpr char const* index_name = "index.json";
// Thousands of images fit in well under this; a larger file is not ours.
constexpr std::size_t max_index_bytes = 64 << 20;
constexpr int index_version = 1;

Result<ImageRecord> from_json(json const& j) {
    try {
        ImageRecord r;
        r.repository = j.at("repository").get<std::string>();
        r.tag = j.at("tag").get<std::string>();
        r.digest = j.at("digest").get<std::string>();
        r.manifest_digest = j.at("manifest_digest").get<std::string>();
        r.config_digest = j.value("config_digest", "");
        r.size = j.value("size", std::uint64_t{0});
        r.created = j.value("created", "");
        r.pulled_at = j.value("pulled_at", std::int64_t{0});
        r.blobs = j.value("blobs", std::vector<std::string>{});
        return r;
    } catch (json::exception const& e) {
        return fail(std::string("invalid image record: ") + e.what());
    }
}

// Reads the index without taking the lock: the file is only ever replaced by rename, so a
// reader sees one complete version.
Result<std::vector<ImageRecord>> read_index(ContentStore const& store) {
    auto root = TRY(base::open_root(store.root()));
    auto text = base::read_file_in_root(root, index_name, max_index_bytes);
    if (!text) {
        if (text.error().errno_value() == ENOENT) {
            return std::vector<ImageRecord>{};
        }
        return std::unexpected(std::move(text.error()).context("read image index"));
    }
    std::vector<ImageRecord> records;
    try {
        auto doc = json::parse(*text);
        for (auto const& entry : doc.at("images")) {
            records.push_back(TRY_CTX(from_json(entry), "read " + store.index_path().string()));
        }
    } catch (json::exception const& e) {
        return fail("read " + store.index_path().string() + ": " + e.what());
    }
    return records;
}

Result<void> write_index(ContentStore const& store, std::vector<ImageRecord> const& records) {
    json doc{{"version", index_version}, {"images", json::array()}};
    for (auto const& r : records) {
        doc["images"].push_back(to_json(r));
    }
    auto root = TRY(base::open_root(store.root()));
    return base::write_file_in_root(root, index_name, doc.dump(2) + "\n", 0600);
}

constexpr std::string_view digest_prefix = "sha256:";

std::string_view hex_part(std::string_view digest) {
    if (digest.starts_with(digest_prefix)) {
        digest.remove_prefix(digest_prefix.size());
    }
    return digest;
}

template <typename Update>
Result<void> update_index(ContentStore const& store, Update&& update) {
    auto lock = TRY_CTX(store.lock_index(), "lock image index");
    auto records = TRY(read_index(store));
    if (!update(records)) {
        return {};
    }
    return write_index(store, records);
}

} // namespace

json to_json(ImageRecord const& r) {
    return json{{"repository", r.repository},
                {"tag", r.tag},
                {"digest", r.digest},
                {"manifest_digest", r.manifest_digest},
                {"config_digest", r.config_digest},
                {"size", r.size},
                {"created", r.created},
                {"pulled_at", r.pulled_at},
                {"blobs", r.blobs}};
}

Result<std::vector<ImageRecord>> list_images(ContentStore const& store) {
    return read_index(store);
}

Result<std::optional<ImageRecord>>
find_image(ContentStore const& store, std::string const& repository, std::string const& tag) {
    auto records = TRY(read_index(store));
    for (auto& r : records) {
        if (r.repository == repository && r.tag == tag) {
            return std::move(r);
        }
    }
    return std::nullopt;
}

Result<std::optional<ImageRecord>> find_image_by_digest(ContentStore const& store,
                                                        std::string const& digest) {
    auto records = TRY(read_index(store));
    for (auto& r : records) {
        if (r.digest == digest || r.manifest_digest == digest) {
            return std::move(r);
        }
    }
    return std::nullopt;
}

std::string const& image_id(ImageRecord const& record) {
    return record.config_digest.empty() ? record.manifest_digest : record.config_digest;
}

std::string short_id(std::string const& digest) {
    return std::string(hex_part(digest).substr(0, 12));
}

bool looks_like_id_prefix(std::string_view text) {
    auto const hex = hex_part(text);
    if (hex.size() < min_id_prefix || hex.size() > 64) {
        return false;
    }
    return std::all_of(hex.begin(), hex.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<ImageById> find_image_by_id_prefix(ContentStore const& store, std::string_view prefix) {
    auto const wanted = hex_part(prefix);
    auto records = TRY(read_index(store));
    std::erase_if(records, [&](ImageRecord const& r) {
        auto const& id = image_id(r);
        return !id.starts_with(digest_prefix) || !hex_part(id).starts_with(wanted);
    });
    if (records.empty()) {
        return fail("no such image: " + std::string(prefix));
    }
    std::set<std::string> ids;
    for (auto const& r : records) {
        ids.insert(image_id(r));
    }
    if (ids.size() > 1) {
        std::string candidates;
        for (auto const& id : ids) {
            candidates += (candidates.empty() ? "" : ", ") + short_id(id);
        }
        return fail("image ID prefix \"" + std::string(prefix) + "\" is ambiguous: it matches " +
                    candidates + "; give more of the ID");
    }
    return ImageById{.id = *ids.begin(), .records = std::move(records)};
}

Result<std::size_t> remove_images_by_id(ContentStore const& store, std::string const& id) {
    std::size_t removed = 0;
    TRY(update_index(store, [&](std::vector<ImageRecord>& records) {
        removed = std::erase_if(records, [&](ImageRecord const& r) { return image_id(r) == id; });
        return removed > 0;
    }));
    return removed;
}

Result<void> put_image(ContentStore const& store, ImageRecord const& record) {
    return update_index(store, [&](std::vector<ImageRecord>& records) {
        auto same = [&](ImageRecord const& r) {
            // Digest-only records are keyed by their digest, tagged ones by their tag.
            return r.repository == record.repository && r.tag == record.tag &&
                   (!record.tag.empty() || r.digest == record.digest);
        };
        auto it = std::find_if(records.begin(), records.end(), same);
        if (it != records.end()) {
            *it = record;
        } else {
            records.push_back(record);
        }
        return true;
    });
}

Result<bool> remove_image(ContentStore const& store, std::string const& repository,
                          std::string const& tag) {
    bool removed = false;
    TRY(update_index(store, [&](std::vector<ImageRecord>& records) {
        auto it = std::remove_if(records.begin(), records.end(), [&](ImageRecord const& r) {
            return r.repository == repository && r.tag == tag;
        });
        removed = it != records.end();
        records.erase(it, records.end());
        return removed;
    }));
    return removed;
}

Result<std::size_t> remove_images_by_digest(ContentStore const& store,
                                            std::string const& repository,
                                            std::string const& digest) {
    std::size_t removed = 0;
    TRY(update_index(store, [&](std::vector<ImageRecord>& records) {
        auto it = std::remove_if(records.begin(), records.end(), [&](ImageRecord const& r) {
            return (repository.empty() || r.repository == repository) &&
                   (r.digest == digest || r.manifest_digest == digest);
        });
        removed = static_cast<std::size_t>(records.end() - it);
        records.erase(it, records.end());
        return removed > 0;
    }));
    return removed;
}

} // namespace microvm::image
