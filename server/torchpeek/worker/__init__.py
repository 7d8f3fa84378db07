"""The preview worker: runs in the user's interpreter, with only the standard library and torch.

The server starts ``python <this folder>/boot.py``; the worker imports torch
once, warms it up, and answers preview requests (JSON lines on stdin/stdout) by
forking a sandboxed child per request. Nothing here imports torchpeek's server
code, pygls or any third-party package other than torch (and numpy, if the
user's code uses it).
"""
