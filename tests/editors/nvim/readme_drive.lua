-- Types into headless Neovim 0.7 set up ONLY by the README's config (init.lua, loaded with
-- -u): no capabilities, handlers or edits from this driver. For each word it types the
-- first letter, presses <C-x><C-o>, types the rest letter by letter, records the first
-- item of the popup after every keystroke, accepts with <C-y> and waits for the body that
-- the README's CompleteDone hook has the server insert. Then it checks the contexts where
-- no item may appear, and K. Writes a JSON result and quits.

local cfg = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv("TORCHPEEK_EDITOR_CONFIG")), "\n"))
local result = { steps = {}, words = {} }

local function finish()
  vim.fn.writefile({ vim.fn.json_encode(result) }, cfg.result)
  vim.cmd("qall!")
end

local function record(name, ok, detail)
  table.insert(result.steps, { name = name, ok = ok, detail = detail and tostring(detail) or nil })
  io.stderr:write(string.format("[nvim-readme] %s: %s %s\n", name, ok and "ok" or "FAILED", detail or ""))
end

-- "m": typed keys go through mappings, as a user's do (K is the README's mapping).
local function keys(text)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(text, true, false, true), "mt", false)
end

-- Run the steps one after another; each step gets `next` and calls it when done.
local queue = {}
local function run_next()
  local step = table.remove(queue, 1)
  if step then
    step(run_next)
  else
    finish()
  end
end

local function poll(cond, timeout, done)
  local waited = 0
  local function tick()
    local ok, value = pcall(cond)
    if ok and value then
      done(true)
    elseif waited >= timeout then
      done(false)
    else
      waited = waited + 50
      vim.defer_fn(tick, 50)
    end
  end
  vim.defer_fn(tick, 50)
end

local function popup_words()
  local info = vim.fn.complete_info({ "items", "selected" })
  local words = {}
  for _, item in ipairs(info.items or {}) do
    table.insert(words, item.word)
  end
  return words, info.selected
end

local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
end

-- The omnifunc asks once per <C-x><C-o> and Vim inserts the first item at once, so each
-- keystroke is its own request: type the first n letters on a new line, <C-x><C-o>, read
-- the popup, cancel with <C-e> and drop the line; after the whole word, accept with <C-y>.
local function type_word(word, expect)
  return function(next_step)
    local shown = {}
    result.words[word] = shown
    local function letter(n)
      keys("<Esc>Go" .. word:sub(1, n) .. "<C-x><C-o>")
      poll(function()
        return #popup_words() > 0
      end, cfg.requestTimeoutMs, function()
        local words, selected = popup_words()
        table.insert(shown, { typed = word:sub(1, n), first = words[1] or "", count = #words })
        if n < #word then
          keys("<C-e><Esc>dd")
          vim.defer_fn(function() letter(n + 1) end, 100)
          return
        end
        keys((selected == 0 and "" or "<C-n>") .. "<C-y>")
        poll(function() return buffer_text():find(expect, 1, true) end, cfg.requestTimeoutMs, function(ok)
          record("accept " .. word, ok, ok and "" or buffer_text():sub(-400))
          keys("<Esc>")
          vim.defer_fn(next_step, 100)
        end)
      end)
    end
    letter(1)
  end
end

local function no_items(label, line)
  return function(next_step)
    keys("<Esc>Go" .. line .. "<C-x><C-o>")
    vim.defer_fn(function()
      local words = popup_words()
      record("no items " .. label, #words == 0, table.concat(words, ","))
      keys("<C-e><Esc>dd")
      vim.defer_fn(next_step, 100)
    end, cfg.quietMs)
  end
end

local function float_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), "\n")
    end
  end
  return nil
end

-- K on `x` of `x = torch.zeros(2, 3)`. The first preview may wait for the worker to import
-- torch, so K is pressed again (from the editor window, any earlier float closed) until a
-- float shows the shape; pressing K with a float open would jump into it instead.
local function hover_with_k(next_step)
  keys("<Esc>")
  local main = vim.api.nvim_get_current_win()
  local started = vim.loop.now()
  local function attempt()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        vim.api.nvim_win_close(win, true)
      end
    end
    vim.api.nvim_set_current_win(main)
    -- Snippets accepted above added imports at the top, so look the line up again.
    local line = vim.fn.search(cfg.hoverText, "nw")
    vim.api.nvim_win_set_cursor(main, { math.max(line, 1), 0 })
    keys("K")
    poll(function()
      local text = float_text()
      return text and text:find("torch.Size", 1, true)
    end, 10000, function(ok)
      if ok or vim.loop.now() - started > cfg.hoverTimeoutMs then
        record("K hover", ok, (float_text() or "no float"):sub(1, 300))
        next_step()
      else
        attempt()
      end
    end)
  end
  vim.defer_fn(attempt, 100)
end

-- Wait for the README's FileType autocmd to have started and initialized the server.
local attached = vim.wait(cfg.startTimeoutMs, function()
  local clients = vim.lsp.buf_get_clients(0)
  for _, client in pairs(clients) do
    if client.initialized then
      return true
    end
  end
  return false
end, 100)
record("README config attaches torchpeek", attached)
if not attached then
  finish()
else
  record("omnifunc set by the README", vim.bo.omnifunc == "v:lua.vim.lsp.omnifunc", vim.bo.omnifunc)
  -- K first: the snippets accepted below add imports (cv2) that this machine may lack.
  table.insert(queue, hover_with_k)
  for _, case in ipairs(cfg.words) do
    table.insert(queue, type_word(case.word, case.expect))
  end
  for _, case in ipairs(cfg.silent) do
    table.insert(queue, no_items(case.label, case.line))
  end
  vim.defer_fn(run_next, 100)
end
