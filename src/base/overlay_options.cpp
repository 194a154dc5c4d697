#include "base/overlay_options.hpp"

namespace microvm::base {

namespace {

void append_escaped(std::string& out, std::string_view path) {
    for (char c : path) {
        if (c == ',' || c == ':' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
}

} // namespace

std::string escape_overlay_path(std::string_view path) {
    std::string escaped;
    append_escaped(escaped, path);
    return escaped;
}

std::string overlay_options(std::string_view lower, std::string_view upper, std::string_view work) {
    std::string options = "lowerdir=";
    append_escaped(options, lower);
    options += ",upperdir=";
    append_escaped(options, upper);
    options += ",workdir=";
    append_escaped(options, work);
    return options;
}

} // namespace microvm::base
