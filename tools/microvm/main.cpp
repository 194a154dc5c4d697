#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return microvm::cli::main(argc, argv);
}
