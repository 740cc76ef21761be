"""What chatls did, kept locally: every action, its request and reply, and what became of it
(``chatls history`` lists, shows, deletes and exports it)."""
