__title__: str
__version__: str
__author__: str
__license__: str
__copyright__: str
