# Put first on an engine's PYTHONPATH, this hides the real mpi4py: an engine then fails
# as it would on a host where mpi4py is not installed.
raise ModuleNotFoundError("No module named 'mpi4py'", name="mpi4py")
