--- chatls for Neovim: user commands that drive the chatls language server through standard
--- LSP requests (workspace/executeCommand with chatls's argument object). The server applies
--- edits itself (workspace/applyEdit), reports cancellable work-done progress, shows errors
--- with window/showMessage and keeps the conversations behind its actions, so this module
--- only builds arguments, asks for the text LSP cannot ask for, and shows answers. Which
--- commands there are, and how each runs, comes from the actions the server publishes: a new
--- action, or a custom one in the settings, needs nothing here.
local M = {}

local api = vim.api

--- Options for |chatls.setup()|.
M.options = {
  --- Passed to vim.lsp.util.open_floating_preview() for explanations.
  float = { border = 'rounded', max_width = 100, max_height = 40 },
  --- Changes shown for review in the buffer: `enabled`, `keymaps`, `highlights`
  --- (lua/chatls/review.lua has the defaults).
  review = require('chatls.review').options,
  --- Next-edit suggestions: `keymaps` and `sign` (lua/chatls/nextedit.lua has the defaults).
  next_edit = require('chatls.nextedit').options,
}

--- @param opts? table
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', M.options, opts or {})
  -- The review module reads its own table: keep the two one.
  require('chatls.review').options = M.options.review
  require('chatls.nextedit').options = M.options.next_edit
end

local function notify(message, level)
  vim.notify('chatls: ' .. message, level or vim.log.levels.INFO)
end

--- What each chatls client told of its actions: `initialize`'s
--- `capabilities.experimental.chatls`, then each `chatls/actions` notification. By client id.
--- @type table<integer, {actions: table[], customCommand: string}>
local learned = {}

--- The actions a client published, or nil when it is not chatls.
--- @param client vim.lsp.Client
local function published(client)
  if learned[client.id] then
    return learned[client.id]
  end
  local experimental = client.server_capabilities and client.server_capabilities.experimental
  local described = type(experimental) == 'table' and experimental.chatls or nil
  if type(described) == 'table' and type(described.actions) == 'table' then
    return described
  end
  return nil
end

--- A client is chatls if it publishes chatls's actions, whatever its config is called.
--- @param client vim.lsp.Client
local function is_chatls(client)
  return published(client) ~= nil
end

M.is_chatls = is_chatls

--- The server's next-edit settings as last published (`{enabled, debounceMs}`), or nil.
--- @param client vim.lsp.Client
function M.next_edit(client)
  local described = published(client)
  local settings = described and described.nextEdit
  return type(settings) == 'table' and settings or nil
end

--- @param bufnr integer
--- @return vim.lsp.Client?
function M.client(bufnr)
  for _, client in ipairs(vim.lsp.get_clients({ bufnr = bufnr })) do
    if is_chatls(client) then
      return client
    end
  end
  return nil
end

--- An LSP position from a 0-based row and byte column, in the client's encoding.
local function position(bufnr, row, col, encoding)
  local count = api.nvim_buf_line_count(bufnr)
  if row >= count then
    row = count - 1
    col = math.huge
  end
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  col = math.max(0, math.min(col, #line))
  return { line = row, character = vim.str_utfindex(line, encoding, col, false) }
end

--- Byte column just past the character that starts at byte `col` (0-based) of `line`.
local function after_char(line, col)
  if col >= #line then
    return #line
  end
  return col + 1 + vim.str_utf_end(line, col + 1)
end

--- 0-based {srow, scol, erow, ecol} in bytes, end exclusive, for two (1-based row, 1-based
--- col) positions of a visual selection in `vmode`.
local function visual_span(bufnr, a_row, a_col, b_row, b_col, vmode)
  if b_row < a_row or (b_row == a_row and b_col < a_col) then
    a_row, a_col, b_row, b_col = b_row, b_col, a_row, a_col
  end
  local last = api.nvim_buf_get_lines(bufnr, b_row - 1, b_row, false)[1] or ''
  if vmode == 'V' then
    return { a_row - 1, 0, b_row - 1, #last }
  end
  local ecol = math.min(b_col - 1, #last)
  if vim.o.selection ~= 'exclusive' then
    ecol = after_char(last, ecol)
  end
  return { a_row - 1, a_col - 1, b_row - 1, ecol }
end

--- What a command works on: the visual selection (when called from a mapping in visual mode),
--- the command's range (`:'<,'>Cmd` keeps a charwise selection's columns), or the cursor.
--- @return integer[] span 0-based {srow, scol, erow, ecol}, bytes, end exclusive
local function span_for(bufnr, opts)
  local mode = api.nvim_get_mode().mode
  if mode == 'v' or mode == 'V' or mode == '\22' then
    local a, b = vim.fn.getpos('v'), vim.fn.getpos('.')
    local span = visual_span(bufnr, a[2], a[3], b[2], b[3], mode)
    -- Leave visual mode as `:` would, so the result is not shown under a selection.
    api.nvim_feedkeys(vim.keycode('<Esc>'), 'nx', false)
    return span
  end
  if opts.range and opts.range > 0 and opts.line1 and opts.line2 then
    local s, e = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    local vmode = vim.fn.visualmode()
    if vmode ~= '' and vmode ~= 'V' and s[2] == opts.line1 and e[2] == opts.line2 then
      return visual_span(bufnr, s[2], s[3], e[2], e[3], 'v')
    end
    local last = api.nvim_buf_get_lines(bufnr, opts.line2 - 1, opts.line2, false)[1] or ''
    return { opts.line1 - 1, 0, opts.line2 - 1, #last }
  end
  local cursor = api.nvim_win_get_cursor(0)
  return { cursor[1] - 1, cursor[2], cursor[1] - 1, cursor[2] }
end

--- The buffer, client, LSP range and document version a command runs on, captured when the
--- command is invoked (the server refuses to edit a document that changed since).
--- @param opts table user-command options (range, line1, line2, args) or {}
local function context(opts)
  local bufnr = api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('the chatls language server is not attached to this buffer', vim.log.levels.WARN)
    return nil
  end
  local encoding = client.offset_encoding or 'utf-16'
  local span = span_for(bufnr, opts or {})
  return {
    bufnr = bufnr,
    client = client,
    encoding = encoding,
    span = span,
    range = {
      start = position(bufnr, span[1], span[2], encoding),
      ['end'] = position(bufnr, span[3], span[4], encoding),
    },
    version = vim.lsp.util.buf_versions[bufnr],
  }
end

--- chatls's command argument object.
local function argument(ctx, extra)
  return vim.tbl_extend('force', {
    uri = vim.uri_from_bufnr(ctx.bufnr),
    range = ctx.range,
    version = ctx.version,
  }, extra or {})
end

--- Sends workspace/executeCommand; `on_result` gets a non-null result. A null result means the
--- server already told the user what went wrong.
local function execute(ctx, command, arg, on_result)
  local params = { command = command, arguments = { arg } }
  ctx.client:request('workspace/executeCommand', params, function(err, result)
    if err then
      notify(('%s failed: %s'):format(command, err.message), vim.log.levels.ERROR)
      return
    end
    if result ~= nil and result ~= vim.NIL and on_result then
      on_result(result)
    end
  end, ctx.bufnr)
end

--- Shows Markdown in a floating window at the cursor.
--- @param markdown string
--- @return integer bufnr, integer winid
function M.show(markdown)
  local lines = vim.split(markdown, '\n', { plain = true })
  return vim.lsp.util.open_floating_preview(lines, 'markdown', vim.deepcopy(M.options.float))
end

--- Shows what an action answered: Markdown in a float; a document the server wrote, in a
--- split; a document to open, in a new scratch buffer (the source is not touched).
local function show_result(result)
  if type(result) ~= 'table' then
    return
  end
  if type(result.markdown) == 'string' then
    M.show(result.markdown)
    return
  end
  local placed = result.created or result.file
  if type(placed) == 'string' then
    vim.cmd.split(vim.fn.fnameescape(vim.uri_to_fname(placed)))
    return
  end
  local document = result.document
  if type(document) ~= 'table' or type(document.text) ~= 'string' then
    return
  end
  vim.cmd.new()
  local buf = api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  local lines = vim.split(document.text:gsub('\n$', ''), '\n', { plain = true })
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  pcall(api.nvim_buf_set_name, buf, 'chatls://' .. document.name)
  local filetype = vim.filetype.match({ filename = document.name }) or document.languageId
  vim.bo[buf].filetype = filetype
end

--- Runs `run` with the text the action asks for: `given` when there is some, else what
--- vim.ui.input() returns. Cancelling runs nothing; an empty answer runs without the text
--- when it is optional, and nothing when it is required.
local function with_text(asks, given, run)
  if not asks then
    run(nil)
    return
  end
  if given and given:match('%S') then
    run(vim.trim(given))
    return
  end
  vim.ui.input({ prompt = asks.prompt }, function(input)
    if input == nil then
      return
    end
    if input:match('%S') then
      run(vim.trim(input))
    elseif not asks.required then
      run(nil)
    end
  end)
end

--- A vim.diagnostic as an LSP diagnostic in the chatls client's encoding. The originating
--- server's own LSP fields are kept, but its range is recomputed: it may be in another
--- position encoding than the one chatls negotiated.
--- @param d vim.Diagnostic
function M.to_lsp(bufnr, d, encoding)
  local original = d.user_data and d.user_data.lsp
  local out = type(original) == 'table' and vim.deepcopy(original) or {}
  out.range = {
    start = position(bufnr, d.lnum, d.col, encoding),
    ['end'] = position(bufnr, d.end_lnum or d.lnum, d.end_col or d.col, encoding),
  }
  out.message = out.message or d.message
  out.severity = out.severity or d.severity
  out.source = out.source or d.source
  if out.code == nil then
    out.code = d.code
  end
  return out
end

--- Diagnostics (any source) under the cursor, or touching the span when there is a selection;
--- when none covers the cursor, every diagnostic on its line.
local function diagnostics_at(ctx)
  local srow, scol, erow, ecol = unpack(ctx.span)
  local on_lines, under = {}, {}
  for _, d in ipairs(vim.diagnostic.get(ctx.bufnr)) do
    local d_erow = d.end_lnum or d.lnum
    if d.lnum <= erow and d_erow >= srow then
      table.insert(on_lines, d)
      local starts_before = d.lnum < erow or (d.lnum == erow and d.col <= ecol)
      local ends_after = d_erow > srow or (d_erow == srow and (d.end_col or d.col) >= scol)
      if starts_before and ends_after then
        table.insert(under, d)
      end
    end
  end
  local found = #under > 0 and under or on_lines
  table.sort(found, function(a, b)
    if a.severity ~= b.severity then
      return a.severity < b.severity
    end
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return found
end

local function describe(d)
  return (d.source and (d.source .. ': ') or '') .. d.message:gsub('\n', ' ')
end

--- Calls `run` with the diagnostic under the cursor as chatls's `range` and `diagnostic`
--- arguments (asks which one when there are several).
local function with_diagnostic(ctx, title, run)
  local found = diagnostics_at(ctx)
  local function chosen(d)
    local diagnostic = M.to_lsp(ctx.bufnr, d, ctx.encoding)
    run({ range = diagnostic.range, diagnostic = diagnostic })
  end
  if #found == 0 then
    notify('no diagnostic under the cursor', vim.log.levels.WARN)
  elseif #found == 1 then
    chosen(found[1])
  else
    local prompt = ('chatls: %s which diagnostic?'):format(title:lower())
    vim.ui.select(found, { prompt = prompt, format_item = describe }, function(d)
      if d then
        chosen(d)
      end
    end)
  end
end

--- The published action `id` of the client, or nil.
local function find(client, id)
  for _, action in ipairs((published(client) or {}).actions or {}) do
    if action.id == id then
      return action
    end
  end
  return nil
end

--- The title `client` published for the action `id`, or nil (an action it no longer has).
function M.title(client, id)
  local action = find(client, id)
  return action and action.title or nil
end

--- The command and argument that run `action`: a custom action goes through the one command
--- that runs them all, named by its id; what the client shows itself is asked for quietly.
local function invocation(client, action, arg)
  arg = vim.deepcopy(arg)
  if action.custom then
    arg.id = action.id
  end
  local on_result
  if action.output ~= 'edit' then
    arg.quiet = true
    on_result = show_result
  end
  local command = action.command
  if action.custom then
    command = published(client).customCommand or command
  end
  return command, arg, on_result
end

--- Runs the published action `id` on the selection, the command's range or the cursor, as
--- its description says: asking for the text it needs (`opts.args`, or the argument it names
--- in `opts`, else vim.ui.input()), the diagnostic it fixes, and showing what it answers.
--- @param id string
--- @param opts? table user-command options (range, line1, line2, args) or {}
function M.run(id, opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  local action = find(ctx.client, id)
  if not action then
    notify(('the server has no action %q'):format(id), vim.log.levels.WARN)
    return
  end
  local asks = type(action.asks) == 'table' and action.asks or nil
  local given = asks and opts[asks.argument] or opts.args
  with_text(asks, given, function(text)
    local extra = {}
    if text then
      extra[asks.argument] = text
    end
    local function send(more)
      local command, arg, on_result =
        invocation(ctx.client, action, argument(ctx, vim.tbl_extend('force', extra, more or {})))
      execute(ctx, command, arg, on_result)
    end
    if action.offered == 'diagnostic' then
      with_diagnostic(ctx, action.title, send)
    else
      send()
    end
  end)
end

--- The ids of the actions the chatls clients published, each once, in their order.
function M.ids()
  local ids, seen = {}, {}
  for _, client in ipairs(vim.lsp.get_clients()) do
    for _, action in ipairs((published(client) or {}).actions or {}) do
      if not seen[action.id] then
        seen[action.id] = true
        table.insert(ids, action.id)
      end
    end
  end
  return ids
end

--- `:ChatlsAction {id} [text]`: any published action by id (the text is what it asks for);
--- without an id, asks which with vim.ui.select().
function M.action(opts)
  opts = opts or {}
  local id, rest = (opts.id or opts.args or ''):match('^%s*(%S*)%s*(.-)%s*$')
  local function run(chosen)
    M.run(chosen, vim.tbl_extend('force', opts, { args = rest }))
  end
  if id ~= '' then
    run(id)
    return
  end
  local client = M.client(api.nvim_get_current_buf())
  local actions = client and published(client).actions or {}
  vim.ui.select(actions, {
    prompt = 'chatls: run which action?',
    format_item = function(action)
      return action.title
    end,
  }, function(action)
    if action then
      run(action.id)
    end
  end)
end

--- Completion for `:ChatlsAction`: the published ids.
function M.complete(lead, line)
  if line:match('^%S*%s+%S+%s') then
    return {}
  end
  return vim.tbl_filter(function(id)
    return vim.startswith(id, lead)
  end, M.ids())
end

--- chatls's code actions for the selection or cursor, with the actions offered per
--- diagnostic (Fix) offered for every diagnostic there (vim.lsp.buf.code_action() alone only
--- sends a server's own diagnostics, and chatls publishes none).
function M.actions(opts)
  local ctx = context(opts)
  if not ctx then
    return
  end
  local diagnostics = vim.tbl_map(function(d)
    return M.to_lsp(ctx.bufnr, d, ctx.encoding)
  end, diagnostics_at(ctx))
  local srow, scol, erow, ecol = unpack(ctx.span)
  local range
  if srow ~= erow or scol ~= ecol then
    -- code_action() takes mark-indexed positions with an inclusive end.
    range = { start = { srow + 1, scol }, ['end'] = { erow + 1, math.max(ecol - 1, 0) } }
  end
  vim.lsp.buf.code_action({
    range = range,
    context = { diagnostics = diagnostics },
    filter = function(action)
      return type(action.kind) == 'string' and action.kind:find('.chatls.', 1, true) ~= nil
    end,
  })
end

--- Cancel every running chatls request (through its work-done progress).
function M.cancel()
  local cancelled = 0
  for _, client in ipairs(vim.lsp.get_clients()) do
    if is_chatls(client) then
      for token in pairs(client.progress.pending) do
        client:notify('window/workDoneProgress/cancel', { token = token })
        cancelled = cancelled + 1
      end
    end
  end
  if cancelled == 0 then
    notify('nothing to cancel')
  end
end

--- Client-side handler for the commands chatls's code actions carry, where the plugin has
--- something to add: the text LSP cannot ask the user for (Ask…, Refine…), and answers and
--- documents shown here rather than as a message.
--- @param command lsp.Command
--- @param ctx table handler context (bufnr, client_id)
function M.server_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  local arg = vim.deepcopy((command.arguments or {})[1] or {})
  local action
  for _, candidate in ipairs((published(client) or {}).actions or {}) do
    if candidate.command == command.command and (not candidate.custom or candidate.id == arg.id) then
      action = candidate
      break
    end
  end
  local target = { client = client, bufnr = ctx.bufnr }
  if not action then
    execute(target, command.command, arg)
    return
  end
  local asks = type(action.asks) == 'table' and action.asks or nil
  local missing = asks and asks.required and arg[asks.argument] == nil
  with_text(missing and asks or nil, nil, function(text)
    if text then
      arg[asks.argument] = text
    end
    local name, sent, on_result = invocation(client, action, arg)
    execute(target, name, sent, on_result)
  end)
end

--- A user-command name for an action id: `ChatlsExplain`, `ChatlsAddLogging` for `add-logging`.
function M.command_name(id)
  local camel = id:gsub('[-_]+(%w)', string.upper):gsub('[-_]', ''):gsub('^%l', string.upper)
  return 'Chatls' .. camel
end

--- The user commands and command handlers made from the published actions.
local made = { commands = {}, handlers = {} }

--- Makes one user command per published action (and a handler for the commands their code
--- actions carry), and removes those of actions no chatls client publishes any more. Names
--- taken by anything else are left alone.
function M.sync()
  local wanted, handled, running = {}, {}, {}
  for _, client in ipairs(vim.lsp.get_clients()) do
    running[client.id] = true
    local described = published(client)
    for _, action in ipairs(described and described.actions or {}) do
      local name = M.command_name(action.id)
      if not wanted[name] and (made.commands[name] or vim.fn.exists(':' .. name) ~= 2) then
        wanted[name] = action
      end
      local command = action.custom and described.customCommand or action.command
      local asks = type(action.asks) == 'table' and action.asks or nil
      if action.output ~= 'edit' or (asks and asks.required) or action.custom then
        handled[command] = true
      end
    end
  end
  for id in pairs(learned) do
    if not running[id] then
      learned[id] = nil
    end
  end
  for name in pairs(made.commands) do
    if not wanted[name] then
      pcall(api.nvim_del_user_command, name)
      made.commands[name] = nil
    end
  end
  for name, action in pairs(wanted) do
    local asks = type(action.asks) == 'table' and action.asks or nil
    local desc = 'chatls: ' .. action.title
    if asks then
      desc = desc .. (asks.required and (' {%s}'):format(asks.argument) or (' [%s]'):format(asks.argument))
    end
    local id = action.id
    api.nvim_create_user_command(name, function(opts)
      M.run(id, opts)
    end, { range = true, nargs = asks and '*' or 0, desc = desc, force = true })
    made.commands[name] = true
  end
  for command in pairs(handled) do
    if made.handlers[command] or not vim.lsp.commands[command] then
      vim.lsp.commands[command] = M.server_command
      made.handlers[command] = true
    end
  end
end

--- Takes in what a chatls client published (`chatls/actions`; at start-up, its capabilities)
--- and remakes the commands.
--- @param client vim.lsp.Client
--- @param described? table the notification's params
function M.learn(client, described)
  if described ~= nil then
    learned[client.id] = described
  end
  if is_chatls(client) then
    M.sync()
    if package.loaded['chatls.nextedit'] then
      require('chatls.nextedit').refresh(client)
    end
  end
end

-- The Lua API before the commands came from the server (`require('chatls').explain()`,
-- `.refactor({ instruction = ... })`) still works, for any published action.
setmetatable(M, {
  __index = function(_, key)
    if type(key) == 'string' and vim.list_contains(M.ids(), key) then
      return function(opts)
        M.run(key, opts)
      end
    end
    return nil
  end,
})

return M
