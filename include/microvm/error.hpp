// The one error type of microvm, shared by the library, the runner and the guest init.
//
// Every function that can fail returns `microvm::Result<T>` (a `std::expected<T, Error>` that
// must not be discarded).
// An Error is created where the failure happens, with the operation and the object it
// concerns ("open /etc/microvm.json"), and each layer above may add one clause of context
// with `Error::context()`, so the final message reads outer-to-inner:
//     "start vm: mount share \"data\" on /data: mount(virtiofs): Permission denied"
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace microvm {

class [[nodiscard]] Error {
public:
    // An error that is fully described by its message.
    static Error message(std::string text) { return Error(std::move(text), 0); }

    // A failed system call or library call that set errno: "<operation>: <strerror(errno)>".
    // `operation` names the call and its object, e.g. "openat2 etc/microvm.json".
    static Error from_errno(std::string operation, int error_number = errno) {
        return Error(std::move(operation), error_number);
    }

    // Prepends a clause naming what the caller was doing. Returns the error for chaining.
    Error& context(std::string clause) & {
        m_context.push_back(std::move(clause));
        return *this;
    }
    Error&& context(std::string clause) && {
        m_context.push_back(std::move(clause));
        return std::move(*this);
    }

    // Records a second failure that happened while handling this one (a cleanup that failed
    // too), without replacing this error's root cause or errno: text() then ends with
    // "; <clause>: <other's text>". Returns the error for chaining.
    Error& also(std::string const& clause, Error const& other) & {
        m_also.push_back(clause + ": " + other.text());
        return *this;
    }
    Error&& also(std::string const& clause, Error const& other) && {
        m_also.push_back(clause + ": " + other.text());
        return std::move(*this);
    }

    // The full message: every context clause (outermost first), the root cause, then what
    // also() recorded.
    std::string text() const;

    // The root cause without any context clause.
    std::string const& root() const { return m_root; }

    // The errno of the root cause, or 0 when the error did not come from a system call.
    int errno_value() const { return m_errno; }

private:
    Error(std::string root, int error_number) : m_root(std::move(root)), m_errno(error_number) {}

    std::string m_root;
    int m_errno = 0;
    std::vector<std::string> m_context; // innermost first
    std::vector<std::string> m_also;    // in the order they happened
};

// A std::expected that the compiler makes the caller look at: the type itself is [[nodiscard]],
// so every function returning one warns (an error with -Werror) when its result is dropped,
// without each declaration having to say so. Where ignoring a failure is right, the caller
// writes `(void)call();` with a comment saying why.
//
// It is a std::expected in every other way (TRY, comparisons, `std::unexpected` and values
// convert as before) and a std::expected<T, E> built elsewhere converts to it.
template <typename T, typename E>
class [[nodiscard]] Expected : public std::expected<T, E> {
    using Base = std::expected<T, E>;

public:
    using Base::Base;
    using Base::operator=;

    constexpr Expected() = default;
    constexpr Expected(Base const& other) : Base(other) {}
    constexpr Expected(Base&& other) : Base(std::move(other)) {}
};

// What every function that can fail returns.
template <typename T>
using Result = Expected<T, Error>;

// Shorthand for returning an error: `return fail("root_path is required");`
inline std::unexpected<Error> fail(std::string text) {
    return std::unexpected(Error::message(std::move(text)));
}
inline std::unexpected<Error> fail_errno(std::string operation, int error_number = errno) {
    return std::unexpected(Error::from_errno(std::move(operation), error_number));
}

namespace detail {
// Generic over the error type, so that a module's own failure type (an Error plus what it
// means, as the runner's exit-code-carrying Failure) propagates with the same macros.
template <typename T, typename E>
T unwrap(std::expected<T, E>&& result) {
    return std::move(*result);
}
template <typename E>
void unwrap(std::expected<void, E>&&) {}
} // namespace detail

} // namespace microvm

// Evaluates a Result expression; on error returns it from the enclosing function,
// otherwise yields the value. Uses a GNU statement expression (GCC and Clang).
#define MICROVM_TRY(expr)                                                                          \
    ({                                                                                             \
        auto _microvm_try_result = (expr);                                                         \
        if (!_microvm_try_result) [[unlikely]]                                                     \
            return std::unexpected(std::move(_microvm_try_result.error()));                        \
        ::microvm::detail::unwrap(std::move(_microvm_try_result));                                 \
    })

// Like MICROVM_TRY, adding one clause of context to the error on the way out.
#define MICROVM_TRY_CTX(expr, clause)                                                              \
    ({                                                                                             \
        auto _microvm_try_result = (expr);                                                         \
        if (!_microvm_try_result) [[unlikely]]                                                     \
            return std::unexpected(std::move(_microvm_try_result.error()).context(clause));        \
        ::microvm::detail::unwrap(std::move(_microvm_try_result));                                 \
    })
