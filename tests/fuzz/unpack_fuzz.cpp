// Unpacking image layers (host/image/unpack/unpack.hpp): libarchive reads each layer (tar,
// gzip or zstd) and the tree writer applies it to <scratch>/root. Input: up to four layers,
// bottom first, separated by layer_separator, so a layer can plant what the next one uses
// (a symlinked directory, a file to hard-link to, a whiteout's target).
//
// Findings besides crashes, leaks and undefined behaviour: anything created next to the root
// (an escape by name), a device node, FIFO or socket in the root, and a file in the root with
// a hard link outside it (a link that pins a host file). Symlink targets are text and may
// point anywhere. FIXME: an absolute escape (a write through "/etc" of the host) would not
// land next to the root; the writer resolves every name with RESOLVE_IN_ROOT, where "/" is
// the root, so it has the same cause as a relative one, which this check sees.
#include <sys/stat.h>

#include <array>
#include <map>
#include <set>

#include "fuzz_support.hpp"
#include "host/image/unpack/unpack.hpp"

using namespace microvm;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view layer_separator = "MICROVM-NEXT-LAYER";
constexpr std::size_t max_layers = 4;

// Small caps, so a bomb or a huge sparse entry fails fast instead of slowing the fuzzer; the
// code that enforces them is the same at any size.
constexpr image::UnpackLimits limits{
    .max_entries = 10'000, .max_total_bytes = 64 << 20, .max_path_length = 4096};

std::set<std::string> names_in(fs::path const& dir) {
    std::set<std::string> names;
    for (auto const& entry : fs::directory_iterator(dir)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

void check_tree(fs::path const& root) {
    // Links counted inside the root per inode; a file with more links than that has one
    // outside.
    std::map<std::pair<dev_t, ino_t>, std::pair<nlink_t, nlink_t>> links;
    std::error_code error;
    for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
         it.increment(error)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) {
            fuzz::finding("lstat " + it->path().string());
        }
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
            S_ISSOCK(st.st_mode)) {
            fuzz::finding("special file unpacked: " + it->path().string());
        }
        if (S_ISREG(st.st_mode)) {
            auto& [seen, total] = links[{st.st_dev, st.st_ino}];
            ++seen;
            total = st.st_nlink;
        }
    }
    if (error) {
        fuzz::finding("walk " + root.string() + ": " + error.message());
    }
    for (auto const& [inode, count] : links) {
        if (count.first != count.second) {
            fuzz::finding("a file in the root has a hard link outside it");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    static fs::path const root = fuzz::scratch_dir() / "root";
    static fs::path const layer_dir = fuzz::scratch_dir() / "layers";
    static bool const made = fs::create_directory(root) && fs::create_directory(layer_dir);
    (void)made;

    std::vector<fs::path> layers;
    std::set<std::string> layer_names;
    for (std::string_view const layer :
         fuzz::split(fuzz::as_text(data, size), layer_separator, max_layers)) {
        layers.push_back(layer_dir / std::to_string(layers.size()));
        layer_names.insert(layers.back().filename().string());
        fuzz::write_file(layers.back(), layer);
    }
    (void)image::unpack_layers(layers, root, limits);

    if (names_in(fuzz::scratch_dir()) != std::set<std::string>{"layers", "root"} ||
        names_in(layer_dir) != layer_names) {
        fuzz::finding("an entry was written outside the root");
    }
    check_tree(root);
    fs::permissions(root, fs::perms::owner_all, fs::perm_options::add);
    fuzz::empty_dir(root);
    return 0;
}
