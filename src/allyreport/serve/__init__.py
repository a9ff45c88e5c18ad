"""`allyreport serve`: the live preview (`preview`), its HTTP side (`server`) and its file watcher (`watch`)."""
