"""Is model B better than model A? A verdict with a 95% interval, from seeds and test images.

The paragraph above is :data:`METHOD` (inserted from the constant, so it exists once and
survives ``python -OO``).

Reading: Dror et al., "The Hitchhiker's Guide to Testing Statistical Significance in NLP"
(ACL 2018); Bouthillier et al., "Accounting for Variance in Machine Learning Benchmarks"
(MLSys 2021); Welch (1947), Satterthwaite (1946).
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from course_lib import validation

__all__ = [
    "METHOD", "MIN_SEEDS", "VERDICT_WORDS", "Verdict", "compare_models", "decode_correct",
    "method_paragraph", "paired_error_difference", "simulate_equal_models", "t_cdf",
    "t_interval", "t_quantile",
]

#: The paragraph a student reads to follow how :func:`compare_models` decides.
METHOD = (
    "How the verdict is computed. Each model was trained several times with different random "
    "seeds, and every run scored the same N test images. The number we judge is the "
    "difference d = mean error of the model claimed to be better minus mean error of the "
    "other one, in percentage points; a negative d points the way the claim says. Two kinds "
    "of chance move d. (1) Seeds: another seed gives another network and another error. The "
    "seeds' sample variances s_A^2 and s_B^2 give the seed part of the variance of d, "
    "s_A^2/n_A + s_B^2/n_B, as in Welch's t-test (which does not assume that both models vary "
    "equally). (2) The test set: the N images are one sample of all the images the models "
    "could meet. Both models scored the same images, so we compare them image by image (a "
    "paired method): for each image take the fraction of A's seeds that got it wrong and the "
    "fraction of B's seeds that got it wrong; the mean of their difference over the images is "
    "d again, and its variance over the images divided by N is the test-set part. (When the "
    "runs did not record which images they got wrong, each model's error is treated as an "
    "independent binomial proportion, p(1 - p)/N each: larger than the paired value, so the "
    "interval errs on the wide side, and the result says so.) The two parts are added and the "
    "95% interval is d +- t * sqrt(seed part + test-set part), where t is the 97.5% quantile "
    "of Student's t distribution with the Welch-Satterthwaite degrees of freedom: with 3 + 3 "
    "seeds t is about 2.8, not the 1.96 of a large sample, because six numbers estimate a "
    "variance poorly. The verdict is \"supports\" when the whole interval lies on the claimed "
    "side of zero, \"contradicts\" when it lies wholly on the other side, and \"inconclusive\" "
    "when it contains zero. With fewer than 3 seeds on either side the verdict is always "
    "\"inconclusive (too few seeds)\": with 2 seeds a variance rests on a single difference, "
    "and two models that are equally good give two seed ranges that do not overlap one time "
    "in three."
)

if __doc__:  # None under python -OO
    _summary, _rest = __doc__.split("\n\n", 1)
    __doc__ = f"{_summary}\n\n{METHOD}\n\n{_rest}"

#: Fewer seeds than this on either side: the verdict is "inconclusive (too few seeds)".
MIN_SEEDS = 3

#: Every word :attr:`Verdict.word` can take.
VERDICT_WORDS = ("supports", "contradicts", "inconclusive", "inconclusive (too few seeds)")


def method_paragraph() -> str:
    """The paragraph that explains the verdict's method (:data:`METHOD`), for printing.

    Example:

    >>> method_paragraph().startswith("How the verdict is computed.")
    True
    """
    return METHOD


# -- Student's t (scipy.stats.t) --
def _check_df(df, caller: str) -> float:
    try:
        df = float(df)
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: df must be a number > 0. Received: df={df!r}") from None
    if not df > 0:  # also rejects NaN
        raise ValueError(f"{caller}: df must be > 0 (math.inf for the normal distribution). "
                         f"Received: df={df}")
    return df


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` > 0 degrees of freedom (``math.inf``: the normal).

    >>> round(t_cdf(0.0, 3), 12), round(t_cdf(1.0, 1), 12)  # Cauchy: 1/2 + atan(1)/pi
    (0.5, 0.75)
    """
    df = _check_df(df, "t_cdf")
    return float(stats.norm.cdf(float(t)) if math.isinf(df) else stats.t.cdf(float(t), df))


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (inverse of :func:`t_cdf`); ``ValueError`` outside the domain.

    >>> round(t_quantile(0.975, 4), 6)  # the 95% two-sided value for 4 degrees of freedom
    2.776445
    """
    p = float(p)
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must be strictly between 0 and 1. Received: p={p}")
    df = _check_df(df, "t_quantile")
    return float(stats.norm.ppf(p) if math.isinf(df) else stats.t.ppf(p, df))


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` and its Student-t interval (seeds as the unit);
    with one value the interval is ``(nan, nan)``.

    >>> mean, low, high = t_interval([13.0, 13.4, 12.9])
    >>> round(mean, 3), round(low, 2), round(high, 2)
    (13.1, 12.44, 13.76)
    """
    x = _as_errors(values, "values", "t_interval")
    level = _check_level(level)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = t_quantile(0.5 + level / 2.0, len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def paired_error_difference(correct_a, correct_b,
                            level: float = 0.95) -> tuple[float, float, float]:
    """``(d, low, high)``: error of A minus error of B in points, with its paired interval.

    Both are scored on the same test images (one trained net each, e.g. two evaluation modes
    of one net), so the difference is taken image by image: ``w_i = wrong_A,i - wrong_B,i``
    is +1 where only A errs, -1 where only B errs, 0 where they agree; ``d = 100 mean(w)``,
    and the interval is the normal one on that mean, ``d +- z 100 sd(w) / sqrt(N)`` (the
    images are the unit, as in a paired t-test; seeds are not in it). A negative ``d`` means
    A makes fewer errors.

    Args:
        correct_a, correct_b: per-image correctness (bool arrays of one length, same images).
        level: the interval's confidence level.

    Example:

    >>> a = np.array([True] * 90 + [False] * 10)   # A: 10% error
    >>> b = np.array([True] * 80 + [False] * 20)   # B: 20% error, wrong wherever A is
    >>> d, low, high = paired_error_difference(a, b)
    >>> round(d, 2), round(low, 2), round(high, 2)
    (-10.0, -15.91, -4.09)
    """
    a, b = np.asarray(correct_a), np.asarray(correct_b)
    for name, x in (("correct_a", a), ("correct_b", b)):
        if x.dtype != bool or x.ndim != 1 or x.size < 2:
            raise ValueError(f"`{name}` must be a 1-D bool array of per-image correctness with "
                             f"at least 2 images. Received: dtype={x.dtype}, shape={x.shape}")
    if a.shape != b.shape:
        raise ValueError("`correct_a` and `correct_b` must score the same images (one length). "
                         f"Received: {a.size} and {b.size} images")
    level = _check_level(level)
    per_image = 100.0 * (b.astype(np.float64) - a.astype(np.float64))  # wrong_A - wrong_B
    d = float(per_image.mean())
    half = float(stats.norm.ppf(0.5 + level / 2.0)) * math.sqrt(_paired_variance(per_image))
    return d + 0.0, d - half, d + half


# -- inputs --
def _check_level(level) -> float:
    return validation.number("level", level, low=0.0, high=1.0, low_open=True, high_open=True,
                         hint="0.95 gives a 95% interval.")


def _as_errors(values, name: str, caller: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        raise TypeError(f"{caller}: {name} must be a list of test errors in percent, one per "
                        f"seed. Received: {name}={values!r}")
    try:
        x = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: {name} must hold numbers (test errors in percent). "
                        f"Received: {name}={values!r}") from None
    if len(x) == 0:
        raise ValueError(f"{caller}: {name} is empty; give at least one error per model. "
                         f"Received: {name}={values!r}")
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > 100):
        raise ValueError(f"{caller}: {name} must be errors in percent, each in [0, 100] "
                         f"(13.2 for 13.2%, not 0.132). Received: {name}={list(x)}")
    return x


