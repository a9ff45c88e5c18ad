"""The notes folder: discovering, decoding and validating the files into typed, frozen notes."""
