-- Drives Neovim's built-in LSP client against `crmmap lsp` (test_nvim.py
-- runs it headless): open an example, misspell a field and see the
-- diagnostic, complete a field name and a picklist value, hover, apply the
-- E0107 code action, format, range-format an entity, show payload from
-- the mapping and from its case file. Environment: CRMMAP, EDITORS (editors/vim),
-- MAP (the mapping), RESULT (a file to write "ok" or the failure to).
local result = os.getenv('RESULT')

local function finish(msg)
  local f = io.open(result, 'w')
  f:write(msg .. '\n')
  f:close()
  vim.cmd(msg == 'ok' and 'qall!' or 'cquit! 1')
end

local function check(cond, what)
  if not cond then
    finish('FAIL: ' .. what)
    error(what)
  end
end

vim.opt.runtimepath:prepend(os.getenv('EDITORS'))
-- As an init.lua that puts editors/vim on the path before filetype detection.
vim.cmd('filetype off')
vim.cmd('filetype on')
vim.g.crmmap_cmd = { os.getenv('CRMMAP'), 'lsp' }
dofile(os.getenv('EDITORS') .. '/lsp.lua')
vim.cmd('edit ' .. os.getenv('MAP'))
local buf = vim.api.nvim_get_current_buf()
check(vim.bo[buf].filetype == 'crmmap', 'filetype crmmap, got ' .. vim.bo[buf].filetype)
check(vim.wait(20000, function() return #vim.lsp.buf_get_clients(buf) > 0 end, 50), 'the client attached')
local client = vim.lsp.buf_get_clients(buf)[next(vim.lsp.buf_get_clients(buf))]
check(vim.wait(20000, function() return client.initialized end, 50), 'the server initialized')

local function find(pat)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local c = l:find(pat, 1, true)
    if c then return i - 1, c - 1 end
  end
  check(false, 'no line with ' .. pat)
end

local function diags(pred)
  local found
  vim.wait(20000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if pred(d) then found = d return true end
    end
    return false
  end, 50)
  return found
end

-- Whether the diagnostics come to hold none whose message has text.
local function gone(text)
  return vim.wait(20000, function()
    for _, x in ipairs(vim.diagnostic.get(buf)) do
      if x.message:find(text, 1, true) then return false end
    end
    return true
  end, 50)
end

local function request(method, params)
  local r = vim.lsp.buf_request_sync(buf, method, params, 20000)
  check(r and r[client.id] and not r[client.id].err, method .. ' answered')
  return r[client.id].result
end

local function at(line, col)
  return { textDocument = vim.lsp.util.make_text_document_params(buf), position = { line = line, character = col } }
end

-- 1. A misspelled field: the diagnostic, with its help.
local l = find('  Email             =')
vim.api.nvim_buf_set_text(buf, l, 2, l, 7, { 'Emial' })
local d = diags(function(x) return x.message:find("no field 'Emial'", 1, true) end)
check(d and d.lnum == l and d.col == 2 and d.message:find("help: did you mean 'Email'?", 1, true),
      'the E0102 diagnostic at the field')
vim.api.nvim_buf_set_text(buf, l, 2, l, 7, { 'Email' })
check(gone('Emial'), 'the diagnostic went with the fix')

-- 2. Completion of a field name, then of a picklist value.
l = find('  Title ')
vim.api.nvim_buf_set_lines(buf, l, l, false, { '  Depa' })
local items = request('textDocument/completion', at(l, 6))
check(#items == 1 and items[1].label == 'Department', 'the field name completed')
vim.lsp.util.apply_text_edits({ items[1].textEdit }, buf, 'utf-16')
check(vim.api.nvim_buf_get_lines(buf, l, l + 1, false)[1] == '  Department', 'the completion applied')
vim.api.nvim_buf_set_lines(buf, l, l + 1, false, {})
l = find('LeadSource = "Other"')
local _, c = find('"Other"')
vim.api.nvim_buf_set_text(buf, l, c + 1, l, c + 6, { 'Ph' })
items = request('textDocument/completion', at(l, c + 3))
check(#items == 1 and items[1].label == 'Phone Inquiry', 'the picklist value completed')
vim.lsp.util.apply_text_edits({ items[1].textEdit }, buf, 'utf-16')
check(vim.api.nvim_buf_get_lines(buf, l, l + 1, false)[1]:find('LeadSource = "Phone Inquiry"', 1, true),
      'the value applied')

-- 3. Hover on a field.
l, c = find('LeadSource =')
local h = request('textDocument/hover', at(l, c + 1))
check(h and h.contents.value:find('Contact.**LeadSource**', 1, true) and h.contents.value:find('`Web`', 1, true),
      'hover shows the field and its values')

-- 4. E0107's code action: a table entry removed, put back by the action.
l = find('"not_interested"  -> "Cold"')
vim.api.nvim_buf_set_lines(buf, l, l + 1, false, {})
d = diags(function(x) return x.message:find('does not cover every option', 1, true) end)
check(d, 'the E0107 diagnostic')
local actions = request('textDocument/codeAction', {
  textDocument = vim.lsp.util.make_text_document_params(buf),
  range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
  context = { diagnostics = { d.user_data and d.user_data.lsp or {} } },
})
local fix
for _, a in ipairs(actions) do
  if a.title == 'add the missing entries to table Interest' then fix = a end
end
check(fix, 'the E0107 action offered')
vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
check(find('"not_interested" -> null') ~= nil, 'the entry added')
check(gone('does not cover'), 'E0107 gone after the action')

-- 5. Format: the added entry is aligned like its neighbours.
vim.lsp.buf.formatting_sync(nil, 20000)
check(find('  "not_interested"  -> null') ~= nil, 'formatted')

-- 6. Range formatting: a messy line in an entity, the entity formatted alone.
l = find('  Title             =')
vim.api.nvim_buf_set_text(buf, l, 0, l, 21, { '     Title=' })
local t0 = find('table Interest')
vim.api.nvim_buf_set_text(buf, t0 + 1, 0, t0 + 1, 0, { '   ' })
local edits = request('textDocument/rangeFormatting', {
  textDocument = vim.lsp.util.make_text_document_params(buf),
  range = { start = { line = l, character = 0 }, ['end'] = { line = l, character = 3 } }, options = {},
})
vim.lsp.util.apply_text_edits(edits, buf, 'utf-16')
check(find('  Title             = ') ~= nil, 'the entity formatted')
check(vim.api.nvim_buf_get_lines(buf, t0 + 1, t0 + 2, false)[1]:sub(1, 5) == '     ', 'the table left alone')

-- 7. Show payload, from the mapping (its first case) and from the case file
-- (the case under the cursor), through the command editors/vim/lsp.lua adds.
vim.cmd('CrmmapPayload')
local shown = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
check(shown:find('"entity":%s*"Contact"') and shown:find('"Email":%s*"anna.schmidt@example.de"'),
      'the first case\'s payload shown: ' .. shown:sub(1, 200))
vim.cmd('edit ' .. os.getenv('MAP'):gsub('%.map$', '.test.json'))
local cases = vim.api.nvim_get_current_buf()
local second
for i, line in ipairs(vim.api.nvim_buf_get_lines(cases, 0, -1, false)) do
  if line:find('"name"', 1, true) then
    if second == nil then second = false else second = i break end
  end
end
vim.api.nvim_win_set_cursor(0, { second, 8 })
vim.cmd('CrmmapPayload')
local name = vim.api.nvim_buf_get_lines(cases, second - 1, second, false)[1]
check(name:find(vim.b.crmmap_case, 1, true), 'the case under the cursor: ' .. tostring(vim.b.crmmap_case))
finish('ok')
