// A lock handed to the runner outlives the process that started it: the detached VM's rootfs
// stays locked against `image prune` after `microvm run -d` has exited.
#include <gtest/gtest.h>

#include "host/image/store/file_lock.hpp"
#include "process_fixture.hpp"

namespace microvm::process::test {
namespace {

class HeldLockTest : public ProcessTest {};

TEST_F(HeldLockTest, TheRunnerKeepsTheLockAfterTheStarterLetsGo) {
    auto const lock_path = dir() / "rootfs.lock";
    auto ready = dir() / "ready";
    auto spawned = [&]() -> Result<SpawnedRunner> {
        auto shared = TRY(image::FileLock::acquire(lock_path, image::LockMode::shared));
        auto script = dir() / "runner.sh";
        // The variable tells a real runner which descriptor to keep; the shell keeps it anyway.
        microvm::test::write_file(
            script,
            "[ \"$MICROVM_RUNNER_HELD_FD\" = 3 ] && [ -e /proc/self/fd/3 ] && echo held > " +
                ready.string() + "\nexec sleep 600\n");
        return spawn_runner({.runner = shell,
                             .config_path = script,
                             .log_path = log(),
                             .env = {"PATH=/usr/bin:/bin"},
                             .held_lock_fd = shared.fd()});
        // The starter's own copy of the lock closes here.
    }();
    ASSERT_TRUE(spawned) << spawned.error().text();
    EXPECT_EQ(wait_for_line(ready), "held");

    auto while_running = image::FileLock::try_acquire(lock_path, image::LockMode::exclusive);
    ASSERT_TRUE(while_running) << while_running.error().text();
    EXPECT_FALSE(*while_running) << "a prune could take the lock of a running VM's rootfs";

    ASSERT_TRUE(spawned->child.kill());
    auto after = image::FileLock::try_acquire(lock_path, image::LockMode::exclusive);
    ASSERT_TRUE(after) << after.error().text();
    EXPECT_TRUE(*after) << "the lock outlived the runner";
}

TEST_F(HeldLockTest, WithoutALockNothingIsHandedOver) {
    auto ready = dir() / "ready";
    auto spawned = spawn_script(
        "[ -z \"$MICROVM_RUNNER_HELD_FD\" ] && [ ! -e /proc/self/fd/3 ] && echo none > " +
        ready.string() + "\n");
    ASSERT_TRUE(spawned) << spawned.error().text();
    EXPECT_EQ(wait_for_line(ready), "none");
    ASSERT_TRUE(spawned->child.wait());
}

} // namespace
} // namespace microvm::process::test
