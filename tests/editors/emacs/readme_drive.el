;;; readme_drive.el --- The README's eglot set-up, typed into like a user  -*- lexical-binding: t -*-

;; Run: emacs --batch -l init.el -l tests/editors/emacs/readme_drive.el
;; where init.el is the README's Emacs block, verbatim but for the venv path.  Nothing here
;; configures eglot: the driver opens demo.py, lets the command loop's post-command-hook run
;; (where eglot-ensure connects), then types words letter by letter and asks the
;; completion-at-point function for its candidates the way company and corfu do: the
;; candidates matching the typed word, sorted by the table's display-sort-function.
;; Accepting runs the capf's exit function, as those front ends do.  Writes a JSON result.

;;; Code:

(require 'json)
(require 'subr-x)

(defvar tp-config (let ((json-object-type 'plist) (json-array-type 'list) (json-key-type 'keyword))
                    (json-read-file (getenv "TORCHPEEK_EDITOR_CONFIG"))))
(defvar tp-steps nil)
(defvar tp-words nil)

(defun tp-get (key) (plist-get tp-config key))

(defun tp-record (name ok detail)
  (push `((name . ,name) (ok . ,(if ok t :json-false)) (detail . ,(format "%s" detail))) tp-steps)
  (message "[emacs-readme] %s: %s %s" name (if ok "ok" "FAILED") detail))

(defun tp-finish ()
  (with-temp-file (tp-get :result)
    (insert (json-encode `((steps . ,(vconcat (reverse tp-steps)))
                           (words . ,tp-words)))))
  (kill-emacs 0))

(defun tp-wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    value))

(defun tp-candidates ()
  "What company/corfu show at point: matching candidates, sorted by the table's metadata."
  (let* ((capf (eglot-completion-at-point))
         (beg (nth 0 capf)) (end (nth 1 capf)) (table (nth 2 capf))
         (typed (buffer-substring-no-properties beg end))
         (found (all-completions typed table))
         (sort (completion-metadata-get (completion-metadata typed table nil)
                                        'display-sort-function)))
    (list (if sort (funcall sort found) found) capf typed)))

(defun tp-new-line (text)
  (goto-char (point-max))
  (unless (bolp) (insert "\n"))
  (insert text))

(defun tp-drop-line ()
  (goto-char (point-max))
  (delete-region (line-beginning-position) (point-max)))

(defun tp-type-word (word expect)
  (let (shown accepted)
    (dotimes (n (length word))
      (tp-drop-line)
      (tp-new-line (substring word 0 (1+ n)))
      (let ((first (car (car (tp-candidates)))))
        (push `((typed . ,(substring word 0 (1+ n)))
                (first . ,(or (and first (substring-no-properties first)) ""))
                (count . ,(length (car (tp-candidates)))))
              shown)))
    ;; Accept the first candidate as company/corfu do: insert it, then the exit function.
    (pcase-let ((`(,found ,capf ,typed) (tp-candidates)))
      (when found
        (let ((proxy (car found)))
          (delete-region (nth 0 capf) (nth 1 capf))
          (insert proxy)
          (funcall (plist-get (nthcdr 3 capf) :exit-function) proxy 'finished)
          (setq accepted (and (string-match-p (regexp-quote expect) (buffer-string)) t))))
      (tp-record (format "accept %s" word) accepted
                 (if accepted typed (substring (buffer-string) (max 0 (- (buffer-size) 400))))))
    (push (cons (intern word) (vconcat (reverse shown))) tp-words)
    (tp-drop-line)))

(defun tp-no-items (label text)
  (tp-drop-line)
  (tp-new-line text)
  (let ((found (car (tp-candidates))))
    (tp-record (format "no items %s" label) (null found) (string-join (seq-take found 5) ",")))
  (tp-drop-line))

(find-file (tp-get :file))
(unless (derived-mode-p 'python-mode) (python-mode))
(run-hooks 'post-command-hook)  ; what the command loop does after opening the file
(tp-record "README config connects eglot"
           (tp-wait (lambda () (and (fboundp 'eglot-current-server) (eglot-current-server)
                                    (bound-and-true-p eglot--managed-mode)))
                    (/ (tp-get :startTimeoutMs) 1000.0))
           (and (fboundp 'eglot-current-server) (eglot-current-server)))
(when (eglot-current-server)
  (goto-char (point-max))
  (insert "\n")
  (dolist (case (tp-get :words))
    (condition-case err
        (tp-type-word (plist-get case :word) (plist-get case :expect))
      (error (tp-record (format "accept %s" (plist-get case :word)) nil err))))
  (dolist (case (tp-get :silent))
    (condition-case err
        (tp-no-items (plist-get case :label) (plist-get case :line))
      (error (tp-record (format "no items %s" (plist-get case :label)) nil err))))
  (dolist (letter '("s" "c" "i" "t"))
    (tp-drop-line)
    (tp-new-line letter)
    (let ((count (length (car (tp-candidates)))))
      (tp-record (format "bounded %s" letter) (and (> count 0) (<= count 50)) count))))
(tp-finish)

;;; readme_drive.el ends here
