"""Empirical-Bayes shrinkage of group shares and rank intervals simulated from the posterior.

A centre with 12 answers and 12 of 12 satisfied is not the best centre of the network: its raw share
is mostly noise. Shrinking every centre's share towards the network by a prior fitted across the
centres (beta-binomial for a share, Dirichlet-multinomial for the three NPS categories) gives
estimates whose order can be trusted, and simulating from the posterior says how sure each place is.

Pure numpy/scipy: no Flask, no database. Invalid input raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special
from scipy import stats as sps

from app.analysis.stats._base import Interval, check_confidence, check_count

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "BetaPrior",
    "DirichletPrior",
    "NpsComponent",
    "RankSimulation",
    "RankedGroup",
    "ShareComponent",
    "ShrunkShare",
    "fit_beta_binomial",
    "fit_dirichlet_multinomial",
    "shrink_shares",
    "simulate_ranking",
]

#: Prior strength (α + β) at which a fit counts as full pooling: every group is estimated at the
#: network's share. The maximum-likelihood strength is infinite when the groups vary no more than
#: binomial noise; 10⁶ pseudo-answers stand for it (a centre has at most a few thousand answers).
POOLED_STRENGTH = 1e6
#: Smallest prior strength tried: below it the prior carries no information.
MIN_STRENGTH = 1e-2
#: A prior across fewer groups with data cannot be estimated; Jeffreys' prior (½ per category) is
#: used instead, which leaves each group's estimate (almost) as it is.
MIN_GROUPS = 3
JEFFREYS = 0.5
DEFAULT_DRAWS = 2000
DEFAULT_SEED = 14
_LOGIT_BOUND = 15.0


# --------------------------------------------------------------------------- inputs


def _counts(values: Sequence[Any], name: str) -> np.ndarray:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence of whole numbers")
    return np.array([check_count(v, name) for v in values], dtype=np.int64)


def _k_n(k: Sequence[int], n: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    k_arr, n_arr = _counts(k, "k"), _counts(n, "n")
    if k_arr.shape != n_arr.shape:
        raise ValueError("k and n must have the same length")
    if np.any(k_arr > n_arr):
        raise ValueError("k must not exceed n")
    return k_arr, n_arr


def _category_counts(counts: Sequence[Sequence[int]], name: str = "counts") -> np.ndarray:
    rows = [_counts(row, name) for row in counts]
    if not rows:
        return np.zeros((0, 3), dtype=np.int64)
    widths = {len(r) for r in rows}
    if len(widths) != 1 or widths.pop() < 2:
        raise ValueError(f"{name}: every group needs the same number (≥ 2) of categories")
    return np.vstack(rows)


# --------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class BetaPrior:
    """Beta(α, β) prior of a share across groups.

    ``method`` says how it was obtained: ``"mle"`` (maximum likelihood of the beta-binomial),
    ``"moments"`` (method of moments), ``"pooled"`` (no spread between groups beyond binomial noise:
    full pooling, α + β = :data:`POOLED_STRENGTH`) or ``"jeffreys"`` (fewer than
    :data:`MIN_GROUPS` groups with data: Beta(½, ½), no pooling).
    """

    alpha: float
    beta: float
    method: str
    groups: int

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """α + β: how many answers' worth of weight the network carries in each group's estimate."""
        return self.alpha + self.beta

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": float(self.alpha),
            "beta": float(self.beta),
            "mean": float(self.mean),
            "strength": float(self.strength),
            "method": self.method,
            "groups": self.groups,
        }


@dataclass(frozen=True)
class DirichletPrior:
    """Dirichlet(α₁, …, α_K) prior of category shares across groups (methods as :class:`BetaPrior`)."""

    alpha: tuple[float, ...]
    method: str
    groups: int

    @property
    def strength(self) -> float:
        return float(sum(self.alpha))

    @property
    def mean(self) -> tuple[float, ...]:
        total = self.strength
        return tuple(a / total for a in self.alpha)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": [float(a) for a in self.alpha],
            "mean": [float(m) for m in self.mean],
            "strength": self.strength,
            "method": self.method,
            "groups": self.groups,
        }


def _moment_rho(k: np.ndarray, n: np.ndarray) -> float:
    """Intra-class correlation ρ = 1 / (α + β + 1) by the method of moments (ANOVA estimator).

    With p̂ᵢ = kᵢ/nᵢ, μ̂ = Σk/N, S = Σ nᵢ (p̂ᵢ − μ̂)²:
    E[S] = μ(1 − μ) [(G − 1) + ρ (N − Σnᵢ²/N − (G − 1))] (Kleinman 1973), solved for ρ.
    NaN when undefined; ≤ 0 when the groups vary no more than binomial noise.
    """
    total = float(n.sum())
    mu = float(k.sum()) / total
    if mu <= 0.0 or mu >= 1.0:
        return math.nan
    groups = len(n)
    spread = float(np.sum(n * (k / n - mu) ** 2)) / (mu * (1.0 - mu))
    denominator = total - float(np.sum(n.astype(float) ** 2)) / total - (groups - 1)
    if denominator <= 0:
        return math.nan
    return (spread - (groups - 1)) / denominator


def _strength_from_rho(rho: float) -> float:
    if not math.isfinite(rho):
        return 10.0
    if rho <= 1.0 / (POOLED_STRENGTH + 1.0):
        return POOLED_STRENGTH
    return float(np.clip(1.0 / rho - 1.0, MIN_STRENGTH, POOLED_STRENGTH))


def _minimise(objective: Any, start: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray | None:
    """Bounded SLSQP (a few times faster than L-BFGS-B here, same optimum) from the moment start; the
    full-pooling corner (same mean, largest strength) is kept when it is at least as likely (the
    likelihood can be flat towards it). None on failure."""
    result = optimize.minimize(
        objective, start, jac=True, method="SLSQP", bounds=bounds, options={"ftol": 1e-12, "maxiter": 500}
    )
    corner = start.copy()
    corner[-1] = bounds[-1][1]
    corner_value = objective(corner)[0]
    candidates = [(corner_value, corner)]
    if np.all(np.isfinite(result.x)) and math.isfinite(result.fun):
        candidates.append((float(result.fun), result.x))
    candidates = [c for c in candidates if math.isfinite(c[0])]
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


def fit_beta_binomial(k: Sequence[int], n: Sequence[int], method: str = "mle") -> BetaPrior:
    """Fit a Beta(α, β) prior to group shares ``k[i] / n[i]`` by maximum likelihood (or moments).

    Parameters
    ----------
    k, n : sequences of whole numbers
        Successes and trials per group; groups with ``n = 0`` carry no information and are ignored.
    method : ``"mle"`` or ``"moments"``

    Returns
    -------
    BetaPrior
        See its ``method`` for the fallbacks: full pooling when there is no spread between groups (or
        every group has 0 % or every group 100 %), Jeffreys' Beta(½, ½) with fewer than 3 groups.

    Notes
    -----
    The marginal likelihood of the groups is beta-binomial,

    .. math:: \\log L(\\alpha, \\beta) = \\sum_i \\log \\binom{n_i}{k_i}
              + \\log B(k_i + \\alpha, n_i - k_i + \\beta) - \\log B(\\alpha, \\beta),

    maximised (``scipy.stats.betabinom.logpmf``, bounded SLSQP with the analytic gradient) over the mean
    μ = α/(α+β) on the logit scale and the strength α + β on the log scale, bounded to
    [10⁻², 10⁶]. The method-of-moments estimate (Kleinman 1973) is the start; when the bounded
    maximum is at 10⁶ the fit is reported as ``"pooled"``.

    References
    ----------
    .. [1] Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its
       generalizations. JASA 70, 311–319.
    .. [2] Kleinman, J. C. (1973). Proportions with extraneous variance: single and independent
       samples. JASA 68, 46–54.
    .. [3] Robinson, D. (2017). Introduction to Empirical Bayes: Examples from Baseball Statistics.
    .. [4] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., section 5.1 (rat tumours).
    """
    if method not in ("mle", "moments"):
        raise ValueError("method must be 'mle' or 'moments'")
    k_arr, n_arr = _k_n(k, n)
    keep = n_arr > 0
    k_arr, n_arr = k_arr[keep], n_arr[keep]
    groups = int(keep.sum())
    if groups < MIN_GROUPS:
        return BetaPrior(JEFFREYS, JEFFREYS, "jeffreys", groups)
    successes, total = int(k_arr.sum()), int(n_arr.sum())
    if successes in (0, total):
        # Nothing distinguishes the groups: pool at the (Jeffreys-smoothed) network share.
        mu = (successes + JEFFREYS) / (total + 2 * JEFFREYS)
        return BetaPrior(mu * POOLED_STRENGTH, (1 - mu) * POOLED_STRENGTH, "pooled", groups)
    mu0 = successes / total
    s0 = _strength_from_rho(_moment_rho(k_arr, n_arr))
    if method == "moments":
        return BetaPrior(mu0 * s0, (1 - mu0) * s0, "pooled" if s0 >= POOLED_STRENGTH else "moments", groups)

    kf, nf = k_arr.astype(float), n_arr.astype(float)

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, strength = special.expit(theta[0]), math.exp(theta[1])
        a, b = mu * strength, (1.0 - mu) * strength
        value = -float(np.sum(sps.betabinom.logpmf(k_arr, n_arr, a, b)))
        common = float(np.sum(special.digamma(strength) - special.digamma(nf + strength)))
        d_a = float(np.sum(special.digamma(kf + a) - special.digamma(a))) + common
        d_b = float(np.sum(special.digamma(nf - kf + b) - special.digamma(b))) + common
        grad = np.array([(d_a - d_b) * strength * mu * (1.0 - mu), d_a * a + d_b * b])
        return value, -grad

    theta0 = np.array([special.logit(mu0), math.log(s0)])
    bounds = [(-_LOGIT_BOUND, _LOGIT_BOUND), (math.log(MIN_STRENGTH), math.log(POOLED_STRENGTH))]
    theta = _minimise(negative_log_likelihood, theta0, bounds)
    if theta is None:
        return BetaPrior(mu0 * s0, (1 - mu0) * s0, "moments", groups)
    mu, strength = float(special.expit(theta[0])), float(math.exp(theta[1]))
    pooled = strength >= POOLED_STRENGTH * (1 - 1e-6)
    return BetaPrior(mu * strength, (1 - mu) * strength, "pooled" if pooled else "mle", groups)


def fit_dirichlet_multinomial(counts: Sequence[Sequence[int]]) -> DirichletPrior:
    """Fit a Dirichlet prior to per-group category counts by maximum likelihood.

    Parameters
    ----------
    counts : rows of K whole numbers
        E.g. (promoters, passives, detractors) per centre; empty rows are ignored.

    Notes
    -----
    The Dirichlet-multinomial generalises the beta-binomial of :func:`fit_beta_binomial` to K
    categories; the same parametrisation (mean shares by K − 1 logits against the largest category,
    strength Σα on the log scale, bounded to [10⁻², 10⁶]), the same start (the mean of the
    categories' method-of-moments strengths, at the pooled shares) and the same fallbacks
    (``"pooled"``, ``"jeffreys"``). Objective ``scipy.stats.dirichlet_multinomial.logpmf``.

    References
    ----------
    .. [1] Minka, T. (2000). Estimating a Dirichlet distribution (the Pólya distribution).
    """
    x = _category_counts(counts)
    n = x.sum(axis=1)
    x = x[n > 0]
    n = n[n > 0]
    groups, categories = x.shape
    if groups < MIN_GROUPS:
        return DirichletPrior(tuple([JEFFREYS] * categories), "jeffreys", groups)
    totals = x.sum(axis=0)
    pooled_mean = (totals + JEFFREYS) / (totals.sum() + JEFFREYS * categories)
    if np.count_nonzero(totals) < 2:
        return DirichletPrior(tuple(float(m) * POOLED_STRENGTH for m in pooled_mean), "pooled", groups)
    rhos = [_moment_rho(x[:, j], n) for j in range(categories) if 0 < totals[j] < totals.sum()]
    finite = [r for r in rhos if math.isfinite(r)]
    s0 = _strength_from_rho(float(np.mean(finite)) if finite else math.nan)
    reference = int(np.argmax(totals))
    free = [j for j in range(categories) if j != reference]
    share0 = np.clip(totals / totals.sum(), 1e-6, None)
    eta0 = np.log(share0[free] / share0[reference])
    xf, nf = x.astype(float), n.astype(float)

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, float]:
        eta = np.zeros(categories)
        eta[free] = theta[:-1]
        mean = special.softmax(eta)
        return mean, math.exp(theta[-1])

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mean, strength = unpack(theta)
        alpha = mean * strength
        value = -float(np.sum(sps.dirichlet_multinomial.logpmf(x, alpha, n)))
        d_alpha = np.sum(special.digamma(xf + alpha) - special.digamma(alpha), axis=0) + float(
            np.sum(special.digamma(strength) - special.digamma(nf + strength))
        )
        # α_j = s·m_j, m = softmax(η): ∂α_j/∂η_l = s·m_j(δ_jl − m_l); ∂α_j/∂log s = α_j.
        jac_eta = strength * (np.diag(mean) - np.outer(mean, mean))[:, free]
        grad = np.concatenate([d_alpha @ jac_eta, [float(d_alpha @ alpha)]])
        return value, -grad

    bounds = [(-_LOGIT_BOUND, _LOGIT_BOUND)] * len(free) + [(math.log(MIN_STRENGTH), math.log(POOLED_STRENGTH))]
    theta = _minimise(
        negative_log_likelihood, np.concatenate([np.clip(eta0, -_LOGIT_BOUND, _LOGIT_BOUND), [math.log(s0)]]), bounds
    )
    if theta is None:
        return DirichletPrior(tuple(float(m) * s0 for m in share0 / share0.sum()), "moments", groups)
    mean, strength = unpack(theta)
    pooled = strength >= POOLED_STRENGTH * (1 - 1e-6)
    return DirichletPrior(tuple(float(a) for a in mean * strength), "pooled" if pooled else "mle", groups)


# --------------------------------------------------------------------------- posterior of a share


@dataclass(frozen=True)
class ShrunkShare:
    """A group's share: raw ``k / n`` and the posterior mean with its equal-tailed interval.

    ``weight`` = n / (n + α + β) is how much of the estimate is the group's own data (the rest is the
    network's prior mean).
    """

    k: int
    n: int
    share: float | None
    mean: float
    ci: Interval
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "n": self.n,
            "share": self.share,
            "mean": float(self.mean),
            "ci": self.ci.to_list(),
            "weight": float(self.weight),
        }


def shrink_shares(
    k: Sequence[int], n: Sequence[int], prior: BetaPrior | None = None, confidence: float = 0.95
) -> list[ShrunkShare]:
    """Empirical-Bayes estimates of group shares.

    Notes
    -----
    With the prior Beta(α, β) fitted across the groups (:func:`fit_beta_binomial` unless given), the
    posterior of group i is Beta(kᵢ + α, nᵢ − kᵢ + β):

    .. math:: \\hat p_i = \\frac{k_i + \\alpha}{n_i + \\alpha + \\beta}
              = w_i \\frac{k_i}{n_i} + (1 - w_i)\\,\\frac{\\alpha}{\\alpha + \\beta},
              \\quad w_i = \\frac{n_i}{n_i + \\alpha + \\beta},

    and the interval is its (1 − c)/2 and (1 + c)/2 quantiles. A group without data gets the prior.

    References
    ----------
    .. [1] Efron & Morris (1975); Robinson (2017), see :func:`fit_beta_binomial`.
    """
    level = check_confidence(confidence)
    k_arr, n_arr = _k_n(k, n)
    prior = prior or fit_beta_binomial(k_arr.tolist(), n_arr.tolist())
    a = k_arr + prior.alpha
    b = n_arr - k_arr + prior.beta
    means = a / (a + b)
    lows = sps.beta.ppf((1.0 - level) / 2.0, a, b)
    highs = sps.beta.ppf((1.0 + level) / 2.0, a, b)
    weights = n_arr / (n_arr + prior.strength)
    return [
        ShrunkShare(
            int(ki), int(ni), (int(ki) / int(ni)) if ni else None, float(m), Interval(float(lo), float(hi)), float(w)
        )
        for ki, ni, m, lo, hi, w in zip(k_arr, n_arr, means, lows, highs, weights, strict=True)
    ]


# --------------------------------------------------------------------------- ranking by simulation


@dataclass(frozen=True)
class ShareComponent:
    """A share component of the composite index: ``k[i]`` of ``n[i]`` per group (``n = 0``: missing).

    Scaled to 0–100 as 100·p, or 100·(1 − p) when lower is better (complaint share).
    """

    k: Sequence[int]
    n: Sequence[int]
    higher_is_better: bool = True


@dataclass(frozen=True)
class NpsComponent:
    """NPS as (promoters, passives, detractors) per group (all zero: missing); scaled (NPS + 100) / 2."""

    counts: Sequence[Sequence[int]]


@dataclass(frozen=True)
class RankedGroup:
    """One group's place: ``index`` is the posterior mean of the composite index (what it is ranked
    by), ``index_ci`` its equal-tailed interval from the draws, ``rank_range`` the 5–95 % quantiles
    of the simulated ranks widened to include ``rank``, ``p_bottom`` the share of draws that put it
    in the bottom fifth. All None for a group that is not ranked."""

    index: float | None
    index_ci: Interval | None
    rank: int | None
    rank_range: tuple[int, int] | None
    p_bottom: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "index_ci": self.index_ci.to_list() if self.index_ci else None,
            "rank": self.rank,
            "rank_range": list(self.rank_range) if self.rank_range else None,
            "p_bottom": self.p_bottom,
        }


@dataclass(frozen=True)
class RankSimulation:
    """Per-group results (input order), the priors used, and each component's posterior mean on 0–100
    per group (None where the group has no data for it)."""

    groups: tuple[RankedGroup, ...]
    priors: dict[str, BetaPrior | DirichletPrior]
    draws: int
    seed: int
    ranked: int
    bottom_places: int
    component_means: dict[str, tuple[float | None, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": [g.to_dict() for g in self.groups],
            "priors": {k: v.to_dict() for k, v in self.priors.items()},
            "draws": self.draws,
            "seed": self.seed,
            "ranked": self.ranked,
            "bottom_places": self.bottom_places,
            "component_means": {k: list(v) for k, v in self.component_means.items()},
        }


def bottom_places(groups: int) -> int:
    """How many places make the bottom fifth: ⌊G/5⌋, at least one."""
    return max(1, groups // 5)


def _prepared_components(components: Mapping[str, ShareComponent | NpsComponent]) -> dict[str, tuple[str, Any]]:
    """Each component as ("share", (k, n, higher_is_better)) or ("nps", counts), its arrays checked."""
    prepared: dict[str, tuple[str, Any]] = {}
    for name, component in components.items():
        if isinstance(component, ShareComponent):
            k_arr, n_arr = _k_n(component.k, component.n)
            prepared[name] = ("share", (k_arr, n_arr, bool(component.higher_is_better)))
        elif isinstance(component, NpsComponent):
            x = _category_counts(component.counts, name)
            if x.shape[1] != 3:
                raise ValueError("NPS counts are (promoters, passives, detractors)")
            prepared[name] = ("nps", x)
        else:
            raise ValueError(f"component {name!r} must be a ShareComponent or an NpsComponent")
    return prepared


def _checked_weights(prepared: Mapping[str, Any], weights: Mapping[str, float]) -> dict[str, float]:
    w = {}
    for name in prepared:
        value = float(weights[name])
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight of {name!r} must be a non-negative number")
        w[name] = value
    return w


def _posterior_component_means(
    prepared: Mapping[str, tuple[str, Any]],
    given: Mapping[str, BetaPrior | DirichletPrior],
) -> tuple[dict[str, BetaPrior | DirichletPrior], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The prior of every component (given or fitted across all groups), the posterior mean of the 0–100
    component per group (NaN where missing) and where it is present."""
    fitted: dict[str, BetaPrior | DirichletPrior] = {}
    means: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for name, (kind, data) in prepared.items():
        prior: BetaPrior | DirichletPrior
        if kind == "share":
            k_arr, n_arr, better = data
            prior = given.get(name) or fit_beta_binomial(k_arr.tolist(), n_arr.tolist())
            if not isinstance(prior, BetaPrior):
                raise ValueError(f"prior of {name!r} must be a BetaPrior")
            mean = (k_arr + prior.alpha) / (n_arr + prior.strength)
            means[name] = 100.0 * (mean if better else 1.0 - mean)
            present[name] = n_arr > 0
        else:
            prior = given.get(name) or fit_dirichlet_multinomial(data.tolist())
            if not isinstance(prior, DirichletPrior) or len(prior.alpha) != 3:
                raise ValueError(f"prior of {name!r} must be a DirichletPrior of three categories")
            alpha = np.asarray(prior.alpha)
            post = data + alpha
            share = post / post.sum(axis=1, keepdims=True)
            means[name] = 50.0 * (1.0 + share[:, 0] - share[:, 2])
            present[name] = data.sum(axis=1) > 0
        fitted[name] = prior
    return fitted, means, present


