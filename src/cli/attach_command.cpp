#include "cli/attach_command.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/signal_forwarder.hpp"
#include "cli/terminal.hpp"

namespace microvm::cli {

namespace {

struct AttachArgs {
    std::string name;
    std::string detach_keys = default_detach_keys;
};

std::optional<char> control_key(std::string_view key) {
    if (key.size() != 6 || !key.starts_with("ctrl-")) {
        return std::nullopt;
    }
    char const c = key[5];
    if (c >= 'a' && c <= 'z') {
        return static_cast<char>(c - 'a' + 1);
    }
    if (c >= '@' && c <= '_') {
        return static_cast<char>(c - '@');
    }
    return std::nullopt;
}

Result<int> attach_verb(AttachArgs const& args) {
    auto vm = TRY(microvm::open(args.name));
    auto const info = TRY(vm.status());
    if (!info.interactive && !info.tty) {
        return fail("vm " + args.name +
                    " was not started with -i or -t; its output is in microvm logs " + args.name);
    }
    auto const keys = TRY_CTX(parse_detach_keys(args.detach_keys), "--detach-keys");
    if (TRY(attach_user(vm, info.interactive, info.tty, keys)) == AttachEnd::detached) {
        return 0;
    }
    return vm.wait();
}

} // namespace

Result<std::string> parse_detach_keys(std::string const& text) {
    std::string keys;
    std::size_t start = 0;
    while (start < text.size()) {
        auto const comma = text.find(',', start);
        std::string_view const key = std::string_view(text).substr(
            start, comma == std::string::npos ? comma : comma - start);
        if (key.size() == 1) {
            keys.push_back(key.front());
        } else if (auto const control = control_key(key)) {
            keys.push_back(*control);
        } else {
            return fail("\"" + std::string(key) +
                        "\" is not a key (ctrl-<letter> or one character)");
        }
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return keys;
}

Result<AttachEnd> attach_user(Vm& vm, bool interactive, bool tty, std::string const& detach_keys) {
    if (!tty) {
        // The workload's output is in its logs, not on the session: follow them while stdin
        // flows. No detach keys (without a terminal they would be data) and no signal handling:
        // a signal ends this client as it ends any, and the VM runs on.
        auto const session =
            TRY(vm.attach({.stdin_stream = interactive ? ExecStdio::from_fd(STDIN_FILENO)
                                                       : ExecStdio::closed_stream(),
                           .stdout_stream = ExecStdio::closed_stream(),
                           .rows = 0,
                           .cols = 0,
                           .detach_keys = {}}));
        TRY(vm.follow(STDOUT_FILENO, STDERR_FILENO));
        return AttachEnd::workload_ended;
    }
    AttachOptions options{.stdin_stream = interactive ? ExecStdio::from_fd(STDIN_FILENO)
                                                      : ExecStdio::closed_stream(),
                          .stdout_stream = ExecStdio::from_fd(STDOUT_FILENO),
                          .rows = 0,
                          .cols = 0,
                          .detach_keys = interactive ? detach_keys : std::string()};
    if (auto const size = terminal_size(STDIN_FILENO)) {
        options.rows = size->rows;
        options.cols = size->cols;
    }
    // A signal while the session starts ends this client; from here on the forwarder takes
    // them (the session's own thread takes none).
    auto session = TRY(vm.attach(options));
    BlockedSignals const blocked;
    std::optional<RawTerminal> raw;
    if (interactive) {
        raw.emplace(TRY(RawTerminal::enter(STDIN_FILENO)));
    }
    {
        // Signals go to the terminal's foreground process group in the VM, as a key would send
        // them; resizes to the terminal.
        SignalForwarder const forwarder(session, {.signals = true, .resize = true});
        TRY(session.wait());
    }
    raw.reset();
    return session.detached() ? AttachEnd::detached : AttachEnd::workload_ended;
}

std::function<Result<int>()> add_attach_command(CLI::App& app) {
    auto args = std::make_shared<AttachArgs>();
    auto* attach = app.add_subcommand(
        "attach", "Connect to the workload of a VM started with -i or -t (run -d -it)");
    attach->add_option("--detach-keys", args->detach_keys,
                       "Keys that detach, leaving the VM running (default ctrl-p,ctrl-q; \"\" "
                       "for none)");
    attach->add_option("name", args->name, "The running VM")->required();
    attach->footer("Exit status: the workload's when it ends while attached; 0 after a detach.");
    return [args]() -> Result<int> {
        return attach_verb(*args);
    };
}

} // namespace microvm::cli
