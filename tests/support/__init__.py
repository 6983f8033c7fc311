"""Test support: finding the real binaries, starting real servers."""
