#include "cli/human_units.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <iterator>
#include <sstream>

namespace microvm::cli {

std::string human_size(std::uint64_t bytes) {
    constexpr char const* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1000 && unit + 1 < std::size(units)) {
        value /= 1000;
        ++unit;
    }
    std::ostringstream out;
    if (unit == 0) {
        out << bytes << units[0];
    } else {
        out << std::setprecision(3) << value << units[unit];
    }
    return out.str();
}

std::string human_age(std::string const& rfc3339, std::int64_t now) {
    std::tm tm{};
    // The fraction and the zone are ignored: an age in whole units does not need them.
    if (rfc3339.size() < 19 || ::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
        return "N/A";
    }
    std::int64_t const then = ::timegm(&tm);
    std::int64_t const seconds = std::max<std::int64_t>(0, now - then);
    struct Unit {
        char const* name;
        std::int64_t seconds;
    };
    constexpr Unit units[] = {{"year", 365 * 86400}, {"month", 30 * 86400}, {"week", 7 * 86400},
                              {"day", 86400},        {"hour", 3600},        {"minute", 60}};
    for (auto const& unit : units) {
        if (seconds >= unit.seconds) {
            auto const n = seconds / unit.seconds;
            return std::to_string(n) + " " + unit.name + (n == 1 ? "" : "s") + " ago";
        }
    }
    return std::to_string(seconds) + " seconds ago";
}

} // namespace microvm::cli
