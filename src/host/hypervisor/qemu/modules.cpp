#include "host/hypervisor/qemu/modules.hpp"

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace microvm::hypervisor::qemu {
namespace {

constexpr std::array<std::string_view, 4> module_suffixes = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};

struct DepEntry {
    std::filesystem::path path;
    std::vector<std::string> deps; // canonical names, as listed (modprobe loads them reversed)
};

using DepTable = std::unordered_map<std::string, DepEntry>;

std::string canonical(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        if (c == '-') {
            c = '_';
        }
    }
    return out;
}

std::filesystem::path resolve_in(std::filesystem::path const& modules_dir, std::string_view rel) {
    std::filesystem::path path(rel);
    return path.is_absolute() ? path : modules_dir / path;
}

Result<DepTable> read_modules_dep(std::filesystem::path const& modules_dir) {
    auto file = modules_dir / "modules.dep";
    std::ifstream in(file);
    if (!in) {
        return fail_errno("open " + file.string());
    }
    DepTable table;
    std::string line;
    std::size_t line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.empty()) {
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            return fail(file.string() + ":" + std::to_string(line_number) + ": missing ':'");
        }
        std::string module_path = line.substr(0, colon);
        std::string name = module_name_from_path(module_path);
        if (name.empty()) {
            return fail(file.string() + ":" + std::to_string(line_number) +
                        ": not a module file: " + module_path);
        }
        DepEntry entry{.path = resolve_in(modules_dir, module_path), .deps = {}};
        std::istringstream deps(line.substr(colon + 1));
        std::string dep;
        while (deps >> dep) {
            entry.deps.push_back(module_name_from_path(dep));
        }
        // Like modprobe, the first line for a name wins.
        table.try_emplace(std::move(name), std::move(entry));
    }
    return table;
}

// modules.builtin may be missing (a kernel built without it lists nothing as built in).
std::unordered_set<std::string> read_modules_builtin(std::filesystem::path const& modules_dir) {
    std::unordered_set<std::string> names;
    std::ifstream in(modules_dir / "modules.builtin");
    std::string line;
    while (std::getline(in, line)) {
        if (auto name = module_name_from_path(line); !name.empty()) {
            names.insert(std::move(name));
        }
    }
    return names;
}

class Resolver {
public:
    Resolver(DepTable const& table, std::unordered_set<std::string> const& builtin,
             std::filesystem::path const& modules_dir)
        : m_table(table), m_builtin(builtin), m_modules_dir(modules_dir) {}

    // Depth-first, emitting a module after everything it depends on.
    Result<void> visit(std::string const& name, std::string const& needed_by) {
        if (m_done.contains(name) || m_builtin.contains(name)) {
            return {};
        }
        auto it = m_table.find(name);
        if (it == m_table.end()) {
            std::string what = "kernel module " + name + " not found in " +
                               (m_modules_dir / "modules.dep").string();
            return fail(needed_by.empty() ? what : what + " (needed by " + needed_by + ")");
        }
        if (!m_in_progress.insert(name).second) {
            return fail("kernel module dependency cycle through " + name);
        }
        // modules.dep lists the dependencies so that loading them last-to-first works.
        auto const& deps = it->second.deps;
        for (auto dep = deps.rbegin(); dep != deps.rend(); ++dep) {
            TRY(visit(*dep, name));
        }
        m_in_progress.erase(name);
        m_done.insert(name);
        m_order.push_back(KernelModule{.name = name, .path = it->second.path});
        return {};
    }

    std::vector<KernelModule> take() { return std::move(m_order); }

private:
    DepTable const& m_table;
    std::unordered_set<std::string> const& m_builtin;
    std::filesystem::path const& m_modules_dir;
    std::unordered_set<std::string> m_done;
    std::unordered_set<std::string> m_in_progress;
    std::vector<KernelModule> m_order;
};

} // namespace

std::string module_name_from_path(std::filesystem::path const& path) {
    std::string file = path.filename().string();
    for (auto suffix : module_suffixes) {
        if (file.size() > suffix.size() && file.ends_with(suffix)) {
            return canonical(std::string_view(file).substr(0, file.size() - suffix.size()));
        }
    }
    return {};
}

Result<std::vector<KernelModule>> resolve_modules(std::filesystem::path const& modules_dir,
                                                  std::span<std::string_view const> wanted) {
    if (modules_dir.empty()) {
        return std::vector<KernelModule>{};
    }
    auto table = TRY_CTX(read_modules_dep(modules_dir), "resolve kernel modules");
    auto builtin = read_modules_builtin(modules_dir);
    Resolver resolver(table, builtin, modules_dir);
    for (auto name : wanted) {
        TRY_CTX(resolver.visit(canonical(name), ""), "resolve kernel modules");
    }
    return resolver.take();
}

} // namespace microvm::hypervisor::qemu
