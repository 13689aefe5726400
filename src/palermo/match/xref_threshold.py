"""The cross-referencing threshold: one number for every caller that links records.

Screening and manifests own their thresholds (`screening.SCREENING_THRESHOLD`,
`manifest.MANIFEST_THRESHOLD`); cross-referencing's lives here, in a module with no imports,
so the batch resolver (`xref.resolve`), the incremental resolver and its batch run
(`incremental`), the resolution API (`resolution`, `ledger_access.resolve`) and the arrival
feed's first run of a view (`arrivals`) take the same default without importing Splink or
each other. It was a literal 0.9 in six signatures; a change in one would have silently
disagreed with the others.
"""

from __future__ import annotations

XREF_THRESHOLD = 0.9
"""Link probability at or above which two records are one person (Splink's
match_probability, or a confirmed judgement / strong identifier regardless).

Set where a wrong merge costs most: a merged identity carries one person's case data onto
another's. Measured on `bench/match_scripts.py` (3,000-person synthetic world, seed 11,
every script, `U_PAIRS` 300,000) on 2026-11-29: precision 0.949, recall 0.992 (F1 0.970;
docs/identification.md, "One threshold per use"). With nothing but a name it would keep
precision 0.9888 but recall only 0.5854 on the real names-dev pairs, which is why
cross-referencing weighs the other fields too."""
