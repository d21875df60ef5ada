"""Building, storing and loading indexes: data in (corpus), vectors out (store), on disk (layout)."""
