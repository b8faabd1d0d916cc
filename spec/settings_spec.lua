-- The plugin's own choices on top of the library's table of settings; what
-- each value may be is checked, for every setting, by settings_parity_spec.lua.
local settings = require("kong.plugins.fallback-config.settings")
local native = require("kong.plugins.fallback-config.native")

local function resolve(env, conf)
  local s, err, reason = settings.resolve(env, conf)
  if s then
    s.settings:free()
  end
  return s, err, reason
end

local function error_of(env, conf)
  local s, err = resolve(env, conf)
  assert.is_nil(s)
  assert.is_string(err)
  assert.is_nil(string.find(err, "\n"))
  return err
end

describe("settings", function()
  it("read every variable of the library's table, and nothing else, skipping empty ones", function()
    local env = settings.read_env(function(name)
      return ({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p", AWS_REGION = "", PATH = "/usr/bin" })[name]
    end)
    assert.same({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p" }, env)
    local expected = {}
    for _, row in ipairs(native.settings_table()) do
      for _, variable in ipairs(row.variables) do
        expected[#expected + 1] = variable
      end
    end
    assert.same(expected, settings.VARIABLES)
    assert.truthy(#settings.VARIABLES >= 30)
  end)

  it("default to Kong's values with export and import off", function()
    local s = assert(resolve({}, nil))
    assert.is_false(s.export)
    assert.is_false(s.import)
    assert.equals(60, s.export_delay)
    assert.equals(5, s.import_grace)
    assert.is_nil(s.storage)
    assert.is_nil(s.insecure_warning)
  end)

  it("parse Kong's booleans and numbers", function()
    local s = assert(resolve({
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "file:///var/lib/kong/fallback",
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on",
      KONG_CLUSTER_FALLBACK_CONFIG_IMPORT = "False",
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY = "2.5",
    }))
    assert.is_true(s.export)
    assert.is_false(s.import)
    assert.equals(2.5, s.export_delay)
  end)

  it("let the environment win over the plugin config, and fall back to it", function()
    local conf = { storage = "s3://from-conf/p", export_delay = 30, import_grace = require("cjson.safe").null,
                   s3_put_params = { StorageClass = "STANDARD_IA" } }
    local s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://from-env/p" }, conf))
    assert.equals("s3://from-env/p", s.storage)
    assert.equals(30, s.export_delay)
    assert.equals(5, s.import_grace)
    assert.equals('{"StorageClass":"STANDARD_IA"}', (s.settings:get("s3_put_params")))
    assert.equals("config.s3_put_params (plugin config)", s.settings:source("s3_put_params"))
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE", s.settings:source("storage"))
    s.settings:free()
  end)

  it("turn the plugin config's string map of S3 parameters into the JSON the library takes", function()
    local s = assert(settings.resolve({}, { s3_put_params = { BucketKeyEnabled = "true", StorageClass = "STANDARD_IA" } }))
    local cjson = require("cjson.safe")
    assert.same({ BucketKeyEnabled = true, StorageClass = "STANDARD_IA" }, cjson.decode((s.settings:get("s3_put_params"))))
    s.settings:free()
  end)

  it("take the SSE-C key from its own plugin config field into the S3 parameters", function()
    local key = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
    local s = assert(settings.resolve({}, { s3_put_params = { SSECustomerAlgorithm = "AES256" },
      s3_sse_customer_key = key }))
    local cjson = require("cjson.safe")
    assert.same({ SSECustomerAlgorithm = "AES256", SSECustomerKey = key }, cjson.decode((s.settings:get("s3_put_params"))))
    s.settings:free()
    -- The environment's parameters win whole: nothing of the plugin config is merged in.
    s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG = '{"StorageClass":"STANDARD_IA"}' },
      { s3_sse_customer_key = key }))
    assert.equals('{"StorageClass":"STANDARD_IA"}', (s.settings:get("s3_put_params")))
    s.settings:free()
    local _, err = settings.resolve({}, { s3_sse_customer_key = "not base64 TopSecret!" })
    assert.equals("config.s3_put_params (plugin config): SSECustomerKey must be base64", err)
    assert.is_nil(err:find("TopSecret", 1, true))
  end)

  it("hand the environment to the library as it is, precedence kept whatever the order", function()
    for _ = 1, 20 do -- pairs() order varies between tables
      local s = assert(settings.resolve({
        AWS_ACCESS_KEY_ID = "AKID", AWS_SECRET_ACCESS_KEY = "secret", AWS_SESSION_TOKEN = "token",
        AWS_REGION = "eu-west-1", AWS_DEFAULT_REGION = "us-east-1",
        AWS_CA_BUNDLE = "/aws.pem", KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE = "/kong.pem",
        AWS_CONFIG_STORAGE_ENDPOINT = "http://minio:9000/",
      }))
      assert.same({ "eu-west-1", "AWS_REGION" }, { s.settings:get("region") })
      assert.same({ "/kong.pem", "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE" }, { s.settings:get("ca_bundle") })
      assert.equals("AWS_SECRET_ACCESS_KEY", s.settings:source("secret_access_key"))
      assert.is_nil((s.settings:get("secret_access_key")), "a secret is never read back")
      s.settings:free()
    end
    local s = assert(settings.resolve({ AWS_DEFAULT_REGION = "us-west-2" }))
    assert.equals("us-west-2", (s.settings:get("region")))
    s.settings:free()
  end)

  it("build a client from the resolved settings", function()
    local dir = os.tmpname()
    os.remove(dir)
    local s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "file://" .. dir,
                                        KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on" }))
    local client = assert(s.settings:new_client())
    s.settings:free()
    assert.equals("file://" .. dir .. "/3.9.0/config.json", client:config_url("3.9.0"))
  end)

  it("warn about TLS verification off, naming the variable", function()
    local s = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY = "OFF" }))
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off", s.insecure_warning, 1, true)
  end)

  it("give a client key that changes with every value that is not a secret", function()
    local a = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p" }, { export_delay = 30 }))
    local b = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p" }, { export_delay = 30 }))
    local c = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p" }, { export_delay = 31 }))
    local d = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/q" }, { export_delay = 30 }))
    assert.equals(a.key, b.key)
    assert.not_equals(a.key, c.key)
    assert.not_equals(a.key, d.key)
    local secret = assert(resolve({ AWS_SECRET_ACCESS_KEY = "TopSecretValue", AWS_ACCESS_KEY_ID = "AKID" }))
    assert.is_nil(secret.key:find("TopSecretValue", 1, true))
  end)

  it("give the lease its defaults: 30 s, renewed every third of it", function()
    local s = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p" }))
    assert.is_true(s.lease)
    assert.equals(30, s.lease_duration)
    assert.equals(10, s.lease_renew)
    s = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION = "9", KONG_CLUSTER_FALLBACK_CONFIG_LEASE = "off" }))
    assert.is_false(s.lease)
    assert.equals(3, s.lease_renew)
  end)

  it("refuse what Kong refuses, naming the variable or the plugin config field", function()
    local err, reason
    _, err, reason = resolve({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on" })
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE is required when export or import is on", err)
    assert.equals("no_storage", reason, "a backup node may get its storage from the plugin config")
    _, err, reason = resolve({ KONG_CLUSTER_FALLBACK_CONFIG_IMPORT = "on" })
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE is required when export or import is on", err)
    assert.is_nil(reason, "a new data plane has no plugin config to wait for")
    -- Kong EE 3.6+ lets one node import and export ("homogeneous data planes").
    local both = assert(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://bucket/p",
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on", KONG_CLUSTER_FALLBACK_CONFIG_IMPORT = "on" }))
    assert.is_true(both.export and both.import)
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_LEASE_RENEW must be at most half of "
      .. "KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION (10 s)",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION = "10", KONG_CLUSTER_FALLBACK_CONFIG_LEASE_RENEW = "6" }))
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION must be a number of seconds from 3 to 3600, got '1'",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION = "1" }))
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT must be on or off, got 'yes'",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "yes" }))
    -- A bad value from the plugin config is named as such.
    assert.equals("config.export_delay (plugin config) must be a number of seconds from 0.001 to 86400, got '-1'",
      error_of({}, { export_delay = -1 }))
    assert.equals("config.storage (plugin config): the scheme 'ftp' is not supported: use s3://, gcs:// or file://",
      error_of({}, { storage = "ftp://x" }))
    assert.matches("^config.s3_put_params %(plugin config%): 'Bogus' is not a supported PutObject parameter",
      error_of({}, { s3_put_params = { Bogus = "x" } }))
    -- The environment wins even over a bad plugin config value: it is not looked at.
    assert.truthy(resolve({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY = "5" }, { export_delay = -1 }))
  end)
end)
