-- The plugin schema, checked against Kong's own rules for plugin schemas (its
-- metaschema, the plugins entity it specializes, the dao's handler flags,
-- EE's keyring), restated in spec/support/ from Kong OSS 3.9.1 and Kong
-- Enterprise 3.10; then what the schema itself declares.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local kong = dofile(here .. "support/kong_plugins.lua")

local MODULE = "kong.plugins.fallback-config.schema"
local null = kong.null

local function field(record, name)
  for _, f in ipairs(record.fields) do
    if f[name] then
      return f[name]
    end
  end
end

-- The plugin's schema as an edition's Kong loads it: a fresh module each time,
-- so a test may break its copy.
local function load(edition)
  return kong.load(edition, MODULE)
end

local function sorted_names(record)
  local names = {}
  for _, f in ipairs(record.fields) do
    names[#names + 1] = next(f)
  end
  table.sort(names)
  return names
end

-- Kong's verdict, with its errors in the assertion's message.
local function assert_accepted(edition, schema)
  local ok, errors = kong.check(edition, schema)
  assert(ok, edition .. ": " .. table.concat(errors or {}, "\n"))
end

local function assert_refused(edition, schema, expected)
  local ok, errors = kong.check(edition, schema)
  assert.is_nil(ok, edition .. ": the checker accepted a broken schema")
  local all = table.concat(errors, "\n")
  assert(all:find(expected, 1, true), ("expected %q among:\n%s"):format(expected, all))
end

for _, edition in ipairs(kong.EDITIONS) do
  describe("plugin schema under Kong " .. edition .. " (" .. kong.KONG_REF[edition] .. ")", function()
    local schema = load(edition)

    it("passes Kong's metaschema and specializes the plugins entity", function()
      assert_accepted(edition, schema)
    end)

    it("specializes only fields of the plugins entity, config included", function()
      local known = {}
      for _, name in ipairs(kong.plugins_entity_fields(edition)) do
        known[name] = true
      end
      for _, name in ipairs(sorted_names(schema)) do
        assert.is_true(known[name], name)
      end
      assert.equals("record", field(schema, "config").type)
    end)

    it("is global only: Kong's dao marks the handler from eq = ngx.null", function()
      local expected = { no_consumer = true, no_route = true, no_service = true }
      if edition == "ee" then
        expected.no_consumer_group = true
      end
      assert.same(expected, kong.handler_flags(edition, schema))
    end)

    it("uses the edition's typedefs as they are", function()
      local typedefs = kong.typedefs(edition)
      assert.same(typedefs.no_consumer, field(schema, "consumer"))
      assert.same(typedefs.no_service, field(schema, "service"))
      assert.same(typedefs.no_route, field(schema, "route"))
      assert.same(typedefs.protocols_http, field(schema, "protocols"))
      assert.same({ "grpc", "grpcs", "http", "https" }, field(schema, "protocols").default)
    end)

    if edition == "oss" then
      it("has no consumer group, which Kong OSS does not know", function()
        assert.is_nil(field(schema, "consumer_group"))
      end)
    else
      it("has no consumer group, with Kong EE's no_consumer_group", function()
        local def = field(schema, "consumer_group")
        assert.same(kong.typedefs("ee").no_consumer_group, def)
        assert.same({ "foreign", "consumer_groups" }, { def.type, def.reference })
        assert.equals(null, def.eq)
      end)
    end

    it("has the SSE-C key encrypted by EE's keyring, and no flag it would ignore", function()
      local encrypted, ignored = kong.keyring(schema)
      assert.same({ "config.s3_sse_customer_key" }, encrypted)
      assert.same({}, ignored)
    end)
  end)
end

describe("the Kong rules checker", function()
  it("refuses an unknown attribute", function()
    local s = load("oss")
    field(field(s, "config"), "storage").nilable = true
    assert_refused("oss", s, "config.storage.nilable: unknown field")
  end)

  it("refuses an unknown top-level key", function()
    local s = load("oss")
    s.primary_key = { "id" }
    assert_refused("oss", s, "primary_key: unknown field")
  end)

  it("refuses a map without values", function()
    local s = load("oss")
    field(field(s, "config"), "s3_put_params").values = nil
    assert_refused("oss", s, "config.s3_put_params: field of type 'map' must declare 'values'")
  end)

  it("refuses between on a string", function()
    local s = load("oss")
    field(field(s, "config"), "storage").between = { 1, 2 }
    assert_refused("oss", s, "config.storage: field of type 'string' cannot have attribute 'between'")
  end)

  it("refuses a description out of 10..500 bytes, and takes both bounds", function()
    local s = load("oss")
    local storage = field(field(s, "config"), "storage")
    storage.description = "too short"
    assert_refused("oss", s, "config.storage.description: length must be at least 10")
    storage.description = ("x"):rep(501)
    assert_refused("oss", s, "config.storage.description: length must be at most 500")
    for _, n in ipairs({ 10, 500 }) do
      storage.description = ("x"):rep(n)
      assert_accepted("oss", s)
    end
  end)

  it("refuses a field without a type, and a type Kong does not have", function()
    local s = load("oss")
    field(field(s, "config"), "storage").type = nil
    assert_refused("oss", s, "config.storage: missing type declaration")
    field(field(s, "config"), "storage").type = "text"
    assert_refused("oss", s, "config.storage.type: expected one of: array")
  end)

  it("refuses a default the field itself would refuse", function()
    local s = load("oss")
    field(field(s, "config"), "export_delay").default = 0
    assert_refused("oss", s, "config.export_delay.default: must be a number of seconds from 0.001 to 86400")
  end)

  it("refuses consumer_group on OSS, which has no such plugins field", function()
    local s = load("oss")
    table.insert(s.fields, { consumer_group = kong.typedefs("ee").no_consumer_group })
    assert_refused("oss", s, "error in definition of 'fallback-config': consumer_group: cannot create a new field")
  end)

  it("refuses a field whose type does not match the plugins entity's", function()
    local s = load("oss")
    field(s, "protocols").type = "array"
    assert_refused("oss", s, "error in definition of 'fallback-config': protocols: cannot change type in a specialized field")
    s = load("ee")
    field(s, "consumer").type = "string"
    assert_refused("ee", s, "error in definition of 'fallback-config': consumer: cannot change type in a specialized field")
  end)

  it("refuses a schema without config", function()
    local s = load("oss")
    for i, f in ipairs(s.fields) do
      if f.config then
        table.remove(s.fields, i)
      end
    end
    assert_refused("oss", s, "config: abstract field was not specialized")
  end)

  it("sets no handler flag from the string \"null\" (an eq Kong never compares with)", function()
    local s = load("oss")
    for _, name in ipairs({ "consumer", "service", "route" }) do
      field(s, name).eq = "null"
    end
    assert.same({}, kong.handler_flags("oss", s))
  end)

  it("sees that EE's keyring ignores encrypted on a map's values", function()
    local s = load("ee")
    field(field(s, "config"), "s3_put_params").values.encrypted = true
    local encrypted, ignored = kong.keyring(s)
    assert.same({ "config.s3_sse_customer_key" }, encrypted)
    assert.same({ "config.s3_put_params.values" }, ignored)
  end)
end)

describe("plugin schema", function()
  local schema = load("oss")
  local config = field(schema, "config")

  it("is named like the plugin", function()
    assert.equals("fallback-config", schema.name)
  end)

  it("holds only the shared settings, none required, none with a default that would hide the environment's", function()
    for _, f in ipairs(config.fields) do
      local name, def = next(f)
      assert.is_falsy(def.required, name)
      assert.is_nil(def.default, name)
    end
    assert.same({ "export_delay", "import_grace", "s3_put_params", "s3_sse_customer_key", "storage" },
      sorted_names(config))
  end)

  it("are the library's settings with a plugin config field, with the table's limits, plus the SSE-C key", function()
    local native = require("kong.plugins.fallback-config.native")
    local fields = 0
    for _, row in ipairs(native.settings_table()) do
      if row.plugin_field then
        local def = field(config, row.plugin_field)
        assert.truthy(def, row.plugin_field)
        fields = fields + 1
        if row.kind == "seconds" then
          -- The table's limits, in the library's words.
          assert.is_true(def.custom_validator(row.min), row.name)
          assert.is_true(def.custom_validator(row.max), row.name)
          local ok, err = def.custom_validator(row.max + 1)
          assert.is_nil(ok, row.name)
          assert.matches("must be a number of seconds from ", err, 1, true)
        end
        assert.matches(row.variables[1] .. " wins", def.description, 1, true)
      end
    end
    assert.truthy(field(config, "s3_sse_customer_key"))
    assert.equals(#config.fields, fields + 1)
  end)

  it("checks storage and S3 parameters with the library's own rules, in Kong's wording", function()
    local validate = field(config, "storage").custom_validator
    for _, ok in ipairs({ "s3://bucket/prefix", "GCS://bucket", "file:///var/lib/kong" }) do
      assert.is_true(validate(ok), ok)
    end
    local ok, err = validate("ftp://x/y")
    assert.is_nil(ok)
    assert.equals("the scheme 'ftp' is not supported: use s3://, gcs:// or file://", err)
    ok, err = validate("s3://AKIA:secret@bucket/p")
    assert.is_nil(ok)
    assert.equals("must not contain credentials; use the AWS_* or GCP_* settings instead", err)
    assert.is_nil(err:find("secret", 1, true))
    local params = field(config, "s3_put_params").custom_validator
    assert.is_true(params({ StorageClass = "STANDARD_IA", BucketKeyEnabled = "true" }))
    ok, err = params({ Bogus = "x" })
    assert.is_nil(ok)
    assert.equals("'Bogus' is not a supported PutObject parameter", err)
    local key = field(config, "s3_sse_customer_key").custom_validator
    assert.is_true(key("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="))
    ok, err = key("abc")
    assert.is_nil(ok)
    assert.equals("SSECustomerKey must be base64", err)
  end)

  it("refuses SSECustomerKey in the map, pointing to s3_sse_customer_key", function()
    local ok, err = field(config, "s3_put_params").custom_validator({ SSECustomerKey = "MDEy" })
    assert.is_nil(ok)
    assert.matches("s3_sse_customer_key", err, 1, true)
  end)

  it("lets storage, the S3 parameters and the SSE-C key come from a vault", function()
    assert.is_true(field(config, "storage").referenceable)
    assert.is_true(field(config, "s3_put_params").values.referenceable)
    assert.is_true(field(config, "s3_sse_customer_key").referenceable)
    -- Kong validates a write with the references unresolved: a referenceable
    -- string skips its validators (kong/db/schema/init.lua 3.9.1:995-997).
    assert.is_true(kong.validate(config, { storage = "{vault://env/fc-storage}",
      s3_sse_customer_key = "{vault://env/fc-sse-key}", s3_put_params = { SSEKMSKeyId = "{vault://env/fc-kms}" } }))
  end)

  it("is checked by Kong as a record: the table's limits, the library's rules", function()
    assert.is_true(kong.validate(config, { storage = "s3://bucket/p", export_delay = 30, import_grace = 600,
      s3_put_params = { StorageClass = "STANDARD_IA" } }))
    local ok, err = kong.validate(config, { export_delay = 0 })
    assert.is_nil(ok)
    assert.equals("must be a number of seconds from 0.001 to 86400, got '0'", err.export_delay)
    -- A vault reference among the S3 parameters is checked once resolved.
    assert.is_true(kong.validate(config, { s3_put_params = { BucketKeyEnabled = "{vault://env/fc-bucket-key}" } }))
    ok, err = kong.validate(config, { storage = "ftp://x/y", s3_put_params = { Bogus = "x" } })
    assert.is_nil(ok)
    assert.same({ storage = "the scheme 'ftp' is not supported: use s3://, gcs:// or file://",
      s3_put_params = "'Bogus' is not a supported PutObject parameter" }, err)
  end)

  it("marks the secret for encryption at rest, in the only shapes EE's keyring encrypts", function()
    -- The keyring encrypts a string field, or an array of strings, flagged on
    -- the field itself (FTI-6378 kong/db/schema/entity.lua:64-117); the rest
    -- of the config holds no secret (credentials come from each node's
    -- environment).
    local flagged = {}
    local function walk(def, path)
      for _, attr in ipairs({ "elements", "keys", "values" }) do
        if type(def[attr]) == "table" then
          assert.is_nil(def[attr].encrypted, path .. "." .. attr)
          walk(def[attr], path .. "." .. attr)
        end
      end
      for _, f in ipairs(def.fields or {}) do
        local name, sub = next(f)
        if sub.encrypted then
          flagged[#flagged + 1] = path .. name
          assert.is_true(sub.type == "string" or (sub.type == "array" and sub.elements.type == "string"), name)
        end
        walk(sub, path .. name .. ".")
      end
    end
    walk(schema, "")
    assert.same({ "config.s3_sse_customer_key" }, flagged)
    assert.is_nil(field(config, "s3_put_params").values.encrypted)
  end)
end)
