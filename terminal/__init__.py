"""The terminal side: transports, the card session, the PIN service and the `sscard` CLI."""
