#include "host/image/image_config.hpp"

#include <nlohmann/json.hpp>

#include "base/user_accounts.hpp"

namespace microvm::image {

namespace {

using nlohmann::json;

constexpr char context[] = "image config";

std::string key_of(std::string_view entry) {
    return std::string(entry.substr(0, entry.find('=')));
}

Result<std::vector<std::string>> strings_field(json const& config, char const* name) {
    auto const it = config.find(name);
    if (it == config.end() || it->is_null()) {
        return std::vector<std::string>{};
    }
    std::string const where = std::string(context) + ": config." + name;
    if (!it->is_array()) {
        return fail(where + ": expected an array of strings");
    }
    std::vector<std::string> out;
    for (auto const& item : *it) {
        if (!item.is_string()) {
            return fail(where + ": expected an array of strings");
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

Result<std::string> string_field(json const& config, char const* name) {
    auto const it = config.find(name);
    if (it == config.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_string()) {
        return fail(std::string(context) + ": config." + name + ": expected a string");
    }
    return it->get<std::string>();
}

// Sets `entry` (KEY=VALUE) in `env`, replacing an entry with the same key in place.
void set_env(std::vector<std::string>& env, std::string entry) {
    std::string const key = key_of(entry);
    for (auto& existing : env) {
        if (existing.find('=') != std::string::npos && key_of(existing) == key) {
            existing = std::move(entry);
            return;
        }
    }
    env.push_back(std::move(entry));
}

bool has_key(std::vector<std::string> const& env, std::string_view key) {
    for (auto const& entry : env) {
        if (key_of(entry) == key) {
            return true;
        }
    }
    return false;
}

} // namespace

Result<ImageConfig> parse_image_config(std::string_view text) {
    json const doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return fail(std::string(context) + ": not valid JSON");
    }
    if (!doc.is_object()) {
        return fail(std::string(context) + ": expected a JSON object");
    }
    ImageConfig out;
    auto const it = doc.find("config");
    if (it == doc.end() || it->is_null()) {
        return out; // an image with no runtime config: every field empty
    }
    if (!it->is_object()) {
        return fail(std::string(context) + ": config: expected an object");
    }
    out.entrypoint = TRY(strings_field(*it, "Entrypoint"));
    out.cmd = TRY(strings_field(*it, "Cmd"));
    out.env = TRY(strings_field(*it, "Env"));
    out.working_dir = TRY(string_field(*it, "WorkingDir"));
    out.user = TRY(string_field(*it, "User"));
    return out;
}

Result<Workload> resolve_workload(ImageConfig const& config, WorkloadOverrides const& overrides,
                                  base::Fd const& rootfs) {
    Workload workload;

    if (overrides.entrypoint) {
        workload.argv = *overrides.entrypoint;
    } else {
        workload.argv = config.entrypoint;
    }
    auto const& args = !overrides.command.empty() ? overrides.command
                       : overrides.entrypoint     ? std::vector<std::string>{}
                                                  : config.cmd;
    workload.argv.insert(workload.argv.end(), args.begin(), args.end());
    if (workload.argv.empty()) {
        return fail("no command: the image has neither Entrypoint nor Cmd, and none was given");
    }

    for (auto const& entry : config.env) {
        if (entry.find('=') != std::string::npos && entry.front() != '=') {
            set_env(workload.env, entry);
        }
    }
    for (auto const& entry : overrides.env) {
        if (entry.find('=') == std::string::npos || entry.front() == '=') {
            return fail("environment entry \"" + entry + "\" is not KEY=VALUE");
        }
        set_env(workload.env, entry);
    }
    if (!has_key(workload.env, "PATH")) {
        workload.env.emplace_back(default_path_env);
    }

    if (overrides.working_dir) {
        if (!overrides.working_dir->starts_with('/')) {
            return fail("working directory \"" + *overrides.working_dir +
                        "\" is not an absolute path");
        }
        workload.cwd = *overrides.working_dir;
    } else if (config.working_dir.empty()) {
        workload.cwd = "/";
    } else {
        workload.cwd =
            config.working_dir.starts_with('/') ? config.working_dir : "/" + config.working_dir;
    }

    auto const ids = TRY(base::resolve_user(overrides.user.value_or(config.user), rootfs));
    workload.uid = ids.uid;
    workload.gid = ids.gid;
    if (!has_key(workload.env, "HOME")) {
        workload.env.push_back("HOME=" + (ids.home.empty() ? std::string("/") : ids.home));
    }
    return workload;
}

} // namespace microvm::image
