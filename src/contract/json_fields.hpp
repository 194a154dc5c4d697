// Field readers shared by runner.json and /etc/microvm.json.
//
// A key that is absent keeps the default; a key that is present must have the right type (null
// included), so that a typo in a value is never silently ignored. Strings must not contain NUL:
// JSON can carry "\u0000", and every consumer of these strings is a C API that would stop there.
//
// `field` names the value in messages, e.g. "virtiofs_mounts[0].read_only must be true or false".
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace microvm::contract {

// `value` itself must be a string without NUL.
Result<std::string> as_string(nlohmann::json const& value, std::string const& field);

// `value` itself must be an object.
Result<void> expect_object(nlohmann::json const& value, std::string const& field);

Result<void> read_string(nlohmann::json const& object, char const* key, std::string const& field,
                         std::string& out);

Result<void> read_bool(nlohmann::json const& object, char const* key, std::string const& field,
                       bool& out);

// An integer in 0..max; `out` is left alone when the key is absent.
Result<void> read_integer(nlohmann::json const& object, char const* key, std::string const& field,
                          std::uint64_t max, std::uint64_t& out);

template <std::unsigned_integral Unsigned>
Result<void> read_unsigned(nlohmann::json const& object, char const* key, std::string const& field,
                           Unsigned& out) {
    std::uint64_t value = out;
    TRY(read_integer(object, key, field, std::numeric_limits<Unsigned>::max(), value));
    out = static_cast<Unsigned>(value);
    return {};
}

// An array of strings; elements are named "<field>[i]".
Result<void> read_strings(nlohmann::json const& object, char const* key, std::string const& field,
                          std::vector<std::string>& out);

// Yield the array or object under `key`, or nullptr when the key is absent.
Result<nlohmann::json const*> read_array(nlohmann::json const& object, char const* key,
                                         std::string const& field);
Result<nlohmann::json const*> read_object(nlohmann::json const& object, char const* key,
                                          std::string const& field);

} // namespace microvm::contract
