-- Headless Neovim 0.7 test of the torchpeek server: completion, resolve,
-- hover and workspace/executeCommand through the built-in LSP client.
--
-- Run: nvim --headless --clean -u NONE -c "luafile tests/editors/nvim/drive.lua"
-- with TORCHPEEK_EDITOR_CONFIG pointing at the JSON config written by
-- tests/editors/test_neovim.py. Writes a JSON result file and exits 0 on
-- success, 1 on any failure (never waits for input).

local cfg = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv("TORCHPEEK_EDITOR_CONFIG")), "\n"))
local result = { ok = false, steps = {} }
local started = vim.loop.hrtime()

local function seconds_since(t0)
  return (vim.loop.hrtime() - t0) / 1e9
end

local exited = nil

local function lsp_log_tail()
  -- Neovim 0.7 writes the server's stderr into lsp.log, one chunk per line.
  local ok, lines = pcall(vim.fn.readfile, vim.lsp.get_log_path())
  if not ok then
    return ""
  end
  local out = {}
  for _, line in ipairs(lines) do
    local chunk = line:match('"stderr"%s+(.*)$')
    if chunk then
      table.insert(out, (chunk:gsub('^["\']', ""):gsub('["\']$', ""):gsub("\\n", "\n")))
    end
  end
  return table.concat(out):sub(-3000)
end

local function finish(code)
  result.seconds = seconds_since(started)
  if code ~= 0 then
    result.serverStderr = lsp_log_tail()
  end
  vim.fn.writefile({ vim.fn.json_encode(result) }, cfg.result)
  vim.cmd((code == 0 and "qall!" or "cquit! " .. code))
end

local failed = false

-- A failed step is recorded and the next one still runs, so one missing
-- feature does not hide the others; `fatal` steps end the run.
local function step(name, fn, fatal)
  local t0 = vim.loop.hrtime()
  local ok, detail = pcall(fn)
  table.insert(result.steps, { name = name, ok = ok, seconds = seconds_since(t0), detail = tostring(detail) })
  io.stderr:write(string.format("[nvim] %s: %s (%.1fs)\n", name, ok and "ok" or ("FAILED " .. tostring(detail)), seconds_since(t0)))
  if not ok then
    failed = true
    result.error = (result.error and (result.error .. "; ") or "") .. name .. ": " .. tostring(detail)
    if fatal then
      finish(1)
    end
  end
  return detail
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
end

local client_id, bufnr, client

step("start server", function()
  vim.cmd("edit " .. vim.fn.fnameescape(cfg.file))
  bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "python"
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.textDocument.completion.completionItem.snippetSupport = true
  capabilities.textDocument.completion.completionItem.resolveSupport = { properties = { "documentation", "detail" } }
  client_id = vim.lsp.start_client({
    name = "torchpeek",
    cmd = cfg.cmd,
    root_dir = vim.fn.fnamemodify(cfg.file, ":h"),
    capabilities = capabilities,
    init_options = cfg.initializationOptions,
    flags = { debounce_text_changes = 0 },
    on_exit = function(code, signal)
      exited = string.format("server exited with code %s, signal %s", code, signal)
    end,
    handlers = {
      ["torchpeek/status"] = function(_, params)
        result.status = params
      end,
    },
  })
  assert(client_id, "vim.lsp.start_client returned nil")
  assert(vim.lsp.buf_attach_client(bufnr, client_id), "buf_attach_client failed")
  client = vim.lsp.get_client_by_id(client_id)
  assert(
    vim.wait(cfg.startTimeoutMs, function()
      return exited or client.initialized or (client.server_capabilities ~= nil and next(client.server_capabilities) ~= nil)
    end, 100),
    "server did not initialize"
  )
  assert(not exited, exited)
  return client.name
end, true)

local function request(method, params, timeout)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout or cfg.requestTimeoutMs)
  assert(responses, method .. " failed: " .. tostring(err))
  local res = responses[client_id]
  assert(res, method .. ": no response from torchpeek")
  assert(not res.err, method .. " error: " .. vim.inspect(res.err))
  return res.result
end