def _summed_index_draws(
    prepared: Mapping[str, tuple[str, Any]],
    fitted: Mapping[str, BetaPrior | DirichletPrior],
    present: Mapping[str, np.ndarray],
    w: Mapping[str, float],
    ranked_ids: np.ndarray,
    draws: int,
    seed: int,
) -> np.ndarray:
    """Weighted sum of the components' joint posterior draws per ranked group (not yet divided by the
    total weight). Components are drawn in name order so a seed gives the same draws every time."""
    rng = np.random.default_rng(seed)
    index_draws = np.zeros((len(ranked_ids), draws))
    for name in sorted(prepared):
        kind, data = prepared[name]
        on = present[name][ranked_ids]
        if w[name] == 0 or not on.any():
            continue
        ids = ranked_ids[on]
        prior = fitted[name]
        if kind == "share":
            assert isinstance(prior, BetaPrior)
            k_arr, n_arr, better = data
            a = (k_arr[ids] + prior.alpha)[:, None]
            b = (n_arr[ids] - k_arr[ids] + prior.beta)[:, None]
            p = rng.beta(a, b, size=(len(ids), draws))
            scaled = 100.0 * (p if better else 1.0 - p)
        else:
            post = (data[ids] + np.asarray(prior.alpha))[:, :, None]
            gammas = rng.gamma(post, size=(len(ids), post.shape[1], draws))
            share = gammas / gammas.sum(axis=1, keepdims=True)
            scaled = 50.0 * (1.0 + share[:, 0, :] - share[:, 2, :])
        index_draws[on] += w[name] * scaled
    return index_draws


