"""Query-time ranking: encode the worry, gather candidates from each signal, fuse, group, explain."""
