// Helpers shared by the unit tests.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace microvm::test {

// Reads a whole file; empty when it does not exist.
std::string read_file(std::filesystem::path const& path);
void write_file(std::filesystem::path const& path, std::string const& text);

// Everything observable about a tree: each entry's type and, for files and symlinks, content
// or target. Equal snapshots before and after prove that nothing was created, removed or
// changed in it.
std::map<std::string, std::string> snapshot(std::filesystem::path const& dir);

struct ProcessResult {
    int exit_code = -1; // -1 when killed by a signal
    std::string out;
    std::string err;
};

// Runs argv (argv[0] an absolute path) with extra environment entries, capturing stdout/stderr.
ProcessResult run_process(std::vector<std::string> const& argv,
                          std::vector<std::string> const& extra_env = {},
                          std::string const& stdin_text = "");

// While alive, this process's working directory is one that has been removed, so getcwd()
// and std::filesystem::absolute() of a relative path fail with ENOENT. The previous working
// directory is restored at the end.
class RemovedWorkingDirectory {
public:
    RemovedWorkingDirectory();
    ~RemovedWorkingDirectory();
    RemovedWorkingDirectory(RemovedWorkingDirectory const&) = delete;
    RemovedWorkingDirectory& operator=(RemovedWorkingDirectory const&) = delete;

private:
    std::filesystem::path m_previous;
};

} // namespace microvm::test
