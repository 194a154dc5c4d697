// The /init of bench/exec's raw side: qemu alone, the microvm kernel, and a virtio-serial port
// that this program serves, so that the channel `microvm exec` rides on can be measured without
// microvm's runner, relay, agent or client. Built static by bench/exec/run.sh.
//
// It mounts devtmpfs and sysfs, finds the port named PORT_NAME, and serves commands from the
// host (bench/exec/channel.py), one per connection or several in a row. A command is 16 bytes:
// one op byte, seven ignored, and a u64 little-endian byte count N.
//   'P'  ping: the 16 bytes go back at once (the channel's round trip)
//   'E'  echo: N bytes are read and written back as they come (what `cat` does)
//   'W'  write: N zero bytes go to the host (guest -> host)
//   'R'  read: N bytes are read and dropped, then one byte goes back (host -> guest)
//   'Q'  power off
// When the host disconnects, reads return 0: the program waits for the next connection.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PORT_NAME "bench.raw"

static char buffer[64 * 1024];
static int console = -1;

static void say(char const* text) {
    if (console >= 0) {
        (void)!write(console, text, strlen(text));
    }
}

static void pause_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void power_off(void) {
    sync();
    reboot(RB_POWER_OFF);
    for (;;) {
        pause_ms(1000);
    }
}

// The /dev node of the port called PORT_NAME, from /sys/class/virtio-ports/*/name.
static int find_port(char* path, size_t size) {
    DIR* dir = opendir("/sys/class/virtio-ports");
    if (dir == NULL) {
        return -1;
    }
    struct dirent* entry;
    int found = -1;
    while (found < 0 && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char name_path[512];
        char name[64] = {0};
        snprintf(name_path, sizeof name_path, "/sys/class/virtio-ports/%s/name", entry->d_name);
        int fd = open(name_path, O_RDONLY);
        if (fd < 0) {
            continue;
        }
        ssize_t n = read(fd, name, sizeof name - 1);
        close(fd);
        if (n > 0 && name[n - 1] == '\n') {
            name[n - 1] = 0;
        }
        if (n > 0 && strcmp(name, PORT_NAME) == 0) {
            snprintf(path, size, "/dev/%s", entry->d_name);
            found = 0;
        }
    }
    closedir(dir);
    return found;
}

// 1 when all `size` bytes came, 0 at end of stream (the host went away), -1 on an error.
static int read_full(int fd, void* data, size_t size) {
    char* p = data;
    while (size > 0) {
        ssize_t n = read(fd, p, size);
        if (n == 0) {
            return 0;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 1;
}

static int write_full(int fd, void const* data, size_t size) {
    char const* p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static size_t at_most(uint64_t left) {
    return left < sizeof buffer ? (size_t)left : sizeof buffer;
}

int main(void) {
    mkdir("/dev", 0755);
    mkdir("/sys", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    console = open("/dev/console", O_WRONLY | O_NOCTTY);

    // The ports appear shortly after virtio_console probes, asynchronously: wait up to 20 s.
    char path[600];
    int tries = 0;
    while (find_port(path, sizeof path) != 0) {
        if (++tries > 2000) {
            say("serial_init: no port named " PORT_NAME "\n");
            power_off();
        }
        pause_ms(10);
    }
    int fd = -1;
    while ((fd = open(path, O_RDWR)) < 0) {
        if (++tries > 2000) {
            say("serial_init: cannot open the port\n");
            power_off();
        }
        pause_ms(10);
    }
    say("serial_init: serving ");
    say(path);
    say("\n");

    for (;;) {
        unsigned char command[16];
        int got = read_full(fd, command, sizeof command);
        if (got <= 0) {
            // No host connected (or it left mid-command): wait for the next connection.
            pause_ms(2);
            continue;
        }
        uint64_t count = 0;
        for (int i = 0; i < 8; ++i) {
            count |= (uint64_t)command[8 + i] << (8 * i);
        }
        switch (command[0]) {
        case 'P':
            write_full(fd, command, sizeof command);
            break;
        case 'E': {
            uint64_t left = count;
            while (left > 0) {
                ssize_t n = read(fd, buffer, at_most(left));
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n <= 0 || write_full(fd, buffer, (size_t)n) != 0) {
                    break;
                }
                left -= (uint64_t)n;
            }
            break;
        }
        case 'W': {
            memset(buffer, 0, sizeof buffer);
            uint64_t left = count;
            while (left > 0) {
                size_t chunk = at_most(left);
                if (write_full(fd, buffer, chunk) != 0) {
                    break;
                }
                left -= chunk;
            }
            break;
        }
        case 'R': {
            uint64_t left = count;
            while (left > 0) {
                ssize_t n = read(fd, buffer, at_most(left));
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n <= 0) {
                    break;
                }
                left -= (uint64_t)n;
            }
            if (left == 0) {
                write_full(fd, "k", 1);
            }
            break;
        }
        case 'Q':
            say("serial_init: powering off\n");
            power_off();
            break;
        default:
            say("serial_init: unknown command\n");
            break;
        }
    }
}
