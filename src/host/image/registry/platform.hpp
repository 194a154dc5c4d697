// Platforms ("linux/amd64", "linux/arm64/v8") as image indexes describe them.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace microvm::image {

struct Platform {
    std::string os;           // "linux"
    std::string architecture; // GOARCH spelling: "amd64", "arm64", "arm", "386", ...
    std::string variant;      // "v8", "v7", or empty

    // "os/arch" or "os/arch/variant".
    std::string to_string() const;
    bool operator==(Platform const&) const = default;
};

// Parses "os/arch[/variant]" (the --platform syntax). Architecture aliases are normalised the
// way the Go tools do ("x86_64" -> "amd64", "aarch64" -> "arm64"). Fails on an empty field
// or more than three fields; the message quotes the text.
Result<Platform> parse_platform(std::string_view text);

// The platform of this machine: linux and the kernel's machine name (uname) in GOARCH spelling.
Platform host_platform();

// Whether an index entry for `offered` serves a caller who wants `wanted`. OS and
// architecture must be equal; a wanted variant must match, except that arm64's only variant
// "v8" equals none; a caller who names no variant takes any.
bool platform_matches(Platform const& wanted, Platform const& offered);

} // namespace microvm::image
