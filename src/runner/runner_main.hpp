// microvm-runner: one process per VM (DESIGN.md §2). `microvm-runner PATH|-` reads runner.json
// from PATH ("-": standard input), runs the engine it names and exits with the workload's
// status, or with a contract::RunnerExit code after printing one message to stderr.
#pragma once

namespace microvm::runner {

[[nodiscard]] int runner_main(int argc, char** argv);

} // namespace microvm::runner
