--- chatls's local history of actions in Neovim (`:ChatlsHistory`): the recent actions the
--- server's `chatls.history` command lists, picked with vim.ui.select(), the one chosen shown
--- with its reply and the request's messages in a read-only Markdown scratch buffer.
local M = {}

local api = vim.api

M.limit = 50

local function notify(message, level)
  vim.notify('chatls: ' .. message, level or vim.log.levels.INFO)
end

--- A chatls client: the current buffer's, else any running one (the history is not per
--- buffer, so it can be listed from a buffer chatls does not manage).
local function client()
  local chatls = require('chatls')
  local found = chatls.client(api.nvim_get_current_buf())
  if found then
    return found
  end
  for _, candidate in ipairs(vim.lsp.get_clients()) do
    local capabilities = candidate.server_capabilities or {}
    local experimental = capabilities.experimental
    if type(experimental) == 'table' and type(experimental.chatls) == 'table' then
      return candidate
    end
  end
  return nil
end

--- Sends `chatls.history` with `argument`; `on_result` gets the answer.
local function ask(c, argument, on_result)
  local params = { command = 'chatls.history', arguments = { argument } }
  c:request('workspace/executeCommand', params, function(err, result)
    if err then
      notify('the history could not be read: ' .. err.message, vim.log.levels.ERROR)
    elseif type(result) == 'table' then
      on_result(result)
    end
  end)
end

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

--- An action's id as a title: `refactor` → `Refactor`, `add-logging` → `Add Logging`.
function M.title_case(action)
  local words = {}
  for word in tostring(action):gmatch('[^-_%s]+') do
    table.insert(words, (word:gsub('^%l', string.upper)))
  end
  return table.concat(words, ' ')
end

--- Where the action worked: `shapes.py:12-30`, or the file alone.
local function where(record)
  return present(record.target) and ('%s:%s'):format(record.file, record.target) or record.file
end

--- How long ago `time` (epoch seconds) was, from `now` (epoch seconds).
function M.ago(time, now)
  local seconds = math.max(0, math.floor(now - time + 0.5))
  if seconds < 60 then
    return 'just now'
  end
  local steps = {
    { 60, 'minute' },
    { 3600, 'hour' },
    { 86400, 'day' },
    { 7 * 86400, 'week' },
    { 30 * 86400, 'month' },
    { 365 * 86400, 'year' },
  }
  local chosen = steps[1]
  for _, step in ipairs(steps) do
    if seconds >= step[1] then
      chosen = step
    end
  end
  local count = math.floor(seconds / chosen[1])
  return ('%d %s%s ago'):format(count, chosen[2], count == 1 and '' or 's')
end

--- The action's title as `c` publishes it, else its id made into one.
local function title(c, action)
  return c and require('chatls').title(c, action) or M.title_case(action)
end

--- A record as one line of the list: what and where, what became of it and when, and why.
--- `c` is the client whose action titles it takes, if any.
function M.label(record, now, c)
  local line = ('%s %s  %s, %s'):format(
    title(c, record.action),
    where(record),
    record.outcome,
    M.ago(record.time, now or os.time())
  )
  if present(record.reason) then
    line = line .. ': ' .. tostring(record.reason):gsub('\n', ' ')
  end
  return line
end

--- A message's text: a string as it is, the text parts of a list of parts, else its JSON.
local function text_of(content)
  if type(content) == 'string' then
    return content
  end
  if type(content) == 'table' and vim.islist(content) then
    local parts = {}
    for _, part in ipairs(content) do
      local text = type(part) == 'table' and type(part.text) == 'string' and part.text
      table.insert(parts, text or vim.json.encode(part))
    end
    return table.concat(parts, '\n')
  end
  return present(content) and vim.json.encode(content) or ''
end

--- A fence that no run of backticks in `text` closes early.
local function fence(text)
  local longest = 2
  for run in text:gmatch('`+') do
    longest = math.max(longest, #run)
  end
  return ('`'):rep(longest + 1)
end

--- A record as Markdown: the reply first, since that is what the user came back for, then the
--- request's messages, each fenced so the prompt's own fences stay as they were sent.
function M.markdown(record, c)
  local facts = { record.outcome, os.date('%Y-%m-%d %H:%M', math.floor(record.time)) }
  if present(record.model) then
    table.insert(facts, record.model)
  end
  if present(record.prompt_tokens) or present(record.answer_tokens) then
    local function count(n)
      return present(n) and tostring(n) or '?'
    end
    local prompt, answer = count(record.prompt_tokens), count(record.answer_tokens)
    table.insert(facts, ('%s prompt + %s answer tokens'):format(prompt, answer))
  end
  local heading = ('# %s %s'):format(title(c, record.action), where(record))
  local parts = { heading, table.concat(facts, ' · ') }
  if present(record.reason) then
    table.insert(parts, '**Reason:** ' .. record.reason)
  end
  table.insert(parts, '## Reply')
  table.insert(parts, present(record.reply) and (record.reply:gsub('%s+$', '')) or '_No reply._')
  local messages = type(record.messages) == 'table' and record.messages or {}
  if #messages > 0 then
    table.insert(parts, '## Request')
    for _, message in ipairs(messages) do
      local text = text_of(message.content)
      local marks = fence(text)
      table.insert(parts, '### ' .. (present(message.role) and message.role or '?'))
      table.insert(parts, ('%s\n%s\n%s'):format(marks, text, marks))
    end
  end
  return table.concat(parts, '\n\n')
end

--- Shows `record` in a scratch buffer in a new window: Markdown, not modifiable, wiped once
--- hidden (it is the server's record, not a file). Returns the buffer.
function M.show(record, c)
  vim.cmd.new()
  local buf = api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(M.markdown(record, c), '\n', { plain = true }))
  -- A record already open keeps its name; this one still shows.
  pcall(api.nvim_buf_set_name, buf, ('chatls://history/%s'):format(record.id))
  vim.bo[buf].filetype = 'markdown'
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  return buf
end

--- `:ChatlsHistory`: the recent actions with vim.ui.select(); the one chosen opens whole.
function M.pick()
  local c = client()
  if not c then
    notify('no chatls language server is running', vim.log.levels.WARN)
    return
  end
  ask(c, { limit = M.limit }, function(answer)
    if answer.enabled == false then
      notify('the history is off (history.enabled), or this workspace is not trusted')
      return
    end
    local records = type(answer.records) == 'table' and answer.records or {}
    if #records == 0 then
      notify('no actions in the history yet')
      return
    end
    local now = os.time()
    vim.ui.select(records, {
      prompt = 'chatls: open which action?',
      format_item = function(record)
        return M.label(record, now, c)
      end,
      kind = 'chatls.history',
    }, function(chosen)
      if not chosen then
        return
      end
      ask(c, { id = chosen.id }, function(found)
        if type(found.record) == 'table' then
          M.show(found.record, c)
        else
          notify(('no record %s in the history any more'):format(chosen.id), vim.log.levels.WARN)
        end
      end)
    end)
  end)
end

return M
