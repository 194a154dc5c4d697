// Internal shorthand for the error macros; the public header keeps only MICROVM_-prefixed names
// so that embedding programs do not get a bare TRY.
#pragma once

#include <microvm/error.hpp>

#define TRY MICROVM_TRY
#define TRY_CTX MICROVM_TRY_CTX
