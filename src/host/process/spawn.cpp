#include "host/process/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "base/fd.hpp"

extern char** environ;

namespace microvm::process {

namespace {

// Resolves symlinks, as the kernel does for /proc/PID/exe.
Result<std::filesystem::path> canonical_runner(std::filesystem::path const& runner) {
    if (!runner.is_absolute()) {
        return fail("runner path is not absolute: " + runner.string());
    }
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(runner.c_str(), nullptr),
                                                     &std::free);
    if (!real) {
        return fail_errno("resolve runner path " + runner.string());
    }
    if (::access(real.get(), X_OK) != 0) {
        return fail_errno("runner " + runner.string() + " is not executable");
    }
    return std::filesystem::path(real.get());
}

Result<base::Fd> open_log(std::filesystem::path const& path) {
    // O_NOFOLLOW: the log lives in the VM's private directory; a symlink there is not ours.
    base::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return fail_errno("open log " + path.string());
    }
    // An existing file keeps its mode through O_CREAT, so make it private explicitly.
    if (::fchmod(fd.get(), 0600) != 0) {
        return fail_errno("chmod 0600 " + path.string());
    }
    // Keep the log off 0..2: the spawn actions below overwrite those slots first.
    if (fd.get() <= STDERR_FILENO) {
        base::Fd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
        if (!moved) {
            return fail_errno("dup log descriptor");
        }
        fd = std::move(moved);
    }
    return fd;
}

// posix_spawn's C structures, destroyed on every path.
class SpawnSetup {
public:
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(SpawnSetup const&) = delete;
    SpawnSetup& operator=(SpawnSetup const&) = delete;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
};

Result<void> configure(SpawnSetup& setup, int log_fd) {
    auto check = [](int rc, char const* what) -> Result<void> {
        if (rc != 0) {
            return fail_errno(what, rc);
        }
        return {};
    };
    TRY(check(
        posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
        "posix_spawn_file_actions_addopen /dev/null"));
    TRY(check(posix_spawn_file_actions_adddup2(&setup.actions, log_fd, STDOUT_FILENO),
              "posix_spawn_file_actions_adddup2 stdout"));
    TRY(check(posix_spawn_file_actions_adddup2(&setup.actions, log_fd, STDERR_FILENO),
              "posix_spawn_file_actions_adddup2 stderr"));
    // Descriptors without O_CLOEXEC (ours or an embedding program's) must not reach the
    // runner: it would keep them open for the VM's whole life.
    TRY(check(posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1),
              "posix_spawn_file_actions_addclosefrom_np"));

    // The caller's signal mask and ignored signals are not a contract with the runner.
    sigset_t empty;
    sigset_t all;
    sigemptyset(&empty);
    sigfillset(&all);
    TRY(check(posix_spawnattr_setsigmask(&setup.attr, &empty), "posix_spawnattr_setsigmask"));
    TRY(check(posix_spawnattr_setsigdefault(&setup.attr, &all), "posix_spawnattr_setsigdefault"));
    TRY(check(posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                        POSIX_SPAWN_SETSIGDEF),
              "posix_spawnattr_setflags"));
    return {};
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& s : strings) {
        result.push_back(s.data());
    }
    result.push_back(nullptr);
    return result;
}

} // namespace

Result<Child> spawn_runner(SpawnOptions const& options) {
    auto const context = "spawn runner " + options.runner.string();
    auto exe = TRY_CTX(canonical_runner(options.runner), context);
    auto log = TRY_CTX(open_log(options.log_path), context);
    SpawnSetup setup;
    TRY_CTX(configure(setup, log.get()), context);

    std::vector<std::string> argv = {exe.string(), options.config_path.string()};
    std::vector<std::string> env = options.env;
    auto argv_pointers = pointers(argv);
    auto env_pointers = pointers(env);
    pid_t pid = -1;
    // glibc's posix_spawn returns only after the exec succeeded or failed, so a missing
    // library or a bad ELF is reported here and /proc/PID/exe is the runner from now on.
    int rc = ::posix_spawn(&pid, exe.c_str(), &setup.actions, &setup.attr, argv_pointers.data(),
                           env_pointers.data());
    if (rc != 0) {
        return std::unexpected(Error::from_errno("posix_spawn " + exe.string(), rc));
    }
    auto identity = capture_identity(pid, exe);
    if (!identity) {
        // Not expected (the child is ours and unreaped), but never leave it running.
        Child orphan(ProcessIdentity{.pid = pid, .start_time = 0, .exe = exe});
        (void)orphan.kill();
        return std::unexpected(std::move(identity.error()).context(context));
    }
    return Child(std::move(*identity));
}

std::vector<std::string> current_environment() {
    std::vector<std::string> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        result.emplace_back(*entry);
    }
    return result;
}

} // namespace microvm::process
