#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "contract/exit_codes.hpp"
#include "host/microvm/vm_impl.hpp"
#include "host/process/runner_launch.hpp"

namespace microvm {

namespace {

// The last lines of the runner's log: what it said before it failed.
std::string log_tail(std::filesystem::path const& log, std::size_t max_lines) {
    std::ifstream in(log);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(line);
        }
    }
    std::string tail;
    std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
    for (std::size_t i = first; i < lines.size(); ++i) {
        tail += (tail.empty() ? "" : "\n") + lines[i];
    }
    return tail;
}

} // namespace

Result<int> interpret_runner_exit(std::optional<int> runner_status,
                                  std::filesystem::path const& vm_dir) {
    auto const log = vm_dir / process::runner_log_file;
    std::ifstream in(vm_dir / vm_files::result);
    if (in) {
        std::stringstream text;
        text << in.rdbuf();
        auto result = nlohmann::json::parse(text.str(), nullptr, false);
        if (result.is_object()) {
            if (auto it = result.find("exit_code"); it != result.end() && it->is_number_integer()) {
                return it->get<int>();
            }
            if (auto it = result.find("error"); it != result.end() && it->is_string()) {
                return fail(it->get<std::string>());
            }
            // libkrun's VMM exits the runner process itself with the workload's status.
            if (result.value("started", false)) {
                if (runner_status) {
                    return *runner_status;
                }
                return fail("the VM's workload status went to the process that started its "
                            "runner (the libkrun engine records no result of its own)");
            }
        }
    }
    std::string message =
        runner_status ? "microvm-runner ended with status " + std::to_string(*runner_status) +
                            " without reporting a result"
                      : "microvm-runner ended without reporting a result (killed, or the host "
                        "went down)";
    if (auto tail = log_tail(log, 5); !tail.empty()) {
        message += "; its log " + log.string() + " ends with:\n" + tail;
    } else {
        message += "; see " + log.string();
    }
    return fail(message);
}

} // namespace microvm
