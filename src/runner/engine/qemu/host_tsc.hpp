// The host's TSC rate, which is also a TCG guest's: qemu's TCG answers the guest's rdtsc with
// the host's own counter (cpu_get_host_ticks() plus an offset), so the guest's TSC ticks at the
// host's rate. Telling the guest that rate (tsc_early_khz=) spares it calibrating the TSC
// against the emulated PIT, which under TCG often fails its quick path and falls back to a
// ~0.1 s loop (docs/BENCHMARKS.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace microvm::runner::qemu {

// Whether a /proc/cpuinfo text's first "flags" line has constant_tsc and nonstop_tsc: only a
// TSC that ticks at one rate in every power state keeps the rate measured now for the guest's
// whole life.
bool has_invariant_tsc(std::string_view cpuinfo);

// The host TSC's rate in kHz, measured against CLOCK_MONOTONIC_RAW over `interval` (this
// thread sleeps); std::nullopt when /proc/cpuinfo does not show an invariant TSC, on a host
// that is not x86-64, or when the result is outside 100 MHz-10 GHz.
std::optional<std::uint32_t> measure_host_tsc_khz(std::chrono::milliseconds interval);

} // namespace microvm::runner::qemu
