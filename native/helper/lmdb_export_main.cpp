// fallback-config-lmdb-export: reads a DB-less Kong node's configuration from
// its LMDB (config/kong_lmdb_export.h) in a process of its own. The library
// runs it for the plugin's exporter: LMDB allows one environment per process,
// and Kong's nginx workers hold this one, so the read cannot happen inside
// them; here it also costs the proxying event loop nothing.
//
//   stdin   the export plan (config/kong_export_plan.h)
//   stdout  the configuration as JSON, a newline, then one line
//           {"hash": "<Kong's>", "entities": N, "empty": false,
//            "bytes": <of the JSON>, "sha256": "<of the JSON, hex>"}
//   stderr  one line saying what went wrong; exit status 1
//
// The SHA-256 is taken here too, so that the nginx worker that uploads the
// bytes spends no CPU on them. It runs at the lowest CPU priority: a
// gateway's requests come first.
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <iostream>
#include <iterator>
#include <string>

#include "config/kong_export_plan.h"
#include "config/kong_lmdb_export.h"
#include "crypto/digest.h"
#include "util/error.h"
#include "util/fd_io.h"

namespace {

// SCHED_BATCH: never preempts a woken task (nginx) on its own wakeup; nice 19:
// the smallest share when both want the CPU. Best effort.
void lower_priority() {
  sched_param param{};
  sched_setscheduler(0, SCHED_BATCH, &param);
  setpriority(PRIO_PROCESS, 0, 19);
}

std::string trailer(const fc::KongSnapshot &snapshot, const rapidjson::StringBuffer &config) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("hash");
  w.String(snapshot.hash.data(), static_cast<rapidjson::SizeType>(snapshot.hash.size()));
  w.Key("entities");
  w.Uint64(snapshot.entities);
  w.Key("empty");
  w.Bool(snapshot.empty);
  w.Key("bytes");
  w.Uint64(config.GetSize());
  w.Key("sha256");
  std::string sha256 = fc::crypto::hex(fc::crypto::sha256(std::string_view(config.GetString(), config.GetSize())));
  w.String(sha256.data(), static_cast<rapidjson::SizeType>(sha256.size()));
  w.EndObject();
  return "\n" + std::string(out.GetString(), out.GetSize()) + "\n";
}

}  // namespace

int main(int argc, char **) {
  if (argc != 1) {
    std::cerr << "fallback-config-lmdb-export: reads the export plan on stdin and takes no arguments\n";
    return 2;
  }
  lower_priority();
  try {
    std::string plan_json(std::istreambuf_iterator<char>(std::cin), {});
    fc::KongExportPlan plan = fc::parse_kong_export_plan(plan_json.data(), plan_json.size());
    rapidjson::StringBuffer config;
    fc::KongSnapshot snapshot = fc::export_kong_lmdb(plan, std::time(nullptr), config);
    std::string tail = trailer(snapshot, config);
    fc::write_all(STDOUT_FILENO, config.GetString(), config.GetSize(), "stdout");
    fc::write_all(STDOUT_FILENO, tail.data(), tail.size(), "stdout");
    return 0;
  } catch (const std::exception &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
