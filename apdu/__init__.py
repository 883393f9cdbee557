"""Pure protocol for the social security card: APDUs, status words, TLV, records, PINs.

Nothing here does I/O or imports the rest of the project, so the terminal and the
emulator can both build on it and agree byte for byte.
"""
