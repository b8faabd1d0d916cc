-- Generated from the library's table of settings: for every setting and every
-- variable it is read from, values of its kind (valid, boundary, out of
-- range, malformed) go through the plugin (settings.resolve, with the
-- environment as the init phase captured it) and through the CLI (a process
-- with that environment, `fallback-config settings`). Both must accept and
-- refuse the same values with the same one-line error naming the variable,
-- the CLI's flag must give that error with the flag's name, and the plugin
-- config's field with the field's.
local settings = require("kong.plugins.fallback-config.settings")
local native = require("kong.plugins.fallback-config.native")

local CLI = assert(os.getenv("FC_CLI"), "FC_CLI must name the fallback-config binary")
local SPEC_DIR = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local BASE_STORAGE = "file:///tmp/fc-parity-spec"

local function read_file(path)
  return assert(dofile(SPEC_DIR .. "support/files.lua").read(path))
end

local SERVICE_ACCOUNT = read_file(SPEC_DIR .. "../tests/fixtures/gcp/service-account.json")

local function fmt(n)
  if n == math.floor(n) then
    return string.format("%d", n)
  end
  return (string.format("%.6f", n):gsub("0+$", ""))
end

-- Values of each kind: { value, accepted }. Rows whose own check narrows the
-- kind get values of their own, by name.
local BY_NAME = {
  region = { { "us-east-1", true }, { "eu-west-3", true }, { "US East", false }, { "eu_west_1", false } },
  uploader = { { "node-1", true }, { "caf\xc3\xa9", false }, { string.rep("n", 257), false } },
  s3_put_params = {
    { '{"StorageClass":"STANDARD_IA"}', true }, { "{}", true }, { "[1]", false }, { "nope", false },
    { '{"Bogus":"x"}', false }, { '{"StorageClass":1}', false }, { '{"SSECustomerKey":"not base64 secret!"}', false },
  },
  gcp_service_account = {
    { SERVICE_ACCOUNT, true }, { "{}", false }, { "nope", false }, { '{"type":"authorized_user"}', false },
  },
}

local function kind_cases(row)
  local kind = row.kind
  if kind == "seconds" then
    local mid = math.min(row.max, math.max(row.min, 2.5))
    return {
      { fmt(row.min), true }, { fmt(row.max), true }, { fmt(mid), true }, { "1", row.min <= 1 },
      { fmt(row.min / 2), false }, { fmt(row.max + 1), false }, { "0", false }, { "-1", false },
      { "abc", false }, { "1e3", false }, { "0x10", false }, { " 5", false }, { "5s", false },
      { "inf", false }, { "nan", false }, { "1.2.3", false }, { ".", false },
    }
  elseif kind == "integer" then
    return {
      { fmt(row.min), true }, { fmt(row.max), true }, { fmt(math.floor((row.min + row.max) / 2)), true },
      { fmt(row.min - 1), false }, { fmt(row.max + 1), false }, { "1.5", false }, { "abc", false },
      { "-1", false }, { "1e3", false }, { "0x10", false }, { " 5", false }, { "99999999999999999999", false },
    }
  elseif kind == "on_off" then
    return { { "on", true }, { "off", true }, { "true", true }, { "FALSE", true }, { "On", true },
             { "yes", false }, { "1", false }, { "0", false }, { "o n", false } }
  elseif kind == "aws_boolean" then
    return { { "true", true }, { "TRUE", true }, { "false", true }, { "yes", true } }
  elseif kind == "storage" then
    return {
      { "s3://bucket-1/prefix", true }, { "gcs://bucket_1/p", true }, { BASE_STORAGE .. "/x", true },
      { "ftp://bucket/p", false }, { "s3://key:secret@bucket/p", false }, { "s3://Bad_Bucket/p", false },
      { "s3://bucket/p?x=1", false }, { "file://relative/dir", false }, { "s3://bucket:9000/p", false },
      { "s3://bucket/a/../b", false }, { "s3:///p", false }, { "bucket/p", false }, { "s3://bucket/p\nq", false },
    }
  elseif kind == "url" then
    return { { "http://127.0.0.1:9000", true }, { "https://s3.example.com/path", true }, { "ftp://host/", false },
             { "not a url", false }, { "http://", false }, { "http://user:pw@host/", false },
             { "http://host/\nx", false } }
  elseif kind == "text" or kind == "path" then
    return { { "value", true }, { "/some/path with spaces", true }, { "line\nbreak", false }, { "tab\tinside", false },
             { string.rep("x", 5000), false } }
  end
  error("no values for the kind " .. tostring(kind) .. " of " .. row.name)
end

