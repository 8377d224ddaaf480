"""The sciwire golden-vector generator, one module per envelope (../README.md).

An envelope module assigns, as literals at module level, MARKER (the envelope's marker and its
folder under vectors/v1/), ID_PREFIX and REQUIRES (the modules it imports), and defines
LIBRARIES and build(S). common.load_envelopes finds every module that assigns MARKER.
"""
