// Runs inside the guest: tries every kind of write on a directory with raw system calls and
// prints one line per operation, "<op> OK" or "<op> <errno name>". Static, so it needs nothing
// from the test root file system.
//   probe DIR      (DIR must hold a regular file "existing" and a directory "subdir")
//   probe udp-echo PORT
//                  answers every datagram on UDP PORT with "echo:" + its bytes, until one
//                  reads "quit" (busybox nc cannot listen on UDP)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
