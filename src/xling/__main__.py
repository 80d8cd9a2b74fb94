from .cli.entry import entry

entry()
