#include "host/image/registry/pull.hpp"

#include <ctime>

#include "host/image/registry/blob_download.hpp"
#include "host/image/registry/media_types.hpp"

namespace microvm::image {

namespace {

// The manifest to unpack: `top` itself, or the platform's entry of the index `top` is.
Result<registry::FetchedManifest> resolve_platform(ContentStore const& store,
                                                   registry::RegistryClient& client,
                                                   registry::FetchedManifest const& top,
                                                   Platform const& platform) {
    if (TRY(manifest_kind(top.media_type)) == ManifestKind::image) {
        return top;
    }
    auto index = TRY_CTX(parse_image_index(top.bytes, top.media_type), "parse index");
    auto entry = TRY(select_manifest(index, platform));
    TRY_CTX(store.put_blob(top.digest, top.bytes), "store index");
    auto manifest =
        TRY_CTX(client.fetch_manifest(entry.digest.text()),
                "fetch manifest " + entry.digest.text() + " for " + platform.to_string());
    if (TRY(manifest_kind(manifest.media_type)) != ManifestKind::image) {
        return fail("index entry " + entry.digest.text() + " for " + platform.to_string() +
                    " is itself an index; nested indexes are not supported");
    }
    return manifest;
}

ImageRecord make_record(Reference const& reference, registry::FetchedManifest const& top,
                        registry::FetchedManifest const& manifest_blob,
                        ImageManifest const& manifest, std::string const& config) {
    ImageRecord record;
    record.repository = reference.name();
    record.tag = reference.tag;
    record.digest = top.digest.text();
    record.manifest_digest = manifest_blob.digest.text();
    record.config_digest = manifest.config.digest.text();
    record.size = manifest.config.size;
    record.created = config_created(config);
    record.pulled_at = static_cast<std::int64_t>(std::time(nullptr));
    record.blobs = {record.digest, record.manifest_digest, record.config_digest};
    for (auto const& layer : manifest.layers) {
        record.size += layer.size;
        record.blobs.push_back(layer.digest.text());
    }
    return record;
}

Result<PulledImage> pull(ContentStore const& store, Reference const& reference,
                         PullOptions const& options) {
    // Held until the tag is written, so a prune cannot take the blobs from under us.
    auto store_lock = TRY_CTX(store.lock_store(LockMode::shared), "lock image store");
    auto client = TRY(registry::RegistryClient::connect(reference.registry, reference.repository,
                                                        options.client));
    // A digest pins the content; a tag next to it only names it.
    auto const wanted = reference.digest.empty() ? reference.tag : reference.digest;
    auto top = TRY_CTX(client->fetch_manifest(wanted), "fetch manifest");
    auto const platform = options.platform.value_or(host_platform());
    auto manifest_blob = TRY(resolve_platform(store, *client, top, platform));
    auto manifest = TRY_CTX(parse_image_manifest(manifest_blob.bytes, manifest_blob.media_type),
                            "parse manifest " + manifest_blob.digest.text());
    TRY_CTX(store.put_blob(manifest_blob.digest, manifest_blob.bytes), "store manifest");

    std::vector<Descriptor> blobs{manifest.config};
    blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
    registry::PullProgress progress(options.progress);
    auto report =
        TRY(registry::download_blobs(store, *client, blobs, options.parallel_downloads, progress));

    auto config = TRY_CTX(store.read_blob(manifest.config.digest, max_config_bytes), "read config");
    auto record = make_record(reference, top, manifest_blob, manifest, config);
    TRY_CTX(put_image(store, record), "record tag");
    return PulledImage{std::move(record), std::move(manifest), std::move(config),
                       std::move(report.downloaded), std::move(report.reused)};
}

} // namespace

Result<PulledImage> pull_image(ContentStore const& store, Reference const& reference,
                               PullOptions const& options) {
    return TRY_CTX(pull(store, reference, options), "pull " + reference.to_string());
}

namespace {

Result<std::optional<ImageRecord>> find_local(ContentStore const& store,
                                              Reference const& reference) {
    if (reference.digest.empty()) {
        return find_image(store, reference.name(), reference.tag);
    }
    // Prefer the record of this very repository; the content is the same either way.
    auto records = TRY(list_images(store));
    std::optional<ImageRecord> any;
    for (auto& r : records) {
        if (r.digest == reference.digest || r.manifest_digest == reference.digest) {
            if (r.repository == reference.name()) {
                return std::move(r);
            }
            any = any ? any : std::move(r);
        }
    }
    return any;
}

} // namespace

Result<PulledImage> ensure_image(ContentStore const& store, Reference const& reference,
                                 PullOptions const& options, PullPolicy policy) {
    if (policy != PullPolicy::always) {
        auto record = TRY_CTX(find_local(store, reference), "look up " + reference.to_string());
        if (record) {
            auto local = load_image(store, *record);
            if (local || policy == PullPolicy::never) {
                return local;
            }
        } else if (policy == PullPolicy::never) {
            return fail("image " + reference.to_string() + " is not in the store");
        }
    }
    return pull_image(store, reference, options);
}

Result<PulledImage> load_image(ContentStore const& store, ImageRecord const& record) {
    auto const what = "load image " + record.repository +
                      (record.tag.empty() ? "@" + record.digest : ":" + record.tag);
    auto manifest_digest = TRY_CTX(Digest::parse(record.manifest_digest), what);
    auto bytes = TRY_CTX(store.read_blob(manifest_digest, max_manifest_bytes), what);
    auto media = TRY_CTX(manifest_media_type(bytes, ""), what);
    auto manifest = TRY_CTX(parse_image_manifest(bytes, media), what);
    auto config = TRY_CTX(store.read_blob(manifest.config.digest, max_config_bytes), what);
    for (auto const& layer : manifest.layers) {
        if (!store.has_blob(layer.digest)) {
            return fail(what + ": layer " + layer.digest.text() + " is missing from the store");
        }
    }
    return PulledImage{record, std::move(manifest), std::move(config)};
}

} // namespace microvm::image
