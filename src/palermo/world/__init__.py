"""A seeded synthetic world of transnational trafficking networks, with ground truth.

Nobody can publish real police files, so development, demos and benchmarks run on this
world: networks of recruiters, transporters, forgers, exploiters and money movers moving
victims along real-looking routes, seen by each agency only partially and noisily, in its
own script and record ids. The ground truth is written apart and never loaded.
"""

from palermo.world.generate import WorldSummary, generate

__all__ = ["WorldSummary", "generate"]