def simulate_ranking(
    components: Mapping[str, ShareComponent | NpsComponent],
    weights: Mapping[str, float],
    *,
    eligible: Sequence[bool] | None = None,
    confidence: float = 0.95,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    rank_level: float = 0.90,
    bottom: int | None = None,
    priors: Mapping[str, BetaPrior | DirichletPrior] | None = None,
) -> RankSimulation:
    """Rank groups by the posterior mean of a composite index and simulate how sure each place is.

    Parameters
    ----------
    components : mapping name -> :class:`ShareComponent` or :class:`NpsComponent`
        Every component has one entry per group, in the same group order. A prior is fitted for each
        across all groups (:func:`fit_beta_binomial`, :func:`fit_dirichlet_multinomial`).
    weights : mapping name -> weight
        As :func:`app.analysis.stats.composite.composite_index`: a group's index is the weighted mean
        of its present components (weights of missing ones re-spread over the rest).
    eligible : booleans per group, optional
        Groups that may be ranked (e.g. centres with answers); the others still inform the priors.
    confidence : float
        Level of ``index_ci``.
    draws, seed : int
        Number of joint posterior draws (≥ 2000) and the random seed (results are reproducible).
    rank_level : float
        Central probability of ``rank_range`` (0.90: the 5 % and 95 % quantiles).
    bottom : int, optional
        Places counted as the bottom; default :func:`bottom_places` of the ranked groups.
    priors : mapping name -> prior, optional
        Known priors instead of fitted ones (for checks against a known truth).

    Notes
    -----
    Each draw takes every share from its posterior Beta(kᵢ + α, nᵢ − kᵢ + β) and the NPS categories
    from their posterior Dirichlet(xᵢ + α), independently across components and groups given the
    fitted priors, and computes every group's index; ranks in a draw are 1 for the highest index.
    ``rank`` orders the exact posterior means of the index (linear in the shares); ``rank_range`` is
    [q₅, q₉₅] of the draws' ranks (the inverse-CDF quantiles of integers, so at least 90 % of the
    draws fall inside), widened to include ``rank``. Hyperparameters are plugged in (empirical Bayes),
    so intervals ignore their uncertainty; the coverage is checked by simulation in the tests.

    References
    ----------
    .. [1] Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their limitations:
       statistical issues in comparisons of institutional performance. JRSS A 159, 385–443.
    .. [2] Efron & Morris (1975); Robinson (2017), see :func:`fit_beta_binomial`.
    """
    level = check_confidence(confidence)
    band = check_confidence(rank_level)
    draws = check_count(draws, "draws")
    if draws < DEFAULT_DRAWS:
        raise ValueError(f"draws must be at least {DEFAULT_DRAWS}")
    if not isinstance(components, Mapping) or not isinstance(weights, Mapping):
        raise ValueError("components and weights must be mappings")
    unknown = set(components) - set(weights)
    if unknown:
        raise ValueError(f"components without a weight: {sorted(unknown)}")
    prepared = _prepared_components(components)
    sizes = {len(data[1]) if kind == "share" else len(data) for kind, data in prepared.values()}
    if len(sizes) > 1:
        raise ValueError("every component needs one entry per group")
    size = sizes.pop() if sizes else (len(eligible) if eligible is not None else 0)
    allowed = np.ones(size, dtype=bool) if eligible is None else np.asarray([bool(e) for e in eligible], dtype=bool)
    if allowed.shape != (size,):
        raise ValueError("eligible needs one entry per group")
    w = _checked_weights(prepared, weights)
    fitted, means, present = _posterior_component_means(prepared, dict(priors or {}))

    component_means = {
        name: tuple(float(m) if on else None for m, on in zip(means[name], present[name], strict=True))
        for name in prepared
    }
    total_weight = np.zeros(size)
    for name in prepared:
        total_weight += w[name] * present[name]
    ranked_mask = allowed & (total_weight > 0)
    ranked_ids = np.flatnonzero(ranked_mask)
    groups_ranked = len(ranked_ids)
    empty = RankedGroup(None, None, None, None, None)
    if groups_ranked == 0:
        return RankSimulation(tuple([empty] * size), fitted, draws, seed, 0, 0, component_means)

    # Exact posterior mean of the index (linear in the components).
    index_mean = np.zeros(groups_ranked)
    for name in prepared:
        on = present[name][ranked_ids]
        index_mean += np.where(on, w[name] * np.nan_to_num(means[name][ranked_ids]), 0.0)
    index_mean /= total_weight[ranked_ids]

    index_draws = _summed_index_draws(prepared, fitted, present, w, ranked_ids, draws, seed)
    index_draws /= total_weight[ranked_ids][:, None]

    order = np.argsort(-index_draws, axis=0, kind="stable")
    rank_draws = np.empty_like(order)
    np.put_along_axis(rank_draws, order, np.arange(1, groups_ranked + 1)[:, None], axis=0)
    rank_order = np.argsort(-index_mean, kind="stable")
    ranks = np.empty(groups_ranked, dtype=np.int64)
    ranks[rank_order] = np.arange(1, groups_ranked + 1)
    tail = (1.0 - band) / 2.0
    rank_lo = np.quantile(rank_draws, tail, axis=1, method="inverted_cdf")
    rank_hi = np.quantile(rank_draws, 1.0 - tail, axis=1, method="inverted_cdf")
    ci_lo = np.quantile(index_draws, (1.0 - level) / 2.0, axis=1)
    ci_hi = np.quantile(index_draws, (1.0 + level) / 2.0, axis=1)
    bottom = bottom or bottom_places(groups_ranked)
    p_bottom = (rank_draws > groups_ranked - bottom).mean(axis=1)

    results: list[RankedGroup] = [empty] * size
    for j, gid in enumerate(ranked_ids):
        rank = int(ranks[j])
        results[gid] = RankedGroup(
            index=float(index_mean[j]),
            index_ci=Interval(float(ci_lo[j]), float(ci_hi[j])),
            rank=rank,
            rank_range=(min(int(rank_lo[j]), rank), max(int(rank_hi[j]), rank)),
            p_bottom=float(p_bottom[j]) if groups_ranked > 1 else None,
        )
    return RankSimulation(tuple(results), fitted, draws, seed, groups_ranked, bottom, component_means)
