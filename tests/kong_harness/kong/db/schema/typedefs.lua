-- kong.db.schema.typedefs, as Kong defines the ones a plugin schema uses, for
-- the profile's edition: the specs' restatement of Kong's
-- (spec/support/kong_typedefs.lua), one definition for both.
local edition = kong and kong.harness and kong.harness.profile.enterprise and "ee" or "oss"
return require("kong_typedefs").build(edition, ngx.null)
