//! Starts `chatls` (found on PATH) for Zed and hands it the user's `lsp.chatls` settings.

use zed_extension_api::{self as zed, serde_json, settings::LspSettings};

struct Chatls;

impl zed::Extension for Chatls {
    fn new() -> Self {
        Chatls
    }

    fn language_server_command(
        &mut self,
        _id: &zed::LanguageServerId,
        worktree: &zed::Worktree,
    ) -> zed::Result<zed::Command> {
        let command = worktree
            .which("chatls")
            .ok_or_else(|| "chatls is not on PATH: pip install chatls".to_string())?;
        Ok(zed::Command { command, args: vec![], env: worktree.shell_env() })
    }

    fn language_server_initialization_options(
        &mut self,
        _id: &zed::LanguageServerId,
        worktree: &zed::Worktree,
    ) -> zed::Result<Option<serde_json::Value>> {
        Ok(LspSettings::for_worktree("chatls", worktree)
            .ok()
            .and_then(|lsp| lsp.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        _id: &zed::LanguageServerId,
        worktree: &zed::Worktree,
    ) -> zed::Result<Option<serde_json::Value>> {
        // chatls pulls the "chatls" section of workspace/configuration.
        let settings = LspSettings::for_worktree("chatls", worktree)
            .ok()
            .and_then(|lsp| lsp.settings);
        Ok(settings.map(|s| serde_json::json!({ "chatls": s })))
    }
}

zed::register_extension!(Chatls);
