"""Thai romanisation on one thread (ADR 0061): the same spellings, one thread each."""

from __future__ import annotations

from palermo.match import names
from palermo.match.names_thai_model import single_threaded


def test_the_thai_model_runs_on_one_thread_and_spells_as_before() -> None:
    from pythainlp.transliterate import thai2rom_onnx

    words = ("สมบัติ", "ทองอินทร์", "บุญเรือง")
    default = thai2rom_onnx.ThaiTransliterator_ONNX()  # onnxruntime's default threads
    before = [names.NOT_LETTERS.sub("", default.romanize(w)) for w in words]
    assert single_threaded()
    model = thai2rom_onnx._THAI_TO_ROM_ONNX
    for session in (model._encoder, model._decoder, model._network.encoder):
        options = session.get_session_options()
        assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    names.romanize_thai.cache_clear()
    assert [names.romanize_thai(w) for w in words] == before
    assert before[0] == "sombat"
