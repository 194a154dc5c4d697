// A KrunApi whose entry points record their calls in memory, for testing the engine's steps
// without loading a library.
#pragma once

#include <string>
#include <vector>

#include "runner/engine/libkrun/library.hpp"

namespace microvm::runner::libkrun::test {

// Calls made since the last reset(), one line each ("add_virtiofs3 data /x 0 1").
inline std::vector<std::string>& recorded() {
    static std::vector<std::string> calls;
    return calls;
}

inline KrunApi recording_api(bool with_virtiofs3 = true, bool with_net = true) {
    recorded().clear();
    KrunApi api;
    api.add_virtiofs = [](uint32_t, char const* tag, char const* path) {
        recorded().push_back(std::string("add_virtiofs ") + tag + " " + path);
        return int32_t{0};
    };
    if (with_virtiofs3) {
        api.add_virtiofs3 = [](uint32_t, char const* tag, char const* path, uint64_t shm,
                               bool read_only) {
            recorded().push_back(std::string("add_virtiofs3 ") + tag + " " + path + " " +
                                 std::to_string(shm) + " " + (read_only ? "1" : "0"));
            return int32_t{0};
        };
    }
    if (with_net) {
        api.set_port_map = [](uint32_t, char const* const map[]) {
            std::string line = "set_port_map";
            for (; *map != nullptr; ++map) {
                line += std::string(" ") + *map;
            }
            recorded().push_back(line);
            return int32_t{0};
        };
        api.add_net_unixstream = [](uint32_t, char const* path, int fd, uint8_t*, uint32_t,
                                    uint32_t) {
            recorded().push_back(std::string("add_net_unixstream ") + path + " " +
                                 std::to_string(fd));
            return int32_t{0};
        };
    }
    return api;
}

} // namespace microvm::runner::libkrun::test
