// Download progress for a terminal: one status line, redrawn in place, with an entry per
// blob ("3f4a9c1e 42%"). Silent when the output is not a terminal, so logs and pipes stay
// clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace microvm::image::registry {

class PullProgress {
public:
    enum class Output { terminal_only, never };

    // Writes to `fd` when `output` is terminal_only and `fd` is a terminal.
    explicit PullProgress(Output output, int fd = 2);
    ~PullProgress(); // ends the status line

    bool enabled() const { return m_enabled; }

    // Adds a blob to the display; returns its slot for update().
    std::size_t add(std::string const& digest_hex, std::uint64_t size);
    // Records progress of one blob; redraws at most every 100 ms and when a blob completes.
    // Thread-safe.
    void update(std::size_t slot, std::uint64_t received);
    void finish(std::size_t slot, char const* state); // "done", "exists", "failed"

private:
    struct Entry {
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t received = 0;
        char const* state = nullptr;
    };
    void draw_locked(bool force);

    bool m_enabled = false;
    int m_fd = 2;
    std::mutex m_mutex;
    std::vector<Entry> m_entries;
    std::chrono::steady_clock::time_point m_last_draw{};
    bool m_drew = false;
};

} // namespace microvm::image::registry
