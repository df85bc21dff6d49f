"""What both APIs share: config, state, transport, limits, the list's read path, stream bases."""
