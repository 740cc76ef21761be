;;; emacs_harness.el --- Test harness for Emacs scenarios written by test_emacs.py  -*- lexical-binding: t; -*-

;; Loads clients/emacs/chatls.el, configures it from CHATLS_TEST_CONFIG (JSON), records the
;; server's messages, and gives scenarios helpers to wait on conditions.  `chatls-test-run'
;; runs a scenario, writes what it noted (and any error) as JSON, and exits non-zero on error.

;;; Code:

(require 'json)
(require 'cl-lib)
(unless (require 'eglot nil t)
  (error "eglot is not installed: apt-get install -y elpa-eglot"))

(defvar chatls-test-config
  (json-parse-string (or (getenv "CHATLS_TEST_CONFIG") (error "CHATLS_TEST_CONFIG unset"))
                     :object-type 'alist :array-type 'list))

(defun chatls-test-config (key)
  (alist-get key chatls-test-config))

(add-to-list 'load-path (chatls-test-config 'client))
(require 'chatls)

;; Batch mode cannot answer eglot's "Server wants to edit" prompt.
(setq eglot-confirm-server-initiated-edits nil)
(setq chatls-program (chatls-test-config 'cmd))
(setq chatls-settings
      (json-parse-string (chatls-test-config 'settings) :object-type 'plist))
(chatls-eglot-setup)

(defvar chatls-test-notes nil)
(defvar chatls-test-messages nil)

(cl-defmethod eglot-handle-notification :before
  (_server (_method (eql window/showMessage)) &key type message)
  (push (list (cons 'type type) (cons 'message message)) chatls-test-messages))

(defun chatls-test-note (key value)
  (push (cons key value) chatls-test-notes))

(defun chatls-test-wait (predicate what &optional timeout)
  "Process events until PREDICATE holds; a timeout is a test failure."
  (let ((deadline (+ (float-time) (or timeout 15))))
    (while (not (funcall predicate))
      (when (> (float-time) deadline)
        (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.02))))

(defun chatls-test-text ()
  (buffer-substring-no-properties (point-min) (point-max)))

(defun chatls-test-until-changed (action what)
  "Run ACTION, then wait until the current buffer's text changed."
  (let ((before (chatls-test-text)))
    (funcall action)
    (chatls-test-wait (lambda () (not (equal (chatls-test-text) before)))
                      (format "%s to change the buffer" what))))

(defun chatls-test-open (file)
  "Visit FILE and connect eglot (with chatls) to it."
  (find-file file)
  (apply #'eglot (eglot--guess-contact))
  (chatls-test-wait (lambda () (cl-typep (eglot-current-server) 'chatls-server))
                    "eglot to connect chatls"))

(defun chatls-test-pos (line column)
  "Position of 1-based LINE and 0-based character COLUMN."
  (save-excursion
    (goto-char (point-min))
    (forward-line (1- line))
    (+ (point) column)))

(defun chatls-test-explanation ()
  (let ((buffer (get-buffer "*chatls*")))
    (and buffer (with-current-buffer buffer
                  (let ((text (buffer-substring-no-properties (point-min) (point-max))))
                    (and (> (length text) 0) text))))))

(defun chatls-test-run (scenario)
  (let ((failure nil))
    (condition-case err
        (funcall scenario)
      (error (setq failure (format "%S" err))))
    (with-temp-file (chatls-test-config 'result)
      (insert (json-encode
               `((notes . ,(or chatls-test-notes (make-hash-table)))
                 (messages . ,(vconcat (reverse chatls-test-messages)))
                 ,@(and failure `((error . ,failure)))))))
    (kill-emacs (if failure 1 0))))

(provide 'emacs_harness)
;;; emacs_harness.el ends here
