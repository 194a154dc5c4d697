#include "host/image/unpack/entry_name.hpp"

#include <archive_entry.h>

namespace microvm::image {

namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_marker = ".wh..wh..opq";
constexpr std::string_view meta_prefix = ".wh..wh.";

// Names from a ustar header come back through the plain accessor; names from a PAX header
// the "C" locale cannot represent only through the _utf8 one.
std::string name_of(char const* plain, char const* utf8) {
    if (plain != nullptr) {
        return plain;
    }
    return utf8 != nullptr ? utf8 : "";
}

} // namespace

Result<std::string> entry_pathname(archive_entry* entry) {
    std::string name = name_of(archive_entry_pathname(entry), archive_entry_pathname_utf8(entry));
    if (name.empty()) {
        return fail("entry without a name");
    }
    return name;
}

std::string entry_hardlink(archive_entry* entry) {
    return name_of(archive_entry_hardlink(entry), archive_entry_hardlink_utf8(entry));
}

std::string entry_symlink(archive_entry* entry) {
    return name_of(archive_entry_symlink(entry), archive_entry_symlink_utf8(entry));
}

Result<std::string> normalize_entry_name(std::string_view raw, std::size_t max_length) {
    auto const bad = [&](std::string const& why) {
        return fail("entry \"" + std::string(raw.substr(0, 256)) + "\": " + why);
    };
    if (raw.size() > max_length) {
        return bad("name longer than " + std::to_string(max_length) + " bytes");
    }
    if (raw.find('\0') != std::string_view::npos) {
        return bad("name contains a NUL byte");
    }
    std::string out;
    std::size_t start = 0;
    while (start <= raw.size()) {
        std::size_t end = raw.find('/', start);
        if (end == std::string_view::npos) {
            end = raw.size();
        }
        std::string_view const part = raw.substr(start, end - start);
        if (part == "..") {
            return bad("name contains \"..\", which could leave the root");
        }
        if (!part.empty() && part != ".") {
            if (!out.empty()) {
                out += '/';
            }
            out += part;
        }
        start = end + 1;
    }
    return out;
}

Result<Whiteout> classify_whiteout(std::string_view leaf) {
    if (!leaf.starts_with(whiteout_prefix)) {
        return Whiteout{};
    }
    if (leaf == opaque_marker) {
        return Whiteout{WhiteoutKind::opaque, ""};
    }
    if (leaf.starts_with(meta_prefix)) {
        return Whiteout{WhiteoutKind::meta, ""};
    }
    std::string_view const target = leaf.substr(whiteout_prefix.size());
    if (target.empty() || target == "." || target == "..") {
        return fail("whiteout \"" + std::string(leaf) + "\" names no entry");
    }
    return Whiteout{WhiteoutKind::plain, std::string(target)};
}

} // namespace microvm::image
