#include "host/hypervisor/qemu/initramfs_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string_view>

#include "contract/guest_protocol.hpp"

namespace microvm::hypervisor::qemu {
namespace {

struct ArchiveWriteDeleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteDeleter>;

struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

// Mount points microvm-init needs before anything is mounted.
constexpr std::string_view mount_points[] = {"/dev", "/proc", "/sys", contract::guest_new_root};
constexpr unsigned console_major = 5;
constexpr unsigned console_minor = 1;

// Archive member names are relative, as the kernel's gen_init_cpio writes them.
std::string member(std::string_view absolute) {
    return std::string(absolute.starts_with('/') ? absolute.substr(1) : absolute);
}

// Every directory the archive needs, parents included; sorted, so parents come first.
std::set<std::string> directories() {
    std::set<std::string> out;
    auto add_with_parents = [&](std::filesystem::path dir) {
        for (; dir.has_relative_path(); dir = dir.parent_path()) {
            out.insert(member(dir.string()));
        }
    };
    for (auto dir : mount_points) {
        add_with_parents(dir);
    }
    add_with_parents(contract::initramfs_module_dir);
    add_with_parents(std::filesystem::path(contract::initramfs_module_list).parent_path());
    return out;
}

class Writer {
public:
    explicit Writer(archive* a) : m_archive(a) {}

    Result<void> directory(std::string_view name) { return add(name, AE_IFDIR, 0755, {}, 2); }
    Result<void> file(std::string_view name, mode_t mode, std::string_view bytes) {
        return add(name, AE_IFREG, mode, bytes, 1);
    }
    Result<void> char_device(std::string_view name, mode_t mode, unsigned major, unsigned minor) {
        Entry entry = make(name, AE_IFCHR, mode, 1);
        archive_entry_set_rdevmajor(entry.get(), major);
        archive_entry_set_rdevminor(entry.get(), minor);
        return write_header(name, entry.get());
    }

    Result<void> error(std::string const& op) {
        char const* why = archive_error_string(m_archive);
        return fail(op + ": " + (why != nullptr ? why : "unknown error"));
    }

private:
    Entry make(std::string_view name, mode_t type, mode_t mode, unsigned nlink) {
        Entry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), std::string(name).c_str());
        archive_entry_set_filetype(entry.get(), type);
        archive_entry_set_perm(entry.get(), mode);
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), 0, 0);
        archive_entry_set_nlink(entry.get(), nlink);
        // libarchive's cpio writer refuses an entry without a size, even a directory.
        archive_entry_set_size(entry.get(), 0);
        return entry;
    }

    Result<void> write_header(std::string_view name, archive_entry* entry) {
        if (archive_write_header(m_archive, entry) != ARCHIVE_OK) {
            return error("write " + std::string(name));
        }
        return {};
    }

    Result<void> add(std::string_view name, mode_t type, mode_t mode, std::string_view bytes,
                     unsigned nlink) {
        Entry entry = make(name, type, mode, nlink);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
        TRY(write_header(name, entry.get()));
        if (!bytes.empty() && archive_write_data(m_archive, bytes.data(), bytes.size()) !=
                                  static_cast<la_ssize_t>(bytes.size())) {
            return error("write " + std::string(name));
        }
        return {};
    }

    archive* m_archive;
};

} // namespace

Result<void> write_initramfs_archive(int fd, InitramfsContents const& contents) {
    ArchiveWriter handle(archive_write_new());
    if (!handle) {
        return fail("archive_write_new: out of memory");
    }
    archive* a = handle.get();
    Writer writer(a);
    if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        // No block padding: the archive may be concatenated with per-VM archives.
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        return writer.error("initramfs");
    }
    for (auto const& dir : directories()) {
        TRY(writer.directory(dir));
    }
    TRY(writer.char_device("dev/console", 0600, console_major, console_minor));
    TRY(writer.file("init", 0755, contents.init));
    std::string const module_dir = member(contract::initramfs_module_dir);
    std::string list;
    for (auto const& module : contents.modules) {
        std::string file = module.name + ".ko";
        TRY(writer.file(module_dir + "/" + file, 0644, module.bytes));
        list += file + "\n";
    }
    TRY(writer.file(member(contract::initramfs_module_list), 0644, list));
    if (archive_write_close(a) != ARCHIVE_OK) {
        return writer.error("initramfs: finish");
    }
    return {};
}

} // namespace microvm::hypervisor::qemu
