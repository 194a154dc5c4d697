// Runs inside the guest: tries every kind of write on a directory with raw system calls and
// prints one line per operation, "<op> OK" or "<op> <errno name>". Static, so it needs nothing
// from the test root file system.
//   probe DIR      (DIR must hold a regular file "existing" and a directory "subdir")
//   probe privileged DIR
//                  tries to make files that would carry privilege on the host (device nodes,
//                  setuid/setgid modes, file capabilities, trusted.* attributes) and the
//                  ordinary writes that must keep working, one line per operation
//   probe raw-socket
//                  opens a raw ICMP socket: "raw-socket OK" only with CAP_NET_RAW
//   probe udp-echo PORT
//                  answers every datagram on UDP PORT with "echo:" + its bytes, until one
//                  reads "quit" (busybox nc cannot listen on UDP)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

namespace {

void report(char const* op, int result) {
    if (result >= 0) {
        std::printf("%s OK\n", op);
    } else {
        std::printf("%s %s\n", op, ::strerrorname_np(errno));
    }
}

int open_and_close(std::string const& path, int flags) {
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd >= 0) {
        ::close(fd);
    }
    return fd;
}

int write_existing(std::string const& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = ::write(fd, "changed\n", 8);
    int saved = errno;
    ::close(fd);
    errno = saved;
    return n == 8 ? 0 : -1;
}

int create_with_mode(std::string const& path, int flags, mode_t mode) {
    int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd >= 0) {
        ::close(fd);
    }
    return fd;
}

// A VFS_CAP_REVISION_2 capability set with cap_net_raw (13) permitted and effective.
int set_file_capability(std::string const& path) {
    std::uint32_t const value[5] = {0x02000001, 1U << 13, 0, 0, 0};
    return ::setxattr(path.c_str(), "security.capability", value, sizeof value, 0);
}

int privileged(std::string const& dir) {
    std::string const plain = dir + "/plain";
    if (create_with_mode(plain, 0, 0755) < 0) {
        std::perror("probe: create plain");
        return 1;
    }
    report("mknod-block", ::mknod((dir + "/block").c_str(), S_IFBLK | 0666, makedev(8, 0)));
    report("mknod-char", ::mknod((dir + "/char").c_str(), S_IFCHR | 0666, makedev(1, 3)));
    report("chmod-4755", ::chmod(plain.c_str(), 04755));
    report("chmod-2755", ::chmod(plain.c_str(), 02755));
    report("fchmodat-u+s", ::fchmodat(AT_FDCWD, plain.c_str(), 04755, 0));
    report("open-creat-4755", create_with_mode(dir + "/created-setuid", 0, 04755));
    report("open-creat-2755", create_with_mode(dir + "/created-setgid", 0, 02755));
    report("mknod-reg-4755", ::mknod((dir + "/mknod-setuid").c_str(), S_IFREG | 04755, 0));
    // Leaves a 0:0 character device (a whiteout) where the source was.
    std::string const whiteout_source = dir + "/whiteout-source";
    (void)create_with_mode(whiteout_source, 0, 0644);
    report("rename-whiteout",
           static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, whiteout_source.c_str(), AT_FDCWD,
                                      (dir + "/whiteout-target").c_str(), RENAME_WHITEOUT)));
    report("setxattr-capability", set_file_capability(plain));
    report("setxattr-trusted", ::setxattr(plain.c_str(), "trusted.microvm", "x", 1, 0));
    report("setxattr-security", ::setxattr(plain.c_str(), "security.microvm", "x", 1, 0));
    // A hard link to a file outside the share cannot be made: the share is its own file
    // system in the guest.
    report("link-outside", ::link("/bin/probe", (dir + "/outside-link").c_str()));
    // What must keep working.
    report("write", write_existing(plain));
    report("mkfifo", ::mkfifo((dir + "/fifo").c_str(), 0644));
    report("chmod-755", ::chmod(plain.c_str(), 0755));
    report("chmod-1777", ::chmod(plain.c_str(), 01777));
    report("symlink", ::symlink("plain", (dir + "/symlink").c_str()));
    report("rename", ::rename(plain.c_str(), (dir + "/renamed").c_str()));
    report("setxattr-user", ::setxattr((dir + "/renamed").c_str(), "user.microvm", "x", 1, 0));
    std::fflush(stdout);
    return 0;
}

int raw_socket() {
    int const fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    report("raw-socket", fd);
    std::fflush(stdout);
    return fd >= 0 ? 0 : 1;
}

int udp_echo(char const* port_text) {
    int const fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port_text)));
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::perror("udp-echo: bind");
        return 1;
    }
    std::printf("udp-echo listening on %s\n", port_text);
    std::fflush(stdout);
    while (true) {
        char buffer[1024];
        sockaddr_in peer{};
        socklen_t peer_size = sizeof peer;
        ssize_t const n = ::recvfrom(fd, buffer, sizeof buffer, 0,
                                     reinterpret_cast<sockaddr*>(&peer), &peer_size);
        if (n < 0) {
            std::perror("udp-echo: recvfrom");
            return 1;
        }
        std::string const data(buffer, static_cast<std::size_t>(n));
        if (data == "quit") {
            return 0;
        }
        std::string const reply = "echo:" + data;
        ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_size);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "udp-echo") {
        return udp_echo(argv[2]);
    }
    if (argc == 3 && std::string(argv[1]) == "privileged") {
        return privileged(argv[2]);
    }
    if (argc == 2 && std::string(argv[1]) == "raw-socket") {
        return raw_socket();
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: probe DIR\n");
        return 2;
    }
    std::string const dir = argv[1];
    std::string const existing = dir + "/existing";
    report("create", open_and_close(dir + "/created", O_WRONLY | O_CREAT | O_EXCL));
    report("write", write_existing(existing));
    report("unlink", ::unlink(existing.c_str()));
    report("rename", ::rename(existing.c_str(), (dir + "/renamed").c_str()));
    report("mkdir", ::mkdir((dir + "/newdir").c_str(), 0755));
    report("rmdir", ::rmdir((dir + "/subdir").c_str()));
    report("chmod", ::chmod(existing.c_str(), 0777));
    report("chown", ::chown(existing.c_str(), 1234, 1234));
    report("truncate", ::truncate(existing.c_str(), 0));
    report("setxattr", ::setxattr(existing.c_str(), "user.microvm", "x", 1, 0));
    report("symlink", ::symlink("existing", (dir + "/link").c_str()));
    report("link", ::link(existing.c_str(), (dir + "/hardlink").c_str()));
    report("utimes", ::utimensat(AT_FDCWD, existing.c_str(), nullptr, 0));
    std::fflush(stdout);
    return 0;
}
