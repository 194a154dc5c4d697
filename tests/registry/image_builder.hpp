// Test images made by the real tools: layers built with umoci into an OCI layout, pushed to a
// registry with skopeo.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace microvm::test {

// The files one layer adds: path inside the rootfs -> content.
using LayerFiles = std::map<std::string, std::string>;

// An OCI image layout directory that images are built into. Failures throw
// std::runtime_error with the tool's output, which gtest reports.
class OciLayout {
public:
    explicit OciLayout(std::filesystem::path dir);

    // Builds image `name` with one layer per entry of `layers` and the config's cmd, os and
    // architecture set.
    void build(std::string const& name, std::vector<LayerFiles> const& layers,
               std::string const& architecture = "amd64");

    // Adds `name` to the layout as an image index of the images `members` (each with its own
    // platform in the index entry).
    void make_index(std::string const& name, std::vector<std::string> const& members);

    // The manifest digest ("sha256:...") of image `name` in the layout.
    std::string manifest_digest(std::string const& name) const;

    // skopeo copy oci:<layout>:<name> docker://<destination>, plain HTTP allowed.
    // `extra` goes before the source (e.g. "--all", "--format", "v2s2", "--dest-creds", "u:p").
    void push(std::string const& name, std::string const& destination,
              std::vector<std::string> const& extra = {}) const;

    std::filesystem::path const& dir() const { return m_dir; }

private:
    std::filesystem::path m_dir;
};

} // namespace microvm::test