local function cases_of(row)
  return BY_NAME[row.name] or kind_cases(row)
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- Runs the CLI with exactly this environment; returns its exit status,
-- standard output and standard error.
local function run_cli(env, args)
  local parts = { "env", "-i", "PATH=" .. shell_quote(os.getenv("PATH") or "/usr/bin:/bin") }
  for _, name in ipairs({ "ASAN_OPTIONS", "UBSAN_OPTIONS" }) do
    if os.getenv(name) then
      parts[#parts + 1] = name .. "=" .. shell_quote(os.getenv(name))
    end
  end
  for name, value in pairs(env) do
    parts[#parts + 1] = name .. "=" .. shell_quote(value)
  end
  parts[#parts + 1] = shell_quote(CLI)
  for _, a in ipairs(args) do
    parts[#parts + 1] = shell_quote(a)
  end
  local err_path = os.tmpname()
  local p = io.popen(table.concat(parts, " ") .. " 2>" .. err_path .. "; echo \"rc=$?\"")
  local out = p:read("*a")
  p:close()
  local rc = tonumber(out:match("rc=(%d+)\n?$"))
  out = out:gsub("rc=%d+\n?$", "")
  local err = read_file(err_path)
  os.remove(err_path)
  return rc, out, err
end

local function cli_error(stderr)
  assert.equals(1, select(2, stderr:gsub("\n", "")), "one line: " .. stderr)
  return (stderr:gsub("^fallback%-config: error: ", ""):gsub("\n$", ""))
end

-- The plugin's verdict: true and its canonical value, or nil and its error.
local function plugin_verdict(env, conf, name)
  local s, err = settings.resolve(env, conf)
  if not s then
    return nil, err
  end
  local value = s.settings:get(name)
  s.settings:free()
  return true, value
end

local function base_env(row)
  if row.name == "storage" then
    return {}
  end
  local env = { KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = BASE_STORAGE }
  if row.name == "lease_renew" then
    -- The plugin also holds a renewal to half the duration (settings_spec.lua):
    -- a duration long enough for every renewal the table allows.
    env.KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION = "3600"
  end
  return env
end

local function plain(s)
  return (s:gsub("[%p]", "%%%0"))
end

describe("every setting", function()
  local rows = native.settings_table()

  it("has values of its kind to try", function()
    for _, row in ipairs(rows) do
      assert.truthy(#cases_of(row) >= 2, row.name)
    end
  end)

  for _, row in ipairs(rows) do
    for _, variable in ipairs(row.variables) do
      it(variable .. " (" .. row.name .. ") is accepted and refused alike by the plugin and the CLI", function()
        for _, case in ipairs(cases_of(row)) do
          local value, accepted = case[1], case[2]
          local what = variable .. "=" .. (row.secret and "<secret>" or value:sub(1, 40))
          local env = base_env(row)
          env[variable] = value
          local ok, plugin = plugin_verdict(env, nil, row.name)
          local rc, out, stderr = run_cli(env, row.secret and { "settings" } or { "settings", row.name })
          if accepted then
            assert.is_true(ok, what .. ": the plugin refused it: " .. tostring(plugin))
            assert.equals(0, rc, what .. ": the CLI refused it: " .. stderr)
            if not row.secret then
              assert.equals(plugin or "", (out:gsub("\n$", "")), what .. ": the same value")
            end
          else
            assert.is_nil(ok, what .. ": the plugin accepted it")
            assert.equals(2, rc, what .. ": the CLI's exit status")
            local cli = cli_error(stderr)
            assert.equals(plugin, cli, what .. ": the same message")
            assert.truthy(cli:find("^" .. plain(variable)), what .. ": the message names the variable: " .. cli)
            if row.secret then
              assert.is_nil(cli:find(value, 1, true), what .. ": a secret value is never repeated")
            end
            if row.flag then
              local flag = "--" .. row.flag
              local frc, _, ferr = run_cli(base_env(row), { "settings", flag .. "=" .. value })
              assert.equals(2, frc, what .. ": " .. flag .. " is refused too")
              assert.equals((plugin:gsub("^" .. plain(variable), flag)), cli_error(ferr), what .. ": as " .. flag)
            end
            -- The plugin config: a string, or for the S3 parameters a map.
            local conf_value = value
            if row.plugin_field == "s3_put_params" then
              conf_value = require("cjson.safe").decode(value)
              if type(conf_value) ~= "table" or next(conf_value) == nil then
                conf_value = nil -- Kong's schema takes only a map of strings there
              end
            end
            if row.plugin_field and conf_value ~= nil then
              local label = "config." .. row.plugin_field .. " (plugin config)"
              local cok, cerr = plugin_verdict(base_env(row), { [row.plugin_field] = conf_value }, row.name)
              assert.is_nil(cok, what .. ": refused from the plugin config too")
              if type(conf_value) == "string" then
                assert.equals((plugin:gsub("^" .. plain(variable), (label:gsub("%%", "%%%%")))), cerr, what)
              else
                assert.truthy(cerr:find("^" .. plain(label)), what .. ": " .. tostring(cerr))
              end
            end
          end
        end
      end)
    end

    if #row.variables == 0 and row.flag then
      it("--" .. row.flag .. " (" .. row.name .. ", no variable) is checked by the CLI as the library checks it", function()
        local flag = "--" .. row.flag
        for _, case in ipairs(cases_of(row)) do
          local value, accepted = case[1], case[2]
          local direct = assert(native.new_settings())
          local ok, err = direct:set(row.name, value, flag)
          direct:free()
          local rc, _, stderr = run_cli(base_env(row), { "settings", flag .. "=" .. value })
          assert.equals(accepted, ok == true, flag .. "=" .. value:sub(1, 40) .. ": " .. tostring(err))
          assert.equals(accepted and 0 or 2, rc, stderr)
          if not accepted then
            assert.equals(err, cli_error(stderr))
          end
        end
      end)
    end

    if #row.variables > 1 then
      it(row.name .. " takes " .. row.variables[1] .. " over the rest, in the plugin and the CLI", function()
        local values = {}
        for _, case in ipairs(cases_of(row)) do
          if case[2] then
            values[#values + 1] = case[1]
          end
        end
        assert.truthy(#values >= 2)
        local env = base_env(row)
        for i, variable in ipairs(row.variables) do
          env[variable] = values[math.min(i, #values)]
        end
        local s = assert(settings.resolve(env))
        local value, source = s.settings:get(row.name)
        s.settings:free()
        assert.equals(values[1], value)
        assert.equals(row.variables[1], source)
        local rc, out = run_cli(env, { "settings" })
        assert.equals(0, rc)
        local line = out:match("\n(" .. plain(row.name) .. " [^\n]*)")
        assert.truthy(line, out)
        assert.equals(row.variables[1], line:match("(%S+)%s*$"))
        assert.truthy(line:find(values[1], 1, true), line)
      end)
    end
  end
end)
