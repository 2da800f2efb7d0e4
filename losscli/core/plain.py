"""Values the JSON writers take as they are (report/outputs.py)."""


class PlainList(list):
    """A list of JSON-ready values only (str, int, float that is finite, None, and dicts and lists of
    them): the JSON writers take it as it is, without walking 100,000 groups' rows one by one."""
