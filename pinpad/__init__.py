"""Where PINs come from: the console now; serial PIN pads and PC/SC secure entry behind the same interface."""
