// A recording stand-in for libkrun, loaded by microvm-runner through dlopen in tests.
//
// Every krun_* call appends one line with its arguments to the file named by
// $MICROVM_FAKE_KRUN_LOG, e.g. "krun_add_virtiofs3 ctx=0 tag=data path=/x shm=0 read_only=1".
// krun_start_enter exits the process, as the real one does when the workload ends, with the
// status in $MICROVM_FAKE_KRUN_EXIT (default 0).
//
// $MICROVM_FAKE_KRUN_FAIL="krun_set_root" makes that call return -EINVAL after logging it;
// "krun_set_root=13" returns -13 instead. krun_start_enter then returns instead of exiting.
//
// $MICROVM_FAKE_KRUN_WRITE_ROOT=NAME makes krun_set_root create the file NAME in the root it
// is given, as a guest writing to its root would; tests then look where the write landed.
//
// $MICROVM_FAKE_KRUN_PROCESS_STATE=1 makes krun_start_enter also log the process state the
// runner leaves behind: open descriptors, blocked signals and ignored signals.
//
// Variants come from one source: FAKE_KRUN_NO_VIRTIOFS3 (libkrun < 1.18), FAKE_KRUN_NO_NET
// (no krun_set_port_map / krun_add_net_unixstream / krun_disable_implicit_vsock),
// FAKE_KRUN_NO_START_ENTER (a library that lacks a required symbol).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void record(std::string const& line) {
    char const* path = std::getenv("MICROVM_FAKE_KRUN_LOG");
    if (path == nullptr || *path == '\0') {
        return;
    }
    int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return;
    }
    std::string const text = line + "\n";
    // One write per line, so lines stay whole even if two processes share the log.
    (void)!::write(fd, text.data(), text.size());
    ::close(fd);
}

// The result the named call should return: 0, or the injected negative errno.
int32_t outcome(char const* call) {
    char const* spec = std::getenv("MICROVM_FAKE_KRUN_FAIL");
    if (spec == nullptr) {
        return 0;
    }
    std::string const text = spec;
    std::string const name = text.substr(0, text.find('='));
    if (name != call) {
        return 0;
    }
    auto equals = text.find('=');
    int error = equals == std::string::npos ? EINVAL : std::atoi(text.c_str() + equals + 1);
    return -error;
}

int32_t call(char const* name, std::string const& arguments) {
    record(arguments.empty() ? std::string(name) : std::string(name) + " " + arguments);
    return outcome(name);
}

std::string str(char const* text) {
    return text == nullptr ? "(null)" : text;
}

std::string ctx(uint32_t ctx_id) {
    return "ctx=" + std::to_string(ctx_id);
}

std::string list(char const* const* items) {
    if (items == nullptr) {
        return "(null)";
    }
    std::string out;
    for (; *items != nullptr; ++items) {
        out += out.empty() ? "" : ",";
        out += *items;
    }
    return out;
}

[[maybe_unused]] std::string process_state() {
    std::string fds;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        int const own = ::dirfd(dir);
        while (dirent* entry = ::readdir(dir)) {
            if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == own) {
                continue;
            }
            fds += fds.empty() ? "" : ",";
            fds += entry->d_name;
        }
        ::closedir(dir);
    }
    sigset_t blocked;
    sigemptyset(&blocked);
    ::sigprocmask(SIG_BLOCK, nullptr, &blocked);
    std::string blocked_names;
    std::string ignored_names;
    for (int sig = 1; sig < 32; ++sig) {
        if (sigismember(&blocked, sig) == 1) {
            blocked_names += blocked_names.empty() ? "" : ",";
            blocked_names += std::to_string(sig);
        }
        struct sigaction action {};
        if (::sigaction(sig, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) {
            ignored_names += ignored_names.empty() ? "" : ",";
            ignored_names += std::to_string(sig);
        }
    }
    auto or_none = [](std::string const& s) {
        return s.empty() ? std::string("none") : s;
    };
    return "process fds=" + fds + " blocked=" + or_none(blocked_names) +
           " ignored=" + or_none(ignored_names);
}

} // namespace

