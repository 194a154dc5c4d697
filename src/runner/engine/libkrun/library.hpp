// Loading libkrun at run time: it is not packaged for Debian 12, so the runner cannot link it
// and must cope with whichever version the host has.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "runner/engine/libkrun/failure.hpp"

namespace microvm::runner::libkrun {

// The krun_* entry points, as published in libkrun.h (1.19). Each returns 0 or -errno.
struct KrunApi {
    // Required: every libkrun the engine supports exports them.
    int32_t (*set_log_level)(uint32_t level) = nullptr;
    int32_t (*create_ctx)() = nullptr;
    int32_t (*set_vm_config)(uint32_t ctx, uint8_t num_vcpus, uint32_t ram_mib) = nullptr;
    int32_t (*set_root)(uint32_t ctx, char const* root_path) = nullptr;
    int32_t (*add_virtiofs)(uint32_t ctx, char const* tag, char const* path) = nullptr;
    int32_t (*set_console_output)(uint32_t ctx, char const* filepath) = nullptr;
    int32_t (*set_exec)(uint32_t ctx, char const* exec_path, char const* const argv[],
                        char const* const envp[]) = nullptr;
    int32_t (*start_enter)(uint32_t ctx) = nullptr;

    // Optional: nullptr when the loaded libkrun predates them.
    // libkrun >= 1.18; the only way to have the host refuse writes to a share.
    int32_t (*add_virtiofs3)(uint32_t ctx, char const* tag, char const* path, uint64_t shm_size,
                             bool read_only) = nullptr;
    int32_t (*set_port_map)(uint32_t ctx, char const* const port_map[]) = nullptr;
    int32_t (*add_net_unixstream)(uint32_t ctx, char const* path, int fd, uint8_t* mac,
                                  uint32_t features, uint32_t flags) = nullptr;
    // Turns off the vsock device libkrun adds by default, and with it TSI: the only way to
    // give a libkrun guest no network at all.
    int32_t (*disable_implicit_vsock)(uint32_t ctx) = nullptr;
    // Connects a guest vsock port to a unix socket on the host (listen=false: the guest
    // connects, libkrun connects to the host's socket): the exec channel.
    int32_t (*add_vsock_port2)(uint32_t ctx, uint32_t port, char const* filepath,
                               bool listen) = nullptr;
    // An explicit vsock device with the given TSI features (0: none), after
    // disable_implicit_vsock: the exec channel of a VM without a network.
    int32_t (*add_vsock)(uint32_t ctx, uint32_t tsi_features) = nullptr;
};

// An open libkrun; dlclose()d when destroyed (krun_start_enter normally never returns, so in
// practice only failed runs get there).
class Library {
public:
    // dlopen()s `path` (a bare name is searched the usual way) and resolves every symbol.
    // The library missing, unloadable, or lacking a required symbol fails with
    // RunnerExit::engine_init and a message naming the path and the missing symbols.
    static Step<Library> open(std::string const& path);

    KrunApi const& api() const { return m_api; }
    std::string const& path() const { return m_path; }

private:
    struct Closer {
        void operator()(void* handle) const;
    };

    Library(std::unique_ptr<void, Closer> handle, std::string path, KrunApi api)
        : m_handle(std::move(handle)), m_path(std::move(path)), m_api(api) {}

    std::unique_ptr<void, Closer> m_handle;
    std::string m_path;
    KrunApi m_api;
};

} // namespace microvm::runner::libkrun
