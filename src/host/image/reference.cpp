#include "host/image/reference.hpp"

#include <algorithm>
#include <cstddef>

namespace microvm::image {

namespace {

// distribution/reference's NameTotalLengthMax: registries reject longer names, so a longer
// one is a typo or an attack on whatever logs it, never a real image.
constexpr std::size_t max_name_length = 255;
// distribution/reference's tag grammar allows 128 characters.
constexpr std::size_t max_tag_length = 128;

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f');
}
bool has_upper(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::unexpected<Error> invalid(std::string_view text, std::string const& why) {
    return fail("invalid image reference \"" + std::string(text) + "\": " + why);
}

// A repository path component: [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
bool valid_path_component(std::string_view part) {
    if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) {
        return false;
    }
    std::size_t i = 0;
    while (i < part.size()) {
        if (is_lower_alnum(part[i])) {
            ++i;
            continue;
        }
        std::size_t const start = i;
        while (i < part.size() && !is_lower_alnum(part[i])) {
            ++i;
        }
        std::string_view sep = part.substr(start, i - start);
        bool const dashes = std::all_of(sep.begin(), sep.end(), [](char c) { return c == '-'; });
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
            return false;
        }
    }
    return true;
}

// A DNS label: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9].
bool valid_host_label(std::string_view label) {
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) {
        return false;
    }
    return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_port(std::string_view port) {
    return !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), is_digit);
}

// host[:port], where host is DNS labels joined by '.', or an IPv6 address in brackets.
Result<void> check_registry(std::string_view text, std::string_view registry) {
    std::string_view host = registry;
    if (host.starts_with('[')) {
        std::size_t const close = host.find(']');
        if (close == std::string_view::npos) {
            return invalid(text, "registry \"" + std::string(registry) + "\" has an unclosed '['");
        }
        std::string_view const address = host.substr(1, close - 1);
        bool const ok = !address.empty() && std::all_of(address.begin(), address.end(), [](char c) {
            return is_hex(c) || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        });
        std::string_view const rest = host.substr(close + 1);
        if (!ok || !(rest.empty() || (rest.front() == ':' && valid_port(rest.substr(1))))) {
            return invalid(text, "bad registry \"" + std::string(registry) + "\"");
        }
        return {};
    }
    if (std::size_t const colon = host.find(':'); colon != std::string_view::npos) {
        if (!valid_port(host.substr(colon + 1))) {
            return invalid(text, "bad port in registry \"" + std::string(registry) + "\"");
        }
        host = host.substr(0, colon);
    }
    std::size_t start = 0;
    while (true) {
        std::size_t const dot = host.find('.', start);
        std::string_view const label = host.substr(start, dot - start);
        if (!valid_host_label(label)) {
            return invalid(text, "bad registry host \"" + std::string(registry) + "\"");
        }
        if (dot == std::string_view::npos) {
            return {};
        }
        start = dot + 1;
    }
}

Result<std::string> check_digest(std::string_view text, std::string_view digest) {
    std::size_t const colon = digest.find(':');
    std::string_view const algorithm = digest.substr(0, colon);
    std::string_view const hex = colon == std::string_view::npos ? "" : digest.substr(colon + 1);
    std::size_t expected = 0;
    if (algorithm == "sha256") {
        expected = 64;
    } else if (algorithm == "sha512") {
        expected = 128;
    } else {
        return invalid(text, "unsupported digest algorithm \"" + std::string(algorithm) +
                                 "\" (expected sha256:<64 hex digits>)");
    }
    if (hex.size() != expected || !std::all_of(hex.begin(), hex.end(), is_hex)) {
        return invalid(text, "digest must be " + std::string(algorithm) + ":<" +
                                 std::to_string(expected) + " lowercase hex digits>");
    }
    return std::string(digest);
}

bool valid_tag(std::string_view tag) {
    auto const word = [](char c) {
        return is_alnum(c) || c == '_';
    };
    return !tag.empty() && tag.size() <= max_tag_length && word(tag.front()) &&
           std::all_of(tag.begin(), tag.end(),
                       [&](char c) { return word(c) || c == '.' || c == '-'; });
}

// The image name inside an OCI layout (containers/image's oci ValidateImageName):
// alphanumerics separated by one of "-._:@+" or "--".
bool valid_layout_image(std::string_view image) {
    if (image.empty() || !is_alnum(image.front()) || !is_alnum(image.back())) {
        return false;
    }
    for (std::size_t i = 0; i < image.size(); ++i) {
        char const c = image[i];
        if (is_alnum(c)) {
            continue;
        }
        if (std::string_view("-._:@+").find(c) == std::string_view::npos) {
            return false;
        }
        if (!is_alnum(image[i + 1])) {
            // Only "--" may be two separator characters in a row.
            if (!(c == '-' && image[i + 1] == '-' && i + 2 < image.size() &&
                  is_alnum(image[i + 2]))) {
                return false;
            }
            ++i;
        }
    }
    return true;
}

// Docker's rule for telling "host/repo" from "user/repo": the first component is a registry
// when it has a '.' or ':', is "localhost", or has uppercase letters (repositories cannot).
bool looks_like_registry(std::string_view first) {
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
           has_upper(first);
}

Source registry_source(Reference ref) {
    Source source;
    source.reference = std::move(ref);
    return source;
}

} // namespace

std::string Reference::name() const {
    return registry + "/" + repository;
}

std::string Reference::to_string() const {
    std::string out = name();
    if (!tag.empty()) {
        out += ":" + tag;
    }
    if (!digest.empty()) {
        out += "@" + digest;
    }
    return out;
}

