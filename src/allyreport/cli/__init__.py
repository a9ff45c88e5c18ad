"""The command line: the argument parser and one function per sub-command."""
