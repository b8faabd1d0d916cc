// parse_kong_export_plan: the plan the plugin hands the LMDB export helper
// (the helper reads it from stdin). Input: the plan's JSON.
//
// Properties: a plan is accepted with a non-empty LMDB path and entity names
// that are non-empty and free of Kong's key separators ('|', ':'), each
// foreign key named; or it is refused with FC_EINVAL in one line that says
// it is about the export plan.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "config/kong_export_plan.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fc::KongExportPlan plan;
  try {
    plan = fc::parse_kong_export_plan(reinterpret_cast<const char *>(data), size);
  } catch (const fc::Error &e) {
    const std::string message = e.what();
    FUZZ_CHECK(e.status() == FC_EINVAL);
    FUZZ_CHECK(message.rfind("the export plan: ", 0) == 0);
    FUZZ_CHECK(message.find('\n') == std::string::npos);
    return 0;
  }
  FUZZ_CHECK(!plan.lmdb_environment_path.empty());
  for (const auto &entity : plan.entities) {
    FUZZ_CHECK(!entity.name.empty());
    FUZZ_CHECK(entity.name.find_first_of("|:") == std::string::npos);
    for (const auto &fk : entity.foreign_keys) FUZZ_CHECK(!fk.empty());
  }
  return 0;
}