def decode_correct(value) -> np.ndarray:
    """Per-image correctness as a ``bool`` array, from a record's ``"test_correct"`` or booleans / 0-1.

    Example:
    >>> import base64, numpy as np
    >>> bits = np.array([True, False, True])
    >>> entry = {"n": 3, "packbits_b64": base64.b64encode(np.packbits(bits)).decode()}
    >>> decode_correct(entry).tolist()
    [True, False, True]
    """
    if isinstance(value, dict):
        missing = {"n", "packbits_b64"} - set(value)
        if missing:
            raise ValueError(f"decode_correct: a test_correct entry needs the keys 'n' and "
                             f"'packbits_b64'; missing {sorted(missing)}. "
                             f"Received keys: {sorted(value)}")
        n = int(value["n"])
        raw = np.frombuffer(base64.b64decode(value["packbits_b64"]), dtype=np.uint8)
        if n < 0 or 8 * len(raw) < n:
            raise ValueError(f"decode_correct: n={n} images, but packbits_b64 holds only "
                             f"{8 * len(raw)} bits. Received: n={n}")
        return np.unpackbits(raw)[:n].astype(bool)
    x = np.asarray(value)
    if x.ndim != 1:
        raise ValueError(f"decode_correct: expected one value per test image (a 1-D array). "
                         f"Received: an array of shape {x.shape}")
    if x.dtype != bool:
        if x.size and not np.all(np.isin(x, (0, 1))):
            raise ValueError("decode_correct: per-image correctness must be booleans or 0/1. "
                             f"Received values: {np.unique(x)[:5].tolist()}")
        x = x.astype(bool)
    return x


