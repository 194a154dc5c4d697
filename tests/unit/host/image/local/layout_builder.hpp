// Builds OCI image layouts, OCI archives and docker-save archives for the local-import tests:
// layers are real tars (LayerBuilder), blobs are named by their real digests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../layer_builder.hpp"
#include "host/image/store/digest.hpp"

namespace microvm::image::test {

inline std::string slurp(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spit(std::filesystem::path const& path, std::string const& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

// The config of the test image: Entrypoint, Cmd, Env, WorkingDir and User set.
inline std::string test_config() {
    return nlohmann::json{{"architecture", "amd64"},
                          {"os", "linux"},
                          {"created", "2026-01-02T03:04:05Z"},
                          {"config",
                           {{"Entrypoint", {"/bin/hello"}},
                            {"Cmd", {"--default"}},
                            {"Env", {"PATH=/bin", "FROM_IMAGE=1"}},
                            {"WorkingDir", "/srv"},
                            {"User", "app"}}},
                          {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}}
        .dump();
}

// The test image's one layer: a program, a user "app" (1000:1001) in /etc/passwd and /etc/group.
inline void write_test_layer(std::filesystem::path const& path) {
    LayerBuilder()
        .dir("bin")
        .file("bin/hello", "#!/bin/sh\necho hello\n", 0755)
        .dir("etc")
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
        .file("etc/group", "root:x:0:\napp:x:1001:\n")
        .dir("srv")
        .write(path);
}

// An OCI layout in `dir` with the test image under the name `ref_name`. Returns the
// manifest digest.
inline Digest write_oci_layout(std::filesystem::path const& dir,
                               std::string const& ref_name = "v1") {
    auto const blob = [&](std::string const& bytes) {
        auto const digest = Digest::of(bytes);
        spit(dir / "blobs" / "sha256" / digest.hex, bytes);
        return digest;
    };
    auto const layer_file = dir / "layer.tar";
    std::filesystem::create_directories(dir);
    write_test_layer(layer_file);
    auto const layer_bytes = slurp(layer_file);
    std::filesystem::remove(layer_file);
    auto const layer = blob(layer_bytes);
    auto const config_bytes = test_config();
    auto const config = blob(config_bytes);
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                               {"config",
                                {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                 {"digest", config.text()},
                                 {"size", config_bytes.size()}}},
                               {"layers",
                                {{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                  {"digest", layer.text()},
                                  {"size", layer_bytes.size()}}}}};
    auto const manifest_bytes = manifest.dump();
    auto const manifest_digest = blob(manifest_bytes);
    nlohmann::json index = {
        {"schemaVersion", 2},
        {"manifests",
         {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
           {"digest", manifest_digest.text()},
           {"size", manifest_bytes.size()},
           {"annotations", {{"org.opencontainers.image.ref.name", ref_name}}}}}}};
    spit(dir / "index.json", index.dump());
    spit(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    return manifest_digest;
}

// A tar of every regular file and directory below `dir`, named relative to it.
inline void write_tar_of(std::filesystem::path const& dir, std::filesystem::path const& tar) {
    LayerBuilder builder;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(dir)) {
        auto const name = std::filesystem::relative(entry.path(), dir).string();
        if (entry.is_directory()) {
            builder.dir(name);
        } else {
            builder.file(name, slurp(entry.path()));
        }
    }
    builder.write(tar);
}

// A `docker save` archive of the test image, tagged `repo_tag`, with an uncompressed layer.
inline void write_docker_archive(std::filesystem::path const& work,
                                 std::filesystem::path const& tar,
                                 std::string const& repo_tag = "example.com/test/app:1") {
    auto const dir = work / "docker-save";
    std::filesystem::create_directories(dir / "abc");
    write_test_layer(dir / "abc" / "layer.tar");
    spit(dir / "config.json", test_config());
    nlohmann::json manifest = nlohmann::json::array(
        {{{"Config", "config.json"}, {"RepoTags", {repo_tag}}, {"Layers", {"abc/layer.tar"}}}});
    spit(dir / "manifest.json", manifest.dump());
    write_tar_of(dir, tar);
}

} // namespace microvm::image::test
