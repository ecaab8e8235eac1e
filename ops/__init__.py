"""Operations scripts: `make faults` (ops/faults.py) and its helpers."""
