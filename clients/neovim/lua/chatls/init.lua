--- chatls for Neovim: user commands that drive the chatls language server through standard
--- LSP requests (workspace/executeCommand with chatls's argument object). The server applies
--- edits itself (workspace/applyEdit), reports cancellable work-done progress, shows errors
--- with window/showMessage and keeps the conversations behind Refine and Ask, so this module
--- only builds arguments, asks for the text LSP cannot ask for, and shows answers.
local M = {}

local api = vim.api

--- Options for |chatls.setup()|.
M.options = {
  --- Passed to vim.lsp.util.open_floating_preview() for explanations.
  float = { border = 'rounded', max_width = 100, max_height = 40 },
}

--- @param opts? table
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', M.options, opts or {})
end

local function notify(message, level)
  vim.notify('chatls: ' .. message, level or vim.log.levels.INFO)
end

--- A client is chatls if it offers chatls's commands, whatever its config is called.
--- @param client vim.lsp.Client
local function is_chatls(client)
  local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
  local commands = type(provider) == 'table' and provider.commands or {}
  return vim.list_contains(commands, 'chatls.explain')
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

local function show_explanation(result)
  if type(result) == 'table' and type(result.markdown) == 'string' then
    M.show(result.markdown)
  end
end

--- Explain the selection (or the enclosing function) in a floating window.
function M.explain(opts)
  local ctx = context(opts)
  if ctx then
    execute(ctx, 'chatls.explain', argument(ctx, { quiet = true }), show_explanation)
  end
end

--- Rewrite the selection (or the enclosing function), following an optional instruction: the
--- command's arguments, `opts.instruction`, or what vim.ui.input() returns.
function M.refactor(opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  local function run(instruction)
    local extra = {}
    if instruction and instruction:match('%S') then
      extra.instruction = instruction
    end
    execute(ctx, 'chatls.refactor', argument(ctx, extra))
  end
  local given = opts.instruction or opts.args
  if given and given ~= '' then
    run(given)
    return
  end
  vim.ui.input({ prompt = 'chatls refactor (instruction, optional): ' }, function(input)
    if input ~= nil then
      run(input)
    end
  end)
end

--- Runs `command` with the text only the user can give (`field`: instruction or question):
--- `given` when there is one, else what vim.ui.input() returns. An empty answer runs nothing.
local function with_text(given, prompt, run)
  if given and given:match('%S') then
    run(given)
    return
  end
  vim.ui.input({ prompt = prompt }, function(input)
    if input and input:match('%S') then
      run(input)
    end
  end)
end

--- Refine chatls's last change (the one under the cursor or selection, else the latest in the
--- buffer) following an instruction: the command's arguments, `opts.instruction`, or what
--- vim.ui.input() returns. The model gets the whole conversation behind that change.
function M.refine(opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  with_text(opts.instruction or opts.args, 'chatls refine (instruction): ', function(instruction)
    execute(ctx, 'chatls.refine', argument(ctx, { instruction = instruction }))
  end)
end

--- Ask a question about the selection (or the function around the cursor), answered in a
--- float like Explain. Asking again about the same code (or after Explain) follows up.
function M.ask(opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  with_text(opts.question or opts.args, 'chatls ask: ', function(question)
    execute(ctx, 'chatls.ask', argument(ctx, { question = question, quiet = true }), show_explanation)
  end)
end

--- Generate (or replace) the doc comment of the definition at the cursor.
function M.docstring(opts)
  local ctx = context(opts)
  if ctx then
    execute(ctx, 'chatls.docstring', argument(ctx))
  end
end

--- Opens a document an action wrote (Translate, Write tests without a client that creates
--- files, a custom `newFile` action) in a new scratch buffer, or the file the server wrote.
local function open_document(result)
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
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  local lines = vim.split(document.text:gsub('\n$', ''), '\n', { plain = true })
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  pcall(vim.api.nvim_buf_set_name, buf, 'chatls://' .. document.name)
  local filetype = vim.filetype.match({ filename = document.name }) or document.languageId
  vim.bo[buf].filetype = filetype
end

--- Write the body of the function at the cursor (empty, `pass`, `todo!()`...) or the code a
--- TODO/FIXME comment line asks for.
function M.implement(opts)
  local ctx = context(opts)
  if ctx then
    execute(ctx, 'chatls.implement', argument(ctx))
  end
end

--- Add type annotations to the function at the cursor (Python, TypeScript).
function M.types(opts)
  local ctx = context(opts)
  if ctx then
    execute(ctx, 'chatls.types', argument(ctx))
  end
end

--- Write tests for the function at the cursor: the server creates or appends to the test
--- file; without that, the tests open in a new buffer.
function M.tests(opts)
  local ctx = context(opts)
  if ctx then
    execute(ctx, 'chatls.tests', argument(ctx, { quiet = true }), open_document)
  end
end

--- Translate the selection (or the function around the cursor) into another language, in a
--- new buffer; the source is not touched.
function M.translate(opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  with_text(opts.language or opts.args, 'chatls translate to: ', function(language)
    execute(ctx, 'chatls.translate', argument(ctx, { language = language, quiet = true }), open_document)
  end)
end

--- Run one of the `customActions` from the settings by its id.
function M.action(opts)
  opts = opts or {}
  local ctx = context(opts)
  if not ctx then
    return
  end
  with_text(opts.id or opts.args, 'chatls action id: ', function(id)
    execute(ctx, 'chatls.action', argument(ctx, { id = vim.trim(id), quiet = true }), open_document)
  end)
end

--- Client-side handler for the commands whose result is a document (Write tests, custom
--- actions run from the code action menu): opens it.
--- @param command lsp.Command
--- @param ctx table handler context (bufnr, client_id)
function M.document_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  local arg = vim.tbl_extend('force', (command.arguments or {})[1] or {}, { quiet = true })
  execute({ client = client, bufnr = ctx.bufnr }, command.command, arg, open_document)
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

--- Fix the diagnostic under the cursor (asks which one when there are several).
function M.fix(opts)
  local ctx = context(opts)
  if not ctx then
    return
  end
  local found = diagnostics_at(ctx)
  local function run(d)
    local diagnostic = M.to_lsp(ctx.bufnr, d, ctx.encoding)
    execute(ctx, 'chatls.fix', argument(ctx, { range = diagnostic.range, diagnostic = diagnostic }))
  end
  if #found == 0 then
    notify('no diagnostic under the cursor', vim.log.levels.WARN)
  elseif #found == 1 then
    run(found[1])
  else
    vim.ui.select(found, { prompt = 'chatls: fix which diagnostic?', format_item = describe }, function(d)
      if d then
        run(d)
      end
    end)
  end
end

--- chatls's code actions for the selection or cursor, with Fix offered for every diagnostic
--- there (vim.lsp.buf.code_action() alone only sends a server's own diagnostics, and chatls
--- publishes none).
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

--- Client-side handler for the `chatls.explain` command that code actions carry: runs it
--- quietly and shows the explanation in a float instead of a message.
--- @param command lsp.Command
--- @param ctx table handler context (bufnr, client_id)
function M.explain_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  local arg = vim.tbl_extend('force', (command.arguments or {})[1] or {}, { quiet = true })
  execute({ client = client, bufnr = ctx.bufnr }, 'chatls.explain', arg, show_explanation)
end

--- Client-side handler for the `chatls.ask` and `chatls.refine` commands that the Ask… and
--- Refine… code actions carry: LSP cannot ask the user for text, so this asks with
--- vim.ui.input() and runs the command with the answer.
--- @param command lsp.Command
--- @param ctx table handler context (bufnr, client_id)
function M.text_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  local arg = vim.deepcopy((command.arguments or {})[1] or {})
  local target = { client = client, bufnr = ctx.bufnr }
  if command.command == 'chatls.ask' then
    with_text(nil, 'chatls ask: ', function(question)
      arg.question, arg.quiet = question, true
      execute(target, 'chatls.ask', arg, show_explanation)
    end)
  else
    with_text(nil, 'chatls refine (instruction): ', function(instruction)
      arg.instruction = instruction
      execute(target, 'chatls.refine', arg)
    end)
  end
end

return M
