"""Field output and restart files.

Submodules are imported explicitly, so that optional writers add no import cost or
dependency to the core:

    from phasefield.io.vtk import write_vti, PvdCollection   # ParaView / PyVista output
"""
