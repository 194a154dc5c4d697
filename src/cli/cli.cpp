#include "cli/cli.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>

#include "cli/attach_command.hpp"
#include "cli/exec_command.hpp"
#include "cli/image_prune_command.hpp"
#include "cli/images_command.hpp"
#include "cli/inspect_command.hpp"
#include "cli/logs_command.hpp"
#include "cli/ps_command.hpp"
#include "cli/pull_command.hpp"
#include "cli/rm_command.hpp"
#include "cli/rmi_command.hpp"
#include "cli/run_command.hpp"
#include "cli/stop_command.hpp"
#include "contract/exit_codes.hpp"

namespace microvm::cli {

int main(int argc, char** argv) {
    // The library's warnings go to stderr: stdout carries the workload's output.
    // Not registered by name, so that main() can run more than once in one process (tests).
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "microvm", std::make_shared<spdlog::sinks::stderr_sink_st>()));
    spdlog::set_pattern("microvm: %l: %v");
    CLI::App app{"microvm: run OCI images and root file systems as microVMs"};
    app.name("microvm");
    app.require_subcommand(1);
    app.set_version_flag("--version", "microvm 0.1.0");

    struct Verb {
        std::string name;
        std::function<Result<int>()> action;
    };
    auto workload = std::make_shared<std::vector<std::string>>();
    auto exec_command = std::make_shared<std::vector<std::string>>();
    std::vector<Verb> verbs = {
        {"run", add_run_command(app, workload)},
        {"pull", add_pull_command(app)},
        {"images", add_images_command(app)},
        {"rmi", add_rmi_command(app)},
        {"image", add_image_command(app)},
        {"ps", add_ps_command(app)},
        {"stop", add_stop_command(app)},
        {"rm", add_rm_command(app)},
        {"logs", add_logs_command(app)},
        {"inspect", add_inspect_command(app)},
        {"exec", add_exec_command(app, exec_command)},
        {"attach", add_attach_command(app)},
    };

    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args.front() == "run") {
        auto const split = workload_start(*app.get_subcommand("run"), args, 1);
        workload->assign(args.begin() + static_cast<std::ptrdiff_t>(split), args.end());
        args.resize(split);
    } else if (!args.empty() && args.front() == "exec") {
        // exec's first positional is the VM's name; the command follows it.
        auto split = workload_start(*app.get_subcommand("exec"), args, 1);
        if (split < args.size() && args[split] != "--") {
            ++split;
        }
        auto command_begin = split;
        if (command_begin < args.size() && args[command_begin] == "--") {
            ++command_begin;
        }
        exec_command->assign(args.begin() + static_cast<std::ptrdiff_t>(command_begin), args.end());
        args.resize(split);
    }
    try {
        // CLI11 takes the arguments last-first.
        std::reverse(args.begin(), args.end());
        app.parse(args);
    } catch (CLI::ParseError const& error) {
        int status = app.exit(error);
        // podman exits 125 for a bad command line; --help and --version exit 0.
        return status == 0 ? 0 : contract::to_int(contract::CliExit::microvm_error);
    }

    for (auto const& verb : verbs) {
        if (app.got_subcommand(verb.name)) {
            auto status = verb.action();
            if (!status) {
                std::cerr << "microvm " << verb.name << ": " << status.error().text() << "\n";
                return contract::to_int(contract::CliExit::microvm_error);
            }
            return *status;
        }
    }
    return contract::to_int(contract::CliExit::microvm_error);
}

} // namespace microvm::cli
