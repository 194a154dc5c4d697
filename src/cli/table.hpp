// The plain-text tables of the listing verbs (images, ps), laid out as podman lays them out.
#pragma once

#include <string>
#include <vector>

namespace microvm::cli {

// One line per row, each cell padded to its column's widest cell plus three spaces; the last
// column is not padded and no line ends in spaces.
std::string format_table(std::vector<std::vector<std::string>> const& rows);

} // namespace microvm::cli
