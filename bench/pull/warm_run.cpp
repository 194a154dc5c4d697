// bench_warm_run: the time microvm::run() takes for an image already in the store, from the
// call until it returns, which is when the VM's microvm-runner has started (the boot itself is
// bench/boot's business). Each VM is stopped and removed right after, outside the timing.
//
//   bench_warm_run --data-dir DIR --iterations N [--phases] TARGET...
//
// A TARGET is an image reference ("127.0.0.1:5000/bench/debian:1", "oci:DIR:TAG") that is
// already in DIR's store, or "rootfs:PATH" for a prepared root (the baseline: run() without
// the image step). Targets are timed interleaved (t1, t2, ..., t1, t2, ...) after one untimed
// warm-up run each, so machine load weighs on all of them alike. Prints one line per target:
//   TARGET median min max          (seconds)
// With --phases, also the image step alone (prepare_image: tag index, manifest and config
// read and verified, rootfs found in the cache and locked) and the rootfs view alone
// (create_view: the overlay's directories and its probe mount), per image target.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <microvm/microvm.hpp>

#include "base/temp_dir.hpp"
#include "host/microvm/image_source.hpp"
#include "host/rootfs/view.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::filesystem::path data_dir;
    int iterations = 5;
    bool phases = false;
    std::vector<std::string> targets;
};

[[noreturn]] void usage(char const* why) {
    std::fprintf(stderr,
                 "bench_warm_run: %s\nusage: bench_warm_run --data-dir DIR --iterations N "
                 "[--phases] TARGET...\n",
                 why);
    std::exit(2);
}

Args parse(int argc, char** argv) {
    Args args;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "--data-dir" && i + 1 < argc) {
            args.data_dir = argv[++i];
        } else if (arg == "--iterations" && i + 1 < argc) {
            args.iterations = std::atoi(argv[++i]);
        } else if (arg == "--phases") {
            args.phases = true;
        } else if (arg.starts_with("-")) {
            usage(("unknown option " + arg).c_str());
        } else {
            args.targets.push_back(arg);
        }
    }
    if (args.data_dir.empty() || args.iterations < 1 || args.targets.empty()) {
        usage("--data-dir, --iterations >= 1 and a target are required");
    }
    return args;
}

constexpr std::string_view rootfs_prefix = "rootfs:";

microvm::RunOptions options_for(Args const& args, std::string const& target, std::string name) {
    microvm::RunOptions options;
    options.name = std::move(name);
    options.data_dir = args.data_dir;
    options.command = {"/bin/true"};
    // Never the network: a warm run must not need the registry.
    options.pull = microvm::PullPolicy::never;
    if (target.starts_with(rootfs_prefix)) {
        options.rootfs = target.substr(rootfs_prefix.size());
    }
    return options;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// One run() of `target`, timed; the VM is stopped and removed afterwards, untimed.
double time_run(Args const& args, std::string const& target, std::string const& name) {
    auto const options = options_for(args, target, name);
    std::string const image = target.starts_with(rootfs_prefix) ? "" : target;
    auto const start = Clock::now();
    auto vm = microvm::run(image, options);
    double const elapsed = seconds_since(start);
    if (!vm) {
        std::fprintf(stderr, "bench_warm_run: %s\n", vm.error().text().c_str());
        std::exit(1);
    }
    if (auto removed = vm->remove(); !removed) {
        std::fprintf(stderr, "bench_warm_run: %s\n", removed.error().text().c_str());
        std::exit(1);
    }
    return elapsed;
}

// The image step alone, as run() does it: the rootfs comes back locked, the lock goes with it.
double time_image_step(Args const& args, std::string const& target) {
    auto const options = options_for(args, target, "phases");
    auto const start = Clock::now();
    auto prepared = microvm::prepare_image(target, options, args.data_dir);
    double const elapsed = seconds_since(start);
    if (!prepared) {
        std::fprintf(stderr, "bench_warm_run: %s\n", prepared.error().text().c_str());
        std::exit(1);
    }
    return elapsed;
}

// The rootfs view alone over the image's cached rootfs, in a scratch VM directory.
double time_view(Args const& args, std::string const& target) {
    auto const options = options_for(args, target, "phases");
    auto prepared = microvm::prepare_image(target, options, args.data_dir);
    auto scratch = microvm::base::TempDir::create("bench-warm-run-view-");
    if (!prepared || !scratch) {
        std::fprintf(stderr, "bench_warm_run: cannot prepare the view measurement\n");
        std::exit(1);
    }
    auto const start = Clock::now();
    auto view = microvm::rootfs::create_view(prepared->rootfs, scratch->path());
    double const elapsed = seconds_since(start);
    if (!view) {
        std::fprintf(stderr, "bench_warm_run: %s\n", view.error().text().c_str());
        std::exit(1);
    }
    return elapsed;
}

void print(std::string const& label, std::vector<double> values) {
    std::sort(values.begin(), values.end());
    auto const n = values.size();
    double const median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    std::printf("%s %.4f %.4f %.4f\n", label.c_str(), median, values.front(), values.back());
}

} // namespace

int main(int argc, char** argv) {
    auto const args = parse(argc, argv);
    std::map<std::string, std::vector<double>> runs;
    std::map<std::string, std::vector<double>> image_steps;
    std::map<std::string, std::vector<double>> views;
    // Warm-up: the first run may build the initramfs cache; it is not what a warm run costs.
    for (std::size_t t = 0; t < args.targets.size(); ++t) {
        (void)time_run(args, args.targets[t], "bench-warmup-" + std::to_string(t));
    }
    for (int i = 0; i < args.iterations; ++i) {
        for (std::size_t t = 0; t < args.targets.size(); ++t) {
            auto const& target = args.targets[t];
            runs[target].push_back(
                time_run(args, target, "bench-" + std::to_string(i) + "-" + std::to_string(t)));
            if (args.phases && !target.starts_with(rootfs_prefix)) {
                image_steps[target].push_back(time_image_step(args, target));
                views[target].push_back(time_view(args, target));
            }
        }
    }
    for (auto const& target : args.targets) {
        print("run " + target, runs[target]);
    }
    for (auto const& [target, values] : image_steps) {
        print("image-step " + target, values);
    }
    for (auto const& [target, values] : views) {
        print("view " + target, values);
    }
    return 0;
}