local item
step("completion '" .. cfg.prefix .. "'", function()
  local last = vim.api.nvim_buf_line_count(bufnr)
  vim.api.nvim_buf_set_lines(bufnr, last, last, false, { cfg.prefix })
  local pos = { line = last, character = #cfg.prefix }
  local res = request("textDocument/completion", { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = pos })
  local items = res and (res.items or res) or {}
  local labels = {}
  for _, it in ipairs(items) do
    table.insert(labels, it.label)
    if not item and it.kind == vim.lsp.protocol.CompletionItemKind.Snippet and string.find(it.label, cfg.completionLabel or cfg.prefix, 1, true) then
      item = it
    end
  end
  assert(item, "no snippet item for '" .. cfg.prefix .. "' among: " .. table.concat(labels, ", "))
  assert(item.insertTextFormat == 2, "insertTextFormat is not Snippet")
  assert(item.textEdit, "item has no textEdit")
  -- Apply the way a client does: the imports, then the body with placeholders resolved.
  local body = vim.lsp.util.parse_snippet(item.textEdit.newText)
  local edit = vim.deepcopy(item.textEdit)
  edit.newText = body
  if edit.range == nil and edit.replace then
    edit.range = edit.replace
  end
  local edits = { edit }
  for _, e in ipairs(item.additionalTextEdits or {}) do
    table.insert(edits, e)
  end
  vim.lsp.util.apply_text_edits(edits, bufnr, "utf-16")
  local text = buffer_text(bufnr)
  assert(string.find(text, cfg.expectBody, 1, true), "body '" .. cfg.expectBody .. "' missing:\n" .. text)
  assert(string.find(text, cfg.expectImport, 1, true), "import '" .. cfg.expectImport .. "' missing:\n" .. text)
  return item.label
end)

step("completionItem/resolve", function()
  local res = client.request_sync("completionItem/resolve", item, cfg.requestTimeoutMs, bufnr)
  assert(res and not res.err, "resolve failed: " .. vim.inspect(res))
  local doc = res.result.documentation
  local value = type(doc) == "table" and doc.value or doc
  assert(value and #value > 0, "resolve gave no documentation")
  return string.sub(value, 1, 80)
end)

step("hover shows torch.Size", function()
  -- Completion added imports above, so find the line instead of trusting a number.
  local line
  for i, l in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if not line and string.find(l, cfg.hoverText, 1, true) then
      line = i - 1
    end
  end
  assert(line, "'" .. cfg.hoverText .. "' not in the buffer")
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = line, character = cfg.hoverCharacter or 0 } }
  local deadline = vim.loop.now() + cfg.hoverTimeoutMs
  local text = ""
  -- The first hovers may only say that torch is warming up; ask again until the deadline.
  while vim.loop.now() < deadline do
    local res = request("textDocument/hover", params, cfg.hoverTimeoutMs)
    local contents = res and res.contents
    text = type(contents) == "table" and (contents.value or vim.inspect(contents)) or tostring(contents)
    if string.find(text, "torch.Size([", 1, true) then
      return text
    end
    vim.wait(1000)
  end
  error("no torch.Size([ in the hover; last: " .. text)
end)

step("executeCommand torchpeek.listSnippets", function()
  local res = request("workspace/executeCommand", { command = "torchpeek.listSnippets", arguments = { vim.empty_dict() } })
  assert(type(res) == "table" and #res > 0, "no snippets listed")
  return #res .. " snippets"
end)

step("executeCommand torchpeek.insertSnippet (workspace/applyEdit)", function()
  local snippets = request("workspace/executeCommand", { command = "torchpeek.listSnippets", arguments = { vim.empty_dict() } })
  local id
  for _, s in ipairs(snippets) do
    for _, p in ipairs(s.prefixes or {}) do
      if p == cfg.prefix and not id then
        id = s.id
      end
    end
  end
  assert(id, "no snippet with prefix " .. cfg.prefix)
  vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { "" })
  local before = buffer_text(bufnr)
  local last = vim.api.nvim_buf_line_count(bufnr)
  local res = request("workspace/executeCommand", {
    command = "torchpeek.insertSnippet",
    arguments = { { uri = vim.uri_from_bufnr(bufnr), position = { line = last, character = 0 }, id = id } },
  })
  assert(res and res.applied, "applied is not true: " .. vim.inspect(res))
  local after = buffer_text(bufnr)
  assert(#after > #before, "buffer did not change")
  return id
end)

step("inlay hints (textDocument/inlayHint)", function()
  -- Neovim 0.7 draws no inlay hints; ask as a newer client does and check the labels.
  local last = vim.api.nvim_buf_line_count(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = last, character = 0 } },
  }
  local deadline = vim.loop.now() + cfg.hoverTimeoutMs
  local labels = {}
  while vim.loop.now() < deadline do
    labels = {}
    for _, hint in ipairs(request("textDocument/inlayHint", params, cfg.hoverTimeoutMs) or {}) do
      local line = vim.api.nvim_buf_get_lines(bufnr, hint.position.line, hint.position.line + 1, false)[1]
      table.insert(labels, vim.trim(line) .. "  " .. tostring(hint.label))
    end
    for _, label in ipairs(labels) do
      if string.find(label, cfg.hoverText .. "  ‹[2, 3] f32›", 1, true) then
        return table.concat(labels, " | ")
      end
    end
    vim.wait(500)
  end
  error("no hint ‹[2, 3] f32› after '" .. cfg.hoverText .. "'; got: " .. table.concat(labels, " | "))
end)

result.ok = not failed
client.stop()
vim.wait(2000, function()
  return client.is_stopped()
end, 50)
finish(failed and 1 or 0)
