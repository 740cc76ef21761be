--- Changes chatls proposes for review (`review.mode` in the settings), shown in the buffer they
--- would change without changing it: the lines a hunk removes highlighted in place, the lines it
--- adds as virtual lines under them. The user keeps or drops each hunk; once every hunk is
--- decided (or the whole change at once) the server gets one `chatls.review.accept` with the
--- hunks kept, or `chatls.review.reject`, and applies what was kept itself, so that a change
--- that moved, or a part that would not parse, is found again or refused there.
local M = {}

local api = vim.api

--- Extmarks that show the hunks, redrawn after every decision.
M.ns = api.nvim_create_namespace('chatls-review')
--- Extmarks that follow each hunk's lines as the buffer changes while the review is shown, so
--- that redrawing and "the hunk under the cursor" stay right after edits elsewhere.
M.track_ns = api.nvim_create_namespace('chatls-review-track')

--- Options, set with `require('chatls').setup({ review = { ... } })`.
M.options = {
  --- Advertise `experimental.chatls.review`; false leaves review to the server's question.
  enabled = true,
  --- Buffer-local normal-mode mappings while a review shows; false leaves one out.
  keymaps = {
    accept = '<leader>ca',
    reject = '<leader>cr',
    accept_all = '<leader>cA',
    reject_all = '<leader>cR',
  },
  highlights = {
    added = 'DiffAdd',
    removed = 'DiffDelete',
    label = 'DiagnosticVirtualTextInfo',
    decided = 'Comment',
  },
}

--- The review shown in each buffer, by buffer number.
--- @type table<integer, table>
local shown = {}

local function notify(message, level)
  vim.notify('chatls: ' .. message, level or vim.log.levels.INFO)
end

--- Rows [first, last) of the buffer a hunk replaces, from its whole-line LSP range. The range
--- ends at the end of the text (not at a line start) when the file has no final newline.
local function rows(range, line_count)
  local first = range.start.line + (range.start.character > 0 and 1 or 0)
  local last = range['end'].line + (range['end'].character > 0 and 1 or 0)
  first = math.min(first, line_count)
  return first, math.max(first, math.min(last, line_count))
end

local function lines_of(text)
  if text == '' then
    return {}
  end
  return vim.split(text:gsub('\r?\n$', ''), '\r?\n')
end

--- Where a hunk is now: the rows it replaces, or for a pure insertion the row its lines show
--- under (`above` when they go before the first line).
local function locate(review, hunk)
  local mark = api.nvim_buf_get_extmark_by_id(review.bufnr, M.track_ns, hunk.mark, { details = true })
  if #mark == 0 then
    return nil
  end
  if hunk.removes then
    return { first = mark[1], last = mark[3].end_row or mark[1] }
  end
  return { first = mark[1], last = mark[1], anchor = mark[1], above = hunk.above }
end

