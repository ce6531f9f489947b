"""Provider adapters: any v2-style SMM panel behind one typed async interface.

This package knows nothing of the gateway; the gateway imports it, never the reverse.
"""
