;;; chatls.el --- The chatls AI pair programmer through eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages, convenience

;;; Commentary:

;; chatls is a language server that asks an OpenAI-compatible model to explain, refactor, fix
;; and document code.  This file registers it with eglot.  Once chatls runs, each action it
;; publishes (built-in ones and your `customActions') is a command, `chatls-<id>':
;;
;;   M-x chatls-explain    explain the region (or the enclosing function) in *chatls*
;;   M-x chatls-fix        fix the Flymake diagnostic at point (from any backend)
;;   M-x chatls-action     any of them, by id (with completion)
;;
;; and so on for every action the server has; the commands follow the settings as they
;; change.  `M-x eglot-code-actions' offers the same actions on the region.
;;
;; With `review' in the settings, a change opens in a `chatls-review-mode' diff buffer
;; first: C-c C-a keeps the hunk at point, C-c C-d drops it, C-c C-c applies the hunks kept
;; (C-u: all), C-c C-k rejects the change.
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
(require 'diff-mode)
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

(defcustom chatls-review t
  "Whether chatls.el shows changes to review in a diff buffer.
With `review' in `chatls-settings' (`always', or `large' changes), an
edit action's change lands only once accepted.  When this is non-nil,
chatls.el shows the change in a `chatls-review-mode' buffer, where each
hunk can be kept or dropped; when nil, the server asks \"Apply\", \"Show
diff\" or \"Discard\" itself.  Read when the server starts."
  :type 'boolean)

(defclass chatls-server (eglot-lsp-server)
  ((actions :initform nil :accessor chatls--published
            :documentation "What the server published of its actions: a plist with
:actions, a vector of plists (:id, :title, :command, :output, :offered, :custom,
:asks...), and :customCommand.")
   (accepting :initform 0 :accessor chatls--accepting
              :documentation "Reviewed changes accepted whose edits may be on their way."))
  :documentation "The chatls language server.")

(cl-defmethod eglot-initialization-options ((_server chatls-server))
  (or chatls-settings (make-hash-table)))

(cl-defmethod eglot-client-capabilities :around ((_server chatls-server))
  "Say that chatls.el shows chatls's changes to review (`chatls-review')."
  (let ((capabilities (cl-call-next-method)))
    (if chatls-review
        (plist-put capabilities :experimental '(:chatls (:review t)))
      capabilities)))

(defun chatls--show (markdown)
  "Show MARKDOWN, an explanation, in the *chatls* buffer."
  (with-current-buffer (get-buffer-create "*chatls*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert markdown)
      (if (fboundp 'gfm-view-mode) (gfm-view-mode) (special-mode))
      (goto-char (point-min)))
    (display-buffer (current-buffer))))

(defun chatls--open-document (result)
  "Open the document in RESULT (Translate, Write tests, a custom action).
A file the server wrote is visited; otherwise the text goes in a new
buffer named after the document, in the mode its name implies."
  (let ((placed (or (plist-get result :created) (plist-get result :file)))
        (document (plist-get result :document)))
    (cond
     (placed (find-file-other-window
              ;; eglot 1.9 has only the internal name; later versions made it public.
              (funcall (if (fboundp 'eglot-uri-to-path) 'eglot-uri-to-path 'eglot--uri-to-path)
                       placed)))
     (document
      (let ((buffer (generate-new-buffer (format "*chatls %s*" (plist-get document :name)))))
        (with-current-buffer buffer
          (insert (plist-get document :text))
          (let ((buffer-file-name (plist-get document :name)))
            (set-auto-mode))
          (goto-char (point-min)))
        (display-buffer buffer))))))

(defun chatls--true (value)
  "Whether VALUE, from JSON, is true (false arrives as :json-false)."
  (and value (not (eq value :json-false))))

(defun chatls--actions (server)
  "The actions SERVER published, a list of plists."
  (append (plist-get (chatls--published server) :actions) nil))

(defun chatls--find (server id)
  "SERVER's published action ID, or nil."
  (cl-find id (chatls--actions server)
           :key (lambda (action) (plist-get action :id)) :test #'equal))

(defun chatls--for-command (server command argument)
  "The published action SERVER's COMMAND with ARGUMENT runs, or nil.
Every custom action runs through one command, which names it by :id."
  (cl-find-if (lambda (action)
                (and (equal (plist-get action :command) command)
                     (or (not (chatls--true (plist-get action :custom)))
                         (equal (plist-get action :id) (plist-get argument :id)))))
              (chatls--actions server)))

(defun chatls--read-text (asks)
  "The text ASKS (a published action's :asks) is for, read from the user.
Blank text is refused when the action requires it, and is nil otherwise."
  (let ((text (string-trim (read-string (plist-get asks :prompt)))))
    (cond ((string-match-p "[^[:space:]]" text) text)
          ((chatls--true (plist-get asks :required))
           (user-error "chatls: nothing to send")))))

(cl-defmethod eglot-execute-command ((server chatls-server) command arguments)
  "Run chatls's COMMAND without blocking Emacs.
A model can take longer than eglot's synchronous requests wait.  The
server applies edits itself (workspace/applyEdit) and reports failures
with window/showMessage.  What the action's published description says
decides the rest: text it requires and code actions arrive without is
read from the user (LSP code actions cannot ask for it), and Markdown
answers and new documents are shown here instead of as a message."
  (let* ((name (format "%s" command))
         (argument (and (> (length arguments) 0) (aref arguments 0)))
         (action (and argument (chatls--for-command server name argument)))
         (asks (plist-get action :asks))
         (shown (and action (not (equal (plist-get action :output) "edit")))))
    (when (and asks (chatls--true (plist-get asks :required))
               (not (plist-get argument (intern (format ":%s" (plist-get asks :argument))))))
      (setq argument (append (list (intern (format ":%s" (plist-get asks :argument)))
                                   (chatls--read-text asks))
                             argument)))
    (when shown
      (setq argument (append (list :quiet t) argument)))
    (jsonrpc-async-request
     server :workspace/executeCommand
     `(:command ,name :arguments ,(if argument (vector argument) arguments))
     :success-fn (lambda (result)
                   (when shown
                     (cond ((plist-get result :markdown)
                            (chatls--show (plist-get result :markdown)))
                           ((plist-get result :document)
                            (chatls--open-document result)))))
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

(defun chatls--region ()
  (if (use-region-p) (list (region-beginning) (region-end)) (list (point) (point))))

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

;;; Commands, made from the actions the server publishes

(defun chatls--diagnostic-argument (pos title)
  "chatls's argument for the Flymake diagnostic at POS, asked for with TITLE
when there are several there."
  (let* ((diags (or (flymake-diagnostics pos)
                    (flymake-diagnostics (save-excursion (goto-char pos) (line-beginning-position))
                                         (save-excursion (goto-char pos) (line-end-position)))))
         (labels (mapcar (lambda (d) (cons (flymake-diagnostic-text d) d)) diags))
         (diag (cond ((null diags) (user-error "chatls: no diagnostic at point"))
                     ((null (cdr diags)) (car diags))
                     (t (cdr (assoc (completing-read
                                     (format "chatls: %s which diagnostic? " (downcase title))
                                     labels nil t)
                                    labels)))))
         (lsp (chatls--lsp-diagnostic diag)))
    (eglot--signal-textDocument/didChange)
    (list :uri (plist-get (eglot--TextDocumentIdentifier) :uri)
          :range (plist-get lsp :range)
          :diagnostic lsp
          :version eglot--versioned-identifier)))

(defun chatls-run-action (id beg &optional end text)
  "Run chatls's action ID on BEG..END (END defaults to BEG: a cursor).
TEXT is what the action asks for (a question, an instruction, a
language), when it asks for one.  An action offered per diagnostic
runs on the Flymake diagnostic at BEG."
  (let* ((server (chatls--server))
         (action (or (chatls--find server id)
                     (user-error "chatls: the server has no action `%s'" id)))
         (asks (plist-get action :asks))
         (blank (not (and text (string-match-p "[^[:space:]]" text)))))
    (when (and asks blank (chatls--true (plist-get asks :required)))
      (user-error "chatls: nothing to send"))
    (let ((argument
           (append (and asks (not blank)
                        (list (intern (format ":%s" (plist-get asks :argument))) text))
                   (and (chatls--true (plist-get action :custom)) (list :id id))
                   (if (equal (plist-get action :offered) "diagnostic")
                       (chatls--diagnostic-argument beg (plist-get action :title))
                     (chatls--argument beg (or end beg))))))
      (eglot-execute-command server (plist-get action :command) (vector argument)))))

(defun chatls--interactive (id)
  "The interactive arguments of the command of action ID: the region (else
point) and the text the action asks for."
  (let ((asks (plist-get (chatls--find (chatls--server) id) :asks)))
    (append (chatls--region) (list (and asks (chatls--read-text asks))))))

(defvar chatls--made nil
  "The commands made from published actions (others' functions are never replaced).")

(defun chatls--command-name (id)
  (intern (format "chatls-%s" id)))

(defun chatls--servers ()
  "The running chatls servers."
  (let (found)
    (maphash (lambda (_project servers)
               (dolist (server servers)
                 (when (and (cl-typep server 'chatls-server) (jsonrpc-running-p server))
                   (push server found))))
             eglot--servers-by-project)
    found))

(defun chatls--make-commands ()
  "Make `chatls-<id>' for every action the running servers publish, and remove
those made for actions none publishes any more."
  (let (wanted)
    (dolist (server (chatls--servers))
      (dolist (action (chatls--actions server))
        (let* ((id (plist-get action :id))
               (name (chatls--command-name id)))
          (unless (or (assq name wanted) (and (fboundp name) (not (memq name chatls--made))))
            (push (cons name action) wanted)))))
    (dolist (name chatls--made)
      (unless (assq name wanted)
        (fmakunbound name)))
    (setq chatls--made (mapcar #'car wanted))
    (pcase-dolist (`(,name . ,action) wanted)
      (let* ((id (plist-get action :id))
             (asks (plist-get action :asks))
             (doc (format "chatls: %s on BEG..END (the region, else point).%s\n\nMade from \
what the server published of its action `%s'."
                          (plist-get action :title)
                          (if asks
                              (format "\nTEXT is the %s it asks for." (plist-get asks :argument))
                            "")
                          id)))
        (defalias name
          (eval `(lambda (beg &optional end text)
                   ,doc
                   (interactive (chatls--interactive ,id))
                   (chatls-run-action ,id beg end text))
                t))))))

(defun chatls--learn (server published)
  "Keep what SERVER PUBLISHED of its actions, and remake the commands."
  (when published
    (setf (chatls--published server) published))
  (chatls--make-commands))

(defun chatls--connected (server)
  "Learn the actions a new chatls SERVER published with its capabilities."
  (when (cl-typep server 'chatls-server)
    (chatls--learn server (plist-get (plist-get (eglot--capabilities server) :experimental)
                                     :chatls))))

(add-hook 'eglot-connect-hook #'chatls--connected)

(cl-defmethod eglot-handle-notification
  ((server chatls-server) (_method (eql chatls/actions)) &rest published)
  "The settings changed the actions: remake the commands."
  (chatls--learn server published))

;;; Changes to review

(defvar-local chatls--review nil
  "The review this buffer shows: a plist with :server, :id, :title, :source (the
buffer it would change) and :hunks (their count).")

(defvar-local chatls--review-kept nil
  "What was decided of each hunk, an alist (INDEX . kept or dropped).")

(defun chatls--review-lines (text)
  "TEXT's lines, without their line breaks."
  (if (equal text "") nil (split-string (string-remove-suffix "\n" text) "\r?\n")))

(defun chatls--review-source-lines (buffer from to)
  "Lines FROM..TO (0-based, TO excluded) of BUFFER."
  (with-current-buffer buffer
    (save-excursion
      (save-restriction
        (widen)
        (goto-char (point-min))
        (forward-line from)
        (let (lines)
          (while (and (< from to) (not (eobp)))
            (push (buffer-substring-no-properties (point) (line-end-position)) lines)
            (forward-line 1)
            (setq from (1+ from)))
          (nreverse lines))))))

(defun chatls--review-diff (hunks source name)
  "A unified diff of HUNKS (the notification's, a list of plists) on SOURCE,
one diff hunk per review hunk, with up to three lines of context, none of
them shown twice.  Each diff hunk carries its index as the text
property `chatls-hunk'."
  (let* ((line-count (with-current-buffer source
                       (save-restriction (widen) (count-lines (point-min) (point-max)))))
         (spans
          (mapcar (lambda (hunk)
                    (let* ((range (plist-get hunk :range))
                           (start (plist-get range :start))
                           (end (plist-get range :end))
                           ;; A range that ends mid-line ends at a text without a final newline.
                           (first (+ (plist-get start :line)
                                     (if (> (plist-get start :character) 0) 1 0)))
                           (last (+ (plist-get end :line)
                                    (if (> (plist-get end :character) 0) 1 0))))
                      (list hunk first (max first last))))
                  hunks))
         (delta 0)
         (previous-end 0)
         (parts (list (format "--- a/%s\n+++ b/%s\n" name name))))
    (let ((remaining spans))
      (while remaining
        (pcase-let* ((`(,hunk ,first ,last) (car remaining))
                     (next-start (if (cdr remaining) (nth 1 (cadr remaining)) line-count))
                     (before-start (max previous-end (- first 3)))
                     (before (chatls--review-source-lines source before-start first))
                     (after (chatls--review-source-lines source last (min next-start (+ last 3))))
                     (old (chatls--review-lines (plist-get hunk :oldText)))
                     (new (chatls--review-lines (plist-get hunk :newText)))
                     (old-count (+ (length before) (length old) (length after)))
                     (new-count (+ (length before) (length new) (length after)))
                     (index (plist-get hunk :index))
                     (text
                      (concat
                       (format "@@ -%d,%d +%d,%d @@ hunk %d of %d\n"
                               (1+ before-start) old-count
                               (+ 1 before-start delta) new-count
                               (1+ index) (length hunks))
                       (mapconcat (lambda (line) (concat " " line "\n")) before "")
                       (mapconcat (lambda (line) (concat "-" line "\n")) old "")
                       (mapconcat (lambda (line) (concat "+" line "\n")) new "")
                       (mapconcat (lambda (line) (concat " " line "\n")) after ""))))
          (push (propertize text 'chatls-hunk index) parts)
          (setq delta (+ delta (- (length new) (length old)))
                previous-end (+ last (length after))
                remaining (cdr remaining)))))
    (apply #'concat (nreverse parts))))

(defvar chatls-review-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-a") #'chatls-review-keep)
    (define-key map (kbd "C-c C-d") #'chatls-review-drop)
    (define-key map (kbd "C-c C-c") #'chatls-review-send)
    (define-key map (kbd "C-c C-k") #'chatls-review-reject)
    ;; The server applies what is kept (finding it again if the file moved, refusing a part
    ;; that would not parse): diff-mode's own ways to change the file or the diff are off.
    (define-key map [remap diff-apply-hunk] #'chatls-review-keep)
    (dolist (command '(diff-ediff-patch diff-hunk-kill diff-file-kill diff-reverse-direction
                                        diff-split-hunk revert-buffer))
      (define-key map (vector 'remap command) #'ignore))
    map)
  "Keys of `chatls-review-mode'.")

(define-derived-mode chatls-review-mode diff-mode "chatls-review"
  "A change chatls proposes, to keep or drop hunk by hunk.
Nothing changes in the file until the decision is sent; the server then
applies the hunks kept.

\\{chatls-review-mode-map}"
  (setq buffer-read-only t)
  (setq header-line-format
        (substitute-command-keys
         (concat "chatls: \\<chatls-review-mode-map>\\[chatls-review-keep] keep hunk, "
                 "\\[chatls-review-drop] drop hunk, \\[chatls-review-send] apply the kept "
                 "(C-u: all), \\[chatls-review-reject] reject"))))

(defun chatls--review-show (server review)
  "Show REVIEW, a chatls/review notification's params from SERVER."
  (let* ((path (funcall (if (fboundp 'eglot-uri-to-path) 'eglot-uri-to-path 'eglot--uri-to-path)
                        (plist-get (plist-get review :textDocument) :uri)))
         (source (or (find-buffer-visiting path) (find-file-noselect path)))
         (hunks (append (plist-get review :hunks) nil))
         (title (plist-get review :title))
         (buffer (generate-new-buffer
                  (format "*chatls review: %s %s*" title (file-name-nondirectory path)))))
    (with-current-buffer buffer
      ;; diff-goto-source (RET, o) finds the file from here.
      (setq default-directory (file-name-directory path))
      (let ((inhibit-read-only t))
        (insert (chatls--review-diff hunks source (file-name-nondirectory path))))
      (chatls-review-mode)
      (setq chatls--review (list :server server :id (plist-get review :id) :title title
                                 :source source :hunks (length hunks)))
      (goto-char (point-min))
      (chatls--review-goto-hunk nil))
    (pop-to-buffer buffer)
    (message "chatls: %s: %d hunk%s to review" title (length hunks)
             (if (= (length hunks) 1) "" "s"))))

(cl-defmethod eglot-handle-notification
  ((server chatls-server) (_method (eql chatls/review)) &rest review)
  "A change to review (`review' in the settings): show it in a diff buffer."
  (chatls--review-show server review))

(defun chatls--review-goto-hunk (after)
  "Move to the first undecided hunk past index AFTER (any, when AFTER is nil)."
  (let ((pos (point-min)) found)
    (while (and (not found) pos)
      (let ((index (get-text-property pos 'chatls-hunk)))
        (when (and index (or (null after) (> index after))
                   (not (assq index chatls--review-kept)))
          (setq found pos)))
      (setq pos (next-single-property-change pos 'chatls-hunk)))
    (when found (goto-char found))))

(defun chatls--review-hunk-bounds (index)
  "Start and end of the diff hunk of INDEX."
  (let ((pos (text-property-any (point-min) (point-max) 'chatls-hunk index)))
    (list pos (or (next-single-property-change pos 'chatls-hunk) (point-max)))))

(defun chatls--review-decide (decision)
  "Record DECISION (`kept' or `dropped') for the hunk at point, and show it."
  (let ((index (get-text-property (point) 'chatls-hunk)))
    (unless (and chatls--review index)
      (user-error "chatls: no hunk of the change at point"))
    (setf (alist-get index chatls--review-kept) decision)
    (pcase-let ((`(,beg ,end) (chatls--review-hunk-bounds index)))
      (remove-overlays beg end 'chatls-review t)
      (let ((label (make-overlay beg (save-excursion (goto-char beg) (line-end-position))))
            (body (make-overlay beg end)))
        (overlay-put label 'chatls-review t)
        (overlay-put label 'after-string
                     (propertize (if (eq decision 'kept) "  [kept]" "  [dropped]")
                                 'face (if (eq decision 'kept) 'success 'shadow)))
        (overlay-put body 'chatls-review t)
        (when (eq decision 'dropped)
          (overlay-put body 'face 'shadow))))
    (chatls--review-goto-hunk index)))

(defun chatls-review-keep ()
  "Keep the hunk at point: it is applied when the decision is sent."
  (interactive)
  (chatls--review-decide 'kept))

(defun chatls-review-drop ()
  "Drop the hunk at point: it is not applied."
  (interactive)
  (chatls--review-decide 'dropped))

(defun chatls--review-answer (command argument)
  "Send the review's COMMAND with ARGUMENT, and close the review buffer."
  (let* ((review chatls--review)
         (server (plist-get review :server))
         (source (plist-get review :source))
         (title (plist-get review :title)))
    (unless (jsonrpc-running-p server)
      (user-error "chatls: the server has stopped; nothing was applied"))
    ;; The server finds the hunks again in the file as it is now: it must have the edits
    ;; made since.
    (when (buffer-live-p source)
      (with-current-buffer source (eglot--signal-textDocument/didChange)))
    (cl-incf (chatls--accepting server))
    (let ((window (get-buffer-window (current-buffer))))
      (if window (quit-window t window) (kill-buffer (current-buffer))))
    (jsonrpc-async-request
     server :workspace/executeCommand
     `(:command ,command :arguments ,(vector argument))
     ;; A refusal (the file moved under a hunk, a part that would not parse) is a null
     ;; result; the server says why with window/showMessage.
     :success-fn (lambda (result)
                   (cl-decf (chatls--accepting server))
                   (when (chatls--true (plist-get result :applied))
                     (message "chatls: %s: applied" title)))
     :error-fn (lambda (error)
                 (cl-decf (chatls--accepting server))
                 (message "chatls: %s failed: %s" command (plist-get error :message)))
     :timeout chatls-request-timeout
     :timeout-fn (lambda ()
                   (cl-decf (chatls--accepting server))
                   (message "chatls: %s timed out" command)))))

(defun chatls-review-send (&optional all)
  "Send the decision: apply the hunks kept (with prefix argument ALL, the
whole change).  Hunks not kept are not applied."
  (interactive "P")
  (unless chatls--review
    (user-error "chatls: not a chatls review buffer"))
  (let* ((id (plist-get chatls--review :id))
         (kept (sort (cl-loop for (index . decision) in chatls--review-kept
                              when (eq decision 'kept) collect index)
                     #'<)))
    (cond
     ((or all (= (length kept) (plist-get chatls--review :hunks)))
      (chatls--review-answer "chatls.review.accept" (list :id id)))
     ((null kept)
      (user-error (substitute-command-keys
                   "chatls: no hunk kept; \\<chatls-review-mode-map>\\[chatls-review-keep] \
keeps the hunk at point, \\[chatls-review-reject] rejects the change")))
     (t (chatls--review-answer "chatls.review.accept"
                               (list :id id :hunks (vconcat kept)))))))

(defun chatls-review-reject ()
  "Reject the whole change: nothing is applied."
  (interactive)
  (unless chatls--review
    (user-error "chatls: not a chatls review buffer"))
  (chatls--review-answer "chatls.review.reject" (list :id (plist-get chatls--review :id))))

;; Its name in eglot 1.16 and later, where the old one is an alias of it.
(defvar eglot-confirm-server-edits)

(cl-defmethod eglot-handle-request :around
  ((server chatls-server) (_method (eql workspace/applyEdit)) &rest _)
  "An edit the user just accepted in a review buffer is not confirmed again."
  (if (> (chatls--accepting server) 0)
      (let ((eglot-confirm-server-initiated-edits nil)
            (eglot-confirm-server-edits nil))
        (cl-call-next-method))
    (cl-call-next-method)))

;;;###autoload
(defun chatls-action (beg end id &optional text)
  "Run the chatls action ID (any the server publishes) on BEG..END.
TEXT is what the action asks for, when it asks for something."
  (interactive
   (let* ((server (chatls--server))
          (region (chatls--region))
          (id (completing-read "chatls action: "
                               (mapcar (lambda (action) (plist-get action :id))
                                       (chatls--actions server))
                               nil t))
          (asks (plist-get (chatls--find server id) :asks)))
     (append region (list id (and asks (chatls--read-text asks))))))
  (chatls-run-action id beg end text))

;;;###autoload
(defun chatls-eglot-setup ()
  "Make eglot start chatls for `chatls-major-modes'."
  (add-to-list 'eglot-server-programs
               (cons chatls-major-modes (cons 'chatls-server chatls-program))))

(provide 'chatls)
;;; chatls.el ends here