Result<Reference> parse_reference(std::string_view text) {
    if (text.empty()) {
        return invalid(text, "empty");
    }
    Reference ref;
    std::string_view rest = text;
    if (std::size_t const at = rest.find('@'); at != std::string_view::npos) {
        ref.digest = TRY(check_digest(text, rest.substr(at + 1)));
        rest = rest.substr(0, at);
    }
    std::size_t const last_slash = rest.rfind('/');
    std::size_t const colon = rest.rfind(':');
    if (colon != std::string_view::npos &&
        (last_slash == std::string_view::npos || colon > last_slash)) {
        std::string_view const tag = rest.substr(colon + 1);
        if (!valid_tag(tag)) {
            return invalid(text, "bad tag \"" + std::string(tag) +
                                     "\" (letters, digits, '_', '.', '-'; at most 128, not "
                                     "starting with '.' or '-')");
        }
        ref.tag = tag;
        rest = rest.substr(0, colon);
    }
    if (rest.empty()) {
        return invalid(text, "missing repository name");
    }

    std::size_t const first_slash = rest.find('/');
    std::string_view path = rest;
    if (first_slash != std::string_view::npos && looks_like_registry(rest.substr(0, first_slash))) {
        std::string_view const registry = rest.substr(0, first_slash);
        TRY(check_registry(text, registry));
        ref.registry = registry;
        path = rest.substr(first_slash + 1);
    } else {
        ref.registry = default_registry;
    }
    if (ref.registry == "index.docker.io") {
        ref.registry = default_registry;
    }

    if (has_upper(path)) {
        return invalid(text, "repository name must be lowercase");
    }
    std::size_t start = 0;
    while (true) {
        std::size_t const slash = path.find('/', start);
        std::string_view const part = path.substr(start, slash - start);
        if (!valid_path_component(part)) {
            return invalid(text, part.empty()
                                     ? std::string("empty path component in repository")
                                     : "bad repository path component \"" + std::string(part) +
                                           "\" (lowercase letters and digits, separated by "
                                           "'.', '_', '__' or '-')");
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    ref.repository = path;
    if (ref.registry == default_registry && path.find('/') == std::string_view::npos) {
        ref.repository = "library/" + ref.repository;
    }
    if (ref.name().size() > max_name_length) {
        return invalid(text, "name longer than " + std::to_string(max_name_length) + " characters");
    }
    if (ref.tag.empty() && ref.digest.empty()) {
        ref.tag = default_tag;
    }
    return ref;
}

std::string_view transport_name(Transport transport) {
    switch (transport) {
    case Transport::registry:
        return "docker";
    case Transport::oci_layout:
        return "oci";
    case Transport::oci_archive:
        return "oci-archive";
    case Transport::docker_archive:
        return "docker-archive";
    }
    return "unknown";
}

namespace {

// The local transport that "PREFIX:..." names, if any.
std::optional<Transport> local_transport(std::string_view prefix) {
    for (Transport const transport :
         {Transport::oci_layout, Transport::oci_archive, Transport::docker_archive}) {
        if (prefix == transport_name(transport)) {
            return transport;
        }
    }
    return std::nullopt;
}

} // namespace

std::string Source::to_string() const {
    if (transport == Transport::registry) {
        if (!reference) {
            return "";
        }
        // A registry whose host is a transport's name ("oci:5000/app") keeps the "docker://"
        // that parse_source() needed to read it as a registry.
        std::string text = reference->to_string();
        bool const reads_as_transport =
            local_transport(std::string_view(text).substr(0, text.find(':'))).has_value();
        return reads_as_transport ? "docker://" + text : text;
    }
    std::string out = std::string(transport_name(transport)) + ":" + path.string();
    if (transport == Transport::docker_archive) {
        if (reference) {
            out += ":" + reference->to_string();
        }
    } else if (!image.empty()) {
        out += ":" + image;
    }
    return out;
}

Result<Source> parse_source(std::string_view text) {
    constexpr std::string_view docker_prefix = "docker://";
    if (text.starts_with(docker_prefix)) {
        auto ref = TRY(parse_reference(text.substr(docker_prefix.size())));
        return registry_source(std::move(ref));
    }
    std::size_t const colon = text.find(':');
    std::string_view const prefix = colon == std::string_view::npos ? "" : text.substr(0, colon);
    std::optional<Transport> const local = local_transport(prefix);
    if (!local) {
        auto ref = TRY(parse_reference(text));
        return registry_source(std::move(ref));
    }
    Source source;
    source.transport = *local;

    auto const bad = [&](std::string const& why) {
        return fail("invalid image source \"" + std::string(text) + "\": " + why);
    };
    std::string_view const rest = text.substr(colon + 1);
    std::size_t const split = rest.find(':');
    std::string_view const path = rest.substr(0, split);
    std::string_view const image = split == std::string_view::npos ? "" : rest.substr(split + 1);
    if (path.empty()) {
        return bad(std::string(prefix) + ": needs a " +
                   (source.transport == Transport::oci_layout ? "directory" : "file"));
    }
    source.path = std::string(path);
    if (split != std::string_view::npos && image.empty()) {
        return bad("empty image name after the path");
    }
    if (source.transport == Transport::docker_archive) {
        if (!image.empty()) {
            auto ref = TRY_CTX(parse_reference(image),
                               "invalid image source \"" + std::string(text) + "\"");
            if (!ref.digest.empty()) {
                return bad("an image in a docker-archive is chosen by tag, not by digest");
            }
            source.reference = std::move(ref);
        }
    } else if (!image.empty()) {
        if (!valid_layout_image(image)) {
            return bad("bad image name \"" + std::string(image) +
                       "\" (letters and digits separated by one of -._:@+ or --)");
        }
        source.image = image;
    }
    return source;
}

} // namespace microvm::image
