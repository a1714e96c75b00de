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

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'crmmap',
  callback = function(args) M.attach(args.buf) end,
})

return M
