--- Next-edit suggestions: after a pause in typing, chatls is asked (`chatls/nextEdit`) for the
--- edits that follow the user's last one, often away from the cursor. The answer is shown in
--- place, without changing the buffer: the text it removes struck through, the text it adds
--- beside it, a sign on each edit's line. <Tab> jumps to the first edit, <Tab> there applies
--- them all at once, <Esc> dismisses; the server hears of each (`chatls/nextEditFeedback`) so
--- that it does not offer a dismissed suggestion again.
local M = {}

local api = vim.api

M.ns = api.nvim_create_namespace('chatls-nextedit')

--- Options, set with `require('chatls').setup({ next_edit = { ... } })`.
M.options = {
  --- Buffer-local mappings while a suggestion shows (insert and normal mode). The first press
  --- of `accept` jumps to the suggestion, the second applies it. false leaves one out.
  keymaps = { accept = '<Tab>', dismiss = '<Esc>' },
  sign = '»',
}

--- Per buffer: the chatls client, the debounce timer, the request in flight and the
--- suggestion shown.
--- @type table<integer, {client_id: integer, timer?: uv.uv_timer_t, pending?: table, shown?: table}>
local state = {}

local function notify(message, level)
  vim.notify('chatls: ' .. message, level or vim.log.levels.INFO)
end

-- The colorscheme clears highlight groups it does not know: set the defaults again after it.
local function define_highlights()
  local removed = api.nvim_get_hl(0, { name = 'DiffDelete', link = false })
  api.nvim_set_hl(0, 'ChatlsNextEditDelete', {
    default = true,
    fg = removed.fg,
    ctermfg = removed.ctermfg,
    strikethrough = true,
  })
  api.nvim_set_hl(0, 'ChatlsNextEditInsert', { default = true, link = 'DiffAdd' })
  api.nvim_set_hl(0, 'ChatlsNextEditSign', { default = true, link = 'DiagnosticSignHint' })
end
define_highlights()
api.nvim_create_autocmd('ColorScheme', {
  group = api.nvim_create_augroup('chatls-nextedit', { clear = true }),
  callback = define_highlights,
})

--- The server's `nextEdit` settings for `client` when it asks for suggestions, else nil.
local function enabled(client)
  local settings = client and require('chatls').next_edit(client)
  if settings and settings.enabled == true then
    return settings
  end
  return nil
end

--- 0-based row and byte column of an LSP position in `bufnr`; past the last line is the end
--- of the text.
local function byte_position(bufnr, pos, encoding)
  local count = api.nvim_buf_line_count(bufnr)
  if pos.line >= count then
    local last = api.nvim_buf_get_lines(bufnr, count - 1, count, false)[1] or ''
    return count - 1, #last
  end
  local line = api.nvim_buf_get_lines(bufnr, pos.line, pos.line + 1, false)[1] or ''
  return pos.line, vim.str_byteindex(line, encoding, pos.character, false)
end

--- The mapping of `lhs` in `mode` that ours hides: the buffer's own (kept aside while ours is
--- set), else a global one, else nil for Nvim's built-in meaning.
local function hidden_mapping(bufnr, mode, lhs)
  local s = state[bufnr]
  local saved = s and s.keymaps and s.keymaps[mode .. lhs]
  if saved then
    return saved
  end
  local raw = vim.keycode(lhs)
  for _, mapping in ipairs(api.nvim_get_keymap(mode)) do
    if vim.keycode(mapping.lhs) == raw then
      return mapping
    end
  end
  return nil
end

--- What `lhs` does when the suggestion does not take it, as the keys an expr mapping returns.
local function fall_back(bufnr, mode, lhs)
  local mapping = hidden_mapping(bufnr, mode, lhs)
  if not mapping then
    -- Ours is a remap mapping: keys that start with its own lhs are not mapped again.
    return lhs
  end
  if mapping.expr == 1 then
    if mapping.callback then
      return mapping.callback() or ''
    end
    return api.nvim_eval(mapping.rhs or '""')
  end
  -- Outside the expr's textlock, where the mapping can change the buffer.
  return ('<Cmd>lua require("chatls.nextedit").run_hidden(%d, %q, %q)<CR>'):format(bufnr, mode, lhs)
