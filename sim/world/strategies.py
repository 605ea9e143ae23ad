"""Strategy decision rules: how the dials of a :class:`StrategyConfig` turn evidence into decisions.

Each rule is a pure function of what a firm knows (its estimates, its own
accounts, competitors' public prices and offerings) and returns a decision.
The three presets in ``conf/strategy/`` differ only in which rules their
dials select; nothing here names a preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats

from sim.config.schema import CostConfig, StrategyConfig
from sim.world.metrics import customer_lifetime_value, net_promoter_score
from sim.world.population import Population


@dataclass
class Evidence:
    """What one review's listening produced.

    Attributes:
        readings: (m, k) what each respondent revealed (stated wants or needs, with noise).
        cost: money spent on surveys and research.
    """

    readings: np.ndarray
    cost: float

    @property
    def ideal(self) -> np.ndarray | None:
        """(k,) estimated ideal offering for the audience, or ``None`` if nobody was heard."""
        return self.readings.mean(axis=0) if len(self.readings) else None


#: The ``information`` settings under which a firm buys stated-wants surveys, and needs interviews.
SURVEYED, RESEARCHED = ("wants", "all"), ("needs", "all")


def audience(strategy: StrategyConfig, population: Population, own: np.ndarray, target: int) -> np.ndarray:
    """Indices of the customers a firm listens to: its ``own`` customers, its target segment, or everyone present.

    Customers who have left the market, or not yet arrived, cannot be asked.
    """
    if strategy.audience == "customers":
        return own
    if strategy.audience == "target":
        return np.flatnonzero((population.segment == target) & ~population.gone)
    return population.present()


@dataclass
class Tracking:
    """What one review's tracking survey of the firm's own customers said.

    Attributes:
        nps: NPS of the respondents, points; ``nan`` when nobody was asked.
        satisfaction: their mean stated satisfaction (0..1); ``nan`` when nobody was asked.
        respondents: how many answered.
        cost: money spent.
    """

    nps: float
    satisfaction: float
    respondents: int
    cost: float


def sample_respondents(pool: np.ndarray, wanted: int, weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``wanted`` respondents drawn at random from the real customers that ``pool`` stands for.

    Each simulated customer ``i`` in ``pool`` stands for ``weight[i]`` real
    ones, so a draw from the real population is a draw with replacement from
    ``pool`` in proportion to weight (uniform while every customer stands for
    as many); never more respondents than the real pool holds.
    """
    real = weight[pool]
    size = min(wanted, int(real.sum()))
    if not size:
        return pool[:0]
    uniform = real.size == 0 or real.min() == real.max()
    return rng.choice(pool, size=size, replace=True, p=None if uniform else real / real.sum())


def programme_cost(strategy: StrategyConfig, costs: CostConfig) -> float:
    """What a review's listening programme costs when every planned respondent is bought."""
    surveys = strategy.survey_respondents * costs.survey_cost if strategy.information in SURVEYED else 0.0
    interviews = strategy.research_respondents * costs.research_cost if strategy.information in RESEARCHED else 0.0
    return surveys + interviews + strategy.tracking_respondents * costs.tracking_cost


def programme_scale(strategy: StrategyConfig, costs: CostConfig, revenue: float, cash: float) -> float:
    """The share (0..1) of its planned respondents a firm can pay for at this review.

    A listening programme is sized to the business it serves: at most
    ``research_budget`` of the revenue booked since the last review, and
    never more than the cash on hand, so a programme planned for a larger
    market, or for a firm not yet earning, shrinks instead of sinking it.
    Fewer respondents then buy less precision.
    """
    planned = programme_cost(strategy, costs)
    if planned <= 0.0:
        return 1.0
    budget = min(strategy.research_budget * max(revenue, 0.0), max(cash, 0.0))
    return min(1.0, budget / planned)


