#include "runner/result_file.hpp"

#include <fcntl.h>
#include <stdio.h>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/sys.hpp"

namespace microvm::runner {

namespace {

Result<void> replace_file(std::string const& path, std::string const& text) {
    std::string const temporary = path + ".tmp";
    base::Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) {
        return fail_errno("open " + temporary);
    }
    TRY(base::sys::write_all(fd.get(), text, temporary));
    fd.reset();
    // The host must see either no file or a whole one.
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return fail_errno("rename " + temporary + " to " + path);
    }
    return {};
}

} // namespace

Result<void> write_result_exit_code(std::string const& path, int exit_code) {
    nlohmann::json result = {{"exit_code", exit_code}};
    TRY_CTX(replace_file(path, result.dump() + "\n"), "write result");
    return {};
}

Result<void> write_result_error(std::string const& path, std::string const& message) {
    nlohmann::json result = {{"error", message}};
    TRY_CTX(replace_file(path, result.dump() + "\n"), "write result");
    return {};
}

Result<void> write_result_started(std::string const& path) {
    nlohmann::json result = {{"started", true}};
    TRY_CTX(replace_file(path, result.dump() + "\n"), "write result");
    return {};
}

} // namespace microvm::runner