end

--- Runs the mapping ours hides, as if its keys had been typed.
function M.run_hidden(bufnr, mode, lhs)
  local mapping = hidden_mapping(bufnr, mode, lhs)
  if not mapping then
    api.nvim_feedkeys(vim.keycode(lhs), 'in', false)
  elseif mapping.callback then
    mapping.callback()
  else
    api.nvim_feedkeys(vim.keycode(mapping.rhs or ''), mapping.noremap == 1 and 'in' or 'im', false)
  end
end

local function unmap(bufnr, s)
  if not s.keymaps then
    return
  end
  if api.nvim_buf_is_valid(bufnr) then
    for _, mapped in ipairs(s.mapped) do
      local mode, lhs = unpack(mapped)
      pcall(vim.keymap.del, mode, lhs, { buffer = bufnr })
      local saved = s.keymaps[mode .. lhs]
      if saved then
        -- mapset() restores a buffer-local mapping into the current buffer.
        api.nvim_buf_call(bufnr, function()
          vim.fn.mapset(mode, false, saved)
        end)
      end
    end
  end
  s.keymaps, s.mapped = nil, nil
end

local function map(bufnr, s)
  if s.keymaps then
    return
  end
  s.keymaps, s.mapped = {}, {}
  local keys = M.options.keymaps
  local bindings = {
    {
      keys.accept,
      function(mode, lhs)
        -- A completion menu keeps its own <Tab>.
        if state[bufnr] and state[bufnr].shown and not (mode == 'i' and vim.fn.pumvisible() == 1) then
          return ('<Cmd>lua require("chatls.nextedit").accept(%d)<CR>'):format(bufnr)
        end
        return fall_back(bufnr, mode, lhs)
      end,
      'chatls: go to the suggested edit; there, apply it',
    },
    {
      keys.dismiss,
      function(_, lhs)
        -- The mapping is gone by the time the key that follows is read, so it does what it
        -- did before the suggestion showed.
        return ('<Cmd>lua require("chatls.nextedit").dismiss(%d)<CR>'):format(bufnr) .. lhs
      end,
      'chatls: dismiss the suggested edit',
    },
  }
  for _, binding in ipairs(bindings) do
    local lhs, rhs, desc = unpack(binding)
    if lhs then
      for _, mode in ipairs({ 'i', 'n' }) do
        local saved = api.nvim_buf_call(bufnr, function()
          return vim.fn.maparg(lhs, mode, false, true)
        end)
        s.keymaps[mode .. lhs] = saved.buffer == 1 and saved or nil
        table.insert(s.mapped, { mode, lhs })
        vim.keymap.set(mode, lhs, function()
          return rhs(mode, lhs)
        end, { buffer = bufnr, expr = true, remap = true, desc = desc })
      end
    end
  end
end

--- Takes the buffer's suggestion down, if any: marks and keymaps. The server is told nothing.
local function take_down(bufnr, s)
  s.shown = nil
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
  unmap(bufnr, s)
end

local function feedback(shown, outcome)
  local client = vim.lsp.get_client_by_id(shown.client_id)
  if client then
    client:notify('chatls/nextEditFeedback', { id = shown.id, outcome = outcome })
  end
end

local function draw(shown)
  local bufnr = shown.bufnr
  api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local signed = {}
  for _, edit in ipairs(shown.edits) do
    if edit.erow > edit.srow or edit.ecol > edit.scol then
      api.nvim_buf_set_extmark(bufnr, M.ns, edit.srow, edit.scol, {
        end_row = edit.erow,
        end_col = edit.ecol,
        hl_group = 'ChatlsNextEditDelete',
        priority = 200,
      })
    end
    if edit.text ~= '' then
      local lines = vim.split(edit.text, '\n', { plain = true })
      local below = {}
      for i = 2, #lines do
        table.insert(below, { { lines[i], 'ChatlsNextEditInsert' } })
      end
      api.nvim_buf_set_extmark(bufnr, M.ns, edit.erow, edit.ecol, {
        virt_text = lines[1] ~= '' and { { lines[1], 'ChatlsNextEditInsert' } } or nil,
        virt_text_pos = lines[1] ~= '' and 'inline' or nil,
        virt_lines = #below > 0 and below or nil,
        priority = 200,
      })
    end
    if not signed[edit.srow] then
      signed[edit.srow] = true
      api.nvim_buf_set_extmark(bufnr, M.ns, edit.srow, 0, {
        sign_text = M.options.sign,
        sign_hl_group = 'ChatlsNextEditSign',
        priority = 200,
      })
    end
  end