extern "C" {

int32_t krun_set_log_level(uint32_t level) {
    return call("krun_set_log_level", "level=" + std::to_string(level));
}

int32_t krun_create_ctx() {
    int32_t result = call("krun_create_ctx", "");
    return result < 0 ? result : 0;
}

int32_t krun_free_ctx(uint32_t ctx_id) {
    return call("krun_free_ctx", ctx(ctx_id));
}

int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib) {
    return call("krun_set_vm_config", ctx(ctx_id) + " vcpus=" + std::to_string(num_vcpus) +
                                          " ram_mib=" + std::to_string(ram_mib));
}

int32_t krun_set_root(uint32_t ctx_id, char const* root_path) {
    if (char const* name = std::getenv("MICROVM_FAKE_KRUN_WRITE_ROOT");
        name != nullptr && root_path != nullptr) {
        std::string const file = std::string(root_path) + "/" + name;
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::close(fd);
        }
    }
    return call("krun_set_root", ctx(ctx_id) + " path=" + str(root_path));
}

int32_t krun_add_virtiofs(uint32_t ctx_id, char const* tag, char const* path) {
    return call("krun_add_virtiofs", ctx(ctx_id) + " tag=" + str(tag) + " path=" + str(path));
}

int32_t krun_add_virtiofs2(uint32_t ctx_id, char const* tag, char const* path, uint64_t shm_size) {
    return call("krun_add_virtiofs2", ctx(ctx_id) + " tag=" + str(tag) + " path=" + str(path) +
                                          " shm=" + std::to_string(shm_size));
}

#ifndef FAKE_KRUN_NO_VIRTIOFS3
int32_t krun_add_virtiofs3(uint32_t ctx_id, char const* tag, char const* path, uint64_t shm_size,
                           bool read_only) {
    return call("krun_add_virtiofs3", ctx(ctx_id) + " tag=" + str(tag) + " path=" + str(path) +
                                          " shm=" + std::to_string(shm_size) +
                                          " read_only=" + (read_only ? "1" : "0"));
}
#endif

#ifndef FAKE_KRUN_NO_NET
int32_t krun_set_port_map(uint32_t ctx_id, char const* const port_map[]) {
    return call("krun_set_port_map", ctx(ctx_id) + " map=" + list(port_map));
}

int32_t krun_add_net_unixstream(uint32_t ctx_id, char const* path, int fd, uint8_t* mac,
                                uint32_t features, uint32_t flags) {
    char mac_text[18] = "(null)";
    if (mac != nullptr) {
        std::snprintf(mac_text, sizeof mac_text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                      mac[2], mac[3], mac[4], mac[5]);
    }
    return call("krun_add_net_unixstream", ctx(ctx_id) + " path=" + str(path) +
                                               " fd=" + std::to_string(fd) + " mac=" + mac_text +
                                               " features=" + std::to_string(features) +
                                               " flags=" + std::to_string(flags));
}

int32_t krun_disable_implicit_vsock(uint32_t ctx_id) {
    return call("krun_disable_implicit_vsock", ctx(ctx_id));
}

int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, char const* filepath, bool listen) {
    return call("krun_add_vsock_port2", ctx(ctx_id) + " port=" + std::to_string(port) + " path=" +
                                            str(filepath) + " listen=" + (listen ? "1" : "0"));
}

int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features) {
    return call("krun_add_vsock", ctx(ctx_id) + " tsi=" + std::to_string(tsi_features));
}
#endif

int32_t krun_set_exec(uint32_t ctx_id, char const* exec_path, char const* const argv[],
                      char const* const envp[]) {
    return call("krun_set_exec", ctx(ctx_id) + " path=" + str(exec_path) + " argv=" + list(argv) +
                                     " env=" + list(envp));
}

int32_t krun_set_console_output(uint32_t ctx_id, char const* filepath) {
    return call("krun_set_console_output", ctx(ctx_id) + " path=" + str(filepath));
}

#ifndef FAKE_KRUN_NO_START_ENTER
int32_t krun_start_enter(uint32_t ctx_id) {
    if (char const* state = std::getenv("MICROVM_FAKE_KRUN_PROCESS_STATE");
        state != nullptr && std::strcmp(state, "1") == 0) {
        record(process_state());
    }
    int32_t result = call("krun_start_enter", ctx(ctx_id));
    if (result < 0) {
        return result;
    }
    char const* status = std::getenv("MICROVM_FAKE_KRUN_EXIT");
    std::exit(status == nullptr ? 0 : std::atoi(status));
}
#endif

} // extern "C"
