// The `microvm` command: a table of verbs on top of the library.
#pragma once

namespace microvm::cli {

// Parses argv, runs the verb, prints any error exactly once, and returns the exit status
// (podman's conventions: 125 when microvm failed, otherwise the verb's own status).
int main(int argc, char** argv);

} // namespace microvm::cli
