#include "support/test_support.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace microvm::test {

std::string read_file(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(std::filesystem::path const& path, std::string const& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::map<std::string, std::string> snapshot(std::filesystem::path const& dir) {
    namespace fs = std::filesystem;
    std::map<std::string, std::string> out;
    for (auto const& entry : fs::recursive_directory_iterator(dir)) {
        auto const rel = fs::relative(entry.path(), dir).string();
        if (entry.is_symlink()) {
            out[rel] = "symlink -> " + fs::read_symlink(entry.path()).string();
        } else if (entry.is_regular_file()) {
            out[rel] = "file: " + read_file(entry.path());
        } else if (entry.is_directory()) {
            out[rel] = "dir";
        } else {
            out[rel] = "other";
        }
    }
    return out;
}

namespace {
std::filesystem::path temp_capture(char const* name) {
    char pattern[] = "/tmp/microvm-test-XXXXXX";
    int fd = ::mkstemp(pattern);
    if (fd < 0) {
        throw std::runtime_error(std::string("mkstemp for ") + name);
    }
    ::close(fd);
    return pattern;
}
} // namespace

ProcessResult run_process(std::vector<std::string> const& argv,
                          std::vector<std::string> const& extra_env,
                          std::string const& stdin_text) {
    auto out_path = temp_capture("stdout");
    auto err_path = temp_capture("stderr");
    auto in_path = temp_capture("stdin");
    write_file(in_path, stdin_text);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        env_strings.emplace_back(*e);
    }
    env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argvp;
    for (auto& a : args) {
        argvp.push_back(a.data());
    }
    argvp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_TRUNC, 0);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, argvp[0], &actions, nullptr, argvp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ProcessResult result;
    if (rc == 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
        result.err = std::string("posix_spawn: ") + std::strerror(rc);
    }
    result.out = read_file(out_path);
    result.err += read_file(err_path);
    std::filesystem::remove(out_path);
    std::filesystem::remove(err_path);
    std::filesystem::remove(in_path);
    return result;
}

RemovedWorkingDirectory::RemovedWorkingDirectory() : m_previous(std::filesystem::current_path()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "microvm-cwd-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr || ::chdir(pattern.c_str()) != 0 ||
        ::rmdir(pattern.c_str()) != 0) {
        throw std::runtime_error("cannot make a removed working directory: " +
                                 std::string(std::strerror(errno)));
    }
}

RemovedWorkingDirectory::~RemovedWorkingDirectory() {
    if (::chdir(m_previous.c_str()) != 0) {
        std::abort(); // every later test would run in the wrong directory
    }
}

} // namespace microvm::test
