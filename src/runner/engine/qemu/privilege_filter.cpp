#include "runner/engine/qemu/privilege_filter.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "base/fd.hpp"

namespace microvm::runner::qemu {

namespace {

// Newer than libseccomp 2.5 and glibc 2.36; x86-64's numbers.
constexpr int nr_fchmodat2 = 452;  // Linux 6.6
constexpr int nr_setxattrat = 463; // Linux 6.13

constexpr std::uint64_t setid_bits[] = {S_ISUID, S_ISGID};
constexpr std::uint64_t device_types[] = {S_IFBLK, S_IFCHR};
// O_TMPFILE includes O_DIRECTORY; its own bit alone says "an unnamed file is created".
constexpr std::uint64_t creating_flags[] = {O_CREAT, O_TMPFILE & ~O_DIRECTORY};

using Context = std::unique_ptr<void, decltype(&seccomp_release)>;

Result<void> add_rule(scmp_filter_ctx ctx, std::uint32_t action, int nr,
                      std::vector<scmp_arg_cmp> const& conditions) {
    int const rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conditions.size()),
                                          conditions.data());
    if (rc < 0) {
        return fail_errno("seccomp_rule_add(" + std::to_string(nr) + ")", -rc);
    }
    return {};
}

scmp_arg_cmp bits_set(unsigned arg, std::uint64_t bits) {
    return scmp_arg_cmp{.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = bits, .datum_b = bits};
}

scmp_arg_cmp file_type(unsigned arg, std::uint64_t type) {
    return scmp_arg_cmp{.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = S_IFMT, .datum_b = type};
}

Result<void> add_setid_rules(scmp_filter_ctx ctx) {
    constexpr std::uint32_t refuse = SCMP_ACT_NOTIFY;
    for (std::uint64_t bit : setid_bits) {
        TRY(add_rule(ctx, refuse, SCMP_SYS(chmod), {bits_set(1, bit)}));
        TRY(add_rule(ctx, refuse, SCMP_SYS(fchmod), {bits_set(1, bit)}));
        TRY(add_rule(ctx, refuse, SCMP_SYS(fchmodat), {bits_set(2, bit)}));
        TRY(add_rule(ctx, refuse, nr_fchmodat2, {bits_set(2, bit)}));
        TRY(add_rule(ctx, refuse, SCMP_SYS(mknod), {bits_set(1, bit)}));
        TRY(add_rule(ctx, refuse, SCMP_SYS(mknodat), {bits_set(2, bit)}));
        TRY(add_rule(ctx, refuse, SCMP_SYS(creat), {bits_set(1, bit)}));
        for (std::uint64_t flag : creating_flags) {
            TRY(add_rule(ctx, refuse, SCMP_SYS(open), {bits_set(1, flag), bits_set(2, bit)}));
            TRY(add_rule(ctx, refuse, SCMP_SYS(openat), {bits_set(2, flag), bits_set(3, bit)}));
        }
    }
    return {};
}

Result<void> add_device_rules(scmp_filter_ctx ctx) {
    for (std::uint64_t type : device_types) {
        TRY(add_rule(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mknod), {file_type(1, type)}));
        TRY(add_rule(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mknodat), {file_type(2, type)}));
    }
    TRY(add_rule(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(renameat2), {bits_set(4, RENAME_WHITEOUT)}));
    return {};
}

Result<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx) {
    base::Fd memory(::memfd_create("microvm-privilege-filter", MFD_CLOEXEC));
    if (!memory) {
        return fail_errno("memfd_create");
    }
    if (int const rc = seccomp_export_bpf(ctx, memory.get()); rc < 0) {
        return fail_errno("seccomp_export_bpf", -rc);
    }
    off_t const size = ::lseek(memory.get(), 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
        return fail("seccomp_export_bpf wrote " + std::to_string(size) + " bytes");
    }
    std::vector<sock_filter> program(static_cast<std::size_t>(size) / sizeof(sock_filter));
    if (::pread(memory.get(), program.data(), static_cast<std::size_t>(size), 0) != size) {
        return fail_errno("read the exported filter");
    }
    return program;
}

// One byte of data with room for one descriptor: the message the filter's step sends and
// receive_listener() takes. Fills nothing on the heap, so the forked child may build one.
struct FdMessage {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    char byte = 'L';
    iovec data{.iov_base = &byte, .iov_len = 1};
    msghdr header{};

