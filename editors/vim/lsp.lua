-- crmmap's language server in Neovim's built-in LSP client (Neovim 0.7 and
-- later). Put editors/vim on the runtimepath for the filetype and syntax, then
--   require('crmmap_lsp')         -- or: dofile('/path/to/editors/vim/lsp.lua')
-- Options: vim.g.crmmap_cmd = { '/path/to/crmmap', 'lsp' } (default: crmmap on PATH).
-- One server runs for the folder holding .git above the file (the
-- workspace whose schemas the mappings name), as `crmmap check` finds them.
local M = {}
local clients = {}

local function root_of(file)
  local dir = vim.fn.fnamemodify(file, ':p:h')
  local git = vim.fn.finddir('.git', dir .. ';')
  if git == '' then
    git = vim.fn.findfile('.git', dir .. ';')
  end
  return git ~= '' and vim.fn.fnamemodify(git, ':p:h:h') or dir
end

function M.attach(buf)
  local root = root_of(vim.api.nvim_buf_get_name(buf))
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'crmmap',
      cmd = vim.g.crmmap_cmd or { 'crmmap', 'lsp' },
      root_dir = root,
      on_exit = function() clients[root] = nil end,
    })
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(buf, id)
  end
  return id
end

-- Show payload: what each entity of the mapping would send for the test
-- case under the cursor (in a case file) or the mapping's first case (in
-- the .map), in a new scratch window. The mapping's server must be running.
function M.show_payload()
  local buf = vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_client_by_id(clients[root_of(vim.api.nvim_buf_get_name(buf))] or -1)
  if client == nil then
    vim.notify('crmmap: open the mapping first, its server shows the payload', vim.log.levels.ERROR)
    return
  end
  local arg = vim.lsp.util.make_position_params()
  if vim.bo[buf].filetype ~= 'crmmap' then
    -- The server knows only .map buffers: a case file's text goes along.
    arg.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  end
  local r = client.request_sync('workspace/executeCommand',
                                { command = 'crmmap.showPayload', arguments = { arg } }, 20000, buf)
  if r == nil or r.err then
    vim.notify('crmmap: ' .. (r and r.err.message or 'no answer'), vim.log.levels.ERROR)
    return
  end
  vim.cmd('new')
  local out = vim.api.nvim_get_current_buf()
  vim.bo[out].buftype = 'nofile'
  vim.bo[out].filetype = 'json'
  vim.b[out].crmmap_case = r.result.case
  vim.api.nvim_buf_set_lines(out, 0, -1, false, vim.split(r.result.text, '\n'))
end

vim.api.nvim_create_user_command('CrmmapPayload', M.show_payload, {})

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'crmmap',
  callback = function(args) M.attach(args.buf) end,
})

return M
