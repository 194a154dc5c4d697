// Image references ("alpine", "127.0.0.1:5055/test/app:1@sha256:...") and image sources
// (a reference, or a local OCI layout / archive named with skopeo's transport syntax).
//
// The grammar is Docker's (distribution/reference): a name is an optional registry host with
// an optional port, then a repository path of lowercase components; a tag and a digest may
// follow, both at once. Short names are completed as Docker does: "alpine" is
// "docker.io/library/alpine:latest", "user/app" is "docker.io/user/app:latest".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::image {

// The registry a name without a host refers to, and the repository prefix it implies for
// single-component names (Docker Hub's official images live under "library/").
inline constexpr char default_registry[] = "docker.io";
inline constexpr char default_tag[] = "latest";

// A fully qualified reference. Registry and repository are always set; at least one of tag
// and digest is set (a name with neither gets the tag "latest"; a name with only a digest
// keeps an empty tag, so a pull by digest is not mistaken for a pull of "latest").
struct Reference {
    std::string registry;   // "docker.io", "127.0.0.1:5055", "localhost", "[::1]:5000"
    std::string repository; // "library/alpine"
    std::string tag;        // "latest", or empty when only a digest was given
    std::string digest;     // "sha256:<64 lowercase hex>", or empty

    // "registry/repository", the name the registry knows the image by.
    std::string name() const;
    // The canonical text: "registry/repository[:tag][@digest]". Parsing it gives back an
    // equal Reference.
    std::string to_string() const;

    friend bool operator==(Reference const&, Reference const&) = default;
};

// Parses and completes `text`. Fails, with a message that quotes the text and says what is
// wrong, on: an empty string; uppercase letters in the repository ("repository name must be
// lowercase"); an empty or malformed path component; a bad registry host or port; a tag
// that is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a digest that is not sha256 with 64
// lowercase hex digits (or sha512 with 128); a name longer than 255 characters.
Result<Reference> parse_reference(std::string_view text);

// Where an image comes from. The transport names follow skopeo (containers-transports(5)).
enum class Transport {
    registry,       // "docker://REF" or a bare reference
    oci_layout,     // "oci:DIR[:IMAGE]", an OCI image layout directory
    oci_archive,    // "oci-archive:FILE[:IMAGE]", a tar of an OCI image layout
    docker_archive, // "docker-archive:FILE[:REF]", the output of `docker save`
};

struct Source {
    Transport transport = Transport::registry;
    // registry: always set. docker_archive: the image to pick from a multi-image archive
    // (a tag, never a digest), unset to take the only image. Otherwise unset.
    std::optional<Reference> reference;
    // The directory or file of a local transport, as given (relative paths stay relative).
    std::filesystem::path path;
    // oci_layout / oci_archive: the image's "org.opencontainers.image.ref.name" in the
    // layout's index.json; empty means the layout's only image.
    std::string image;

    // The text parse_source() accepts for this source: the canonical reference for a
    // registry (without "docker://"), "oci:DIR:IMAGE" and so on for the others.
    std::string to_string() const;

    friend bool operator==(Source const&, Source const&) = default;
};

// Parses an image argument. "oci:", "oci-archive:", "docker-archive:" and "docker://"
// select a transport; anything else is a registry reference. So an image on Docker Hub that
// is literally named "oci" must be written "docker.io/library/oci:TAG" or "docker://oci:TAG".
// The path of a local transport ends at its first ':' (as in skopeo), so it cannot contain
// one. Fails on an unknown-looking transport argument: an empty path, an IMAGE that is not
// alphanumerics separated by one of "-._:@+" or "--", or a bad reference; the message
// quotes the text.
Result<Source> parse_source(std::string_view text);

std::string_view transport_name(Transport transport);

} // namespace microvm::image
