-- The chatls demo, driven by a real (headless) Neovim the way a user would drive it:
-- list the code actions on a selection, then run Explain (and ask a follow-up), Refactor,
-- Generate docstring and Fix (and the model-free quick fix), and refine the latest change,
-- printing what an editor would show. Run by demo/run.py, which passes settings in env.
local python = assert(os.getenv("CHATLS_PYTHON"))
local file = assert(os.getenv("CHATLS_DEMO_FILE"))
local log_file = assert(os.getenv("CHATLS_DEMO_LOG"))
local timeout_ms = 240000

local function say(text)
  io.stdout:write(text .. "\n")
  io.stdout:flush()
end

local function fail(text)
  say("demo failed: " .. text)
  vim.cmd("cquit 1")
end

vim.lsp.handlers["window/showMessage"] = function(_, result)
  say("  [chatls says] " .. result.message)
end

vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(event)
    local value = event.data.params.value
    if value.kind == "begin" then
      say("  … " .. value.title)
    elseif value.kind == "end" then
      say("  … " .. (value.message or "done"))
    end
  end,
})

vim.lsp.config("chatls", {
  cmd = { python, "-m", "chatls", "--log-file", log_file },
  filetypes = { "python" },
  root_markers = { ".git" },
  init_options = { backend = "local", localThreads = 2, temperature = 0, maxTokens = 400 },
})
vim.lsp.enable("chatls")

vim.cmd.edit(file)
local buf = vim.api.nvim_get_current_buf()
local client
if not vim.wait(timeout_ms, function()
  client = vim.lsp.get_clients({ bufnr = buf, name = "chatls" })[1]
  return client ~= nil and client.initialized
end, 50) then
  fail("chatls did not start")
end

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

local function line_of(pattern)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find(pattern, 1, true) then
      return i - 1
    end
  end
  return nil
end

local function find_line(pattern)
  return line_of(pattern) or fail("no line matching " .. pattern)
end

local function lines_range(first, last)
  return { start = { line = first, character = 0 }, ["end"] = { line = last + 1, character = 0 } }
end

local function section(title)
  say("")
  say("== " .. title .. " " .. string.rep("=", 60 - #title))
end

-- Runs one code action of `kind` the way `vim.lsp.buf.code_action({apply = true})` does
-- (resolving it through codeAction/resolve), then prints the change to the buffer.
local function apply_action(kind, range, diagnostics)
  local before = buffer_text()
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  local done = false
  local original_handler = vim.lsp.handlers["window/showMessage"]
  vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, config)
    done = true
    return original_handler(err, result, ctx, config)
  end
  -- With nothing to offer, Neovim only notifies "No code actions available": nothing else would
  -- end the wait (it ran to the 240 s timeout whenever the model's Fix had already fixed `nme`).
  local original_notify = vim.notify
  vim.notify = function(message, level, opts)
    if type(message) == "string" and message:find("No code actions available", 1, true) then
      done = true
    end
    return original_notify(message, level, opts)
  end
  local start_row = range.start.line + 1
  local end_row = math.max(start_row, range["end"].line)
  vim.lsp.buf.code_action({
    apply = true,
    range = { start = { start_row, range.start.character }, ["end"] = { end_row, 0 } },
    context = { only = { kind }, diagnostics = diagnostics or {} },
    filter = function(action)
      return action.kind == kind
    end,
  })
  vim.wait(timeout_ms, function()
    return done or vim.api.nvim_buf_get_changedtick(buf) ~= tick
  end, 50)
  vim.lsp.handlers["window/showMessage"] = original_handler
  vim.notify = original_notify
  local after = buffer_text()
  if after == before then
    say("  (no change to the buffer)")
  else
    say(vim.diff(before, after, { ctxlen = 1 }))
  end
end

local text = buffer_text()
say("chatls demo: " .. file .. " (" .. #vim.split(text, "\n") - 1 .. " lines)")

section("Code actions offered for `mean_of_positive`")
local first = find_line("def mean_of_positive")
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = lines_range(first, first + 5),
  context = { diagnostics = {} },
}
local response = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, timeout_ms)
for _, result in pairs(response or {}) do
  for _, action in ipairs(result.result or {}) do
    say(string.format("  %-32s %s", action.title, action.kind))
  end
end

section("Explain `word_count`")
local wc = find_line("def word_count")
local explained = client:request_sync("workspace/executeCommand", {
  command = "chatls.explain",
  arguments = { { uri = vim.uri_from_bufnr(buf), range = lines_range(wc, wc + 4), quiet = true } },
}, timeout_ms, buf)
if explained and explained.result then
  say(explained.result.markdown)
else
  say("  (no explanation: " .. vim.inspect(explained and explained.err) .. ")")
end

section("Ask a follow-up about `word_count`")
local question = "What does it return for an empty string?"
say("  Q: " .. question)
local asked = client:request_sync("workspace/executeCommand", {
  command = "chatls.ask",
  arguments = { {
    uri = vim.uri_from_bufnr(buf),
    range = lines_range(wc, wc + 4),
    question = question,
    thread = explained and explained.result and explained.result.thread or nil,
    quiet = true,
  } },
}, timeout_ms, buf)
if asked and asked.result and asked.result ~= vim.NIL then
  say(asked.result.markdown)
end

section("Refactor `mean_of_positive`")
first = find_line("def mean_of_positive")
apply_action("refactor.rewrite.chatls.refactor", lines_range(first, first + 5))

section("Generate docstring for `word_count`")
wc = find_line("def word_count")
apply_action("refactor.rewrite.chatls.docstring", lines_range(wc + 1, wc + 1))

section("Fix the diagnostic in `greet`")
local bad = find_line("nme")
local column = vim.api.nvim_buf_get_lines(buf, bad, bad + 1, false)[1]:find("nme", 1, true) - 1
local diagnostic = {
  range = { start = { line = bad, character = column }, ["end"] = { line = bad, character = column + 3 } },
  message = "Undefined name `nme`",
  source = "demo linter",
  severity = 1,
}
say("  diagnostic: line " .. bad + 1 .. ": " .. diagnostic.message)
apply_action("quickfix.chatls.fix", diagnostic.range, { diagnostic })

section("The same diagnostic, fixed without a model")
-- The checker's message names an unknown name and one defined name is that close: chatls
-- offers the replacement itself, instantly, beside "Fix with AI".
if line_of("nme") == nil then
  say("  (the model's Fix above already replaced `nme`: no quick fix is offered for it now)")
else
  apply_action("quickfix.chatls.replace", diagnostic.range, { diagnostic })
end

section("Refine chatls's latest change: the model gets the whole conversation")
local instruction = "Use str.format instead"
say("  instruction: " .. instruction)
local before_refine = buffer_text()
client:request_sync("workspace/executeCommand", {
  command = "chatls.refine",
  arguments = { {
    uri = vim.uri_from_bufnr(buf),
    -- A cursor away from any change: chatls's latest change in the file.
    range = lines_range(0, 0),
    instruction = instruction,
  } },
}, timeout_ms, buf)
if buffer_text() == before_refine then
  say("  (no change to the buffer)")
else
  say(vim.diff(before_refine, buffer_text(), { ctxlen = 1 }))
end

section("The file now")
say(buffer_text())
vim.cmd("qall!")
