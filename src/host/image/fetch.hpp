// One entry point for "get this image into the content store", whatever its source: a
// registry (pull_image / ensure_image) or a local OCI layout or archive (host/image/local/).
#pragma once

#include "base/error.hpp"
#include "host/image/reference.hpp"
#include "host/image/registry/pull.hpp"
#include "host/image/store/content_store.hpp"

namespace microvm::image {

// The image `source` names, in the store. A registry source follows `policy` (see
// ensure_image()); a local source is read every time, since reading it needs no network and
// it may have changed, but blobs the store already holds are not copied again. Local images
// are recorded in the tag index under their transport and absolute path ("oci:/srv/layout",
// tag = the layout's image name), so `images`, `rmi` and `prune` treat them like pulled ones.
// Errors name the source: "pull REF: ..." (pull_image()), "import oci:/srv/layout:1: ...".
Result<PulledImage> fetch_image(ContentStore const& store, Source const& source,
                                PullOptions const& options = {},
                                PullPolicy policy = PullPolicy::missing);

// The repository and tag under which a local source is recorded (see fetch_image()); for a
// registry source, its name and tag.
struct RecordName {
    std::string repository;
    std::string tag;
};
RecordName record_name(Source const& source);

} // namespace microvm::image
