-- chatls user commands. Each takes a range (`:'<,'>ChatlsExplain`, or a visual-mode mapping to
-- `<Cmd>ChatlsExplain<CR>`); without one it works at the cursor.
if vim.g.loaded_chatls then
  return
end
vim.g.loaded_chatls = true

local function command(name, method, desc, extra)
  vim.api.nvim_create_user_command(name, function(opts)
    require('chatls')[method](opts)
  end, vim.tbl_extend('force', { range = true, desc = desc }, extra or {}))
end

command('ChatlsExplain', 'explain', 'chatls: explain the selection in a float')
command('ChatlsRefactor', 'refactor', 'chatls: rewrite the selection [instruction]', { nargs = '*' })
command('ChatlsRefine', 'refine', "chatls: refine chatls's last change [instruction]", { nargs = '*' })
command('ChatlsAsk', 'ask', 'chatls: ask about the selection in a float [question]', { nargs = '*' })
command('ChatlsDocstring', 'docstring', 'chatls: document the definition at the cursor')
command('ChatlsFix', 'fix', 'chatls: fix the diagnostic under the cursor')
command('ChatlsImplement', 'implement', 'chatls: implement the function or TODO at the cursor')
command('ChatlsTypes', 'types', 'chatls: add type annotations to the function at the cursor')
command('ChatlsTests', 'tests', 'chatls: write tests for the function at the cursor')
command('ChatlsTranslate', 'translate', 'chatls: translate the selection {language}', { nargs = '*' })
command('ChatlsAction', 'action', 'chatls: run a custom action {id}', { nargs = '?' })
command('ChatlsActions', 'actions', 'chatls: code actions, with Fix for any diagnostic here')
vim.api.nvim_create_user_command('ChatlsCancel', function()
  require('chatls').cancel()
end, { desc = 'chatls: cancel running requests' })

-- The Explain code action carries the `chatls.explain` command: run it here so the answer
-- opens in a float rather than as a long message.
if not vim.lsp.commands['chatls.explain'] then
  vim.lsp.commands['chatls.explain'] = function(cmd, ctx)
    require('chatls').explain_command(cmd, ctx)
  end
end
-- Ask… and Refine… carry commands without the user's text (LSP cannot ask for it): ask here.
for _, name in ipairs({ 'chatls.ask', 'chatls.refine' }) do
  if not vim.lsp.commands[name] then
    vim.lsp.commands[name] = function(cmd, ctx)
      require('chatls').text_command(cmd, ctx)
    end
  end
end
-- Write tests and custom actions may answer with a document: open it in a buffer.
for _, name in ipairs({ 'chatls.tests', 'chatls.action' }) do
  if not vim.lsp.commands[name] then
    vim.lsp.commands[name] = function(cmd, ctx)
      require('chatls').document_command(cmd, ctx)
    end
  end
end
