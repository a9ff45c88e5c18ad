"""The benchmark: a seeded corpus generator and `make bench` (python -m allyreport.bench)."""
