"""Presentation: terminal and notebook display, TikZ figures, TeX and template rendering.

It reads layers and never derives a size itself.
"""
