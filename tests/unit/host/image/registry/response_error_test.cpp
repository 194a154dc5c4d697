#include <gtest/gtest.h>

#include "host/image/registry/response_error.hpp"

namespace microvm::image::registry {
namespace {

TEST(RegistryErrorBody, CodesAndMessages) {
    auto errors = parse_error_body(
        R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"},{"code":"X"}]})");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].code, "MANIFEST_UNKNOWN");
    EXPECT_EQ(errors[0].message, "manifest unknown");
    EXPECT_EQ(errors[1].message, "");
    EXPECT_TRUE(parse_error_body("<html>").empty());
    EXPECT_TRUE(parse_error_body(R"({"errors":{}})").empty());
}

TEST(RegistryErrorBody, FieldThatIsNotAStringCountsAsAbsent) {
    // Found by fuzzing the registry's responses: json::value("code", "") threw on a number,
    // so a hostile registry's error body ended the pull with an exception.
    auto errors = parse_error_body(R"({"errors":[{"code":404,"message":"gone"},{"code":1}]})");
    ASSERT_EQ(errors.size(), 1u) << "an error with neither a code nor a message is not one";
    EXPECT_EQ(errors[0].code, "");
    EXPECT_EQ(errors[0].message, "gone");
    HttpResponse response{.status = 404, .body = R"({"errors":[{"code":1}]})"};
    EXPECT_EQ(describe_response(response), R"(404 Not Found: {"errors":[{"code":1}]})");
}

TEST(RegistryErrorBody, DescribeResponse) {
    HttpResponse response{.status = 404, .body = R"({"errors":[{"code":"NAME_UNKNOWN",
        "message":"repository name not known to registry"}]})"};
    EXPECT_EQ(describe_response(response),
              "404 Not Found: repository name not known to registry (NAME_UNKNOWN)");
    EXPECT_TRUE(has_error_code(response, "NAME_UNKNOWN"));
    EXPECT_EQ(describe_response({.status = 500, .body = "oops\n"}),
              "500 Internal Server Error: oops");
}

} // namespace
} // namespace microvm::image::registry
