// Makes readdir(3) fail part way through one directory, for the code paths that handle a
// directory removed while it is read, or /proc/PID/fd of a process that exits meanwhile (the
// kernel then answers getdents with ENOENT). Such races cannot be timed in a test, so every
// unit-test binary interposes readdir (readdir_fault.cpp): it passes each call through to the
// C library unless a ReaddirFault is alive. std::filesystem's directory_iterator reads through
// readdir too, so the fault reaches it.
#pragma once

#include <filesystem>

namespace microvm::test {

class ReaddirFault {
public:
    // From now on, reading the directory `dir` (compared by the path its descriptor resolves
    // to, however it was opened) yields `entries` entries besides "." and "..", then fails
    // with `error`. Only one may be alive at a time.
    ReaddirFault(std::filesystem::path const& dir, int entries, int error);
    ~ReaddirFault();
    ReaddirFault(ReaddirFault const&) = delete;
    ReaddirFault& operator=(ReaddirFault const&) = delete;

    // How many readdir calls it has failed so far.
    int failures() const;
};

} // namespace microvm::test
