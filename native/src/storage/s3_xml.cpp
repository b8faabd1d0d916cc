#include "storage/s3_xml.h"

#include <tinyxml2.h>

#include <cstdlib>

#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"

namespace fc {

namespace {

std::string child_text(const tinyxml2::XMLElement *parent, const char *name) {
  const tinyxml2::XMLElement *e = parent->FirstChildElement(name);
  const char *text = e ? e->GetText() : nullptr;
  return text ? std::string(text) : std::string();
}

bool parse_document(std::string_view xml, tinyxml2::XMLDocument *doc) {
  return !xml.empty() && doc->Parse(xml.data(), xml.size()) == tinyxml2::XML_SUCCESS;
}

}  // namespace

bool parse_s3_error(std::string_view xml, S3Error *out) {
  tinyxml2::XMLDocument doc;
  if (!parse_document(xml, &doc)) return false;
  const tinyxml2::XMLElement *root = doc.RootElement();
  if (!root || std::string_view(root->Name()) != "Error") return false;
  out->code = one_line(child_text(root, "Code"));
  out->message = one_line(child_text(root, "Message"));
  out->request_id = one_line(child_text(root, "RequestId"));
  out->region = one_line(child_text(root, "Region"));
  out->endpoint = one_line(child_text(root, "Endpoint"));
  return !out->code.empty();
}

S3ListPage parse_list_objects_v2(std::string_view xml) {
  tinyxml2::XMLDocument doc;
  if (!parse_document(xml, &doc)) fail(FC_ESTORAGE, "the object listing is not well-formed XML");
  const tinyxml2::XMLElement *root = doc.RootElement();
  if (!root || std::string_view(root->Name()) != "ListBucketResult")
    fail(FC_ESTORAGE, "the object listing has no <ListBucketResult>");
  S3ListPage page;
  page.truncated = child_text(root, "IsTruncated") == "true";
  page.next_continuation_token = child_text(root, "NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty())
    fail(FC_ESTORAGE, "the object listing is truncated but has no NextContinuationToken");
  for (const tinyxml2::XMLElement *c = root->FirstChildElement("Contents"); c;
       c = c->NextSiblingElement("Contents")) {
    ObjectInfo info;
    info.key = child_text(c, "Key");
    if (info.key.empty()) fail(FC_ESTORAGE, "the object listing has an entry without a <Key>");
    info.etag = child_text(c, "ETag");
    info.revision = unquoted(info.etag);
    std::string size = child_text(c, "Size");
    char *end = nullptr;
    info.size = std::strtoull(size.c_str(), &end, 10);
    if (size.empty() || *end != '\0') fail(FC_ESTORAGE, "the object listing has an entry with a bad <Size>");
    std::time_t t;
    info.last_modified = parse_iso8601_utc(child_text(c, "LastModified"), &t) ? static_cast<int64_t>(t) : -1;
    int64_t ms;
    if (parse_iso8601_utc_ms(child_text(c, "LastModified"), &ms)) info.modified_ms = ms;
    page.objects.push_back(std::move(info));
  }
  return page;
}

}  // namespace fc
