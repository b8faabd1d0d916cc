-- kong.db.schema.topological_sort (kong/db/schema/topological_sort.lua):
-- schemas sorted so that one with a foreign key to another comes after it,
-- core entities first. For the harness's schemas that is their export order.
local schemas = require("harness.schemas")

return function(list)
  local rank = {}
  for i, name in ipairs(schemas.EXPORT_ORDER) do
    rank[name] = i
  end
  local out = {}
  for i, s in ipairs(list) do
    out[i] = s
  end
  table.sort(out, function(a, b)
    return (rank[a.name] or math.huge) < (rank[b.name] or math.huge)
  end)
  return out
end
