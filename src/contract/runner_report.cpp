#include "contract/runner_report.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/sys.hpp"
#include "contract/egress_json.hpp"
#include "contract/json_fields.hpp"

namespace microvm::contract {

namespace {

using json = nlohmann::json;

// An exit status is what waitpid() can report: one byte.
constexpr std::uint64_t max_exit_code = 255;

Result<ShareReport> parse_share(json const& value, std::string const& field) {
    TRY(expect_object(value, field));
    ShareReport share;
    TRY(read_string(value, "tag", field + ".tag", share.tag));
    if (share.tag.empty()) {
        return fail(field + ".tag is required");
    }
    TRY(read_bool(value, "read_only", field + ".read_only", share.read_only));
    TRY(read_bool(value, "host_enforced", field + ".host_enforced", share.host_enforced));
    return share;
}

Result<void> read_shares(json const& root, std::vector<ShareReport>& out) {
    auto const* shares = TRY(read_array(root, "shares", "shares"));
    if (shares == nullptr) {
        return {};
    }
    for (std::size_t i = 0; i < shares->size(); ++i) {
        out.push_back(TRY(parse_share((*shares)[i], "shares[" + std::to_string(i) + "]")));
    }
    return {};
}

Result<void> read_outcome(json const& root, RunnerReport& report) {
    if (root.contains("exit_code")) {
        std::uint64_t code = 0;
        TRY(read_integer(root, "exit_code", "exit_code", max_exit_code, code));
        report.exit_code = static_cast<int>(code);
    }
    if (root.contains("error")) {
        std::string error;
        TRY(read_string(root, "error", "error", error));
        report.error = std::move(error);
    }
    if (report.exit_code && report.error) {
        return fail("a report has exit_code or error, not both");
    }
    return {};
}

} // namespace

std::string serialize(RunnerReport const& report) {
    json out = {
        {"vmm_started", report.vmm_started}, {"engine", to_string(report.engine)},
        {"kernel", report.kernel},           {"accelerator", report.accelerator},
        {"shares", json::array()},
    };
    for (auto const& share : report.shares) {
        out["shares"].push_back({{"tag", share.tag},
                                 {"read_only", share.read_only},
                                 {"host_enforced", share.host_enforced}});
    }
    if (report.exit_code) {
        out["exit_code"] = *report.exit_code;
    }
    if (report.error) {
        out["error"] = *report.error;
    }
    if (report.status_is_runner_exit) {
        out["status_is_runner_exit"] = true;
    }
    if (report.exec_sessions != 0) {
        out["exec_sessions"] = report.exec_sessions;
    }
    if (report.egress) {
        out["egress"] = egress_counters_to_json(*report.egress);
    }
    if (report.logs_dropped.any()) {
        out["logs_dropped"] = {{"stdout", report.logs_dropped.stdout_bytes},
                               {"stderr", report.logs_dropped.stderr_bytes},
                               {"console", report.logs_dropped.console_bytes}};
    }
    return out.dump() + "\n";
}

Result<RunnerReport> parse_runner_report(std::string_view text) {
    if (text.size() > max_runner_report_size) {
        return fail("the runner report is larger than " + std::to_string(max_runner_report_size) +
                    " bytes");
    }
    json const root = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded() || !root.is_object()) {
        return fail("the runner report is not a JSON object");
    }
    RunnerReport report;
    TRY(read_bool(root, "vmm_started", "vmm_started", report.vmm_started));
    TRY(read_unsigned(root, "exec_sessions", "exec_sessions", report.exec_sessions));
    report.egress = TRY(read_egress_counters(root, "egress", "egress"));
    if (auto const* dropped = TRY(read_object(root, "logs_dropped", "logs_dropped"))) {
        TRY(read_unsigned(*dropped, "stdout", "logs_dropped.stdout",
                          report.logs_dropped.stdout_bytes));
        TRY(read_unsigned(*dropped, "stderr", "logs_dropped.stderr",
                          report.logs_dropped.stderr_bytes));
        TRY(read_unsigned(*dropped, "console", "logs_dropped.console",
                          report.logs_dropped.console_bytes));
    }
    std::string engine = to_string(report.engine);
    TRY(read_string(root, "engine", "engine", engine));
    report.engine = TRY_CTX(parse_engine(engine), "engine");
    TRY(read_string(root, "kernel", "kernel", report.kernel));
    TRY(read_string(root, "accelerator", "accelerator", report.accelerator));
    TRY(read_shares(root, report.shares));
    TRY(read_outcome(root, report));
    TRY(read_bool(root, "status_is_runner_exit", "status_is_runner_exit",
                  report.status_is_runner_exit));
    return report;
}

Result<std::optional<RunnerReport>> read_runner_report(std::string const& path) {
    // O_NONBLOCK: a FIFO in its place must not hang the reader; the regular-file check below
    // turns it into an error.
    base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        if (errno == ENOENT) {
            return std::optional<RunnerReport>();
        }
        return fail_errno("open " + path);
    }
    auto const st = TRY(base::sys::fstat(fd.get(), path));
    if (!S_ISREG(st.st_mode)) {
        return fail(path + " is not a regular file");
    }
    auto const text = TRY(base::sys::read_all(fd.get(), max_runner_report_size, path));
    return TRY_CTX(parse_runner_report(text), "read " + path);
}

Result<void> write_runner_report(std::string const& path, RunnerReport const& report) {
    std::string const temporary = path + ".tmp";
    base::Fd fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        return fail_errno("open " + temporary);
    }
    TRY(base::sys::write_all(fd.get(), serialize(report), temporary));
    fd.reset();
    // The host must see either the previous report or the whole new one.
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return fail_errno("rename " + temporary + " to " + path);
    }
    return {};
}

} // namespace microvm::contract