    FdMessage() {
        header.msg_iov = &data;
        header.msg_iovlen = 1;
        header.msg_control = control;
        header.msg_controllen = sizeof(control);
    }
    FdMessage(FdMessage const&) = delete;
    FdMessage& operator=(FdMessage const&) = delete;
};

bool has_bits(std::uint64_t value, std::uint64_t bits) {
    return (value & bits) != 0;
}

} // namespace

Result<PrivilegeFilter> build_privilege_filter(PrivilegeRules const& rules) {
    Context ctx(seccomp_init(SCMP_ACT_ALLOW), &seccomp_release);
    if (!ctx) {
        return fail("seccomp_init failed");
    }
    // A call made through another architecture's entry (int 0x80) would not be checked.
    if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) {
        return fail("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)");
    }
    if (!rules.allow_setuid) {
        TRY(add_setid_rules(ctx.get()));
    }
    if (!rules.allow_devices) {
        TRY(add_device_rules(ctx.get()));
    }
    for (int nr : {SCMP_SYS(setxattr), SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr)}) {
        TRY(add_rule(ctx.get(), SCMP_ACT_NOTIFY, nr, {}));
    }
    TRY(add_rule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), {}));
    TRY(add_rule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), nr_setxattrat, {}));
    TRY(add_rule(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), {}));
    return PrivilegeFilter{.program = TRY(export_program(ctx.get()))};
}

base::ChildStep install_privilege_filter_step(PrivilegeFilter const& filter, int socket_fd) {
    return [&filter, socket_fd]() -> base::ChildStepStatus {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            return {errno, "prctl(PR_SET_NO_NEW_PRIVS)"};
        }
        sock_fprog program{.len = static_cast<unsigned short>(filter.program.size()),
                           .filter = const_cast<sock_filter*>(filter.program.data())};
        long const listener = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                        SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
        if (listener < 0) {
            return {errno, "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)"};
        }
        FdMessage message;
        cmsghdr* header = CMSG_FIRSTHDR(&message.header);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        int const listener_fd = static_cast<int>(listener);
        std::memcpy(CMSG_DATA(header), &listener_fd, sizeof(int));
        if (::sendmsg(socket_fd, &message.header, MSG_NOSIGNAL) != 1) {
            return {errno, "sendmsg(the seccomp listener)"};
        }
        // Neither the listener nor the socket may stay with the daemon.
        ::close(listener_fd);
        ::close(socket_fd);
        return base::ChildStepStatus::ok();
    };
}

Result<base::Fd> receive_listener(int socket) {
    FdMessage message;
    if (::recvmsg(socket, &message.header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1) {
        return fail_errno("receive the file server's seccomp listener");
    }
    cmsghdr* header = CMSG_FIRSTHDR(&message.header);
    if (header == nullptr || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS ||
        header->cmsg_len != CMSG_LEN(sizeof(int))) {
        return fail("the file server's seccomp listener did not arrive");
    }
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
    return base::Fd(fd);
}

std::string refused_kind(seccomp_data const& call) {
    auto const& args = call.args;
    auto mode_kind = [](std::uint64_t mode) -> std::string {
        if (has_bits(mode, S_ISUID | S_ISGID)) {
            return "a setuid or setgid mode";
        }
        bool const device = (mode & S_IFMT) == S_IFBLK || (mode & S_IFMT) == S_IFCHR;
        return device ? "a device node" : "";
    };
    switch (call.nr) {
    case SYS_chmod:
    case SYS_fchmod:
    case SYS_mknod:
    case SYS_creat:
        return mode_kind(args[1]);
    case SYS_fchmodat:
    case nr_fchmodat2:
    case SYS_mknodat:
    case SYS_open:
        return mode_kind(args[2]);
    case SYS_openat:
        return mode_kind(args[3]);
    case SYS_renameat2:
        return has_bits(args[4], RENAME_WHITEOUT) ? "a device node (a rename's whiteout)" : "";
    default:
        return {};
    }
}

bool refuses_xattr(std::string const& name, PrivilegeRules const& rules) {
    if (rules.allow_setuid && name == "security.capability") {
        return false;
    }
    return name.starts_with("security.") || name.starts_with("trusted.");
}

} // namespace microvm::runner::qemu
