#include "contract/status_line.hpp"

#include <charconv>

namespace microvm::contract {

namespace {

constexpr std::string_view exit_prefix = "exit=";

std::optional<int> parse_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (!line.starts_with(exit_prefix)) {
        return std::nullopt;
    }
    std::string_view const digits = line.substr(exit_prefix.size());
    int value = -1;
    auto const [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        value < 0 || value > 255) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::string encode_exit_status(int status) {
    return std::string(exit_prefix) + std::to_string(status) + "\n";
}

std::optional<int> parse_exit_status(std::string_view text) {
    std::optional<int> status;
    while (!text.empty()) {
        std::size_t const end = text.find('\n');
        if (auto const parsed = parse_line(text.substr(0, end))) {
            status = parsed;
        }
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return status;
}

} // namespace microvm::contract
