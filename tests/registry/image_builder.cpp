#include "image_builder.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "host/image/store/digest.hpp"
#include "support/test_support.hpp"

namespace microvm::test {

namespace {

using nlohmann::json;

constexpr char umoci[] = "/usr/bin/umoci";
constexpr char skopeo[] = "/usr/bin/skopeo";

void run(std::vector<std::string> const& argv) {
    auto result = run_process(argv);
    if (result.exit_code != 0) {
        std::string command;
        for (auto const& a : argv) {
            command += a + " ";
        }
        throw std::runtime_error(command + "failed: " + result.err + result.out);
    }
}

json read_json(std::filesystem::path const& path) {
    return json::parse(read_file(path));
}

} // namespace

OciLayout::OciLayout(std::filesystem::path dir) : m_dir(std::move(dir)) {
    run({umoci, "init", "--layout", m_dir.string()});
}

void OciLayout::build(std::string const& name, std::vector<LayerFiles> const& layers,
                      std::string const& architecture) {
    auto const image = m_dir.string() + ":" + name;
    run({umoci, "new", "--image", image});
    auto const bundle = m_dir.parent_path() / (m_dir.filename().string() + "-bundle-" + name);
    for (auto const& files : layers) {
        std::filesystem::remove_all(bundle);
        run({umoci, "unpack", "--rootless", "--image", image, bundle.string()});
        for (auto const& [path, content] : files) {
            auto const target = bundle / "rootfs" / path;
            std::filesystem::create_directories(target.parent_path());
            write_file(target, content);
        }
        run({umoci, "repack", "--image", image, bundle.string()});
    }
    std::filesystem::remove_all(bundle);
    run({umoci, "config", "--image", image, "--config.cmd", "/bin/sh", "--os", "linux",
         "--architecture", architecture});
}

std::string OciLayout::manifest_digest(std::string const& name) const {
    auto const index = read_json(m_dir / "index.json");
    for (auto const& m : index.at("manifests")) {
        if (m.value("annotations", json::object()).value("org.opencontainers.image.ref.name", "") ==
            name) {
            return m.at("digest").get<std::string>();
        }
    }
    throw std::runtime_error("no image " + name + " in " + m_dir.string() + ": " +
                             read_file(m_dir / "index.json"));
}

void OciLayout::make_index(std::string const& name, std::vector<std::string> const& members) {
    auto layout_index = read_json(m_dir / "index.json");
    json index{{"schemaVersion", 2},
               {"mediaType", "application/vnd.oci.image.index.v1+json"},
               {"manifests", json::array()}};
    for (auto const& member : members) {
        for (auto const& m : layout_index.at("manifests")) {
            if (m.value("annotations", json::object())
                    .value("org.opencontainers.image.ref.name", "") != member) {
                continue;
            }
            auto const hex = m.at("digest").get<std::string>().substr(7);
            auto manifest = read_json(m_dir / "blobs" / "sha256" / hex);
            auto config_hex = manifest.at("config").at("digest").get<std::string>().substr(7);
            auto config = read_json(m_dir / "blobs" / "sha256" / config_hex);
            json entry = m;
            entry.erase("annotations");
            entry["platform"] = {{"os", config.at("os")},
                                 {"architecture", config.at("architecture")}};
            index["manifests"].push_back(entry);
        }
    }
    auto const bytes = index.dump();
    auto const digest = image::Digest::of(bytes);
    write_file(m_dir / "blobs" / "sha256" / digest.hex, bytes);
    layout_index["manifests"].push_back(
        {{"mediaType", "application/vnd.oci.image.index.v1+json"},
         {"digest", digest.text()},
         {"size", bytes.size()},
         {"annotations", {{"org.opencontainers.image.ref.name", name}}}});
    write_file(m_dir / "index.json", layout_index.dump());
}

void OciLayout::push(std::string const& name, std::string const& destination,
                     std::vector<std::string> const& extra) const {
    std::vector<std::string> argv{skopeo, "copy", "--quiet", "--dest-tls-verify=false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("oci:" + m_dir.string() + ":" + name);
    argv.push_back("docker://" + destination);
    run(argv);
}

} // namespace microvm::test
