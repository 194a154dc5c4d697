#include "host/image/local/oci_layout.hpp"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "base/safe_file.hpp"
#include "host/image/registry/media_types.hpp"

namespace microvm::image {

namespace {

using nlohmann::json;

constexpr char ref_name_annotation[] = "org.opencontainers.image.ref.name";

std::string blob_relative(Digest const& digest) {
    return "blobs/sha256/" + digest.hex;
}

// Reads a small blob of the layout (a manifest or an index) and checks its digest.
Result<std::string> read_layout_blob(base::Fd const& root, Digest const& digest) {
    auto bytes = TRY_CTX(base::read_file_in_root(root, blob_relative(digest), max_manifest_bytes,
                                                 base::Resolve::in_root),
                         "read blob " + digest.text());
    auto const actual = Digest::of(bytes);
    if (actual != digest) {
        return fail("blob " + digest.text() + ": digest mismatch: got " + actual.text());
    }
    return bytes;
}

// The index.json entry to import.
Result<Descriptor> pick_entry(std::string const& index_text, std::string const& image) {
    json const doc = json::parse(index_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail("index.json: not a JSON object");
    }
    auto const manifests = doc.find("manifests");
    if (manifests == doc.end() || !manifests->is_array() || manifests->empty()) {
        return fail("index.json: the layout holds no image");
    }
    std::vector<std::string> names;
    std::optional<json> chosen;
    for (auto const& entry : *manifests) {
        std::string name;
        if (entry.is_object() && entry.contains("annotations") &&
            entry["annotations"].is_object()) {
            name = entry["annotations"].value(ref_name_annotation, "");
        }
        names.push_back(name.empty() ? "(unnamed)" : name);
        if (!image.empty() && name == image) {
            chosen = entry;
        }
    }
    std::string listed;
    for (auto const& name : names) {
        listed += (listed.empty() ? "" : ", ") + name;
    }
    if (image.empty()) {
        if (manifests->size() != 1) {
            return fail("the layout holds several images; name one (" + listed + ")");
        }
        chosen = manifests->front();
    } else if (!chosen) {
        return fail("no image \"" + image + "\" in the layout (it has: " + listed + ")");
    }
    // parse_image_index() validates the descriptor's fields for us.
    json const single = {{"schemaVersion", 2}, {"manifests", json::array({*chosen})}};
    auto index = TRY_CTX(parse_image_index(single.dump(), media_type::oci_index), "index.json");
    return index.manifests.front();
}

Result<PulledImage> import_layout(ContentStore const& store, std::filesystem::path const& dir,
                                  std::string const& image, LocalImport const& import) {
    auto const root = TRY(base::open_root(dir));
    auto index_text = TRY(
        base::read_file_in_root(root, "index.json", max_manifest_bytes, base::Resolve::in_root));
    auto const entry = TRY(pick_entry(index_text, image));

    auto const top = entry.digest;
    auto bytes = TRY(read_layout_blob(root, top));
    auto media = TRY_CTX(manifest_media_type(bytes, entry.media_type), "manifest " + top.text());
    // Held until the tag is written, so a prune cannot take the blobs from under us.
    auto store_lock = TRY_CTX(store.lock_store(LockMode::shared), "lock image store");
    auto manifest_digest = top;
    if (TRY(manifest_kind(media)) == ManifestKind::index) {
        auto index = TRY_CTX(parse_image_index(bytes, media), "index " + top.text());
        TRY_CTX(store.put_blob(top, bytes), "store index");
        auto const chosen = TRY(select_manifest(index, import.platform));
        manifest_digest = chosen.digest;
        bytes = TRY(read_layout_blob(root, manifest_digest));
        media = TRY_CTX(manifest_media_type(bytes, chosen.media_type),
                        "manifest " + manifest_digest.text());
    }
    auto manifest =
        TRY_CTX(parse_image_manifest(bytes, media), "parse manifest " + manifest_digest.text());

    std::vector<Descriptor> blobs{manifest.config};
    blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
    for (auto const& blob : blobs) {
        auto const what = "blob " + blob.digest.text();
        auto file = TRY_CTX(base::open_in_root(root, blob_relative(blob.digest),
                                               O_RDONLY | O_NONBLOCK, 0, base::Resolve::in_root),
                            what);
        TRY(import_blob(store, file, blob.digest, blob.size, what));
    }
    TRY_CTX(store.put_blob(manifest_digest, bytes), "store manifest");
    return record_local_image(store, import, top, manifest_digest, std::move(manifest));
}

} // namespace

Result<PulledImage> import_oci_layout(ContentStore const& store, std::filesystem::path const& dir,
                                      std::string const& image, LocalImport const& import) {
    return import_layout(store, dir, image, import);
}

} // namespace microvm::image
