-- lazy.nvim's documented plugin-spec contract, for running the README's lazy.nvim block in a
-- headless Neovim where lazy.nvim itself cannot be downloaded:
--   * a plugin `'owner/name'` is cloned with git into stdpath('data')/lazy/<name> (here from
--     the local repository, $CHATLS_TEST_REPO, instead of GitHub);
--   * it is loaded: its directory goes on 'runtimepath', its plugin/ files are sourced, and
--     `config(plugin, opts)` runs, `plugin.dir` being that directory;
--   * `build` runs after the plugin is loaded ("before running build, a plugin is first
--     loaded"): a string is a shell command run in the plugin's directory, a function is
--     called with the plugin.
-- Then the scenario: open a Python file, let chatls attach, and run :ChatlsDocstring.
local config = vim.json.decode(vim.env.CHATLS_TEST_CONFIG)
local out = {}

local function write()
  local file = assert(io.open(config.result, 'w'))
  file:write(vim.json.encode(out))
  file:close()
end

package.preload['lazy'] = function()
  return {
    setup = function(specs)
      for _, spec in ipairs(specs) do
        local url = spec.url or spec[1]
        local name = spec.name or url:match('[^/]+$')
        local dir = spec.dir or (vim.fn.stdpath('data') .. '/lazy/' .. name)
        if not spec.dir then
          local cloned = vim.system({ 'git', 'clone', '--quiet', vim.env.CHATLS_TEST_REPO, dir }, { text = true }):wait()
          assert(cloned.code == 0, 'git clone: ' .. (cloned.stderr or ''))
        end
        local plugin = { name = name, dir = dir, url = url }
        vim.opt.runtimepath:prepend(dir)
        for _, file in ipairs(vim.fn.glob(dir .. '/plugin/**/*.{vim,lua}', false, true)) do
          vim.cmd.source(file)
        end
        if spec.config then
          spec.config(plugin, spec.opts or {})
        end
        if type(spec.build) == 'string' then
          local built = vim.system({ vim.o.shell, vim.o.shellcmdflag, spec.build }, { cwd = dir, text = true }):wait()
          out.build_status = built.code
          out.build_output = (built.stdout or '') .. (built.stderr or '')
        elseif type(spec.build) == 'function' then
          spec.build(plugin)
          out.build_status = 0
        end
        out.plugin_dir = dir
      end
    end,
  }
end

local ok, err = xpcall(function()
  dofile(config.init)
  vim.lsp.config('chatls', { settings = { chatls = config.settings } })
  vim.cmd.edit(config.file)
  local client
  assert(
    vim.wait(120000, function()
      client = vim.lsp.get_clients({ name = 'chatls', bufnr = 0 })[1]
      return client ~= nil and client.initialized
    end, 100),
    'chatls did not attach'
  )
  out.cmd = client.config.cmd
  vim.api.nvim_win_set_cursor(0, { 1, 4 })
  vim.cmd('ChatlsDocstring')
  assert(vim.wait(60000, function()
    return vim.api.nvim_buf_line_count(0) > 2
  end, 100), 'no docstring arrived')
  out.text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') .. '\n'
end, debug.traceback)
if not ok then
  out.error = tostring(err)
end
write()
vim.cmd(ok and 'qall!' or 'cquit 1')
