// Caps on what unpacking an image may consume. An image is untrusted input: without caps a
// layer of a few kilobytes (a compression bomb, millions of empty entries, a sparse file
// claiming a terabyte) could fill the disk or memory of the host.
#pragma once

#include <cstddef>
#include <cstdint>

namespace microvm::image {

struct UnpackLimits {
    // Entries of all layers together, whiteouts and skipped device nodes included. A full
    // Debian desktop install is about 300,000 files, so a million (go-microvm's cap) leaves
    // room for any real image while bounding the bookkeeping kept per entry.
    std::uint64_t max_entries = 1'000'000;
    // Uncompressed tar data of all layers together, counting the size each entry declares
    // before any of it is written, so a sparse or truncated entry cannot slip under the cap.
    // 30 GiB (go-microvm's cap) is well above the largest images in common use (CUDA images
    // are about 20 GiB unpacked).
    std::uint64_t max_total_bytes = std::uint64_t{30} << 30;
    // Length of an entry's name and of a link's target: PATH_MAX, since the kernel cannot
    // resolve a longer path anyway and the guest could never use the entry.
    std::size_t max_path_length = 4096;
};

// What an unpack did, for logs and benchmarks.
struct UnpackStats {
    std::uint64_t entries = 0;         // every tar entry read
    std::uint64_t bytes = 0;           // declared sizes of all entries
    std::uint64_t stream_bytes = 0;    // uncompressed tar data, headers included
    std::uint64_t skipped_special = 0; // device nodes, FIFOs, sockets: never created
};

} // namespace microvm::image
