#include "host/image/registry/credential_helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/command.hpp"
#include "base/fd.hpp"
#include "base/sys.hpp"

namespace microvm::image::registry {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view program_prefix = "docker-credential-";
// What a helper prints when it holds nothing for the server (docker-credential-helpers'
// credentials.ErrCredentialsNotFound); docker and podman treat it as "no credentials".
constexpr std::string_view not_found_message = "credentials not found in native keychain";
// Docker's name for an identity token in a helper's answer.
constexpr std::string_view token_username = "<token>";
// An answer is a few hundred bytes; a helper that prints more is not answering.
constexpr std::size_t max_output_bytes = 1 << 20;

bool executable_file(std::filesystem::path const& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

Result<std::filesystem::path> find_program(std::string const& program,
                                           std::optional<std::string> const& path_env) {
    if (!path_env) {
        return fail(program + " not found: PATH is not set");
    }
    std::string_view rest = *path_env;
    while (!rest.empty()) {
        auto const colon = rest.find(':');
        auto const dir = rest.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        if (dir.starts_with('/')) {
            auto candidate = std::filesystem::path(dir) / program;
            if (executable_file(candidate)) {
                return candidate;
            }
        }
    }
    return fail(program + " not found in PATH (" + *path_env + ")");
}

// The server URL as the helper's standard input: a sealed memory file, so that a helper that
// exits without reading it cannot make a write fail (or raise SIGPIPE) here.
Result<base::Fd> stdin_file(std::string const& text) {
    base::Fd fd(::memfd_create("credential-helper-stdin", MFD_CLOEXEC));
    if (!fd) {
        return fail_errno("memfd_create");
    }
    TRY(base::sys::write_all(fd.get(), text, "helper input"));
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        return fail_errno("lseek helper input");
    }
    return fd;
}

struct Output {
    std::string out;
    std::string err;
    base::ExitStatus status;
};

// Collects the child's stdout and stderr until both end, then reaps it. A child still
// running after `timeout` is killed.
Result<Output> collect(base::Child& child, base::Fd out_fd, base::Fd err_fd,
                       std::chrono::milliseconds timeout, std::string const& program) {
    auto const deadline = Clock::now() + timeout;
    Output output;
    std::array<base::Fd*, 2> fds{&out_fd, &err_fd};
    std::array<std::string*, 2> texts{&output.out, &output.err};
    while (out_fd || err_fd) {
        std::array<pollfd, 2> polled{};
        for (std::size_t i = 0; i < fds.size(); ++i) {
            polled[i] = {.fd = fds[i]->get(), .events = POLLIN, .revents = 0};
        }
        auto const left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            child.kill_and_reap();
            return fail(program + " get: no answer after " +
                        std::to_string(std::chrono::ceil<std::chrono::seconds>(timeout).count()) +
                        " s; killed");
        }
        int const ready = ::poll(polled.data(), polled.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            return fail_errno("poll " + program);
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!*fds[i] || polled[i].revents == 0) {
                continue;
            }
            std::array<char, 4096> buffer{};
            ssize_t const n = ::read(fds[i]->get(), buffer.data(), buffer.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                return fail_errno("read from " + program);
            }
            if (n == 0) {
                fds[i]->reset();
            } else if (n > 0) {
                if (texts[i]->size() + static_cast<std::size_t>(n) > max_output_bytes) {
                    child.kill_and_reap();
                    return fail(program + " get: more than " + std::to_string(max_output_bytes) +
                                " bytes of output");
                }
                texts[i]->append(buffer.data(), static_cast<std::size_t>(n));
            }
        }
    }
    output.status = TRY_CTX(child.wait(), "wait for " + program);
    return output;
}

std::string trimmed(std::string_view text) {
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return "";
    }
    auto const last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

Result<std::optional<Credentials>> parse_answer(std::string const& out,
                                                std::string const& program) {
    auto const doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    auto string_field = [&](char const* key) -> std::optional<std::string> {
        if (!doc.is_object() || !doc.contains(key) || !doc[key].is_string()) {
            return std::nullopt;
        }
        return doc[key].get<std::string>();
    };
    auto username = string_field("Username");
    auto secret = string_field("Secret");
    if (!username || !secret) {
        return fail(program +
                    " get: the answer is not a JSON object with string fields Username and "
                    "Secret");
    }
    if (*username == token_username) {
        return fail(program +
                    " get: the answer is an identity token, which microvm does not support yet");
    }
    if (username->empty() && secret->empty()) {
        return std::nullopt;
    }
    return Credentials{std::move(*username), std::move(*secret)};
}

} // namespace

std::string credential_helper_program(std::string_view name) {
    return std::string(program_prefix) + std::string(name);
}

Result<std::optional<Credentials>>
get_from_credential_helper(std::string_view name, std::string const& server_url,
                           std::optional<std::string> const& path_env,
                           std::chrono::milliseconds timeout) {
    auto const program = credential_helper_program(name);
    if (name.empty() || name.find('/') != std::string_view::npos) {
        return fail("\"" + std::string(name) + "\" is not a credential helper name");
    }
    auto const path = TRY(find_program(program, path_env));
    auto input = TRY(stdin_file(server_url));
    auto out = TRY(base::sys::make_pipe());
    auto err = TRY(base::sys::make_pipe());
    auto child = TRY_CTX(base::spawn(base::Command{
                             .path = path.string(),
                             .argv = {program, "get"},
                             .fds = {{input.get(), 0}, {out.write.get(), 1}, {err.write.get(), 2}},
                         }),
                         "run " + path.string());
    // Only the child may hold the write ends, or the reads below would never see the end.
    out.write.reset();
    err.write.reset();
    auto const output =
        TRY(collect(child, std::move(out.read), std::move(err.read), timeout, program));
    if (!output.status.success()) {
        if (trimmed(output.out) == not_found_message) {
            return std::nullopt;
        }
        auto message = trimmed(output.err.empty() ? output.out : output.err);
        return fail(program + " get: " + output.status.describe() +
                    (message.empty() ? "" : ": " + message));
    }
    return parse_answer(output.out, program);
}

} // namespace microvm::image::registry
