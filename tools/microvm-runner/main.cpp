#include "runner/runner_main.hpp"

int main(int argc, char** argv) {
    return microvm::runner::runner_main(argc, argv);
}