end

--- Shows a `chatls/nextEdit` answer, unless the buffer moved on from the version it was for.
local function show(bufnr, client, result)
  local s = state[bufnr]
  local edits = type(result.edits) == 'table' and result.edits or {}
  if not s or #edits == 0 or not result.id or result.id == '' then
    return
  end
  local version = vim.lsp.util.buf_versions[bufnr]
  local uri = vim.uri_from_bufnr(bufnr)
  local shown = {
    bufnr = bufnr,
    client_id = client.id,
    id = result.id,
    version = version,
    edits = {},
  }
  for _, edit in ipairs(edits) do
    local document = edit.textDocument or {}
    if document.version ~= version or (document.uri and document.uri ~= uri) then
      return
    end
    local srow, scol = byte_position(bufnr, edit.range.start, client.offset_encoding)
    local erow, ecol = byte_position(bufnr, edit.range['end'], client.offset_encoding)
    table.insert(shown.edits, {
      range = edit.range,
      text = edit.text or '',
      srow = srow,
      scol = scol,
      erow = erow,
      ecol = ecol,
    })
  end
  s.shown = shown
  draw(shown)
  map(bufnr, s)
  feedback(shown, 'shown')
end

local function cancel_pending(s)
  local pending = s.pending
  s.pending = nil
  if pending then
    pending.client:cancel_request(pending.id)
  end
end

--- Asks for a suggestion at the cursor, for the current buffer as it is now.
local function ask(bufnr)
  local s = state[bufnr]
  if not s or api.nvim_get_current_buf() ~= bufnr then
    return
  end
  local client = vim.lsp.get_client_by_id(s.client_id)
  if not enabled(client) then
    return
  end
  cancel_pending(s)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.textDocument.version = vim.lsp.util.buf_versions[bufnr]
  local id
  local ok, request_id = client:request('chatls/nextEdit', params, function(err, result)
    -- A cancelled request still gets an answer; only the latest one counts.
    if not s.pending or s.pending.id ~= id then
      return
    end
    s.pending = nil
    if not err and type(result) == 'table' and api.nvim_buf_is_valid(bufnr) then
      show(bufnr, client, result)
    end
  end, bufnr)
  if ok and request_id then
    id = request_id
    s.pending = { client = client, id = id }
  end
end

--- Any change to the buffer: what was shown no longer fits it, and a new pause starts.
local function changed(bufnr)
  local s = state[bufnr]
  if s.shown or s.keymaps then
    -- Now, so that a key typed before the marks are gone finds no suggestion; the marks and
    -- keymaps are not changed inside on_lines. A suggestion drawn meanwhile stays.
    s.shown = nil
    vim.schedule(function()
      if not s.shown then
        take_down(bufnr, s)
      end
    end)
  end
  cancel_pending(s)
  local settings = enabled(vim.lsp.get_client_by_id(s.client_id))
  if not settings then
    return
  end
  s.timer = s.timer or vim.uv.new_timer()
  s.timer:stop()
  s.timer:start(
    tonumber(settings.debounceMs) or 400,
    0,
    vim.schedule_wrap(function()
      if state[bufnr] == s then
        ask(bufnr)
      end
    end)
  )
end

--- Follows the changes of `bufnr` for `client` (chatls), whether or not suggestions are on now:
--- the server turns them on and off with its settings.
--- @param bufnr integer
--- @param client vim.lsp.Client
function M.attach(bufnr, client)
  if state[bufnr] then
    state[bufnr].client_id = client.id
    return
  end
  local s = { client_id = client.id }
  state[bufnr] = s
  -- on_lines rather than TextChanged: it also sees changes made by commands, other plugins
  -- and scripts, which TextChanged only reports once Nvim waits for a key again.
  api.nvim_buf_attach(bufnr, false, {
    on_lines = function()
      if state[bufnr] ~= s then
        return true
      end
      changed(bufnr)
    end,
    on_reload = function()
      if state[bufnr] == s then
        changed(bufnr)
      end
    end,
    on_detach = function()
      M.forget(bufnr)
    end,
  })
