// The strict parser as it was before src/json/parse.cc got its own lexer: nlohmann's SAX parser
// driving a builder that refuses duplicate member names, excess depth and non-finite numbers.
// Kept here, unchanged, as the differential oracle for json_parse_test.
#pragma once

#include <string_view>

#include "json/json.h"

namespace pqmcp::json::test {

JsonResult<Value> oracle_parse(std::string_view text, const Limits& limits = {}) noexcept;

}  // namespace pqmcp::json::test
