#include "contract/json_fields.hpp"

#include <utility>

namespace microvm::contract {

using nlohmann::json;

Result<std::string> as_string(json const& value, std::string const& field) {
    if (!value.is_string()) {
        return fail(field + " must be a string");
    }
    auto const& text = value.get_ref<std::string const&>();
    if (text.find('\0') != std::string::npos) {
        return fail(field + " must not contain a NUL character");
    }
    return text;
}

Result<void> expect_object(json const& value, std::string const& field) {
    if (!value.is_object()) {
        return fail(field + " must be an object");
    }
    return {};
}

Result<void> read_string(json const& object, char const* key, std::string const& field,
                         std::string& out) {
    auto it = object.find(key);
    if (it == object.end()) {
        return {};
    }
    out = TRY(as_string(*it, field));
    return {};
}

Result<void> read_bool(json const& object, char const* key, std::string const& field, bool& out) {
    auto it = object.find(key);
    if (it == object.end()) {
        return {};
    }
    if (!it->is_boolean()) {
        return fail(field + " must be true or false");
    }
    out = it->get<bool>();
    return {};
}

Result<void> read_integer(json const& object, char const* key, std::string const& field,
                          std::uint64_t max, std::uint64_t& out) {
    auto it = object.find(key);
    if (it == object.end()) {
        return {};
    }
    // nlohmann reports non-negative integer literals as unsigned; negatives and fractions are
    // other number types and fall through to the error.
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
        return fail(field + " must be an integer in 0.." + std::to_string(max));
    }
    out = it->get<std::uint64_t>();
    return {};
}

Result<void> read_strings(json const& object, char const* key, std::string const& field,
                          std::vector<std::string>& out) {
    auto it = object.find(key);
    if (it == object.end()) {
        return {};
    }
    if (!it->is_array()) {
        return fail(field + " must be an array of strings");
    }
    std::vector<std::string> values;
    values.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
        values.push_back(TRY(as_string((*it)[i], field + "[" + std::to_string(i) + "]")));
    }
    out = std::move(values);
    return {};
}

Result<json const*> read_array(json const& object, char const* key, std::string const& field) {
    auto it = object.find(key);
    if (it == object.end()) {
        return nullptr;
    }
    if (!it->is_array()) {
        return fail(field + " must be an array");
    }
    return &*it;
}

Result<json const*> read_object(json const& object, char const* key, std::string const& field) {
    auto it = object.find(key);
    if (it == object.end()) {
        return nullptr;
    }
    TRY(expect_object(*it, field));
    return &*it;
}

} // namespace microvm::contract
