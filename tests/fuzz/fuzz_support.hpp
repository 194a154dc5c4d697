// Helpers shared by the fuzz targets: the input as text, inputs of several parts, a scratch
// directory, and the check that turns a broken property into a finding.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace microvm::fuzz {

inline std::string_view as_text(std::uint8_t const* data, std::size_t size) {
    return {reinterpret_cast<char const*>(data), size};
}

// Splits `input` at the first `count - 1` occurrences of `separator` into exactly `count`
// parts; the last part keeps the rest, and parts the input does not reach are empty. So one
// input carries, say, a user spec, a passwd file and a group file.
std::vector<std::string_view> split(std::string_view input, std::string_view separator,
                                    std::size_t count);

// A directory private to this fuzzing process (under $TMPDIR or /tmp), removed at exit.
std::filesystem::path const& scratch_dir();

// Replaces the file at `path` with `bytes`. A failure is the harness's, not a finding: it
// aborts with a message.
void write_file(std::filesystem::path const& path, std::string_view bytes);

// Removes everything in `dir`, keeping `dir`. Aborts on failure (harness).
void empty_dir(std::filesystem::path const& dir);

// Reports a broken property (a finding) with `what`, then aborts, so libFuzzer saves the input.
[[noreturn]] void finding(std::string const& what);

// The property of a file format that one side writes and the other reads: when `parse(input)`
// succeeds, `serialize` of the value parses back to the same value (compared with == where the
// type has it, else by serializing again). `what` names the format in findings.
template <typename Parse, typename Serialize>
void check_round_trip(std::string_view what, std::string_view input, Parse parse,
                      Serialize serialize) {
    auto const value = parse(input);
    if (!value) {
        return;
    }
    std::string const text = serialize(*value);
    auto const again = parse(text);
    if (!again) {
        finding(std::string(what) + ": the serialized value does not parse (" +
                again.error().text() + "):\n" + text);
    }
    bool same = false;
    if constexpr (std::equality_comparable<std::decay_t<decltype(*value)>>) {
        same = *again == *value;
    } else {
        same = serialize(*again) == text;
    }
    if (!same) {
        finding(std::string(what) + ": the value changes on a round trip through\n" + text +
                "\nwhich serializes again as\n" + serialize(*again));
    }
}

} // namespace microvm::fuzz
