#include <cstring>

#include <microvm/error.hpp>

namespace microvm {

std::string Error::text() const {
    std::string out;
    for (auto it = m_context.rbegin(); it != m_context.rend(); ++it) {
        out += *it;
        out += ": ";
    }
    out += m_root;
    if (m_errno != 0) {
        out += ": ";
        out += std::strerror(m_errno);
    }
    for (auto const& also : m_also) {
        out += "; ";
        out += also;
    }
    return out;
}

} // namespace microvm
