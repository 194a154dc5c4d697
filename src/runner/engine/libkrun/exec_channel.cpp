#include "runner/engine/libkrun/exec_channel.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "contract/exec_channel.hpp"
#include "contract/guest_protocol.hpp"
#include "runner/logging.hpp"

namespace microvm::runner::libkrun {

using contract::RunnerExit;

Step<std::optional<ExecRelay>> serve_exec(contract::RunnerConfig const& config, KrunApi const& krun,
                                          std::uint32_t ctx, bool no_network, Reporter& reporter) {
    if (config.runtime_dir.empty()) {
        // A runner.json made by hand (or go-microvm's): nobody would find the socket.
        spdlog::debug("no runtime_dir in runner.json: this VM has no exec socket");
        return std::nullopt;
    }
    if (krun.add_vsock_port2 == nullptr || (no_network && krun.add_vsock == nullptr)) {
        notice(std::string("libkrun: this libkrun lacks ") +
               (krun.add_vsock_port2 == nullptr ? "krun_add_vsock_port2" : "krun_add_vsock") +
               ": this VM has no exec channel");
        return std::nullopt;
    }
    std::filesystem::path const dir = config.runtime_dir;
    std::string const agent_path = (dir / exec_agent_socket_name).string();
    ExecRelay relay =
        TRY(as_step(serve_exec(dir, reporter), RunnerExit::start_failed, "serve exec"));
    if (no_network) {
        spdlog::debug("krun_add_vsock({}, 0)", ctx);
        TRY(checked("krun_add_vsock", krun.add_vsock(ctx, 0)));
    }
    spdlog::debug("krun_add_vsock_port2({}, {}, {}, false)", ctx, contract::exec_vsock_port,
                  agent_path);
    TRY(checked("krun_add_vsock_port2",
                krun.add_vsock_port2(ctx, contract::exec_vsock_port, agent_path.c_str(), false)));
    return std::optional<ExecRelay>(std::move(relay));
}

} // namespace microvm::runner::libkrun
