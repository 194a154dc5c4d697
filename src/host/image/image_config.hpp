// The image's configuration (its "config" blob) and how it becomes the workload the guest
// runs: the command line, environment, working directory and user.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace microvm::image {

// The runtime part of an OCI image config ("config" in application/vnd.oci.image.config.v1+json
// and in Docker's image JSON, which share these fields). Missing or null fields are empty.
struct ImageConfig {
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> env; // "KEY=VALUE"
    std::string working_dir;
    std::string user;

    friend bool operator==(ImageConfig const&, ImageConfig const&) = default;
};

// Parses the config blob. Unknown fields are ignored (the format has many we do not use).
// Fails on text that is not JSON, a top level that is not an object, or a field of the
// wrong type, naming it: "image config: config.Cmd: expected an array of strings".
Result<ImageConfig> parse_image_config(std::string_view json);

// What the command line asks for, with Docker's semantics.
struct WorkloadOverrides {
    // `run IMAGE CMD...`: when not empty, replaces the image's Cmd; its Entrypoint is kept,
    // so an image with Entrypoint ["nginx"] run with "-t" runs "nginx -t".
    std::vector<std::string> command;
    // --entrypoint: replaces the image's Entrypoint and drops its Cmd (the Cmd was written
    // as arguments for the old entrypoint). An empty vector clears the Entrypoint.
    std::optional<std::vector<std::string>> entrypoint;
    // -e KEY=VALUE: replaces the image's value of KEY, or adds it.
    std::vector<std::string> env;
    // -w: an absolute path.
    std::optional<std::string> working_dir;
    // --user: the same syntax as the image's User.
    std::optional<std::string> user;
};

// The process the guest starts.
struct Workload {
    std::vector<std::string> argv;
    std::vector<std::string> env; // "KEY=VALUE"
    std::string cwd;
    uid_t uid = 0;
    gid_t gid = 0;

    friend bool operator==(Workload const&, Workload const&) = default;
};

// The PATH a workload gets when neither the image nor the command line sets one (Docker's).
inline constexpr char default_path_env[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Combines `config` and `overrides` into the workload, as `docker run` would:
// - argv = Entrypoint + Cmd, with the overrides above;
// - env = the image's Env, then the overrides; PATH defaults to default_path_env; HOME, when
//   unset, is the user's home directory from the image's /etc/passwd, or "/";
// - cwd = -w, else WorkingDir (a relative one is taken from "/"), else "/";
// - uid/gid from the User (see resolve_user() in base/user_accounts.hpp), read from the
//   unpacked image below `rootfs`.
// Image Env entries without "=" are dropped (the guest could not set them). Fails when argv
// ends up empty ("no command"), on a relative -w, on a -e entry without "=" or with an empty
// key, or when the user cannot be resolved.
Result<Workload> resolve_workload(ImageConfig const& config, WorkloadOverrides const& overrides,
                                  base::Fd const& rootfs);

} // namespace microvm::image
