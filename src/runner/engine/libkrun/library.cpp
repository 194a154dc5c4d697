#include "runner/engine/libkrun/library.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

namespace microvm::runner::libkrun {

namespace {

using contract::RunnerExit;

enum class Need { required, optional };

// Resolves one symbol into its slot; records the name of a missing required one.
template <typename Function>
void resolve(void* handle, char const* name, Need need, Function& slot, std::string& missing) {
    // POSIX guarantees that a dlsym() result converts to a function pointer.
    slot = reinterpret_cast<Function>(::dlsym(handle, name));
    if (slot == nullptr && need == Need::required) {
        missing += missing.empty() ? "" : ", ";
        missing += name;
    }
    spdlog::debug("{} {}", name, slot != nullptr ? "found" : "absent");
}

} // namespace

void Library::Closer::operator()(void* handle) const {
    ::dlclose(handle);
}

Step<Library> Library::open(std::string const& path) {
    // RTLD_NOW: an incomplete library fails here, not halfway through setting up the VM.
    std::unique_ptr<void, Closer> handle(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!handle) {
        char const* reason = ::dlerror();
        return failure(RunnerExit::engine_init, "cannot load libkrun \"" + path +
                                                    "\": " + (reason ? reason : "unknown error"));
    }
    KrunApi api;
    std::string missing;
    void* h = handle.get();
    resolve(h, "krun_set_log_level", Need::required, api.set_log_level, missing);
    resolve(h, "krun_create_ctx", Need::required, api.create_ctx, missing);
    resolve(h, "krun_set_vm_config", Need::required, api.set_vm_config, missing);
    resolve(h, "krun_set_root", Need::required, api.set_root, missing);
    resolve(h, "krun_add_virtiofs", Need::required, api.add_virtiofs, missing);
    resolve(h, "krun_set_console_output", Need::required, api.set_console_output, missing);
    resolve(h, "krun_set_exec", Need::required, api.set_exec, missing);
    resolve(h, "krun_start_enter", Need::required, api.start_enter, missing);
    resolve(h, "krun_add_virtiofs3", Need::optional, api.add_virtiofs3, missing);
    resolve(h, "krun_set_port_map", Need::optional, api.set_port_map, missing);
    resolve(h, "krun_add_net_unixstream", Need::optional, api.add_net_unixstream, missing);
    resolve(h, "krun_disable_implicit_vsock", Need::optional, api.disable_implicit_vsock, missing);
    resolve(h, "krun_add_vsock_port2", Need::optional, api.add_vsock_port2, missing);
    resolve(h, "krun_add_vsock", Need::optional, api.add_vsock, missing);
    if (!missing.empty()) {
        return failure(RunnerExit::engine_init,
                       "libkrun \"" + path + "\" lacks required symbol" +
                           (missing.find(',') == std::string::npos ? " " : "s ") + missing);
    }
    spdlog::info("loaded libkrun \"{}\"", path);
    return Library(std::move(handle), path, api);
}

} // namespace microvm::runner::libkrun
