-- The plugin's declarative config: the settings every node shares (storage,
-- export delay, import grace, S3 PutObject parameters). Which node exports or
-- imports, and the credentials, come from each node's environment, which also
-- wins over these fields. Global only: no service, route or consumer.

local typedefs = require("kong.db.schema.typedefs")

local KNOWN_SCHEMES = { s3 = true, gcs = true, file = true }

local function validate_storage(value)
  local scheme = value:match("^(%a[%w+.-]*)://")
  if not scheme or not KNOWN_SCHEMES[scheme:lower()] then
    return nil, "must start with s3://, gcs:// or file://"
  end
  if value:match("^%a[%w+.-]*://[^/]*@") then
    return nil, "must not hold credentials: set them in the environment"
  end
  return true
end

return {
  name = "fallback-config",
  fields = {
    { consumer = typedefs.no_consumer },
    { service = typedefs.no_service },
    { route = typedefs.no_route },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { storage = { description = "Where the configuration is kept: s3://bucket/prefix, gcs://bucket/prefix or file:///path. KONG_CLUSTER_FALLBACK_CONFIG_STORAGE wins.",
              type = "string", required = false, referenceable = true, custom_validator = validate_storage } },
          { export_delay = { description = "Seconds: at most one upload per window; the latest configuration wins. KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY wins. Default 60.",
              type = "number", required = false, gt = 0 } },
          { import_grace = { description = "Seconds a new data plane waits for its control plane before importing. KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE wins. Default 5.",
              type = "number", required = false, gt = 0 } },
          -- Values can hold a secret (SSECustomerKey): vault references, and
          -- encrypted at rest where Kong's keyring is on.
          { s3_put_params = { description = "Extra S3 PutObject parameters in AWS SDK naming, e.g. ServerSideEncryption. KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG wins.",
              type = "map", required = false,
              keys = { type = "string" },
              values = { type = "string", referenceable = true, encrypted = true } } },
        },
      },
    },
  },
}
