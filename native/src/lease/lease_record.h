// The body of a lease object (<prefix>/<version>/lease.json): who holds it,
// in which epoch, for how long after the store last wrote it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fc {

struct LeaseRecord {
  std::string holder;        // a node id; "" once released
  uint64_t epoch = 0;        // grows by one with every new holder
  std::string token;         // random, per acquisition: tells a holder's own write from another's
  int64_t duration_ms = 0;   // valid this long after the store's Last-Modified
  bool released = false;     // given up by its holder or by hand: free at once
  // Grows with every write of the holder: no two writes have the same body,
  // so none has the same ETag (S3's is the body's MD5), and a late renewal
  // never matches a condition meant for the one before it.
  uint64_t renewal = 0;
};

std::string write_lease_record(const LeaseRecord &record);
// Throws fc::Error(FC_ESTORAGE) naming `what` when the body is not a lease.
LeaseRecord parse_lease_record(std::string_view body, const std::string &what);

}  // namespace fc
