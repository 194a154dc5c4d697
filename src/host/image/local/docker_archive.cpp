#include "host/image/local/docker_archive.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/safe_file.hpp"
#include "host/image/local/archive_extract.hpp"
#include "host/image/registry/media_types.hpp"

namespace microvm::image {

namespace {

using nlohmann::json;

struct ArchiveEntry {
    std::string config;
    std::vector<std::string> layers;
};

bool has_tag(json const& entry, Reference const& wanted) {
    auto const tags = entry.find("RepoTags");
    if (tags == entry.end() || !tags->is_array()) {
        return false;
    }
    for (auto const& tag : *tags) {
        if (!tag.is_string()) {
            continue;
        }
        auto parsed = parse_reference(tag.get<std::string>());
        if (parsed && *parsed == wanted) {
            return true;
        }
    }
    return false;
}

Result<ArchiveEntry> pick_entry(std::string const& text,
                                std::optional<Reference> const& reference) {
    json const doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_array() || doc.empty()) {
        return fail("manifest.json: expected a non-empty JSON array");
    }
    json const* chosen = nullptr;
    if (!reference) {
        if (doc.size() != 1) {
            return fail("the archive holds " + std::to_string(doc.size()) +
                        " images; name one (docker-archive:FILE:NAME:TAG)");
        }
        chosen = &doc.front();
    } else {
        for (auto const& entry : doc) {
            if (entry.is_object() && has_tag(entry, *reference)) {
                chosen = &entry;
                break;
            }
        }
        if (chosen == nullptr) {
            return fail("no image tagged " + reference->to_string() + " in the archive");
        }
    }
    ArchiveEntry out;
    if (!chosen->is_object() || !chosen->contains("Config") || !(*chosen)["Config"].is_string() ||
        !chosen->contains("Layers") || !(*chosen)["Layers"].is_array()) {
        return fail("manifest.json: an entry needs Config (a string) and Layers (an array)");
    }
    out.config = (*chosen)["Config"].get<std::string>();
    for (auto const& layer : (*chosen)["Layers"]) {
        if (!layer.is_string()) {
            return fail("manifest.json: Layers: expected strings");
        }
        out.layers.push_back(layer.get<std::string>());
    }
    return out;
}

// The layer media type from the file's first bytes: gzip and zstd have magic numbers, a tar
// has none at its start.
Result<std::string> layer_media_type(base::Fd const& file, std::string const& what) {
    unsigned char magic[4] = {};
    ssize_t const n = ::pread(file.get(), magic, sizeof magic, 0);
    if (n < 0) {
        return fail_errno("read " + what);
    }
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        return std::string("application/vnd.oci.image.layer.v1.tar+gzip");
    }
    if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
        return std::string("application/vnd.oci.image.layer.v1.tar+zstd");
    }
    return std::string("application/vnd.oci.image.layer.v1.tar");
}

// Stores the file `relative` of the extracted archive and returns its descriptor.
Result<json> store_file(ContentStore const& store, base::Fd const& root,
                        std::string const& relative, std::optional<std::string> media) {
    auto const what = "\"" + relative + "\"";
    auto file = TRY_CTX(
        base::open_in_root(root, relative, O_RDONLY | O_NONBLOCK, 0, base::Resolve::in_root), what);
    auto const digest = TRY(digest_of(file, what));
    TRY(import_blob(store, file, digest.digest, digest.size, what));
    if (!media) {
        media = TRY(layer_media_type(file, what));
    }
    return json{{"mediaType", *media}, {"digest", digest.digest.text()}, {"size", digest.size}};
}

Result<PulledImage> import_archive(ContentStore const& store, std::filesystem::path const& file,
                                   std::optional<Reference> const& reference,
                                   LocalImport const& import) {
    // Held until the tag is written, so a prune cannot take the blobs from under us.
    auto store_lock = TRY_CTX(store.lock_store(LockMode::shared), "lock image store");
    auto const extracted = TRY(extract_archive(store, file));
    auto const root = TRY(base::open_root(extracted.path()));
    auto const text = TRY(
        base::read_file_in_root(root, "manifest.json", max_manifest_bytes, base::Resolve::in_root));
    auto const entry = TRY(pick_entry(text, reference));

    json manifest = {{"schemaVersion", 2}, {"mediaType", media_type::oci_manifest}};
    manifest["config"] = TRY_CTX(
        store_file(store, root, entry.config, std::string(media_type::oci_config)), "config");
    manifest["layers"] = json::array();
    for (auto const& layer : entry.layers) {
        manifest["layers"].push_back(
            TRY_CTX(store_file(store, root, layer, std::nullopt), "layer"));
    }
    auto const bytes = manifest.dump();
    auto const digest = Digest::of(bytes);
    auto parsed = TRY_CTX(parse_image_manifest(bytes, media_type::oci_manifest), "manifest");
    TRY_CTX(store.put_blob(digest, bytes), "store manifest");
    return record_local_image(store, import, digest, digest, std::move(parsed));
}

} // namespace

Result<PulledImage> import_docker_archive(ContentStore const& store,
                                          std::filesystem::path const& file,
                                          std::optional<Reference> const& reference,
                                          LocalImport const& import) {
    return import_archive(store, file, reference, import);
}

} // namespace microvm::image