def listen(
    strategy: StrategyConfig,
    pool: np.ndarray,
    population: Population,
    costs: CostConfig,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> Evidence:
    """Survey stated wants and/or research needs of a random sample of ``pool``.

    Surveys read stated wants (lagged, biased) with ``survey_noise`` per
    response; research reads latent needs with ``research_noise`` per
    interview. The firm buys a number of respondents (``scale`` of those
    its strategy plans, :func:`programme_scale`), so precision rises with
    spend and not with the resolution; every respondent weighs the same in
    the estimate.
    """
    readings: list[np.ndarray] = []
    cost = 0.0
    if strategy.information in SURVEYED:
        sample = sample_respondents(pool, int(strategy.survey_respondents * scale), population.weight, rng)
        wants = population.wants(sample)
        readings.append(wants + costs.survey_noise * rng.standard_normal(wants.shape))
        cost += costs.survey_cost * sample.size
    if strategy.information in RESEARCHED:
        sample = sample_respondents(pool, int(strategy.research_respondents * scale), population.weight, rng)
        needs = population.needs[sample]
        readings.append(needs + costs.research_noise * rng.standard_normal(needs.shape))
        cost += costs.research_cost * sample.size
    k = population.needs.shape[1]
    return Evidence(readings=np.vstack(readings) if readings else np.empty((0, k)), cost=cost)


def track(
    respondents: int, customers: np.ndarray, population: Population, costs: CostConfig, rng: np.random.Generator,
) -> Tracking:
    """Ask a random sample of the firm's own ``customers`` for their 0-10 score and satisfaction.

    This is all a firm knows of its NPS: a sample, with the sampling noise
    of its size, whatever the resolution of the run.
    """
    sample = sample_respondents(customers, respondents, population.weight, rng)
    scores = population.score[sample]
    nps = net_promoter_score(scores) if sample.size else float("nan")
    satisfaction = float(population.satisfaction[sample].mean()) if sample.size else float("nan")
    return Tracking(nps=nps, satisfaction=satisfaction, respondents=int(sample.size),
                    cost=costs.tracking_cost * sample.size)


def segment_values(
    margin: np.ndarray, retention: np.ndarray, segment_sizes: np.ndarray, discount: float
) -> np.ndarray:
    """Potential customer equity per segment: estimated CLV times segment size.

    Segments the firm has no data on (``nan`` margin or retention) are worth
    ``-inf`` so they are never chosen blind.
    """
    clv = customer_lifetime_value(np.nan_to_num(margin), np.nan_to_num(retention), discount)
    known = np.isfinite(margin) & np.isfinite(retention)
    return np.where(known, clv * segment_sizes, -np.inf)


def projected_ideal(
    estimate: np.ndarray, drift: np.ndarray | None, lead: int
) -> np.ndarray:
    """Where the audience's ideal will be ``lead`` steps ahead, on the estimated drift."""
    if drift is None or lead == 0:
        return estimate
    return estimate + lead * drift


def beyond_noise(
    readings: np.ndarray, offering: np.ndarray, goal: np.ndarray, smoothing: float, confidence: float = 0.95
) -> bool:
    """Whether the firm's estimate can tell ``goal`` apart from the current ``offering``.

    One review's mean of ``readings`` (m, k) has a standard error of
    ``sqrt(sum of per-attribute variances / m)``; the firm's estimate is an
    exponentially weighted mean of its reviews with weight ``smoothing``
    (the Holt level), whose variance is ``smoothing / (2 - smoothing)`` of
    one review's. A move shorter than that estimate's margin of error at
    ``confidence`` (two-sided; Student's t with ``m - 1`` degrees of freedom,
    since a few readings measure their own noise poorly) could be sampling
    noise, and a firm does not pay to redesign on noise. One reading carries no measure of its
    noise and never justifies a move. So a small research budget buys rare
    moves, not wild ones.
    """
    count = len(readings)
    if count < 2:
        return False
    error = np.sqrt(readings.var(axis=0, ddof=1).sum() / count * smoothing / (2.0 - smoothing))
    quantile = scipy.stats.t.ppf(0.5 + confidence / 2, count - 1)
    return bool(np.linalg.norm(goal - offering) > quantile * error)


def reposition_pays(
    *,
    old: np.ndarray,
    new: np.ndarray,
    expected_needs: np.ndarray,
    fit_weight: float,
    price_sensitivity: float,
    spend: float,
    customers: float,
    horizon: int,
    cost: float,
) -> bool:
    """Whether moving the offering from ``old`` to ``new`` pays back within ``horizon`` steps.

    The gain is the average fit improvement over the individual needs the
    firm expects during the horizon, ``expected_needs`` (m, k), turned into
    money through the audience's price sensitivity (willingness to pay per
    unit of spend), times their spend, the customers who benefit and the
    horizon. Because customers are spread around their mean, small moves
    near the middle of them gain little and are declined.
    """
    gain_utility = mean_fit(expected_needs, new, fit_weight) - mean_fit(expected_needs, old, fit_weight)
    gain = gain_utility / max(price_sensitivity, 1e-9) * spend * customers * horizon
    return bool(gain > cost)


def service_level(
    strategy: StrategyConfig,
    current: float,
    service_sensitivity: float,
    price_sensitivity: float,
    service_cost: float,
) -> float:
    """Service level by policy.

    ``fixed`` keeps the current level; ``max`` serves at level 1 whatever it
    costs; ``value`` picks the level where the audience's willingness to pay
    for service (``service_sensitivity / price_sensitivity`` per unit) equals
    its marginal cost (``2 * service_cost * level``).
    """
    if strategy.service_policy == "fixed":
        return current
    if strategy.service_policy == "max":
        return 1.0
    willingness = service_sensitivity / max(price_sensitivity, 1e-9)
    return float(np.clip(willingness / (2.0 * max(service_cost, 1e-9)), 0.0, 1.0))


def mean_fit(readings: np.ndarray, offering: np.ndarray, fit_weight: float) -> float:
    """Average fit utility of ``offering`` over individual readings: there is no average customer."""
    return float(-fit_weight * np.linalg.norm(readings - offering, axis=1).mean())


def value_price(
    *,
    own_utility: float,
    alternative_utility: float,
    alternative_price: float,
    price_sensitivity: float,
    floor: float,
) -> float:
    """Price to value: split the utility advantage over the customer's best alternative equally, in money.

    The alternative is the rival or the outside option (buying nothing, at
    the reference price 1.0) that is worth most to the customer net of its
    price. The firm charges its price plus half the firm's non-price
    advantage converted at the audience's price sensitivity, and never
    prices below ``floor`` (its unit cost). Because buying nothing is always
    among the alternatives, a rival's rise never licenses a price above what
    the outside option leaves room for.
    """
    premium = 0.5 * (own_utility - alternative_utility) / max(price_sensitivity, 1e-9)
    return float(max(alternative_price + premium, floor))


def losing_ground(share: float, last_share: float, nps: float, last_nps: float, threshold: float) -> bool:
    """Whether share fell by more than ``threshold`` (relative) or NPS by more than ``100 * threshold`` points.

    With no earlier reading (``nan``) nothing has been lost yet.
    """
    share_fell = share < last_share * (1.0 - threshold)
    nps_fell = nps < last_nps - 100.0 * threshold
    return bool(share_fell or nps_fell)


def promotional_price(list_price: float, depth: float, losing: bool) -> float:
    """List price, or a promotion of ``depth`` while the firm is losing share or NPS."""
    return list_price * (1.0 - depth) if losing else list_price


#: Reviews of (prices, share) a profit-seeking firm fits its demand to: about three years of monthly reviews.
DEMAND_MEMORY = 36
#: The fewest reviews it fits a demand curve to.
MIN_OBSERVATIONS = 8
#: Spread of its deliberate price tests, as a share of its price: the variation it learns its demand from.
PRICE_TEST = 0.03


def demand_semi_elasticity(own: int, prices: np.ndarray, log_shares: np.ndarray) -> float | None:
    """A firm's estimate of d ln(own share) / d(own price), rivals' prices held fixed, from its own history.

    ``prices`` (n, f) are every firm's public prices at the firm's last ``n``
    reviews and ``log_shares`` (n,) the log of its share of the market then
    (its own books). Ordinary least squares of the log share on its own and
    its rivals' prices (those that varied), so a rival moving at the same time
    is not mistaken for the response to its own price. ``None`` while the data
    cannot tell a falling demand apart from noise (fewer than
    ``MIN_OBSERVATIONS`` reviews, or a slope not two standard errors below
    zero): the firm then acts on no estimate.
    """
    if len(log_shares) < MIN_OBSERVATIONS:
        return None
    varying = prices.std(axis=0) > 0
    if not varying[own]:
        return None
    columns = [own, *(j for j in np.flatnonzero(varying) if j != own)]
    design = np.column_stack([prices[:, columns], np.ones(len(log_shares))])
    coefficients, _, rank, _ = np.linalg.lstsq(design, log_shares, rcond=None)
    degrees = len(log_shares) - design.shape[1]
    if rank < design.shape[1] or degrees < 1:
        return None
    residual = log_shares - design @ coefficients
    covariance = residual @ residual / degrees * np.linalg.inv(design.T @ design)
    slope, error = float(coefficients[0]), float(np.sqrt(covariance[0, 0]))
    return slope if slope + 2.0 * error < 0.0 else None


def profit_price(unit_cost: float, semi_elasticity: float) -> float:
    """The best response to logit demand: a markup over unit cost of ``1 / |d ln s / d p|``.

    For one firm's multinomial-logit demand ``d ln s / d p = -alpha (1 - s)``,
    so this is the Bertrand-Nash first-order condition
    ``p - c = 1 / (alpha (1 - s))`` (:func:`sim.world.metrics.logit_nash_prices`)
    with the firm's own estimate in place of the truth.
    """
    return unit_cost - 1.0 / semi_elasticity


def never_raise_price(current: float, lowest_rival: float, floor: float, losing: bool) -> float:
    """Match the cheapest rival when losing, never go up, never sell below ``floor``."""
    if not losing:
        return current
    return float(max(min(current, lowest_rival), min(current, floor)))
