#include "contract/network.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <microvm/egress.hpp>

namespace microvm::contract {

in_addr Ipv4Cidr::netmask() const {
    std::uint32_t const host_order =
        prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
    return in_addr{.s_addr = htonl(host_order)};
}

Result<in_addr> parse_ipv4(std::string_view text) {
    std::string const copy(text);
    in_addr address{};
    if (::inet_pton(AF_INET, copy.c_str(), &address) != 1) {
        return fail("\"" + copy + "\" is not an IPv4 address");
    }
    return address;
}

Result<Ipv4Cidr> parse_ipv4_cidr(std::string_view text) {
    auto const slash = text.find('/');
    if (slash == std::string_view::npos) {
        return fail("\"" + std::string(text) + "\" is not ADDRESS/PREFIX");
    }
    Ipv4Cidr cidr;
    cidr.address = TRY(parse_ipv4(text.substr(0, slash)));
    auto const digits = text.substr(slash + 1);
    auto const [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cidr.prefix_length);
    if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
        cidr.prefix_length > 32) {
        return fail("\"" + std::string(text) + "\": the prefix length must be 0..32");
    }
    return cidr;
}

bool is_ip_address(std::string_view text) {
    return parse_ip_address(text).has_value();
}

} // namespace microvm::contract
