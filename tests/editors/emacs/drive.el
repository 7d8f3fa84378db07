;;; drive.el --- Batch-mode eglot test of the torchpeek server  -*- lexical-binding: t -*-

;; Run: emacs -Q --batch -l tests/editors/emacs/drive.el
;; with TORCHPEEK_EDITOR_CONFIG pointing at the JSON config written by
;; tests/editors/test_emacs.py.  Tests completion (and resolve), the import
;; edits and hover through eglot's jsonrpc requests.  Writes a JSON result
;; file; exits 0 on success and 1 on any failure.

;;; Code:

(require 'json)
(package-initialize)
;; -Q skips Debian's site-start, which is what puts elpa-eglot on the load path.
(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*"))
  (when (file-directory-p dir) (add-to-list 'load-path dir)))
(require 'eglot)

(defvar tp-config (let ((json-object-type 'plist) (json-array-type 'list) (json-key-type 'keyword))
                    (json-read-file (getenv "TORCHPEEK_EDITOR_CONFIG"))))
(defvar tp-steps nil)
(defvar tp-started (float-time))
(defvar tp-server nil)
(defvar tp-item nil)
(defvar tp-failed nil)

(defun tp-get (key) (plist-get tp-config key))

(defun tp-finish (ok &optional error)
  (let ((json-encoding-pretty-print nil))
    (with-temp-file (tp-get :result)
      (insert (json-encode `((ok . ,(if ok t :json-false))
                             (seconds . ,(- (float-time) tp-started))
                             (error . ,error)
                             (steps . ,(vconcat (reverse tp-steps))))))))
  (when tp-server (ignore-errors (eglot-shutdown tp-server)))
  (kill-emacs (if ok 0 1)))

(defmacro tp-step (name &rest body)
  "Run BODY as step NAME; a failure is recorded and the next step still runs."
  (declare (indent 1))
  `(let ((t0 (float-time)))
     (condition-case err
         (let ((detail (progn ,@body)))
           (push `((name . ,,name) (ok . t) (seconds . ,(- (float-time) t0)) (detail . ,(format "%s" detail))) tp-steps)
           (message "[emacs] %s: ok (%.1fs)" ,name (- (float-time) t0)))
       (t
        (push `((name . ,,name) (ok . :json-false) (seconds . ,(- (float-time) t0)) (detail . ,(format "%S" err))) tp-steps)
        (message "[emacs] %s: FAILED %S" ,name err)
        (setq tp-failed (concat (if tp-failed (concat tp-failed "; ") "") (format "%s: %S" ,name err)))))))

(defun tp-buffer-text () (buffer-substring-no-properties (point-min) (point-max)))

(defun tp-lsp-text (contents)
  "Flatten hover CONTENTS (MarkupContent, MarkedString or a list) to a string."
  (cond ((stringp contents) contents)
        ((and (listp contents) (plist-get contents :value)) (plist-get contents :value))
        ((vectorp contents) (mapconcat #'tp-lsp-text contents "\n"))
        ((listp contents) (mapconcat #'tp-lsp-text contents "\n"))
        (t (format "%S" contents))))

(setq eglot-sync-connect (/ (tp-get :startTimeoutMs) 1000.0)
      eglot-connect-timeout (/ (tp-get :startTimeoutMs) 1000.0)
      eglot-autoshutdown t
      eglot-events-buffer-size 0)

;; eglot 1.9 wants the major mode as a list here.
(setq eglot-server-programs
      `(((python-mode) . (,@(tp-get :cmd) :initializationOptions ,(tp-get :initializationOptions)))))

(tp-step "start server"
  (find-file (tp-get :file))
  (python-mode)
  (apply #'eglot (eglot--guess-contact))
  (setq tp-server (eglot-current-server))
  (unless tp-server (tp-finish nil "eglot did not connect"))
  (eglot--managed-mode 1)
  (jsonrpc-name tp-server))

(tp-step (format "completion '%s'" (tp-get :prefix))
  (goto-char (point-max))
  (unless (bolp) (insert "\n"))
  (insert (tp-get :prefix))
  (eglot--signal-textDocument/didChange)
  (let* ((res (jsonrpc-request tp-server :textDocument/completion (eglot--CompletionParams)
                               :timeout (/ (tp-get :requestTimeoutMs) 1000.0)))
         (items (if (vectorp res) (append res nil) (append (plist-get res :items) nil)))
         (want (or (tp-get :completionLabel) (tp-get :prefix))))
    (setq tp-item (seq-find (lambda (it) (and (eq (plist-get it :kind) 15)
                                              (string-match-p (regexp-quote want) (plist-get it :label))))
                            items))
    (unless tp-item (error "no snippet item among %S" (mapcar (lambda (it) (plist-get it :label)) items)))
    ;; eglot 1.9 without yasnippet does not claim snippetSupport, so plain text is the right answer.
    (let* ((edit (plist-get tp-item :textEdit))
           (snippet (eq (plist-get tp-item :insertTextFormat) 2))
           (body (if snippet
                     (replace-regexp-in-string "\\$\\(?:{[0-9]+:\\([^}]*\\)}\\|[0-9]+\\)" "\\1" (plist-get edit :newText))
                   (plist-get edit :newText)))
           (range (or (plist-get edit :range) (plist-get edit :replace))))
      (eglot--apply-text-edits (vconcat (list (list :range range :newText body))
                                        (plist-get tp-item :additionalTextEdits))))
    (let ((text (tp-buffer-text)))
      (unless (string-match-p (regexp-quote (tp-get :expectBody)) text) (error "body %s missing in:\n%s" (tp-get :expectBody) text))
      (unless (string-match-p (regexp-quote (tp-get :expectImport)) text) (error "import %s missing in:\n%s" (tp-get :expectImport) text)))
    (plist-get tp-item :label)))

(tp-step "completionItem/resolve"
  (let* ((res (jsonrpc-request tp-server :completionItem/resolve tp-item :timeout (/ (tp-get :requestTimeoutMs) 1000.0)))
         (doc (tp-lsp-text (plist-get res :documentation))))
    (when (or (null doc) (string-empty-p doc)) (error "resolve gave no documentation"))
    (substring doc 0 (min 80 (length doc)))))

(tp-step "hover shows torch.Size"
  (eglot--signal-textDocument/didChange)
  ;; Completion added imports above, so find the line instead of trusting a number.
  (goto-char (point-min))
  (unless (search-forward (tp-get :hoverText) nil t) (error "%s not in the buffer" (tp-get :hoverText)))
  (beginning-of-line)
  (forward-char (or (tp-get :hoverCharacter) 0))
  (let ((deadline (+ (float-time) (/ (tp-get :hoverTimeoutMs) 1000.0)))
        (text "") found)
    ;; The first hovers may only say that torch is warming up; ask again until the deadline.
    (while (and (not found) (< (float-time) deadline))
      (let ((res (jsonrpc-request tp-server :textDocument/hover (eglot--TextDocumentPositionParams)
                                  :timeout (/ (tp-get :hoverTimeoutMs) 1000.0))))
        (setq text (if res (tp-lsp-text (plist-get res :contents)) ""))
        (if (string-match-p (regexp-quote "torch.Size([") text)
            (setq found t)
          (sleep-for 1))))
    (unless found (error "no torch.Size([ in the hover; last: %s" text))
    text))

;; Debian's eglot 1.9 has no `eglot-inlay-hints-mode'; ask for the hints as a newer eglot does.
(tp-step "inlay hints (textDocument/inlayHint)"
  (eglot--signal-textDocument/didChange)
  (let* ((deadline (+ (float-time) (/ (tp-get :hoverTimeoutMs) 1000.0)))
         (want (concat (tp-get :hoverText) "  ‹[2, 3] f32›"))
         (params (list :textDocument (eglot--TextDocumentIdentifier)
                       :range (list :start (list :line 0 :character 0)
                                    :end (list :line (count-lines (point-min) (point-max)) :character 0))))
         labels found)
    (while (and (not found) (< (float-time) deadline))
      (setq labels nil)
      (seq-doseq (hint (jsonrpc-request tp-server :textDocument/inlayHint params
                                        :timeout (/ (tp-get :hoverTimeoutMs) 1000.0)))
        (let ((line (plist-get (plist-get hint :position) :line)))
          (push (concat (save-excursion (goto-char (point-min)) (forward-line line)
                                        (string-trim (buffer-substring (point) (line-end-position))))
                        "  " (plist-get hint :label))
                labels)))
      (if (member want labels) (setq found t) (sleep-for 0.5)))
    (unless found (error "no %s among the hints: %S" want labels))
    (format "%s (eglot-inlay-hints-mode %s)" (string-join (reverse labels) " | ")
            (if (fboundp 'eglot-inlay-hints-mode) "available" "not in this eglot"))))

(tp-finish (not tp-failed) tp-failed)
;;; drive.el ends here
