-- chatls for Neovim 0.11+: put this directory on 'runtimepath' (or copy this file to
-- ~/.config/nvim/lsp/chatls.lua), then
--
--   vim.lsp.config('chatls', { settings = { chatls = { model = 'gpt-4o-mini' } } })
--   vim.lsp.enable('chatls')
--
-- Settings are chatls's camelCase settings object (see the chatls README). Put them in
-- `settings.chatls`: the server pulls them with workspace/configuration and re-reads them on
-- workspace/didChangeConfiguration, and `before_init` below also sends them as
-- initializationOptions. Values pulled from `settings.chatls` win over `init_options`.

-- The server that `install.py` (a plugin manager's build step) put in this plugin's own
-- directory, else `chatls` on PATH.
local function server()
  local here = debug.getinfo(1, 'S').source:match('^@(.*)$')
  if here then
    local plugin = vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(vim.fn.fnamemodify(here, ':p'))))
    for _, candidate in ipairs({ plugin .. '/venv/bin/chatls', plugin .. '/venv/Scripts/chatls.exe' }) do
      if vim.fn.executable(candidate) == 1 then
        return candidate
      end
    end
  end
  return 'chatls'
end

---@type vim.lsp.Config
return {
  cmd = { server() },
  -- chatls works on any text; these are the usual programming languages. Add yours with
  -- vim.lsp.config('chatls', { filetypes = { ... } }) (the list replaces this one).
  filetypes = {
    'bash', 'c', 'clojure', 'cmake', 'cpp', 'cs', 'css', 'cuda', 'dart', 'dockerfile',
    'elixir', 'erlang', 'fish', 'go', 'graphql', 'haskell', 'html', 'java', 'javascript',
    'javascriptreact', 'json', 'jsonc', 'julia', 'kotlin', 'lua', 'make', 'markdown', 'nim',
    'nix', 'objc', 'objcpp', 'ocaml', 'perl', 'php', 'proto', 'ps1', 'python', 'r', 'ruby',
    'rust', 'scala', 'scss', 'sh', 'sql', 'svelte', 'swift', 'terraform', 'toml', 'typescript',
    'typescriptreact', 'vim', 'vue', 'yaml', 'zig', 'zsh',
  },
  -- Only used to name the workspace (and anchor `exclude` patterns); without a marker chatls
  -- still starts, for a single file.
  root_markers = { '.git', '.hg', '.jj', '.svn' },
  init_options = {},
  settings = { chatls = {} },
  before_init = function(params, config)
    -- One place to configure: settings.chatls also travels as initializationOptions, so the
    -- server has them before its first workspace/configuration pull answers.
    local pulled = config.settings and config.settings.chatls or {}
    params.initializationOptions =
      vim.tbl_deep_extend('force', {}, config.init_options or {}, pulled)
    -- Changes to review come as chatls/review only when the plugin is there to show them
    -- (this file copied alone has no such plugin); otherwise the server asks with a message.
    local ok, review = pcall(require, 'chatls.review')
    if ok and review.options.enabled and params.capabilities then
      -- In place: the table is also the client's `capabilities`.
      local experimental = params.capabilities.experimental or {}
      experimental.chatls = vim.tbl_extend('force', experimental.chatls or {}, { review = true })
      params.capabilities.experimental = experimental
    end
  end,
}
