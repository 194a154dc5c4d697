#include "host/microvm/data_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "base/environment.hpp"

namespace microvm {

namespace {

bool set(std::optional<std::string> const& value) {
    return value && !value->empty();
}

Result<std::filesystem::path> require_absolute(std::filesystem::path path, char const* source) {
    if (!path.is_absolute()) {
        return fail(std::string("data directory from ") + source +
                    " is not absolute: " + path.string());
    }
    return path;
}

} // namespace

DataDirEnvironment DataDirEnvironment::from_process() {
    return DataDirEnvironment{
        .microvm_data_dir = base::environment_variable("MICROVM_DATA_DIR"),
        .xdg_data_home = base::environment_variable("XDG_DATA_HOME"),
        .home = base::environment_variable("HOME"),
    };
}

Result<std::filesystem::path> resolve_data_dir(std::filesystem::path const& configured,
                                               DataDirEnvironment const& env) {
    if (!configured.empty()) {
        return require_absolute(configured, "the options");
    }
    if (set(env.microvm_data_dir)) {
        return require_absolute(*env.microvm_data_dir, "$MICROVM_DATA_DIR");
    }
    if (set(env.xdg_data_home)) {
        return require_absolute(std::filesystem::path(*env.xdg_data_home) / "microvm",
                                "$XDG_DATA_HOME");
    }
    if (set(env.home)) {
        return require_absolute(std::filesystem::path(*env.home) / ".local/share/microvm", "$HOME");
    }
    return fail("no data directory: set MICROVM_DATA_DIR, XDG_DATA_HOME or HOME");
}

Result<std::filesystem::path> resolve_data_dir(std::filesystem::path const& configured) {
    return resolve_data_dir(configured, DataDirEnvironment::from_process());
}

Result<void> ensure_private_dir(std::filesystem::path const& path) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            return fail_errno("create directory " + path.parent_path().string(), ec.value());
        }
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
        return fail_errno("mkdir " + path.string());
    }
    // An existing entry may have been made by someone else, or with a looser mode.
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return fail_errno("lstat " + path.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail(path.string() + " exists and is not a directory");
    }
    if (st.st_uid != ::geteuid()) {
        return fail("directory " + path.string() + " belongs to uid " + std::to_string(st.st_uid) +
                    ", not to this user");
    }
    if ((st.st_mode & 07777) != 0700 && ::chmod(path.c_str(), 0700) != 0) {
        return fail_errno("chmod 0700 " + path.string());
    }
    return {};
}

Result<void> validate_vm_name(std::string_view name) {
    if (name.empty()) {
        return fail("name must not be empty");
    }
    std::string const quoted = "\"" + std::string(name) + "\"";
    if (name.size() > max_vm_name_length) {
        return fail("name " + quoted + " is longer than " + std::to_string(max_vm_name_length) +
                    " bytes");
    }
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(name.front())) {
        return fail("name " + quoted + " must start with a letter or a digit");
    }
    for (char c : name) {
        if (!alnum(c) && c != '.' && c != '_' && c != '-') {
            return fail("name " + quoted + " has a character outside [A-Za-z0-9_.-]");
        }
    }
    return {};
}

Result<std::filesystem::path> claim_vm_dir(std::filesystem::path const& data_dir,
                                           std::string_view name) {
    TRY(validate_vm_name(name));
    TRY(ensure_private_dir(data_dir));
    TRY(ensure_private_dir(data_dir / "vms"));
    auto dir = data_dir / "vms" / std::string(name);
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST) {
            return fail("a VM named \"" + std::string(name) + "\" already exists in " +
                        (data_dir / "vms").string() + " (microvm rm " + std::string(name) +
                        " removes it)");
        }
        return fail_errno("mkdir " + dir.string());
    }
    // mkdir's mode is filtered by the umask; the directory must be exactly private.
    TRY(ensure_private_dir(dir));
    return dir;
}

Result<std::filesystem::path> existing_vm_dir(std::filesystem::path const& data_dir,
                                              std::string_view name) {
    TRY(validate_vm_name(name));
    auto dir = data_dir / "vms" / std::string(name);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return fail("no VM named \"" + std::string(name) + "\"");
        }
        return fail_errno("lstat " + dir.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail(dir.string() + " is not a VM directory");
    }
    return dir;
}

} // namespace microvm
