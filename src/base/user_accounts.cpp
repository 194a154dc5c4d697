#include "base/user_accounts.hpp"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "base/safe_file.hpp"

namespace microvm::base {

namespace {

// passwd and group files of real images are a few KiB (a full distribution's, tens); the cap
// bounds the memory a hostile image can make us spend on them.
constexpr std::size_t max_account_file_bytes = 1 << 20;

constexpr char passwd_path[] = "etc/passwd";
constexpr char group_path[] = "etc/group";

// An id: decimal, below 2^32 - 1 ((uid_t)-1 means "no change" to chown and is not an id).
std::optional<std::uint32_t> parse_id(std::string_view text) {
    std::uint64_t value = 0;
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
        value >= std::numeric_limits<std::uint32_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(value);
}

bool is_number(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        std::size_t const colon = line.find(':', start);
        fields.push_back(line.substr(start, colon - start));
        if (colon == std::string_view::npos) {
            return fields;
        }
        start = colon + 1;
    }
}

struct Account {
    std::string name;
    std::uint32_t id = 0;
    std::uint32_t gid = 0; // passwd only
    std::string home;      // passwd only
};

// The entries of a passwd (id in field 2, gid 3, home 5) or group (id in field 2) file.
// Comments, blank lines, NIS "+"/"-" lines and malformed lines are skipped, as libc does.
std::vector<Account> parse_accounts(std::string_view text, bool passwd) {
    std::vector<Account> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view const line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
            continue;
        }
        auto const fields = fields_of(line);
        if (fields.size() < (passwd ? 4u : 3u) || fields[0].empty()) {
            continue;
        }
        auto const id = parse_id(fields[2]);
        auto const gid = passwd ? parse_id(fields[3]) : std::optional<std::uint32_t>(0);
        if (!id || !gid) {
            continue;
        }
        out.push_back({std::string(fields[0]), *id, *gid,
                       passwd && fields.size() > 5 ? std::string(fields[5]) : std::string()});
    }
    return out;
}

// The accounts in `path`, or nullopt when the image has no such file.
Result<std::optional<std::vector<Account>>> read_accounts(base::Fd const& rootfs, char const* path,
                                                          bool passwd) {
    auto text =
        base::read_file_in_root(rootfs, path, max_account_file_bytes, base::Resolve::in_root);
    if (!text) {
        if (text.error().errno_value() == ENOENT) {
            return std::optional<std::vector<Account>>();
        }
        return std::unexpected(std::move(text.error()).context(std::string("read /") + path));
    }
    return std::optional<std::vector<Account>>(parse_accounts(*text, passwd));
}

Account const* find(std::vector<Account> const& accounts, std::string_view name,
                    std::optional<std::uint32_t> id) {
    for (auto const& account : accounts) {
        if (account.name == name) {
            return &account;
        }
    }
    if (id) {
        for (auto const& account : accounts) {
            if (account.id == *id) {
                return &account;
            }
        }
    }
    return nullptr;
}

} // namespace

Result<UserIds> resolve_user(std::string_view spec, base::Fd const& rootfs) {
    std::string const op = "resolve user \"" + std::string(spec) + "\"";
    std::size_t const colon = spec.find(':');
    std::string_view const user = spec.substr(0, colon);
    std::optional<std::string_view> const group =
        colon == std::string_view::npos ? std::nullopt : std::optional(spec.substr(colon + 1));
    std::string_view const user_name = user.empty() ? "0" : user;

    auto const passwd = TRY_CTX(read_accounts(rootfs, passwd_path, true), op);
    UserIds ids;
    std::optional<std::uint32_t> const uid = parse_id(user_name);
    if (is_number(user_name) && !uid) {
        return fail(op + ": user id " + std::string(user_name) + " is out of range");
    }
    Account const* const entry = passwd ? find(*passwd, user_name, uid) : nullptr;
    if (entry != nullptr) {
        ids.uid = entry->id;
        ids.gid = entry->gid;
        ids.home = entry->home;
    } else if (uid) {
        ids.uid = *uid; // a numeric user need not be listed; its group is then 0
    } else {
        return fail(op + ": no user \"" + std::string(user_name) + "\" in the image's " +
                    (passwd ? "/etc/passwd" : "files (it has no /etc/passwd)"));
    }

    if (!group) {
        return ids;
    }
    if (group->empty()) {
        return fail(op + ": the group after ':' is empty");
    }
    std::optional<std::uint32_t> const gid = parse_id(*group);
    if (is_number(*group) && !gid) {
        return fail(op + ": group id " + std::string(*group) + " is out of range");
    }
    if (gid) {
        ids.gid = *gid; // a number is used as is, listed or not
        return ids;
    }
    auto const groups = TRY_CTX(read_accounts(rootfs, group_path, false), op);
    Account const* const group_entry = groups ? find(*groups, *group, std::nullopt) : nullptr;
    if (group_entry == nullptr) {
        return fail(op + ": no group \"" + std::string(*group) + "\" in the image's " +
                    (groups ? "/etc/group" : "files (it has no /etc/group)"));
    }
    ids.gid = group_entry->id;
    return ids;
}

} // namespace microvm::base
