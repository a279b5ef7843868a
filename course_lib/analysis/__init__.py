"""Analysis tools: per-layer tables, receptive fields, CS231n arithmetic and the seeds' tables.

- :func:`layer_table`: one row per layer (output shape, parameters, MACs, activation memory,
  seed-000 low/high group).
- :func:`receptive_fields` / :func:`receptive_field_arithmetic`: receptive field, jump and start
  of every layer (Dang Ha The Hien's arithmetic), for a Keras model or a list of
  ``(kernel, stride, padding, dilation)`` tuples; :func:`rf_bounds` gives the pixels a unit sees.
- :func:`conv_output_size`, :func:`conv_params`, :func:`memory_bytes`, :func:`model_memory`:
  the CS231n closed forms (seed 003).
- :func:`load_table` / :func:`available_tables`: the seeds' printed tables (package data in
  ``course_lib/tables``); :func:`paper_vs_computed`: seed 000's printed parameter counts vs the built models.
- :func:`plot_filters`, :func:`plot_filters_and_maps`, :func:`plot_receptive_fields`,
  :func:`plot_architecture` and the numbers behind them (:func:`filter_grid`,
  :func:`activation_maps`, :func:`receptive_field_box`, :func:`architecture_column`): pictures
  drawn from a model (``course_lib.analysis.visualize``).
- :func:`compare_models`: is model B better than model A? The difference in mean test error with a
  95% interval (seeds and test-set sampling), and one of "supports", "contradicts",
  "inconclusive" (``course_lib.analysis.verdict``; :data:`METHOD` explains it in a paragraph;
  :func:`simulate_equal_models` shows how often the old "seed ranges do not overlap" rule
  calls two equal models different).
- :func:`plot_error_bars`, :func:`plot_error_lines`, :func:`plot_training_curves`,
  :func:`plot_verdicts` (and :func:`summarize_runs`, the numbers behind them): figures of
  results with their uncertainty over seeds, bars from zero, no empty slots, stated axis
  ranges (``course_lib.analysis.figures``).
"""

from course_lib.analysis.arithmetic import (
    OPTIMIZER_SLOTS,
    MemoryEstimate,
    conv_output_size,
    conv_params,
    memory_bytes,
    model_memory,
)
from course_lib.analysis.layer_table import layer_macs, layer_table, seed000_groups
from course_lib.analysis.receptive_field import (
    receptive_field_arithmetic,
    receptive_fields,
    rf_bounds,
)
from course_lib.analysis.figures import (
    plot_error_bars,
    plot_error_lines,
    plot_training_curves,
    plot_verdicts,
    summarize_runs,
)
from course_lib.analysis.verdict import (
    METHOD,
    Verdict,
    compare_models,
    decode_correct,
    method_paragraph,
    simulate_equal_models,
    t_interval,
    t_quantile,
)
from course_lib.analysis.tables import available_tables, load_table, paper_vs_computed, tables_dir
from course_lib.analysis.visualize import (
    ArchitectureBox,
    activation_maps,
    architecture_column,
    filter_grid,
    plot_architecture,
    plot_filters,
    plot_filters_and_maps,
    plot_receptive_fields,
    receptive_field_box,
)

__all__ = [
    "METHOD",
    "Verdict",
    "compare_models",
    "decode_correct",
    "method_paragraph",
    "plot_error_bars",
    "plot_error_lines",
    "plot_training_curves",
    "plot_verdicts",
    "simulate_equal_models",
    "summarize_runs",
    "t_interval",
    "t_quantile",
    "ArchitectureBox",
    "OPTIMIZER_SLOTS",
    "MemoryEstimate",
    "activation_maps",
    "architecture_column",
    "available_tables",
    "conv_output_size",
    "conv_params",
    "filter_grid",
    "layer_macs",
    "layer_table",
    "load_table",
    "memory_bytes",
    "model_memory",
    "paper_vs_computed",
    "plot_architecture",
    "plot_filters",
    "plot_filters_and_maps",
    "plot_receptive_fields",
    "receptive_field_box",
    "receptive_field_arithmetic",
    "receptive_fields",
    "rf_bounds",
    "seed000_groups",
    "tables_dir",
]

# Architecture pictures drawn from the models (analysis.diagrams.plot_rcl_unrolled, ...).
from course_lib.analysis import diagrams  # noqa: E402

__all__.append("diagrams")
