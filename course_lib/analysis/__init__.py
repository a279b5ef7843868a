"""Analysis tools: per-layer tables, receptive fields, CS231n arithmetic, the seeds' tables,
pictures drawn from a model, verdicts on claimed orderings and figures of results.
"""

from course_lib.analysis.arithmetic import (
    OPTIMIZER_SLOTS, MemoryEstimate, conv_output_size, conv_params, memory_bytes, model_memory,
)
from course_lib.analysis.layer_table import layer_macs, layer_table, seed000_groups
from course_lib.analysis.receptive_field import (
    receptive_field_arithmetic, receptive_fields, rf_bounds,
)
from course_lib.analysis.figures import (
    plot_error_bars, plot_error_lines, plot_training_curves, plot_verdicts, summarize_runs,
)
from course_lib.analysis.verdict import (
    METHOD, Verdict, compare_models, decode_correct, method_paragraph, paired_error_difference,
    simulate_equal_models, t_interval, t_quantile,
)
from course_lib.analysis.tables import available_tables, load_table, paper_vs_computed, tables_dir
from course_lib.analysis.visualize import (
    ArchitectureBox, activation_maps, architecture_column, filter_grid, plot_architecture,
    plot_filters, plot_filters_and_maps, plot_receptive_fields, receptive_field_box,
)

__all__ = [
    "METHOD", "Verdict", "compare_models", "decode_correct", "method_paragraph",
    "paired_error_difference", "plot_error_bars",
    "plot_error_lines", "plot_training_curves", "plot_verdicts", "simulate_equal_models",
    "summarize_runs", "t_interval", "t_quantile", "ArchitectureBox", "OPTIMIZER_SLOTS",
    "MemoryEstimate", "activation_maps", "architecture_column", "available_tables",
    "conv_output_size", "conv_params", "filter_grid", "layer_macs", "layer_table", "load_table",
    "memory_bytes", "model_memory", "paper_vs_computed", "plot_architecture", "plot_filters",
    "plot_filters_and_maps", "plot_receptive_fields", "receptive_field_box",
    "receptive_field_arithmetic", "receptive_fields", "rf_bounds", "seed000_groups", "tables_dir",
]

# Architecture pictures drawn from the models (analysis.diagrams.plot_rcl_unrolled, ...).
from course_lib.analysis import diagrams  # noqa: E402

__all__.append("diagrams")