end

--- Stops following a buffer that went away, or that its client (`client_id`) left.
function M.forget(bufnr, client_id)
  local s = state[bufnr]
  if not s or (client_id and s.client_id ~= client_id) then
    return
  end
  state[bufnr] = nil
  if s.timer then
    s.timer:stop()
    s.timer:close()
  end
  cancel_pending(s)
  vim.schedule(function()
    take_down(bufnr, s)
  end)
end

--- The settings changed: a client that no longer suggests takes its suggestions down.
--- @param client vim.lsp.Client
function M.refresh(client)
  if enabled(client) then
    return
  end
  for bufnr, s in pairs(state) do
    if s.client_id == client.id then
      if s.timer then
        s.timer:stop()
      end
      cancel_pending(s)
      take_down(bufnr, s)
    end
  end
end

--- The suggestion shown in `bufnr` (the current buffer when nil), if any.
function M.get(bufnr)
  local s = state[bufnr or api.nvim_get_current_buf()]
  return s and s.shown
end

--- `:ChatlsNextEdit`: asks now, without waiting for a pause.
function M.ask_now()
  local bufnr = api.nvim_get_current_buf()
  local s = state[bufnr]
  local client = s and vim.lsp.get_client_by_id(s.client_id)
  if not client then
    notify('the chatls language server is not attached to this buffer', vim.log.levels.WARN)
    return
  end
  if not enabled(client) then
    notify('next-edit suggestions are off (the nextEdit.enabled setting)', vim.log.levels.WARN)
    return
  end
  if s.timer then
    s.timer:stop()
  end
  ask(bufnr)
end

--- Whether the cursor (0-based row, byte column) is in or at an edit.
local function at_edit(shown, row, col)
  for _, edit in ipairs(shown.edits) do
    local after_start = row > edit.srow or (row == edit.srow and col >= edit.scol)
    local before_end = row < edit.erow or (row == edit.erow and col <= edit.ecol)
    if after_start and before_end then
      return true
    end
  end
  return false
end

--- The accept key: away from the suggestion, goes to its first edit; at one of its edits, applies
--- them all as one edit of the version they were made for (or drops them if the buffer moved on).
function M.accept(bufnr)
  local s = state[bufnr]
  local shown = s and s.shown
  if not shown or api.nvim_get_current_buf() ~= bufnr then
    return
  end
  local cursor = api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  -- The cursor cannot always stand where the jump aimed (past the end of the line in normal
  -- mode): where it landed counts as at the edit.
  local landed = shown.landed and shown.landed[1] == cursor[1] and shown.landed[2] == cursor[2]
  if not landed and not at_edit(shown, row, col) then
    local first = shown.edits[1]
    api.nvim_win_set_cursor(0, { first.srow + 1, first.scol })
    shown.landed = api.nvim_win_get_cursor(0)
    return
  end
  take_down(bufnr, s)
  if vim.lsp.util.buf_versions[bufnr] ~= shown.version then
    return
  end
  local client = vim.lsp.get_client_by_id(shown.client_id)
  if not client then
    return
  end
  local edits = vim.tbl_map(function(edit)
    return { range = edit.range, newText = edit.text }
  end, shown.edits)
  vim.lsp.util.apply_text_edits(edits, bufnr, client.offset_encoding)
  -- Typing goes on after what was added, as after any completion; edits after the first one
  -- cannot move its end.
  local first = shown.edits[1]
  local added = vim.split(first.text, '\n', { plain = true })
  local row = first.srow + #added - 1
  local col = (#added == 1 and first.scol or 0) + #added[#added]
  pcall(api.nvim_win_set_cursor, 0, { row + 1, col })
  feedback(shown, 'accepted')
end

--- The dismiss key: takes the suggestion down and tells the server not to offer it again.
function M.dismiss(bufnr)
  local s = state[bufnr]
  local shown = s and s.shown
  if shown then
    take_down(bufnr, s)
    feedback(shown, 'dismissed')
  end
end

return M
