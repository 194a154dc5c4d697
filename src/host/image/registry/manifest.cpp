#include "host/image/registry/manifest.hpp"

#include <nlohmann/json.hpp>

#include "host/image/registry/media_types.hpp"

namespace microvm::image {

namespace {

using nlohmann::json;

Result<json> parse_object(std::string_view bytes) {
    auto doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        return fail("manifest is not a JSON object");
    }
    return doc;
}

Result<Descriptor> parse_descriptor(json const& j, std::string const& what) {
    if (!j.is_object()) {
        return fail(what + " is not an object");
    }
    auto media = j.find("mediaType");
    auto digest = j.find("digest");
    auto size = j.find("size");
    if (media == j.end() || !media->is_string()) {
        return fail(what + " has no mediaType");
    }
    if (digest == j.end() || !digest->is_string()) {
        return fail(what + " has no digest");
    }
    if (size == j.end() || !size->is_number_integer() || size->get<std::int64_t>() < 0) {
        return fail(what + " has no valid size");
    }
    Descriptor d;
    d.media_type = media->get<std::string>();
    d.digest = TRY_CTX(Digest::parse(digest->get<std::string>()), what);
    d.size = size->get<std::uint64_t>();
    if (auto platform = j.find("platform"); platform != j.end() && platform->is_object()) {
        d.platform = Platform{};
        std::pair<char const*, std::string*> const fields[] = {
            {"os", &d.platform->os},
            {"architecture", &d.platform->architecture},
            {"variant", &d.platform->variant},
        };
        for (auto const& [key, out] : fields) {
            // Not json::value(key, ""), which throws when the value is not a string.
            if (auto field = platform->find(key); field != platform->end()) {
                if (!field->is_string()) {
                    return fail(what + " has a platform whose " + key + " is not a string");
                }
                *out = field->get<std::string>();
            }
        }
    }
    return d;
}

} // namespace

Result<std::string> manifest_media_type(std::string_view bytes, std::string_view content_type) {
    auto doc = TRY(parse_object(bytes));
    if (auto media = doc.find("mediaType"); media != doc.end() && media->is_string()) {
        return media->get<std::string>();
    }
    return std::string(content_type.substr(0, content_type.find(';')));
}

Result<ImageManifest> parse_image_manifest(std::string_view bytes, std::string_view media_type) {
    auto doc = TRY(parse_object(bytes));
    ImageManifest manifest;
    manifest.media_type = std::string(media_type);
    auto config = doc.find("config");
    if (config == doc.end()) {
        return fail("manifest has no config");
    }
    manifest.config = TRY(parse_descriptor(*config, "manifest config"));
    if (manifest.config.media_type != media_type::oci_config &&
        manifest.config.media_type != media_type::docker_config) {
        return fail("unsupported media type " + manifest.config.media_type +
                    " for the config (not a container image)");
    }
    auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array()) {
        return fail("manifest has no layers");
    }
    for (std::size_t i = 0; i < layers->size(); ++i) {
        auto const what = "layer " + std::to_string(i);
        auto layer = TRY(parse_descriptor((*layers)[i], what));
        if (!is_supported_layer(layer.media_type)) {
            return fail("unsupported media type " + layer.media_type + " for " + what);
        }
        manifest.layers.push_back(std::move(layer));
    }
    return manifest;
}

Result<ImageIndex> parse_image_index(std::string_view bytes, std::string_view media_type) {
    auto doc = TRY(parse_object(bytes));
    ImageIndex index;
    index.media_type = std::string(media_type);
    auto manifests = doc.find("manifests");
    if (manifests == doc.end() || !manifests->is_array()) {
        return fail("index has no manifests");
    }
    for (std::size_t i = 0; i < manifests->size(); ++i) {
        index.manifests.push_back(
            TRY(parse_descriptor((*manifests)[i], "index entry " + std::to_string(i))));
    }
    return index;
}

Result<Descriptor> select_manifest(ImageIndex const& index, Platform const& wanted) {
    std::string available;
    for (auto const& entry : index.manifests) {
        auto kind = manifest_kind(entry.media_type);
        if (!kind || *kind != ManifestKind::image || !entry.platform) {
            continue;
        }
        // Build attestations are listed as "unknown/unknown"; they are not images to run.
        if (entry.platform->os == "unknown") {
            continue;
        }
        if (platform_matches(wanted, *entry.platform)) {
            return entry;
        }
        available += (available.empty() ? "" : ", ") + entry.platform->to_string();
    }
    return fail("no image for platform " + wanted.to_string() +
                " (available: " + (available.empty() ? std::string("none") : available) + ")");
}

std::string config_created(std::string_view config_bytes) {
    auto doc = json::parse(config_bytes, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object()) {
        if (auto created = doc.find("created"); created != doc.end() && created->is_string()) {
            return created->get<std::string>();
        }
    }
    return {};
}

} // namespace microvm::image
