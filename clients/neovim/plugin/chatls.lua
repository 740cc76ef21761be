-- chatls user commands. The server publishes its actions (built-in and your `customActions`):
-- each gets a command once a chatls client starts (`:ChatlsExplain`, `:ChatlsAddLogging` for
-- `add-logging`...), remade when the settings change them. Each takes a range
-- (`:'<,'>ChatlsExplain`, or a visual-mode mapping to `<Cmd>ChatlsExplain<CR>`); without one
-- it works at the cursor.
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

local group = vim.api.nvim_create_augroup('chatls', { clear = true })
vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client then
      require('chatls').learn(client)
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
