-- The plugin schema's shape and validators, with Kong's typedefs stood in
-- (the real ones need Kong; what matters here is what the schema declares).
package.preload["kong.db.schema.typedefs"] = function()
  return { no_consumer = { type = "foreign", eq = "null" }, no_service = { type = "foreign", eq = "null" },
    no_route = { type = "foreign", eq = "null" }, protocols_http = { type = "set" } }
end
local schema = require("kong.plugins.fallback-config.schema")

local function field(record, name)
  for _, f in ipairs(record.fields) do
    if f[name] then
      return f[name]
    end
  end
end

describe("plugin schema", function()
  local config = field(schema, "config")

  it("is named like the plugin and global only", function()
    assert.equals("fallback-config", schema.name)
    for _, name in ipairs({ "consumer", "service", "route" }) do
      assert.equals("null", field(schema, name).eq, name)
    end
  end)

  it("holds only the shared settings, none required, none with a default that would hide the environment's", function()
    local names = {}
    for _, f in ipairs(config.fields) do
      local name, def = next(f)
      names[#names + 1] = name
      assert.is_falsy(def.required, name)
      assert.is_nil(def.default, name)
    end
    table.sort(names)
    assert.same({ "export_delay", "import_grace", "s3_put_params", "storage" }, names)
  end)

  it("are the library's settings with a plugin config field, with the table's limits", function()
    local native = require("kong.plugins.fallback-config.native")
    local fields = {}
    for _, row in ipairs(native.settings_table()) do
      if row.plugin_field then
        local def = field(config, row.plugin_field)
        assert.truthy(def, row.plugin_field)
        fields[#fields + 1] = row.plugin_field
        if row.kind == "seconds" then
          assert.same({ row.min, row.max }, def.between, row.name)
        end
        assert.matches(row.variables[1] .. " wins", def.description, 1, true)
      end
    end
    assert.equals(#config.fields, #fields)
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
  end)

  it("lets storage and S3 parameters come from a vault", function()
    assert.is_true(field(config, "storage").referenceable)
    assert.is_true(field(config, "s3_put_params").values.referenceable)
  end)

  it("marks the fields that can hold secrets for encryption at rest", function()
    -- SSECustomerKey is a secret; the rest of the config holds none (credentials
    -- come from each node's environment, never from the plugin's config).
    assert.is_true(field(config, "s3_put_params").values.encrypted)
    for _, f in ipairs(config.fields) do
      local name = next(f)
      if name ~= "s3_put_params" then
        assert.is_nil(f[name].encrypted, name)
      end
    end
  end)
end)
