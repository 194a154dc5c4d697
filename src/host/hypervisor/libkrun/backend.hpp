// The host side of the libkrun backend: runs each VM in a microvm-runner process whose
// libkrun engine does the krun_* calls (host code never calls libkrun itself).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/hypervisor/backend.hpp"

namespace microvm::hypervisor::libkrun {

struct LibkrunBackendOptions {
    // The microvm-runner binary, absolute; empty: process::locate_runner() at start().
    std::filesystem::path runner;
    // What the runner dlopen()s: a library name searched the usual way, or a path.
    std::string library = "libkrun.so.1";
    // The runner's entire environment, "KEY=VALUE"; std::nullopt: this process's.
    std::optional<std::vector<std::string>> runner_env = std::nullopt;
};

class LibkrunBackend final : public Backend {
public:
    explicit LibkrunBackend(LibkrunBackendOptions options) : m_options(std::move(options)) {}

    std::string name() const override { return "libkrun"; }
    // Returns the view unchanged.
    // FIXME: libkrun's own init execs what /.krun_config.json names; writing that file (into
    // the VM's upper layer, never the source) so that it starts microvm-init is still to do.
    Result<RootfsView> prepare_rootfs(RootfsView const& view) override;
    // Writes runner.json into config.vm_dir and starts the runner on it. Fails when vm_dir is
    // not set, the runner.json would be invalid (checked here, so the message comes from this
    // process rather than from the runner's log), or the runner cannot be found or started.
    Result<std::unique_ptr<VmHandle>> start(VmConfig const& config) override;

private:
    LibkrunBackendOptions m_options;
};

} // namespace microvm::hypervisor::libkrun
