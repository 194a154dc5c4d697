// bench/net's sender, static, copied into the guest: connects to ADDRESS:PORT and writes MIB
// mebibytes of zeros in 64 KiB writes, then closes. busybox's nc copies 1 KiB at a time, which
// under TCG measures the guest's syscalls more than the network.
//   tcp_send ADDRESS PORT MIB
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tcp_send ADDRESS PORT MIB\n");
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "tcp_send: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&to, sizeof to) != 0) {
        perror("tcp_send: connect");
        return 1;
    }
    static char buffer[64 * 1024];
    long long left = atoll(argv[3]) * 1024 * 1024;
    while (left > 0) {
        ssize_t n = write(fd, buffer, left < (long long)sizeof buffer ? (size_t)left : sizeof buffer);
        if (n <= 0) {
            perror("tcp_send: write");
            return 1;
        }
        left -= n;
    }
    return close(fd) == 0 ? 0 : 1;
}
