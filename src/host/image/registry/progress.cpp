#include "host/image/registry/progress.hpp"

#include <unistd.h>

#include "base/sys.hpp"

namespace microvm::image::registry {

namespace {

constexpr auto redraw_interval = std::chrono::milliseconds(100);
// Enough of a digest to tell layers apart on screen.
constexpr std::size_t short_digest = 8;

} // namespace

PullProgress::PullProgress(Output output, int fd)
    : m_enabled(output == Output::terminal_only && ::isatty(fd) == 1), m_fd(fd) {}

PullProgress::~PullProgress() {
    std::lock_guard lock(m_mutex);
    if (m_enabled && m_drew) {
        draw_locked(true);
        (void)base::sys::write_all(m_fd, "\n", "progress");
    }
}

std::size_t PullProgress::add(std::string const& digest_hex, std::uint64_t size) {
    std::lock_guard lock(m_mutex);
    m_entries.push_back({digest_hex.substr(0, short_digest), size, 0, nullptr});
    return m_entries.size() - 1;
}

void PullProgress::update(std::size_t slot, std::uint64_t received) {
    if (!m_enabled) {
        return;
    }
    std::lock_guard lock(m_mutex);
    m_entries.at(slot).received = received;
    draw_locked(false);
}

void PullProgress::finish(std::size_t slot, char const* state) {
    if (!m_enabled) {
        return;
    }
    std::lock_guard lock(m_mutex);
    m_entries.at(slot).state = state;
    draw_locked(true);
}

void PullProgress::draw_locked(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && m_drew && now - m_last_draw < redraw_interval) {
        return;
    }
    m_last_draw = now;
    m_drew = true;
    std::string line = "\r\033[K";
    for (auto const& e : m_entries) {
        line += e.name + " ";
        if (e.state != nullptr) {
            line += e.state;
        } else if (e.size > 0) {
            line += std::to_string(e.received * 100 / e.size) + "%";
        } else {
            line += std::to_string(e.received >> 10) + "KiB";
        }
        line += "  ";
    }
    (void)base::sys::write_all(m_fd, line, "progress");
}

} // namespace microvm::image::registry
