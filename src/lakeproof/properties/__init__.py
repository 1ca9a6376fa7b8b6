"""Checkable properties of a distributed engine: invariants of its plans and profiles, answers
that follow from formulas, and bytes saved by pushdown.

Everything here is engine-agnostic: it reads the JSON an engine returns (a ``/plan`` dry run,
the ``profile`` of an answer, the fault proxy's statistics) and says in plain sentences what is
wrong, so suites can check any engine that speaks the coordinator API (see the README).

- `distribution`: a plan or profile as groups of splits on nodes (the one shape every check reads);
- `invariants`: the documented distribution rules and bounds, one checker per invariant;
- `algorithms`: the documented algorithms (round robin, LPT, adaptive, coalescing) computed
  independently of any engine, and the brute-forced optimum LPT's quality bound is measured against;
- `exact`: checks that a plan's groups and nodes are exactly what `algorithms` computes;
- `profile`: what a real query's profile must also satisfy (every object covered once, rows);
- `generators` and `runner`: Hypothesis-generated synthetic ``/plan`` requests, run with a seed
  that replays a failure;
- `formulas`: answers known in closed form over a 0..T-1 sequence column (stress);
- `pushdown`: bytes read by a query from proxy statistics, and the saving against a full scan.
"""
