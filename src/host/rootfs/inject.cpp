#include "host/rootfs/inject.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/path_parts.hpp"
#include "base/safe_file.hpp"
#include "base/sys.hpp"
#include "base/user_accounts.hpp"

namespace microvm::rootfs {
namespace {

// Writes `leaf` in the canonical directory `dirs` of the writable layer, which exists.
Result<void> write_leaf(Layers const& layers, std::vector<std::string> const& dirs,
                        std::string const& leaf, std::string_view content,
                        Attributes const& attributes) {
    std::string const relative =
        dirs.empty() ? leaf : base::join_components(dirs, dirs.size()) + "/" + leaf;
    TRY(base::write_file_in_root(layers.writable, relative, content, attributes.mode));
    if (!attributes.uid && !attributes.gid) {
        return {};
    }
    // The file was just renamed into a directory only this process writes before boot; it is
    // opened again with no symlink followed, and must still be the regular file written.
    base::Fd file =
        TRY(base::open_in_root(layers.writable, relative, O_RDONLY | O_NONBLOCK | O_NOCTTY));
    auto const st = TRY(base::sys::fstat(file.get(), relative));
    if (!S_ISREG(st.st_mode)) {
        return fail_errno("/" + relative + " was replaced while being written", EAGAIN);
    }
    return apply_attributes(file.get(), attributes, "/" + relative);
}

struct SplitGuestPath {
    std::string parent;
    std::string leaf;
};

Result<SplitGuestPath> split_guest_path(std::string const& guest_path) {
    auto parts = base::path_components(guest_path);
    if (parts.empty() || parts.back() == "..") {
        return fail_errno("the path does not name a file", EINVAL);
    }
    std::string leaf = std::move(parts.back());
    parts.pop_back();
    return SplitGuestPath{.parent = base::join_components(parts, parts.size()),
                          .leaf = std::move(leaf)};
}

Result<void> write_file(RootfsView const& view, FileSpec const& file) {
    auto const path = TRY(split_guest_path(file.guest_path));
    auto const layers = TRY(open_layers(view));
    auto const dirs = TRY(resolve_dir(layers, path.parent, file.links));
    TRY(make_dirs(layers, dirs, DirPlan{.created = file.new_dirs}));
    return write_leaf(layers, dirs, path.leaf, file.content, file.attributes);
}

bool spans_lines(std::string_view text) {
    return text.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos;
}

} // namespace

Result<void> inject_file(RootfsView const& view, FileSpec const& file) {
    TRY_CTX(write_file(view, file), "inject " + file.guest_path);
    return {};
}

Result<void> inject_host_file(RootfsView const& view, std::filesystem::path const& host_path,
                              std::string const& guest_path, Attributes const& attributes) {
    auto const content = TRY_CTX(base::sys::read_file(host_path, max_injected_host_file_bytes),
                                 "inject " + guest_path + " from " + host_path.string());
    return inject_file(view, FileSpec{.guest_path = guest_path,
                                      .content = content,
                                      .attributes = attributes,
                                      .new_dirs = {.mode = 0755, .uid = 0, .gid = 0}});
}

Result<void> inject_guest_init(RootfsView const& view, std::filesystem::path const& host_binary,
                               std::string const& guest_path) {
    auto const content = TRY_CTX(base::sys::read_file(host_binary, max_injected_host_file_bytes),
                                 "inject " + guest_path + " from " + host_binary.string());
    return inject_file(view, FileSpec{.guest_path = guest_path,
                                      .content = content,
                                      // Owned by whoever runs the VM, as its writable layer is.
                                      .attributes = {.mode = 0755},
                                      .new_dirs = {.mode = 0755},
                                      .links = ImageLinks::replace});
}

Result<std::string> format_env_file(std::vector<std::string> const& env) {
    std::string text;
    for (std::size_t i = 0; i < env.size(); ++i) {
        std::string const& entry = env[i];
        std::string const where = "env[" + std::to_string(i) + "]";
        std::size_t const equals = entry.find('=');
        if (equals == std::string::npos) {
            return fail(where + ": \"" + entry + "\" is not KEY=VALUE");
        }
        if (equals == 0) {
            return fail(where + ": \"" + entry + "\" has an empty key");
        }
        if (spans_lines(entry)) {
            return fail(where + ": contains a newline or NUL byte, which an environment file "
                                "cannot hold in one entry");
        }
        text += entry;
        text += '\n';
    }
    return text;
}

Result<void> inject_authorized_keys(RootfsView const& view, std::string const& user,
                                    std::vector<std::string> const& keys) {
    std::string const op = "inject authorized keys of user \"" + user + "\"";
    std::string content;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].empty() || spans_lines(keys[i])) {
            return fail(op + ": keys[" + std::to_string(i) +
                        "] is empty or spans lines (one key per entry)");
        }
        content += keys[i] + "\n";
    }
    // The image's own accounts (RESOLVE_IN_ROOT reads of its /etc/passwd and /etc/group).
    base::Fd image_root = TRY_CTX(base::open_root(view.source), op);
    auto const ids = TRY_CTX(base::resolve_user(user, image_root), op);
    if (ids.home.empty() || ids.home.front() != '/') {
        return fail(op + ": the image's /etc/passwd gives the user no absolute home directory");
    }
    Attributes const root_dir{.mode = 0755, .uid = 0, .gid = 0};
    Attributes const private_dir{.mode = 0700, .uid = ids.uid, .gid = ids.gid};
    auto const layers = TRY_CTX(open_layers(view), op);
    auto home = TRY_CTX(resolve_dir(layers, ids.home, ImageLinks::follow), op);
    TRY_CTX(make_dirs(
                layers, home,
                DirPlan{.created = root_dir,
                        .last_created = Attributes{.mode = 0755, .uid = ids.uid, .gid = ids.gid}}),
            op);
    // ~/.ssh itself is never followed: sshd would not trust a linked one either, and a link the
    // image planted must not make us chown its target.
    auto ssh = home;
    ssh.push_back(".ssh");
    TRY_CTX(
        make_dirs(
            layers, ssh,
            DirPlan{.created = root_dir, .last_created = private_dir, .last_always = private_dir},
            /*replace_last=*/true),
        op);
    TRY_CTX(write_leaf(layers, ssh, "authorized_keys", content,
                       Attributes{.mode = 0600, .uid = ids.uid, .gid = ids.gid}),
            op);
    return {};
}

} // namespace microvm::rootfs
