// Intentionally empty: CFuzz only exposes <zlib.h> and LLVMFuzzerRunDriver to the fuzz harnesses.
