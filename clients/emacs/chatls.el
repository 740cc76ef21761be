;;; chatls.el --- The chatls AI pair programmer through eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages, convenience

;;; Commentary:

;; chatls is a language server that asks an OpenAI-compatible model to explain, refactor, fix
;; and document code.  This file registers it with eglot and adds these commands:
;;
;;   M-x chatls-explain    explain the region (or the enclosing function) in *chatls*
;;   M-x chatls-ask        ask about the region (or the enclosing function); asking again
;;                         about the same code (or after an explanation) follows up
;;   M-x chatls-refactor   rewrite the region, following an optional instruction
;;   M-x chatls-refine     refine chatls's last change, keeping the conversation behind it
;;   M-x chatls-docstring  write the doc comment of the definition at point
;;   M-x chatls-fix        fix the Flymake diagnostic at point (from any backend)
;;
;; and `M-x eglot-code-actions' offers the same actions on the region.
;;
;;   (add-to-list 'load-path "/path/to/chatls/clients/emacs")
;;   (require 'chatls)
;;   (setq chatls-settings '(:model "gpt-4o-mini"))   ; camelCase, as in the chatls README
;;   (chatls-eglot-setup)                              ; then M-x eglot in a buffer
;;
;; eglot runs one server per buffer: for the modes in `chatls-major-modes', chatls takes the
;; place of the language server eglot would otherwise start.

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'flymake)
(require 'jsonrpc)

(defgroup chatls nil
  "The chatls language server through eglot."
  :group 'eglot
  :prefix "chatls-")

(defcustom chatls-program '("chatls")
  "The chatls command line."
  :type '(repeat string))

(defcustom chatls-major-modes
  '(python-mode js-mode typescript-mode go-mode rust-mode java-mode c-mode c++-mode
                lua-mode ruby-mode sh-mode)
  "Major modes whose buffers eglot manages with chatls."
  :type '(repeat symbol))

(defcustom chatls-settings nil
  "chatls settings, a plist with camelCase keys, for example
\(:model \"gpt-4o-mini\" :baseUrl \"http://localhost:11434/v1\").
Sent as initializationOptions; settings under :chatls in
`eglot-workspace-configuration' (pulled by the server) override them."
  :type 'plist)

(defcustom chatls-request-timeout 300
  "Seconds to wait for a chatls command (the model may be slow)."
  :type 'number)

(defclass chatls-server (eglot-lsp-server) ()
  :documentation "The chatls language server.")

(cl-defmethod eglot-initialization-options ((_server chatls-server))
  (or chatls-settings (make-hash-table)))

(defun chatls--show (markdown)
  "Show MARKDOWN, an explanation, in the *chatls* buffer."
  (with-current-buffer (get-buffer-create "*chatls*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert markdown)
      (if (fboundp 'gfm-view-mode) (gfm-view-mode) (special-mode))
      (goto-char (point-min)))
    (display-buffer (current-buffer))))

(defconst chatls--needs-text
  '(("chatls.ask" :question "chatls ask: ")
    ("chatls.refine" :instruction "chatls refine (instruction): ")
    ("chatls.translate" :language "chatls translate to: "))
  "Commands whose text only the user can give: its argument and prompt.")

(defun chatls--with-text (name arguments)
  "ARGUMENTS of command NAME, with the text it needs read from the user.
LSP code actions cannot ask for text, so Ask and Refine code actions
arrive without it."
  (let ((needs (cdr (assoc name chatls--needs-text))))
    (if (or (null needs) (= (length arguments) 0)
            (plist-get (aref arguments 0) (car needs)))
        arguments
      (let ((text (read-string (cadr needs))))
        (unless (string-match-p "[^[:space:]]" text)
          (user-error "chatls: nothing to send"))
        (vector (append (list (car needs) text) (aref arguments 0)))))))

(defun chatls--open-document (result)
  "Open the document in RESULT (Translate, Write tests, a custom action).
A file the server wrote is visited; otherwise the text goes in a new
buffer named after the document, in the mode its name implies."
  (let ((placed (or (plist-get result :created) (plist-get result :file)))
        (document (plist-get result :document)))
    (cond
     (placed (find-file-other-window (eglot-uri-to-path placed)))
     (document
      (let ((buffer (generate-new-buffer (format "*chatls %s*" (plist-get document :name)))))
        (with-current-buffer buffer
          (insert (plist-get document :text))
          (let ((buffer-file-name (plist-get document :name)))
            (set-auto-mode))
          (goto-char (point-min)))
        (display-buffer buffer))))))

(defconst chatls--document-commands '("chatls.translate" "chatls.tests" "chatls.action")
  "Commands that may answer with a document to open.")

(cl-defmethod eglot-execute-command ((server chatls-server) command arguments)
  "Run chatls's COMMAND without blocking Emacs.
A model can take longer than eglot's synchronous requests wait.  The
server applies edits itself (workspace/applyEdit) and reports failures
with window/showMessage; an answer (Explain, Ask) is shown in *chatls*
instead of as a message."
  (let* ((name (format "%s" command))
         (document (member name chatls--document-commands))
         (answer (or document (member name '("chatls.explain" "chatls.ask"))))
         (arguments (chatls--with-text name arguments))
         (arguments (if (and answer (> (length arguments) 0))
                        (vector (append (list :quiet t) (aref arguments 0)))
                      arguments)))
    (jsonrpc-async-request
     server :workspace/executeCommand `(:command ,name :arguments ,arguments)
     :success-fn (lambda (result)
                   (cond ((and answer (plist-get result :markdown))
                          (chatls--show (plist-get result :markdown)))
                         ((and document (plist-get result :document))
                          (chatls--open-document result))))
     :error-fn (lambda (error)
                 (message "chatls: %s failed: %s" name (plist-get error :message)))
     :timeout chatls-request-timeout
     :timeout-fn (lambda () (message "chatls: %s timed out" name)))))

(defun chatls--server ()
  (let ((server (eglot-current-server)))
    (unless (cl-typep server 'chatls-server)
      (user-error "chatls: this buffer is not managed by chatls (M-x eglot)"))
    server))

(defun chatls--argument (beg end &rest extra)
  "chatls's command argument for BEG..END of the current buffer, plus EXTRA."
  ;; eglot sends changes lazily: the server must have this version before the command runs.
  (eglot--signal-textDocument/didChange)
  (append (list :uri (plist-get (eglot--TextDocumentIdentifier) :uri)
                :range (list :start (eglot--pos-to-lsp-position beg)
                             :end (eglot--pos-to-lsp-position end))
                :version eglot--versioned-identifier)
          extra))

(defun chatls--run (command argument)
  (eglot-execute-command (chatls--server) command (vector argument)))

(defun chatls--region ()
  (if (use-region-p) (list (region-beginning) (region-end)) (list (point) (point))))

;;;###autoload
(defun chatls-explain (beg end)
  "Explain BEG..END (the region, else the function at point) in *chatls*."
  (interactive (chatls--region))
  (chatls--run 'chatls.explain (chatls--argument beg end)))

;;;###autoload
(defun chatls-refactor (beg end &optional instruction)
  "Rewrite BEG..END (the region, else the function at point) following INSTRUCTION."
  (interactive (append (chatls--region)
                       (list (read-string "chatls refactor (instruction, optional): "))))
  (chatls--run 'chatls.refactor
               (apply #'chatls--argument beg end
                      (and instruction (string-match-p "[^[:space:]]" instruction)
                           (list :instruction instruction)))))

;;;###autoload
(defun chatls-ask (beg end question)
  "Ask QUESTION about BEG..END (the region, else the function at point).
The answer shows in *chatls*.  A question about code chatls already
explained or answered about follows up: the model gets the whole
conversation."
  (interactive (append (chatls--region) (list (read-string "chatls ask: "))))
  (chatls--run 'chatls.ask (chatls--argument beg end :question question)))

;;;###autoload
(defun chatls-refine (beg end instruction)
  "Refine chatls's last change following INSTRUCTION.
The change under BEG..END (the region, else point), or else chatls's
latest change in the buffer.  The model gets the whole conversation
behind it, and its answer replaces the change."
  (interactive (append (chatls--region)
                       (list (read-string "chatls refine (instruction): "))))
  (chatls--run 'chatls.refine (chatls--argument beg end :instruction instruction)))

;;;###autoload
(defun chatls-docstring (beg &optional end)
  "Write or replace the doc comment of the definition at BEG..END.
The region when it is active (the definition it covers), else point."
  (interactive (chatls--region))
  (chatls--run 'chatls.docstring (chatls--argument beg (or end beg))))

;;;###autoload
(defun chatls-implement (beg &optional end)
  "Write the body of the function at BEG..END (a placeholder body), or the
code the TODO/FIXME comment there asks for.  The region, else point."
  (interactive (chatls--region))
  (chatls--run 'chatls.implement (chatls--argument beg (or end beg))))

;;;###autoload
(defun chatls-add-types (beg &optional end)
  "Add type annotations to the function at BEG..END (Python, TypeScript).
The region when it is active, else point."
  (interactive (chatls--region))
  (chatls--run 'chatls.types (chatls--argument beg (or end beg))))

;;;###autoload
(defun chatls-tests (beg &optional end)
  "Write tests for the function at BEG..END (the region, else point).
The server creates or appends to the test file; without file creation
the tests open in a new buffer."
  (interactive (chatls--region))
  (chatls--run 'chatls.tests (chatls--argument beg (or end beg))))

;;;###autoload
(defun chatls-translate (beg end language)
  "Translate BEG..END (the region, else the function at point) into LANGUAGE.
The translation opens in a new buffer; the source is not touched."
  (interactive (append (chatls--region) (list (read-string "chatls translate to: "))))
  (chatls--run 'chatls.translate (chatls--argument beg end :language language)))

;;;###autoload
(defun chatls-action (beg end id)
  "Run the custom action ID (one of `customActions') on BEG..END."
  (interactive (append (chatls--region) (list (read-string "chatls action id: "))))
  (chatls--run 'chatls.action (chatls--argument beg end :id id)))

(defun chatls--lsp-diagnostic (diag)
  "DIAG, a Flymake diagnostic, as an LSP diagnostic."
  (or (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diag)))
      (let ((backend (flymake-diagnostic-backend diag)))
        (list :range (list :start (eglot--pos-to-lsp-position (flymake-diagnostic-beg diag))
                           :end (eglot--pos-to-lsp-position (flymake-diagnostic-end diag)))
              :severity (pcase (flymake-diagnostic-type diag)
                          ((or :error 'eglot-error) 1)
                          ((or :warning 'eglot-warning) 2)
                          (_ 3))
              :message (flymake-diagnostic-text diag)
              :source (if (symbolp backend)
                          (string-remove-suffix "-flymake" (symbol-name backend))
                        "flymake")))))

;;;###autoload
(defun chatls-fix (pos)
  "Fix the Flymake diagnostic at POS (asks which when there are several)."
  (interactive (list (point)))
  (let* ((diags (or (flymake-diagnostics pos)
                    (flymake-diagnostics (line-beginning-position) (line-end-position))))
         (labels (mapcar (lambda (d) (cons (flymake-diagnostic-text d) d)) diags))
         (diag (cond ((null diags) (user-error "chatls: no diagnostic at point"))
                     ((null (cdr diags)) (car diags))
                     (t (cdr (assoc (completing-read "chatls: fix which diagnostic? "
                                                     labels nil t)
                                    labels)))))
         (lsp (chatls--lsp-diagnostic diag)))
    (chatls--run 'chatls.fix
                 (append (list :uri (plist-get (eglot--TextDocumentIdentifier) :uri)
                               :range (plist-get lsp :range)
                               :diagnostic lsp)
                         (progn (eglot--signal-textDocument/didChange)
                                (list :version eglot--versioned-identifier))))))

;;;###autoload
(defun chatls-eglot-setup ()
  "Make eglot start chatls for `chatls-major-modes'."
  (add-to-list 'eglot-server-programs
               (cons chatls-major-modes (cons 'chatls-server chatls-program))))

(provide 'chatls)
;;; chatls.el ends here
