-- The entity schemas the harness stores, as far as the plugin's data goes
-- through them: field order, defaults, foreign keys, `db_export`, and whether
-- the entity is workspaceable. From Kong 3.9.1 kong/db/schema/entities/*.lua
-- (the fields of the entities the tests use, with their defaults; fields a
-- configuration carries that are not listed are kept as they are).
local null = ngx.null

local _M = {}

local function f(name, default, reference)
  return { name = name, default = default, reference = reference, type = reference and "foreign" or nil }
end

-- Schema:each_field() (kong/db/schema/init.lua): name, field in order.
local function each_field(schema)
  local i = 0
  return function()
    i = i + 1
    local field = schema.fields[i]
    if field then
      return field.name, field
    end
  end
end

local ts = "auto_timestamp_s"

-- name -> { fields = {...}, db_export, workspaceable }. Foreign fields have
-- a `reference`; `default` null means "null unless given".
local SCHEMAS = {
  workspaces = { workspaceable = false, fields = {
    f("id"), f("name"), f("comment", null), f("created_at", ts), f("updated_at", ts), f("meta", {}), f("config", {}) } },
  consumers = { fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("username", null), f("custom_id", null), f("tags", null) } },
  certificates = { fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("cert"), f("key"), f("cert_alt", null), f("key_alt", null),
    f("tags", null) } },
  ca_certificates = { workspaceable = false, fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("cert"), f("cert_digest", null), f("tags", null) } },
  services = { fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("name", null), f("retries", 5), f("protocol", "http"),
    f("host"), f("port", 80), f("path", null), f("connect_timeout", 60000), f("write_timeout", 60000),
    f("read_timeout", 60000), f("tags", null), f("client_certificate", null, "certificates"),
    f("tls_verify", null), f("tls_verify_depth", null), f("ca_certificates", null), f("enabled", true) } },
  routes = { fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("name", null), f("protocols", { "http", "https" }),
    f("methods", null), f("hosts", null), f("paths", null), f("headers", null), f("https_redirect_status_code", 426),
    f("regex_priority", 0), f("strip_path", true), f("path_handling", "v0"), f("preserve_host", false),
    f("request_buffering", true), f("response_buffering", true), f("snis", null), f("sources", null),
    f("destinations", null), f("tags", null), f("service", null, "services") } },
  upstreams = { fields = {
    f("id"), f("created_at", ts), f("updated_at", ts), f("name"), f("algorithm", "round-robin"),
    f("hash_on", "none"), f("hash_fallback", "none"), f("slots", 10000), f("tags", null),
    f("host_header", null), f("client_certificate", null, "certificates"), f("use_srv_name", false) } },
  targets = { fields = {
    f("id"), f("created_at", "auto_timestamp_ms"), f("updated_at", "auto_timestamp_ms"),
    f("upstream", nil, "upstreams"), f("target"), f("weight", 100), f("tags", null) } },
  snis = { fields = {
    f("id"), f("name"), f("created_at", ts), f("updated_at", ts), f("tags", null),
    f("certificate", nil, "certificates") } },
  plugins = { fields = {
    f("id"), f("name"), f("instance_name", null), f("created_at", ts), f("updated_at", ts),
    f("route", null, "routes"), f("service", null, "services"), f("consumer", null, "consumers"),
    f("config", {}), f("protocols", { "grpc", "grpcs", "http", "https" }), f("enabled", true), f("tags", null) } },
  -- Not exported (kong/db/schema/entities/clustering_data_planes.lua db_export = false).
  clustering_data_planes = { db_export = false, workspaceable = false, fields = { f("id") } },
}

for name, schema in pairs(SCHEMAS) do
  schema.name = name
  if schema.workspaceable == nil then
    schema.workspaceable = true
  end
  schema.each_field = each_field
  schema.by_name = {}
  for _, field in ipairs(schema.fields) do
    schema.by_name[field.name] = field
  end
end

-- kong.constants CORE_ENTITIES order, then the rest alphabetically: the order
-- kong/db/schema/topological_sort.lua gives these (foreign keys first).
_M.EXPORT_ORDER = { "workspaces", "consumers", "certificates", "ca_certificates", "services", "routes", "snis",
                    "upstreams", "targets", "plugins", "clustering_data_planes" }

function _M.get(name)
  return SCHEMAS[name]
end

return _M
