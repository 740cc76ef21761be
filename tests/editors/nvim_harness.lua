-- Test harness for Neovim scenarios written by test_neovim.py. It configures chatls through the
-- shipped clients/neovim files (already on 'runtimepath'), records what the editor sees
-- (progress, server messages, notifications, server-initiated edits) and writes it all, plus
-- whatever the scenario records, to a JSON file for pytest to assert on.
--
-- The scenario runs inside H.run(); any Lua error or timeout ends it, is written to the
-- results as `error` and makes Nvim exit non-zero.
local H = {}

local config = vim.json.decode(vim.env.CHATLS_TEST_CONFIG or error('CHATLS_TEST_CONFIG unset'))
local api = vim.api

H.out = {
  progress = {},
  messages = {},
  notifications = {},
  server_edits = 0,
  notes = {},
}

local function record(list, value)
  table.insert(list, value)
end

-- Keep Nvim's own behaviour: record, then hand over to the default handlers.
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx)
  record(H.out.messages, { type = params.type, message = params.message })
  return show_message(err, params, ctx)
end

local apply_edit = vim.lsp.handlers['workspace/applyEdit']
vim.lsp.handlers['workspace/applyEdit'] = function(err, params, ctx)
  H.out.server_edits = H.out.server_edits + 1
  return apply_edit(err, params, ctx)
end

local notify = vim.notify
vim.notify = function(message, level, opts)
  record(H.out.notifications, { message = message, level = level })
  return notify(message, level, opts)
end

api.nvim_create_autocmd('LspProgress', {
  callback = function(args)
    local params = args.data.params
    local value = params.value or {}
    record(H.out.progress, {
      token = params.token,
      kind = value.kind,
      title = value.title,
      message = value.message,
      cancellable = value.cancellable,
    })
  end,
})

vim.lsp.config('chatls', {
  -- `chatls` as shipped, plus a log file for failing tests to show.
  cmd = config.cmd,
  settings = { chatls = config.settings },
  init_options = config.init_options,
})
vim.lsp.enable('chatls')

--- Waits (processing events) until `condition()` is true; a timeout is a test failure.
function H.wait(condition, what, timeout)
  if not vim.wait(timeout or 15000, condition, 10) then
    error('timed out waiting for ' .. what, 2)
  end
end

function H.note(key, value)
  H.out.notes[key] = value
end

--- The chatls client of the current buffer, once initialized.
function H.client()
  return require('chatls').client(api.nvim_get_current_buf())
end

--- Opens a file and waits until chatls is attached and initialized.
function H.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  H.wait(function()
    local client = H.client()
    return client ~= nil and client.initialized
  end, 'chatls to attach to ' .. path)
  H.out.offset_encoding = H.client().offset_encoding
  return api.nvim_get_current_buf()
end

--- The buffer's text as it would be written (with its final newline).
function H.text(bufnr)
  local lines = api.nvim_buf_get_lines(bufnr or 0, 0, -1, false)
  return table.concat(lines, '\n') .. (vim.bo[bufnr or 0].eol and '\n' or '')
end

--- Waits until a file exists (the backend writes one when a request reaches it).
function H.until_file(path, what)
  H.wait(function()
    return vim.uv.fs_stat(path) ~= nil
  end, what)
end

function H.tick(bufnr)
  return api.nvim_buf_get_changedtick(bufnr or 0)
end

--- How many times the server's log holds `text` (the harness starts it with --log-file).
function H.logged(text)
  local path
  for i, arg in ipairs(config.cmd) do
    if arg == '--log-file' then
      path = config.cmd[i + 1]
    end
  end
  local file = path and io.open(path, 'r')
  if not file then
    return 0
  end
  local log = file:read('*a')
  file:close()
  local n, from = 0, 1
  while true do
    local at = log:find(text, from, true)
    if not at then
      return n
    end
    n, from = n + 1, at + #text
  end
end

--- Waits until the server's log holds `text` `n` times: what reached the server, once it had.
function H.until_logged(text, n, what)
  H.wait(function()
    return H.logged(text) >= n
  end, what)
end

--- Runs `action`, then waits until the buffer changed.
function H.until_changed(action, what)
  local before = H.tick()
  action()
  H.wait(function()
    return H.tick() ~= before
  end, what .. ' to change the buffer')
end

--- Number of progress notifications of `kind` seen so far.
function H.progress_count(kind)
  local n = 0
  for _, p in ipairs(H.out.progress) do
    if p.kind == kind then
      n = n + 1
    end
  end
  return n
end

--- Waits until `n` progress sequences have ended (the server ends progress after it has
--- applied or returned its result).
function H.until_progress_ended(n)
  H.wait(function()
    return H.progress_count('end') >= n
  end, n .. ' progress end notification(s)')
end

--- Picks the chatls code action of `kind` with vim.lsp.buf.code_action(), which resolves and
--- applies it, and waits until the buffer changed. `opts` adds range, context...
function H.code_action(kind, opts)
  H.until_changed(function()
    vim.lsp.buf.code_action(vim.tbl_extend('force', {
      filter = function(action)
        return action.kind == kind
      end,
      apply = true,
    }, opts or {}))
  end, 'the ' .. kind .. ' code action')
end

--- Diagnostics from another tool (a linter without LSP, or another server when `user_data`
--- holds its LSP diagnostic), as vim.diagnostic stores them.
function H.diagnose(diagnostics)
  local ns = api.nvim_create_namespace('chatls-test-linter')
  vim.diagnostic.set(ns, api.nvim_get_current_buf(), diagnostics)
end

--- chatls's hover at a 1-based line and 0-based byte column: {range=..., markdown=...} or nil.
function H.hover(row, col)
  api.nvim_win_set_cursor(0, { row, col })
  local client = assert(H.client())
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local response = client:request_sync('textDocument/hover', params, 5000, 0)
  local result = response and response.result
  if not result or result == vim.NIL then
    return nil
  end
  return { range = result.range, markdown = result.contents.value }
end

--- Floating windows' buffers' lines.
function H.floats()
  local found = {}
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_config(win).relative ~= '' then
      local buf = api.nvim_win_get_buf(win)
      table.insert(found, {
        lines = api.nvim_buf_get_lines(buf, 0, -1, false),
        filetype = vim.bo[buf].filetype,
        win = win,
      })
    end
  end
  return found
end

function H.close_floats()
  for _, float in ipairs(H.floats()) do
    api.nvim_win_close(float.win, true)
  end
end

--- Waits for a floating window, returns its lines.
function H.until_float(what)
  H.wait(function()
    return #H.floats() > 0
  end, what .. ' to open a floating window')
  return H.floats()[1].lines
end

--- Selects like a user would, from `from` to `to` (1-based line, 0-based byte column) in
--- `mode` ('v' or 'V'), and leaves visual mode, which sets the '< and '> marks.
function H.select(mode, from, to)
  api.nvim_win_set_cursor(0, from)
  local byte = vim.fn.line2byte(to[1]) + to[2]
  -- `go` moves to a byte offset.
  vim.cmd(('normal! %s%dgo'):format(mode, byte) .. vim.keycode('<Esc>'))
end

local function finish(failed)
  local file = assert(io.open(config.result, 'w'))
  file:write(vim.json.encode(H.out))
  file:close()
  if failed then
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

function H.run(scenario)
  local ok, err = xpcall(scenario, debug.traceback)
  if not ok then
    H.out.error = tostring(err)
  end
  finish(not ok)
end

return H
