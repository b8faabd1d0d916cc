-- Writes the settings table of docs/configuration.md from the library's
-- table of settings (fc_setting_info_at), between its BEGIN and END markers;
-- spec/settings_doc_spec.lua fails when the page and the table disagree.
--
--   LUA_PATH='lua/?.lua;;' LUA_CPATH='build/native/?.so;;' luajit scripts/gen_settings_doc.lua docs/configuration.md

local _M = {}

_M.BEGIN = "<!-- BEGIN settings table: generated from the library's table by scripts/gen_settings_doc.lua; do not edit -->"
_M.END = "<!-- END settings table -->"

local function limit(n)
  if n == math.floor(n) then
    return string.format("%d", n)
  end
  return (string.format("%.6f", n):gsub("0+$", ""))
end

local KIND_TEXT = {
  path = "path", url = "http(s) URL", storage = "storage URL", json = "JSON object",
  on_off = "`on`/`off`", aws_boolean = "`true`/`false`",
}

local function value_column(row)
  local text
  if row.kind == "seconds" then
    text = "seconds, " .. limit(row.min) .. "–" .. limit(row.max)
  elseif row.kind == "integer" then
    text = limit(row.min) .. "–" .. limit(row.max)
  else
    text = KIND_TEXT[row.kind] or row.value_name:lower() -- text: what it names
  end
  if row.default then
    text = text .. ", default `" .. row.default .. "`"
  end
  if row.secret then
    text = text .. "; secret"
  end
  return text
end

local function code(list)
  local out = {}
  for _, item in ipairs(list) do
    out[#out + 1] = "`" .. item .. "`"
  end
  return table.concat(out, ", then ")
end

local function cell(s)
  return (s:gsub("|", "\\|"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

function _M.table_markdown(rows)
  local lines = {
    "| environment (first wins) | CLI flag | plugin config | value | meaning |",
    "|---|---|---|---|---|",
  }
  for _, row in ipairs(rows) do
    lines[#lines + 1] = "| " .. table.concat({
      #row.variables > 0 and code(row.variables) or "(none)",
      row.flag and ("`--" .. row.flag .. "`") or "",
      row.plugin_field and ("`" .. row.plugin_field .. "`") or "",
      cell(value_column(row)),
      cell(row.help) .. (row.plugin_only and " (the plugin's; the CLI only checks it)" or ""),
    }, " | ") .. " |"
  end
  return table.concat(lines, "\n")
end

-- The page with its table replaced; nil, err when the markers are missing.
function _M.rewrite(page, rows)
  local first = page:find(_M.BEGIN, 1, true)
  local last = page:find(_M.END, 1, true)
  if not first or not last or last < first then
    return nil, "the page has no " .. _M.BEGIN .. " ... " .. _M.END .. " block"
  end
  return page:sub(1, first - 1) .. _M.BEGIN .. "\n" .. _M.table_markdown(rows) .. "\n" .. page:sub(last)
end

if arg and arg[0] and arg[0]:match("gen_settings_doc%.lua$") then
  local path = assert(arg[1], "usage: gen_settings_doc.lua docs/configuration.md")
  local f = assert(io.open(path, "rb"))
  local page = f:read("*a")
  f:close()
  local rows = require("kong.plugins.fallback-config.native").settings_table()
  local out = assert(_M.rewrite(page, rows))
  f = assert(io.open(path, "wb"))
  f:write(out)
  f:close()
end

return _M