def _correctness(runs, errors: np.ndarray, name: str) -> np.ndarray:
    """Per-seed correctness as an (n_seeds, N) bool matrix, checked against the errors."""
    if isinstance(runs, dict):
        runs = [runs]
    elif isinstance(runs, np.ndarray):
        runs = [runs] if runs.ndim == 1 else list(runs)
    runs = [decode_correct(r) for r in runs]
    if len(runs) != len(errors):
        raise ValueError(f"compare_models: {name} needs one per-image array per seed, like the "
                         f"errors ({len(errors)}). Received: {len(runs)} arrays")
    sizes = {len(r) for r in runs}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"compare_models: every run of {name} must score the same, non-empty test "
                         f"set. Received sizes: {[len(r) for r in runs]}")
    matrix = np.stack(runs)
    implied = 100.0 * (1.0 - matrix.mean(axis=1))
    bad = np.flatnonzero(np.abs(implied - errors) > 0.01)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"compare_models: {name}[{i}] gives {implied[i]:.4f}% error but the error "
                         f"given for that seed is {errors[i]:.4f}%: are the runs in the same "
                         f"order, and is it the same evaluation mode?")
    return matrix


_CLAIM = re.compile(r"^\s*(.+?)\s*([<>])\s*(.+?)\s*$")


def _parse_claim(claim: str, name_a: str, name_b: str) -> bool:
    """True when the claim says B has the lower error, False when it says A does."""
    match = _CLAIM.match(claim) if isinstance(claim, str) else None
    aliases = {"A": "a", "B": "b", name_a: "a", name_b: "b"}
    if match and match.group(1) in aliases and match.group(3) in aliases:
        left, op, right = aliases[match.group(1)], match.group(2), aliases[match.group(3)]
        if left != right:
            lower = left if op == "<" else right
            return lower == "b"
    raise ValueError(
        f"compare_models: claim must say which model has the lower error, as 'B < A', 'A < B' (or "
        f"with the names, '{name_b} < {name_a}'; '>' also works). Received: claim={claim!r}")