local function label(review, hunk)
  local keys = M.options.keymaps
  local where = ('chatls %s · hunk %d/%d'):format(review.title, hunk.index + 1, #review.hunks)
  if hunk.decision == true then
    return { { ' ' .. where .. ': kept ', M.options.highlights.decided } }
  elseif hunk.decision == false then
    return { { ' ' .. where .. ': dropped ', M.options.highlights.decided } }
  end
  local hints = {}
  if keys.accept then
    table.insert(hints, keys.accept .. ' keep')
  end
  if keys.reject then
    table.insert(hints, keys.reject .. ' drop')
  end
  local text = where .. (#hints > 0 and (' · ' .. table.concat(hints, ', ')) or '')
  return { { ' ' .. text .. ' ', M.options.highlights.label } }
end

--- A virtual line for an added line: tabs expanded as the buffer shows them, and padded so
--- the highlight spans the window like a real line's would.
local function added_line(text, width, tabstop)
  local expanded = text:gsub('([^\t]*)\t', function(before)
    return before .. string.rep(' ', tabstop - (vim.fn.strdisplaywidth(before) % tabstop))
  end)
  local pad = math.max(0, width - vim.fn.strdisplaywidth(expanded))
  return { { expanded .. string.rep(' ', pad), M.options.highlights.added } }
end

local function draw(review)
  local bufnr = review.bufnr
  api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  local win = vim.fn.bufwinid(bufnr)
  local width = win ~= -1 and api.nvim_win_get_width(win) or vim.o.columns
  local tabstop = vim.bo[bufnr].tabstop
  for _, hunk in ipairs(review.hunks) do
    local at = locate(review, hunk)
    if at then
      local previewed = hunk.decision ~= false
      if hunk.removes and previewed then
        for row = at.first, at.last do
          api.nvim_buf_set_extmark(bufnr, M.ns, row, 0, {
            line_hl_group = M.options.highlights.removed,
            priority = 200,
          })
        end
      end
      local virt_lines = {}
      if previewed then
        for _, line in ipairs(hunk.added) do
          table.insert(virt_lines, added_line(line, width, tabstop))
        end
      end
      api.nvim_buf_set_extmark(bufnr, M.ns, at.last, 0, {
        virt_text = label(review, hunk),
        virt_text_pos = 'eol',
        virt_lines = #virt_lines > 0 and virt_lines or nil,
        virt_lines_above = at.above or nil,
        priority = 200,
      })
    end
  end
end

local function restore_keymaps(review)
  for lhs, saved in pairs(review.keymaps or {}) do
    pcall(vim.keymap.del, 'n', lhs, { buffer = review.bufnr })
    if saved ~= false then
      -- mapset() restores a buffer-local mapping into the current buffer.
      api.nvim_buf_call(review.bufnr, function()
        vim.fn.mapset('n', false, saved)
      end)
    end
  end
  review.keymaps = nil
end

--- Takes the review down from its buffer: marks and keymaps. The server is told nothing.
local function clear(review)
  if shown[review.bufnr] ~= review then
    return
  end
  shown[review.bufnr] = nil
  if api.nvim_buf_is_valid(review.bufnr) then
    api.nvim_buf_clear_namespace(review.bufnr, M.ns, 0, -1)
    api.nvim_buf_clear_namespace(review.bufnr, M.track_ns, 0, -1)
    restore_keymaps(review)
  end
end

--- Sends the decision: the kept hunks (all of them: no list, so the server checks nothing it
--- need not), or a rejection when none is kept.
local function send(review)
  clear(review)
  local kept = {}
  for _, hunk in ipairs(review.hunks) do
    if hunk.decision then
      table.insert(kept, hunk.index)
    end
  end
  local client = vim.lsp.get_client_by_id(review.client_id)
  if not client then
    notify(review.title .. ': the server has gone; nothing was applied', vim.log.levels.WARN)
    return
  end
  local command, argument
  if #kept == 0 then
    command, argument = 'chatls.review.reject', { id = review.id }
  elseif #kept == #review.hunks then
    command, argument = 'chatls.review.accept', { id = review.id }
  else
    command, argument = 'chatls.review.accept', { id = review.id, hunks = kept }
  end
  local params = { command = command, arguments = { argument } }
  -- A refusal (the document moved under a hunk, a part that would not parse) comes back as a
  -- null result, with the server's reason in window/showMessage.
  client:request('workspace/executeCommand', params, function(err)
    if err then
      notify(('%s failed: %s'):format(command, err.message), vim.log.levels.ERROR)
    end
  end, review.bufnr)
end

--- The hunks of the buffer's review on rows [first, last] (0-based), or under the cursor.
local function hunks_at(review, first, last)
  local found = {}
  for _, hunk in ipairs(review.hunks) do
    local at = locate(review, hunk)
    if at and at.first <= last and at.last >= first then
      table.insert(found, hunk)
    end
  end
  return found
end

local function next_undecided(review, after)
  local undecided = vim.tbl_filter(function(hunk)
    return hunk.decision == nil
  end, review.hunks)
  for _, hunk in ipairs(undecided) do
    local at = locate(review, hunk)
    if at and at.first > after then
      return at
    end
  end
  local first = undecided[1]
  return first and locate(review, first)
end

--- The review shown in `bufnr` (the current buffer when nil), if any.
function M.get(bufnr)
  return shown[bufnr or api.nvim_get_current_buf()]
end

--- Keeps (`keep` true) or drops the hunks on lines `line1`..`line2` (1-based; the cursor's
--- line when not given), or with `all` the whole change, which is then sent at once. Once
--- every hunk is decided the decision goes to the server; until then the cursor moves to the
--- next undecided hunk.
--- @param keep boolean
--- @param opts? {all?: boolean, line1?: integer, line2?: integer, bufnr?: integer}
function M.decide(keep, opts)
  opts = opts or {}
  local review = M.get(opts.bufnr)
  if not review then
    notify('no change to review in this buffer', vim.log.levels.WARN)
    return
  end
  if opts.all then
    for _, hunk in ipairs(review.hunks) do
      hunk.decision = keep
    end
    send(review)
    return
  end
  local cursor = api.nvim_win_get_cursor(0)[1] - 1
  local first = opts.line1 and opts.line1 - 1 or cursor
  local last = opts.line2 and opts.line2 - 1 or cursor
  local chosen = hunks_at(review, first, last)
  if #chosen == 0 then
    notify('no hunk of the change under the cursor', vim.log.levels.WARN)
    return
  end
  for _, hunk in ipairs(chosen) do
    hunk.decision = keep
  end
  local undecided = vim.iter(review.hunks):any(function(hunk)
    return hunk.decision == nil
  end)
  if not undecided then
    send(review)
    return
  end
  draw(review)
  local nxt = next_undecided(review, last)
  if nxt and api.nvim_get_current_buf() == review.bufnr then
    api.nvim_win_set_cursor(0, { nxt.first + 1, 0 })
  end
end

local function set_keymaps(review)
  review.keymaps = {}
  local keys = M.options.keymaps
  local bindings = {
    { keys.accept, function() M.decide(true) end, 'chatls: keep the hunk under the cursor' },
    { keys.reject, function() M.decide(false) end, 'chatls: drop the hunk under the cursor' },
    { keys.accept_all, function() M.decide(true, { all = true }) end, 'chatls: apply the whole change' },
    { keys.reject_all, function() M.decide(false, { all = true }) end, 'chatls: discard the whole change' },
  }
  for _, binding in ipairs(bindings) do
    local lhs, rhs, desc = unpack(binding)
    if lhs then
      -- The user's own buffer-local mapping of the same keys comes back with the review gone.
      local saved = api.nvim_buf_call(review.bufnr, function()
        return vim.fn.maparg(lhs, 'n', false, true)
      end)
      review.keymaps[lhs] = (saved.buffer == 1) and saved or false
      vim.keymap.set('n', lhs, rhs, { buffer = review.bufnr, desc = desc, nowait = true })
    end
  end
end

--- Shows a `chatls/review` notification's change in its buffer. A review already shown there
--- is rejected: its hunks were cut from text the new change replaces.
--- @param client_id integer
--- @param params table {id, title, action, textDocument: {uri, version}, hunks, diff}
function M.show(client_id, params)
  local bufnr = vim.uri_to_bufnr(params.textDocument.uri)
  if not api.nvim_buf_is_loaded(bufnr) then
    vim.fn.bufload(bufnr)
  end
  local previous = shown[bufnr]
  if previous then
    notify(previous.title .. ': discarded for the newer change to review')
    previous.hunks = vim.tbl_map(function(hunk)
      return vim.tbl_extend('force', hunk, { decision = false })
    end, previous.hunks)
    send(previous)
  end
  local review = {
    client_id = client_id,
    id = params.id,
    title = params.title or 'change',
    bufnr = bufnr,
    hunks = {},
  }
  local count = api.nvim_buf_line_count(bufnr)
  for _, h in ipairs(params.hunks or {}) do
    local first, last = rows(h.range, count)
    local hunk = { index = h.index, added = lines_of(h.newText or ''), removes = last > first }
    if hunk.removes then
      local end_line = api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1] or ''
      hunk.mark = api.nvim_buf_set_extmark(bufnr, M.track_ns, first, 0, {
        end_row = last - 1,
        end_col = #end_line,
      })
    else
      -- An insertion shows under the line before it; before the first line, above that.
      hunk.above = first == 0 or nil
      local anchor = first == 0 and 0 or first - 1
      hunk.mark = api.nvim_buf_set_extmark(bufnr, M.track_ns, anchor, 0, {})
    end
    table.insert(review.hunks, hunk)
  end
  if #review.hunks == 0 then
    return
  end
  shown[bufnr] = review
  set_keymaps(review)
  draw(review)
  local first = locate(review, review.hunks[1])
  for _, win in ipairs(vim.fn.win_findbuf(bufnr)) do
    if win == api.nvim_get_current_win() and first then
      api.nvim_win_set_cursor(win, { first.first + 1, 0 })
    end
  end
  local keys = M.options.keymaps
  notify(('%s: %d hunk%s to review (%s keep, %s drop, %s apply all, %s discard all)'):format(
    review.title,
    #review.hunks,
    #review.hunks == 1 and '' or 's',
    keys.accept or ':ChatlsReviewAccept',
    keys.reject or ':ChatlsReviewReject',
    keys.accept_all or ':ChatlsReviewAccept!',
    keys.reject_all or ':ChatlsReviewReject!'
  ))
end

--- Forgets the review of a buffer that went away, or that its client left (`client_id`).
function M.forget(bufnr, client_id)
  local review = shown[bufnr]
  if review and (client_id == nil or review.client_id == client_id) then
    clear(review)
  end
end

return M
