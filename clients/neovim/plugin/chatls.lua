-- chatls user commands. The server publishes its actions (built-in and your `customActions`):
-- each gets a command once a chatls client starts (`:ChatlsExplain`, `:ChatlsAddLogging` for
-- `add-logging`...), remade when the settings change them. Each takes a range
-- (`:'<,'>ChatlsExplain`, or a visual-mode mapping to `<Cmd>ChatlsExplain<CR>`); without one
-- it works at the cursor. With `review` in the settings, a change shows in its buffer first:
-- `:ChatlsReviewAccept[!]` / `:ChatlsReviewReject[!]` (lua/chatls/review.lua). When the server
-- suggests next edits, they show after a pause in typing: <Tab> goes there, <Tab> again applies,
-- <Esc> dismisses; `:ChatlsNextEdit` asks at once (lua/chatls/nextedit.lua).
if vim.g.loaded_chatls then
  return
end
vim.g.loaded_chatls = true

local function command(name, method, desc, extra)
  vim.api.nvim_create_user_command(name, function(opts)
    require('chatls')[method](opts)
  end, vim.tbl_extend('force', { range = true, desc = desc }, extra or {}))
end

command('ChatlsAction', 'action', 'chatls: run an action {id} [text]', {
  nargs = '*',
  complete = function(lead, line)
    return require('chatls').complete(lead, line)
  end,
})
command('ChatlsActions', 'actions', 'chatls: code actions, with Fix for any diagnostic here')
vim.api.nvim_create_user_command('ChatlsCancel', function()
  require('chatls').cancel()
end, { desc = 'chatls: cancel running requests' })
vim.api.nvim_create_user_command('ChatlsNextEdit', function()
  require('chatls.nextedit').ask_now()
end, { desc = 'chatls: suggest the next edit now' })
vim.api.nvim_create_user_command('ChatlsHistory', function()
  require('chatls.history').pick()
end, { desc = 'chatls: the recent actions; open one with its reply' })

local group = vim.api.nvim_create_augroup('chatls', { clear = true })
vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client then
      require('chatls').learn(client)
      if require('chatls').is_chatls(client) then
        require('chatls.nextedit').attach(args.buf, client)
      end
    end
  end,
})
-- Custom actions come and go with the settings; the server says so with this notification.
if not vim.lsp.handlers['chatls/actions'] then
  vim.lsp.handlers['chatls/actions'] = function(_, result, ctx)
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    if client and type(result) == 'table' then
      require('chatls').learn(client, result)
    end
  end
end
-- A change to review (`review.mode`): shown in its buffer until kept or dropped.
if not vim.lsp.handlers['chatls/review'] then
  vim.lsp.handlers['chatls/review'] = function(_, result, ctx)
    if type(result) == 'table' and type(result.textDocument) == 'table' then
      require('chatls.review').show(ctx.client_id, result)
    end
  end
end
vim.api.nvim_create_autocmd('BufWipeout', {
  group = group,
  callback = function(args)
    if package.loaded['chatls.review'] then
      require('chatls.review').forget(args.buf)
    end
  end,
})
vim.api.nvim_create_autocmd('LspDetach', {
  group = group,
  callback = function(args)
    if package.loaded['chatls.review'] then
      require('chatls.review').forget(args.buf, args.data.client_id)
    end
    if package.loaded['chatls.nextedit'] then
      require('chatls.nextedit').forget(args.buf, args.data.client_id)
    end
  end,
})
for name, keep in pairs({ ChatlsReviewAccept = true, ChatlsReviewReject = false }) do
  local verb = keep and 'keep' or 'drop'
  vim.api.nvim_create_user_command(name, function(opts)
    require('chatls.review').decide(keep, {
      all = opts.bang,
      line1 = opts.range > 0 and opts.line1 or nil,
      line2 = opts.range > 0 and opts.line2 or nil,
    })
  end, {
    bang = true,
    range = true,
    desc = ('chatls: %s the hunk under the cursor (or in the range); with !, the whole change'):format(verb),
  })
end
