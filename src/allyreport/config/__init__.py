"""The settings file and the options of a run: read once, handed to every stage below the command line."""
