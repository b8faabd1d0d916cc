package = "kong-plugin-fallback-config"
version = "0.1.0-1"

source = {
  url = "git+https://github.com/kong-fallback-config/kong-fallback-config.git",
  tag = "v0.1.0",
}

description = {
  summary = "Kong fallback configuration: export to and import from S3, S3-compatible storage, Google Cloud Storage or a directory",
  detailed = [[
    The Kong plugin fallback-config (enable with KONG_PLUGINS=bundled,fallback-config):
    a backup node exports every new configuration, a new data plane that cannot reach
    its control plane imports it. A native library (C++, C ABI) signs, uploads and
    downloads off the event loop, with Kong's key layout and settings; LuaJIT FFI
    bindings; and the fallback-config operator CLI.
  ]],
  license = "Apache-2.0",
}

dependencies = {
  "lua >= 5.1",
}

-- libcurl, OpenSSL 3, RapidJSON, tinyxml2 and liblmdb are found by CMake,
-- which knows Debian's multiarch paths; see scripts/install-deps.sh.

build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    FC_BUILD_TESTS = "OFF",
    FC_LUA_LIBDIR = "$(LIBDIR)",
    FC_LUA_LUADIR = "$(LUADIR)",
  },
}
