"""pythainlp's Thai romanisation model run on one thread (issue 22, ADR 0061).

Why: `names.romanize_thai` reads Thai names with pythainlp's thai2rom model, which
pythainlp opens as two onnxruntime sessions with onnxruntime's defaults: a thread pool as
wide as the machine, whose threads spin-wait between runs. The model is small (a
character-level encoder and decoder, about nine decoder steps a word), so a second thread
buys no speed and burns a core: reading the rich world's 5,198 records (127 Thai words,
`bench/xref_rich.py`) took 0.78-0.89 s of wall time either way, and 1.33-1.60 s of CPU with
the default pool against 0.78-0.82 s on one thread (measured 2026-12-02, two runs each). On
a server the spinning core is taken from the other requests.

pythainlp has no option for it, so the sessions of its module-level transliterator are
opened again from the same model files with one intra-op and one inter-op thread. Where
pythainlp's internals are not those of 5.4 (the attributes below), nothing is changed and
the model runs as pythainlp opened it.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger("palermo.match")
PARTS = ("encoder", "decoder")


@lru_cache(maxsize=1)
def single_threaded() -> bool:
    """Reopen the thai2rom sessions on one thread, once; whether it was done."""
    try:
        import onnxruntime
        from pythainlp.transliterate import thai2rom_onnx

        model: Any = thai2rom_onnx._THAI_TO_ROM_ONNX
        files = [getattr(model, f"_ThaiTransliterator_ONNX__{p}_filename") for p in PARTS]
        network = model._network
    except (ImportError, AttributeError) as exc:
        log.info("thai2rom left on onnxruntime's default threads (%s)", exc)
        return False
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    encoder, decoder = (onnxruntime.InferenceSession(f, options) for f in files)
    model._encoder, model._decoder = encoder, decoder
    network.encoder, network.decoder = encoder, decoder
    return True
