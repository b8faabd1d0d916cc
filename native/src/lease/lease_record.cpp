#include "lease/lease_record.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/error.h"

namespace fc {

namespace {

constexpr int64_t kMaxDurationMs = 7LL * 24 * 3600 * 1000;

[[noreturn]] void not_a_lease(const std::string &what, const char *why) {
  fail(FC_ESTORAGE, what + " is not a lease object: " + why);
}

}  // namespace

std::string write_lease_record(const LeaseRecord &r) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("holder");
  w.String(r.holder.data(), static_cast<rapidjson::SizeType>(r.holder.size()));
  w.Key("epoch");
  w.Uint64(r.epoch);
  w.Key("token");
  w.String(r.token.data(), static_cast<rapidjson::SizeType>(r.token.size()));
  w.Key("duration_ms");
  w.Int64(r.duration_ms);
  w.Key("released");
  w.Bool(r.released);
  w.Key("renewal");
  w.Uint64(r.renewal);
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

LeaseRecord parse_lease_record(std::string_view body, const std::string &what) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) not_a_lease(what, "not a JSON object");
  LeaseRecord r;
  auto text = [&](const char *name, std::string &out) {
    auto m = doc.FindMember(name);
    if (m == doc.MemberEnd() || !m->value.IsString()) not_a_lease(what, "a string member is missing");
    out.assign(m->value.GetString(), m->value.GetStringLength());
  };
  text("holder", r.holder);
  text("token", r.token);
  auto epoch = doc.FindMember("epoch");
  if (epoch == doc.MemberEnd() || !epoch->value.IsUint64()) not_a_lease(what, "epoch is not a whole number");
  r.epoch = epoch->value.GetUint64();
  auto duration = doc.FindMember("duration_ms");
  if (duration == doc.MemberEnd() || !duration->value.IsInt64() || duration->value.GetInt64() <= 0 ||
      duration->value.GetInt64() > kMaxDurationMs)
    not_a_lease(what, "duration_ms is not a duration");
  r.duration_ms = duration->value.GetInt64();
  auto released = doc.FindMember("released");
  r.released = released != doc.MemberEnd() && released->value.IsBool() && released->value.GetBool();
  auto renewal = doc.FindMember("renewal");
  r.renewal = renewal != doc.MemberEnd() && renewal->value.IsUint64() ? renewal->value.GetUint64() : 0;
  return r;
}

}  // namespace fc