# -- the verdict --
@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`compare_models` (immutable).

    Attributes:
        claim: with the names: ``"B < A"`` means B has the lower error.
        lower, higher: the model the claim says is better, and the other one.
        difference: mean error of ``lower`` minus that of ``higher``, in points (negative: the
            claimed direction); ``ci_low``, ``ci_high`` its interval (NaN with one seed).
        level, method: the confidence level and the method in a few words (end of ``str(v)``).
        se_seeds, se_test_set: the two parts of the standard error (``se`` combines them).
        df: Welch-Satterthwaite degrees of freedom.
        paired: True for the paired test-set part, False for the conservative binomial one.
        note: what the reader should know (the approximation used, too few seeds).
    """

    claim: str
    lower: str
    higher: str
    word: str
    difference: float
    ci_low: float
    ci_high: float
    level: float
    method: str
    n_lower: int
    n_higher: int
    mean_lower: float
    mean_higher: float
    se_seeds: float
    se_test_set: float
    df: float
    n_test: int | None
    paired: bool
    note: str = ""

    @property
    def se(self) -> float:
        """Standard error of :attr:`difference` (both parts)."""
        return math.hypot(self.se_seeds, self.se_test_set)

    @property
    def n_seeds(self) -> tuple[int, int]:
        """``(n_lower, n_higher)``."""
        return self.n_lower, self.n_higher

    def format(self, digits: int = 2, *, claim: bool = True) -> str:
        """One line: the claim (unless ``claim=False``), the word, the difference, interval and method."""
        pct = f"{round(100 * self.level):d}%"
        ci = ("no interval (one seed)" if math.isnan(self.ci_low) else
              f"{pct} CI [{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]")
        return ((f"{self.claim}: " if claim else "")
                + f"{self.word} \u2014 difference {self.difference:+.{digits}f} "
                f"points, {ci} ({self.method})")

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict:
        """The fields as a plain dict (plus ``se`` and ``text``, the one-line summary)."""
        return {**asdict(self), "se": self.se, "text": self.format()}


def compare_models(
    errors_a,
    errors_b,
    claim: str = "B < A",
    *,
    correct_a=None,
    correct_b=None,
    n_test: int | None = None,
    name_a: str = "A",
    name_b: str = "B",
    level: float = 0.95,
    split: str = "test",
) -> Verdict:
    """Judge a claimed ordering of two models from their per-seed test errors (:data:`METHOD`).

    Args:
        errors_a, errors_b: test error of each seed of model A and of model B, in percent.
        claim: ``"B < A"`` (the default), ``"A < B"``, or with the names (``"CNN-A3 < CNN-A1"``).
        correct_a, correct_b: optional per-seed per-image correctness (bool arrays or record
            entries); both or neither, each agreeing with its error to 0.01 points.
        n_test: test images; needed without the correctness (the binomial approximation).
        name_a, name_b: names printed in the result.
        level: confidence level of the interval.
        split: ``"test"`` or ``"train"``: only the wording of :attr:`Verdict.method` changes.

    Raises:
        ValueError: bad errors, claim or correctness, or neither correctness nor ``n_test``.

    Example:

    >>> v = compare_models([14.5, 13.9, 14.2], [11.3, 11.0, 11.6], "B < A", n_test=10_000,
    ...                    name_a="CNN-A1", name_b="CNN-A3")
    >>> v.word, round(v.difference, 2)
    ('supports', -2.9)
    >>> print(v)  # doctest: +ELLIPSIS
    CNN-A3 < CNN-A1: supports — difference -2.90 points, 95% CI [...] (Welch t over 3+3 seeds...)
    >>> compare_models([14.5, 13.9], [11.3, 11.0], n_test=10_000).word
    'inconclusive (too few seeds)'
    """
    a = _as_errors(errors_a, "errors_a", "compare_models")
    b = _as_errors(errors_b, "errors_b", "compare_models")
    level = _check_level(level)
    name_a, name_b = str(name_a), str(name_b)
    if split not in ("test", "train"):
        raise ValueError(f"compare_models: split must be 'test' or 'train'. "
                         f"Received: split={split!r}")
    b_lower = _parse_claim(claim, name_a, name_b)
    if (correct_a is None) != (correct_b is None):
        raise ValueError("compare_models: give the per-image correctness of both models or of "
                         "neither (a paired comparison needs both). Received: "
                         f"correct_a={'given' if correct_a is not None else None}, "
                         f"correct_b={'given' if correct_b is not None else None}")
    n_test = validation.positive_int("n_test", n_test, allow_none=True,
                                 hint="Give the whole number of test images.")

    lo, hi = (b, a) if b_lower else (a, b)
    lo_name, hi_name = (name_b, name_a) if b_lower else (name_a, name_b)
    n_lo, n_hi = len(lo), len(hi)
    difference = float(lo.mean() - hi.mean())
    # (1) seeds: Welch
    var_lo = float(lo.var(ddof=1)) / n_lo if n_lo > 1 else float("nan")
    var_hi = float(hi.var(ddof=1)) / n_hi if n_hi > 1 else float("nan")
    # (2) the test set
    var_test, n_test, paired, test_words, note = _test_set_part(
        a, b, lo, hi, b_lower, correct_a, correct_b, n_test, name_a, name_b, split)
    method = f"Welch t over {n_lo}+{n_hi} seeds + {test_words}, {n_test:,} images"
    if n_lo < 2 or n_hi < 2:
        se_seeds, df = float("nan"), float("nan")
        ci_low = ci_high = float("nan")
    else:
        total = var_lo + var_hi + var_test
        parts = var_lo ** 2 / (n_lo - 1) + var_hi ** 2 / (n_hi - 1) + (
            var_test ** 2 / (n_test - 1) if n_test > 1 else 0.0)
        df = total ** 2 / parts if parts > 0 else math.inf
        half = t_quantile(0.5 + level / 2.0, df) * math.sqrt(total)
        se_seeds = math.sqrt(var_lo + var_hi)
        ci_low, ci_high = difference - half, difference + half

    if n_lo < MIN_SEEDS or n_hi < MIN_SEEDS:
        word = "inconclusive (too few seeds)"
        few = (f"{min(n_lo, n_hi)} seed(s) on one side: at least {MIN_SEEDS} per model are "
               f"needed for a verdict")
        note = f"{few}; {note}" if note else few
    else:
        word = "supports" if ci_high < 0 else "contradicts" if ci_low > 0 else "inconclusive"
    return Verdict(
        claim=f"{lo_name} < {hi_name}", lower=lo_name, higher=hi_name, word=word,
        difference=difference, ci_low=ci_low, ci_high=ci_high, level=level, method=method,
        n_lower=n_lo, n_higher=n_hi, mean_lower=float(lo.mean()), mean_higher=float(hi.mean()),
        se_seeds=se_seeds, se_test_set=math.sqrt(var_test), df=df, n_test=n_test,
        paired=paired, note=note,
    )


def _paired_variance(per_image: np.ndarray) -> float:
    """Variance of the mean of per-image differences (the images as the unit, paired)."""
    n = per_image.size
    return float(per_image.var(ddof=1)) / n if n > 1 else 0.0


def _test_set_part(a, b, lo, hi, b_lower, correct_a, correct_b, n_test, name_a, name_b, split):
    """The test-set variance of the difference: ``(var, n_test, paired, words, note)``."""
    if correct_a is None:
        if n_test is None:
            raise ValueError("compare_models: without per-image correctness (correct_a, correct_b) "
                             "the test-set part needs the number of test images. "
                             "Received: n_test=None")
        p_lo, p_hi = lo.mean() / 100.0, hi.mean() / 100.0
        var_test = 1e4 * float(p_lo * (1 - p_lo) + p_hi * (1 - p_hi)) / n_test
        note = (f"no per-image results in the runs: the {split}-set part treats the two "
                "models' errors as independent binomial proportions, which overstates it (the "
                "paired value is smaller), so the interval is conservative (wide)")
        return (var_test, n_test, False,
                f"binomial {split}-set sampling, unpaired: conservative", note)
    ca = _correctness(correct_a, a, "correct_a")
    cb = _correctness(correct_b, b, "correct_b")
    if ca.shape[1] != cb.shape[1]:
        raise ValueError(f"compare_models: both models must score the same test images. "
                         f"Received: {ca.shape[1]} images for {name_a}, {cb.shape[1]} "
                         f"for {name_b}")
    if n_test is not None and n_test != ca.shape[1]:
        raise ValueError(f"compare_models: n_test={n_test} but the per-image correctness "
                         f"covers {ca.shape[1]} images. Received: n_test={n_test}")
    n_test = ca.shape[1]
    wrong_a, wrong_b = 1.0 - ca.mean(0), 1.0 - cb.mean(0)
    per_image = 100.0 * ((wrong_b - wrong_a) if b_lower else (wrong_a - wrong_b))  # points
    var_test = _paired_variance(per_image)
    return var_test, n_test, True, f"paired {split}-set sampling", ""


def simulate_equal_models(seeds: int = 2, *, draws: int = 2_000, error: float = 13.0,
                          seed_sd: float = 0.4, n_test: int = 10_000, rng=0) -> dict:
    """How often two equally good models are called different, by the old rule and the verdict.

    Both models have the same true ``error``; only the seeds vary (noise sd ``seed_sd``), so any
    verdict but "inconclusive", and any pair of non-overlapping seed ranges, is false.

    Returns:
        ``{"seeds", "draws", "old rule": fraction of non-overlapping seed ranges,
        "verdict": {word: fraction}}``.

    Example:
    >>> out = simulate_equal_models(2, draws=300, rng=1)
    >>> 0.2 < out["old rule"] < 0.5  # about one time in three
    True
    >>> out["verdict"]["inconclusive (too few seeds)"]
    1.0
    """
    seeds = validation.integer("seeds", seeds, minimum=2)
    draws = validation.integer("draws", draws, minimum=100)
    error = validation.number("error", error, low=0.0, high=100.0, low_open=True, high_open=True)
    seed_sd = validation.in_open_interval("seed_sd", seed_sd, 0.0)
    n_test = validation.positive_int("n_test", n_test)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    old = 0
    words = dict.fromkeys(VERDICT_WORDS, 0)
    for _ in range(draws):
        a, b = np.clip(error + generator.normal(0.0, seed_sd, (2, seeds)), 0.0, 100.0)
        old += bool(a.max() < b.min() or b.max() < a.min())
        words[compare_models(a, b, n_test=n_test).word] += 1
    return {"seeds": seeds, "draws": draws, "old rule": old / draws,
            "verdict": {w: c / draws for w, c in words.items()}}
