// `microvm run IMAGE`: images built with umoci, run from an OCI layout and from a real
// registry (docker-registry, pushed with skopeo), then listed and removed.
#include <gtest/gtest.h>

#include <optional>

#include "local_registry.hpp"
#include "vm_fixture.hpp"

namespace microvm::e2e {
namespace {

constexpr char umoci[] = "/usr/bin/umoci";
constexpr char skopeo[] = "/usr/bin/skopeo";

// What the image's own command prints: its Cmd, Env, WorkingDir and User at work.
constexpr char image_output[] = "from-image-cmd hi /srv 1000:1000\n";

void must(std::vector<std::string> const& argv) {
    auto result = test::run_process(argv);
    ASSERT_EQ(result.exit_code, 0) << argv[0] << " " << argv[1] << ": " << result.err << result.out;
}

// An OCI layout holding "1": the busybox root plus a user "app", and a config whose Cmd
// prints what the guest received.
std::filesystem::path const& busybox_layout() {
    static std::filesystem::path const layout = [] {
        auto const dir = fresh_dir("image");
        auto const layout = dir / "layout";
        auto const image = layout.string() + ":1";
        auto const bundle = dir / "bundle";
        must({umoci, "init", "--layout", layout.string()});
        must({umoci, "new", "--image", image});
        must({umoci, "unpack", "--rootless", "--image", image, bundle.string()});
        must({"/bin/cp", "-a", world().rootfs.string() + "/.", (bundle / "rootfs").string()});
        test::write_file(bundle / "rootfs/etc/passwd",
                         "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        test::write_file(bundle / "rootfs/etc/group", "root:x:0:\napp:x:1000:\n");
        // Writable by the image's user, so a test can try to change the image from the guest.
        std::filesystem::create_directories(bundle / "rootfs/srv");
        std::filesystem::permissions(bundle / "rootfs/srv", std::filesystem::perms::all |
                                                                std::filesystem::perms::sticky_bit);
        must({umoci, "repack", "--image", image, bundle.string()});
        // "--flag=value", so that a value starting with "-" is not taken for a flag.
        must({umoci, "config", "--image", image, "--os=linux", "--architecture=amd64",
              "--config.entrypoint=/bin/sh", "--config.entrypoint=-c",
              "--config.cmd=echo from-image-cmd $GREETING $(pwd) $(id -u):$(id -g)",
              "--config.env=GREETING=hi", "--config.workingdir=/srv", "--config.user=app"});
        return layout;
    }();
    return layout;
}

std::string layout_ref() {
    return "oci:" + busybox_layout().string() + ":1";
}

TEST(Image, AnOciLayoutRunsTheImagesOwnCommand) {
    auto result = microvm({"run", layout_ref()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, image_output);
}

TEST(Image, ArgumentsReplaceTheCmdAndFlagsTheEnvAndWorkdir) {
    auto result = microvm({"run", "-e", "GREETING=bye", "-w", "/tmp", layout_ref(),
                           "echo $GREETING $(pwd) $(id -u)"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "bye /tmp 1000\n");
}

TEST(Image, AGuestWriteNeverReachesTheCachedRootfs) {
    auto first = microvm({"run", layout_ref(), "echo changed > /srv/file; cat /srv/file"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(first.out, "changed\n");
    auto second = microvm({"run", layout_ref(), "cat /srv/file 2>/dev/null || echo absent"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(second.out, "absent\n");
}

TEST(Image, ARegistryImageRunsIsListedAndRemoved) {
    auto started = test::LocalRegistry::start();
    ASSERT_TRUE(started) << started.error().text();
    std::optional<test::LocalRegistry> registry(std::move(*started));
    auto const name = registry->address() + "/test/bb";
    must({skopeo, "copy", "--dest-tls-verify=false", layout_ref(), "docker://" + name + ":1"});

    auto run = microvm({"run", name + ":1"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, image_output);

    auto images = microvm({"images"});
    ASSERT_EQ(images.exit_code, 0) << images.err;
    EXPECT_NE(images.out.find(name), std::string::npos) << images.out;

    // Pulled once: the tag runs again with the registry gone.
    registry.reset();
    auto offline = microvm({"run", "--pull", "never", name + ":1", "echo offline"});
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    EXPECT_EQ(offline.out, "offline\n");

    auto rmi = microvm({"rmi", name + ":1"});
    ASSERT_EQ(rmi.exit_code, 0) << rmi.err;
    images = microvm({"images", "--format", "json"});
    EXPECT_EQ(images.out.find(name), std::string::npos) << images.out;
    auto gone = microvm({"run", "--pull", "never", name + ":1"});
    EXPECT_EQ(gone.exit_code, 125);
    EXPECT_NE(gone.err.find("is not in the store"), std::string::npos) << gone.err;
    auto prune = microvm({"image", "prune"});
    EXPECT_EQ(prune.exit_code, 0) << prune.err;
}

// "caps": the busybox image plus a layer holding /bin/rawprobe, a copy of the probe given the
// file capability cap_net_raw (as Debian's ping has it), made by GNU tar and added verbatim.
std::string caps_layout_ref() {
    static std::string const ref = [] {
        auto const dir = fresh_dir("caps-layer");
        std::filesystem::create_directories(dir / "tree/bin");
        std::filesystem::copy_file(bin("e2e_guest_probe"), dir / "tree/bin/rawprobe");
        // VFS_CAP_REVISION_2, effective, cap_net_raw (13) permitted.
        must({"/usr/bin/setfattr", "-n", "security.capability", "-v",
              "0x0100000200200000000000000000000000000000", (dir / "tree/bin/rawprobe").string()});
        must({"/bin/tar", "--format=posix", "--xattrs", "--xattrs-include=security.capability",
              "-C", (dir / "tree").string(), "-cf", (dir / "layer.tar").string(), "bin/rawprobe"});
        must({umoci, "raw", "add-layer", "--image", busybox_layout().string() + ":1", "--tag",
              "caps", (dir / "layer.tar").string()});
        return "oci:" + busybox_layout().string() + ":caps";
    }();
    return ref;
}

TEST(Image, AFileCapabilityInALayerTakesEffectForTheImagesUser) {
    // The image's user is "app" (1000): only the capability lets it open a raw socket.
    auto result = microvm(
        {"run", caps_layout_ref(), "id -u; /bin/rawprobe raw-socket; /bin/probe raw-socket; true"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "1000\nraw-socket OK\nraw-socket EPERM\n");
}

TEST(Image, AnUnknownImageFailsWith125) {
    auto result = microvm({"run", "oci:/nonexistent/layout:1"});
    EXPECT_EQ(result.exit_code, 125);
    EXPECT_NE(result.err.find("/nonexistent/layout"), std::string::npos) << result.err;
}

} // namespace
} // namespace microvm::e2e
