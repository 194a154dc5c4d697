#include "runner/engine/qemu/host_tsc.hpp"

#include <time.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace microvm::runner::qemu {
namespace {

constexpr std::uint64_t min_khz = 100'000;
constexpr std::uint64_t max_khz = 10'000'000;

bool has_word(std::string_view line, std::string_view word) {
    std::size_t pos = 0;
    while ((pos = line.find(word, pos)) != std::string_view::npos) {
        bool const starts = pos == 0 || line[pos - 1] == ' ' || line[pos - 1] == '\t';
        std::size_t const end = pos + word.size();
        bool const ends = end == line.size() || line[end] == ' ' || line[end] == '\n';
        if (starts && ends) {
            return true;
        }
        pos = end;
    }
    return false;
}

std::uint64_t monotonic_raw_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_RAW, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
           static_cast<std::uint64_t>(now.tv_nsec);
}

} // namespace

bool has_invariant_tsc(std::string_view cpuinfo) {
    std::size_t pos = 0;
    while (pos < cpuinfo.size()) {
        std::size_t const end = std::min(cpuinfo.find('\n', pos), cpuinfo.size());
        std::string_view const line = cpuinfo.substr(pos, end - pos);
        if (line.starts_with("flags")) {
            return has_word(line, "constant_tsc") && has_word(line, "nonstop_tsc");
        }
        pos = end + 1;
    }
    return false;
}

std::optional<std::uint32_t> measure_host_tsc_khz(std::chrono::milliseconds interval) {
#if defined(__x86_64__)
    std::ifstream file("/proc/cpuinfo");
    std::stringstream cpuinfo;
    cpuinfo << file.rdbuf();
    if (!has_invariant_tsc(cpuinfo.str())) {
        return std::nullopt;
    }
    std::uint64_t const ns_start = monotonic_raw_ns();
    std::uint64_t const tsc_start = __rdtsc();
    std::this_thread::sleep_for(interval);
    std::uint64_t const tsc_end = __rdtsc();
    std::uint64_t const ns_end = monotonic_raw_ns();
    if (ns_end <= ns_start || tsc_end <= tsc_start) {
        return std::nullopt;
    }
    // ticks per ns * 1e6 = kHz; the interval is milliseconds, so this cannot overflow.
    std::uint64_t const khz = (tsc_end - tsc_start) * 1'000'000u / (ns_end - ns_start);
    if (khz < min_khz || khz > max_khz) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(khz);
#else
    (void)interval;
    return std::nullopt;
#endif
}

} // namespace microvm::runner::qemu
