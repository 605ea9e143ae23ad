"""The customer population as typed arrays, and each customer submodel as a vectorised phase.

Every customer is an individual agent with its own state, but the state is
held column-wise (one numpy array per attribute) and every transition is a
mask, then indices, then a bulk assignment. Shapes below use ``n`` customers,
``k`` attributes, ``f`` firms and ``s`` segments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.config import SimConfig
from sim.metrics import DETRACTOR_MAX, PROMOTER_MIN
from sim.network import Contacts

NO_FIRM = -1


@dataclass
class Offers:
    """What the firms put in front of customers this step (a read-only snapshot).

    Attributes:
        offering: (f, k) position of each firm's offering in attribute space.
        price: (f,) price per unit of customer spend.
        service: (f,) service level in [0, 1].
        alive: (f,) whether the firm still trades.
        innovation: (f, s) Bass p per year each firm's marketing buys in each segment.
        winback_discount: (f,) share of a month's bill offered to a leaving customer.
    """

    offering: np.ndarray
    price: np.ndarray
    service: np.ndarray
    alive: np.ndarray
    innovation: np.ndarray
    winback_discount: np.ndarray


@dataclass
class Population:
    """All customers, one array per attribute.

    Attributes:
        segment: (n,) int segment code.
        needs: (n, k) latent needs; they drift.
        perceived: (n, k) what customers believe they need: needs seen with a lag.
        want_offset: (n, k) segment bias plus personal noise of stated wants.
        drift: (s, k) per-step movement of each segment's needs.
        want_lag: (s,) share of the perceived-to-needs gap closed per step.
        spend: (n,) units bought per step from whichever firm they use.
        price_sensitivity, service_sensitivity, wom_activity, inertia: (n,).
        value_for_money: (n,) share of the price effect on choice credited in ratings.
        expectation: (n,) adaptive expected value (Oliver).
        satisfaction: (n,) in (0, 1); last experienced satisfaction.
        score: (n,) int 0-10 promoter score, -1 for non-customers.
        weight: (n,) real customers each simulated one stands for (``market.scale``
            at the start; a ``segment_change`` event resizes a segment through it).
        aware: (n, f) bool awareness of each firm.
        attitude: (n, f) in [-1, 1].
        firm: (n,) current firm code or ``NO_FIRM``.
        spell_start: (n,) step at which the current spell with ``firm`` began.
    """

    segment: np.ndarray
    needs: np.ndarray
    perceived: np.ndarray
    want_offset: np.ndarray
    drift: np.ndarray
    want_lag: np.ndarray
    spend: np.ndarray
    price_sensitivity: np.ndarray
    service_sensitivity: np.ndarray
    wom_activity: np.ndarray
    inertia: np.ndarray
    value_for_money: np.ndarray
    expectation: np.ndarray
    satisfaction: np.ndarray
    score: np.ndarray
    aware: np.ndarray
    attitude: np.ndarray
    firm: np.ndarray
    spell_start: np.ndarray
    weight: np.ndarray

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.segment)

    def wants(self, idx: np.ndarray) -> np.ndarray:
        """Stated wants (m, k) of customers ``idx``: lagged needs plus bias and noise."""
        return self.perceived[idx] + self.want_offset[idx]


def _segment_codes(shares: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exact segment sizes (largest remainder), randomly placed."""
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def create_population(
    config: SimConfig, firms: int, rng: np.random.Generator, absent: Sequence[int] = ()
) -> Population:
    """Draw a population from the segment definitions.

    A share ``market.initial_penetration`` of customers starts with a firm
    drawn uniformly among the firms present (so firms start identical), or
    with the firms' ``initial_share`` odds where a config gives them;
    everyone knows their own firm and each other present firm with
    probability ``market.initial_awareness``. Firms ``absent`` at the start
    (they enter later) have no customers and nobody knows them.
    """
    segments = list(config.segments.values())
    market = config.market
    n = market.customers
    k = len(market.attributes)
    segment = _segment_codes(np.array([s.share for s in segments]), n, rng)

    def per_segment(name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in segments], dtype=float)

    needs_mean = np.array([s.needs for s in segments], dtype=float)
    needs = needs_mean[segment] + per_segment("needs_spread")[segment, None] * rng.standard_normal((n, k))
    want_offset = (
        np.array([s.want_bias for s in segments], dtype=float)[segment]
        + per_segment("want_noise")[segment, None] * rng.standard_normal((n, k))
    )
    spread = per_segment("spend_spread")[segment]
    spend = per_segment("spend")[segment] * np.exp(spread * rng.standard_normal(n) - spread**2 / 2)

    present = np.setdiff1d(np.arange(firms), np.asarray(absent, dtype=np.int64))
    firm = np.full(n, NO_FIRM, dtype=np.int64)
    starts = rng.random(n) < market.initial_penetration
    shares = config.start_shares()
    if shares is None:
        firm[starts] = present[rng.integers(present.size, size=int(starts.sum()))]
    else:
        firm[starts] = rng.choice(firms, size=int(starts.sum()), p=np.asarray(shares) / sum(shares))
    aware = rng.random((n, firms)) < market.initial_awareness
    aware[:, list(absent)] = False
    aware[np.flatnonzero(starts), firm[starts]] = True

    return Population(
        segment=segment,
        needs=needs,
        perceived=needs.copy(),
        want_offset=want_offset,
        drift=market.drift * np.array([s.drift for s in segments], dtype=float) / market.steps_per_year,
        want_lag=per_segment("want_lag"),
        spend=spend,
        price_sensitivity=per_segment("price_sensitivity")[segment],
        service_sensitivity=per_segment("service_sensitivity")[segment],
        wom_activity=per_segment("wom_activity")[segment],
        inertia=per_segment("inertia")[segment],
        value_for_money=per_segment("value_for_money")[segment],
        expectation=np.zeros(n),
        satisfaction=np.full(n, 0.5),
        score=np.full(n, -1, dtype=np.int64),
        aware=aware,
        attitude=np.zeros((n, firms)),
        firm=firm,
        spell_start=np.zeros(n, dtype=np.int64),
        weight=np.full(n, market.scale),
    )


def _price_weight(population: Population, idx: np.ndarray, rated: bool) -> np.ndarray:
    """Weight of price: full price sensitivity when choosing, its value-for-money share when rating."""
    weight = population.price_sensitivity[idx]
    return weight * population.value_for_money[idx] if rated else weight


def value(
    population: Population, offers: Offers, config: SimConfig, idx: np.ndarray, rated: bool = False
) -> np.ndarray:
    """Value (m, f) of every firm's offer to customers ``idx``: fit, price, service.

    ``rated=False`` is the value a customer chooses by; ``rated=True`` the
    experience a customer rates, where price counts only as value for money.
    """
    gap = population.needs[idx, None, :] - offers.offering[None, :, :]
    return (
        -config.market.behaviour.fit_weight * np.sqrt(np.einsum("ifk,ifk->if", gap, gap))
        - _price_weight(population, idx, rated)[:, None] * (offers.price[None, :] - 1.0)
        + population.service_sensitivity[idx, None] * offers.service[None, :]
    )


def rated_value(population: Population, offers: Offers, config: SimConfig, idx: np.ndarray) -> np.ndarray:
    """The experience (m,) customers ``idx`` rate their own firm by (``idx`` must all have a firm).

    Fit and service count as in choice; price only through the segment's
    ``value_for_money`` share, so a cheap, bare offer can be chosen and still
    be rated poorly (stated versus revealed preference).
    """
    firm = population.firm[idx]
    gap = population.needs[idx] - offers.offering[firm]
    return (
        -config.market.behaviour.fit_weight * np.sqrt(np.einsum("ik,ik->i", gap, gap))
        - _price_weight(population, idx, rated=True) * (offers.price[firm] - 1.0)
        + population.service_sensitivity[idx] * offers.service[firm]
    )


def tally(population: Population, firms: int, segments: int, *weights: np.ndarray) -> np.ndarray:
    """Real customers by current firm and segment, (f, s); or, given (n,) ``weights``, their sums, (w, f, s).

    Each simulated customer counts for its ``weight`` real ones.
    """
    held = np.flatnonzero(population.firm != NO_FIRM)
    codes = population.firm[held] * segments + population.segment[held]
    size = firms * segments
    real = population.weight[held]
    if not weights:
        return np.bincount(codes, weights=real, minlength=size).reshape(firms, segments)
    return np.stack([np.bincount(codes, weights=w[held] * real, minlength=size) for w in weights]).reshape(
        len(weights), firms, segments)


def experience_tallies(population: Population, firms: int, segments: int) -> np.ndarray:
    """(4, f, s): customers, promoters (9-10), detractors (0-6) and summed satisfaction by firm and segment."""
    score = population.score
    return tally(population, firms, segments, np.ones(population.size), (score >= PROMOTER_MIN).astype(float),
                 (score <= DETRACTOR_MAX).astype(float), population.satisfaction)


def drift_needs(population: Population, config: SimConfig, rng: np.random.Generator) -> None:
    """Needs move with their segment's drift plus personal noise; perceptions lag behind."""
    step_noise = config.market.needs_noise / np.sqrt(config.market.steps_per_year)
    population.needs += population.drift[population.segment]
    population.needs += step_noise * rng.standard_normal(population.needs.shape)
    lag = population.want_lag[population.segment, None]
    population.perceived += lag * (population.needs - population.perceived)


def _talk(population: Population, firms: int, negative_reach: float) -> np.ndarray:
    """Per-customer talk about each firm, (n, 2f): volume in the first f columns, valence in the last f.

    Customers talk about their own firm; detractors reach ``negative_reach``
    times as many people as others, and their valence is negative. One
    array, so one sparse product averages both over contacts.
    """
    talk = np.zeros((population.size, 2 * firms))
    talkers = np.flatnonzero(population.firm != NO_FIRM)
    score = population.score[talkers]
    detractor = score <= DETRACTOR_MAX
    reach = population.wom_activity[talkers] * np.where(detractor, negative_reach, 1.0)
    sign = np.where(score >= PROMOTER_MIN, 1.0, np.where(detractor, -1.0, 0.0))
    firm = population.firm[talkers]
    talk[talkers, firm] = reach
    talk[talkers, firms + firm] = reach * sign
    return talk


def spread_word_of_mouth(
    population: Population,
    offers: Offers,
    contacts: Contacts,
    config: SimConfig,
    rng: np.random.Generator,
) -> None:
    """Bass channels make customers aware; promoters and detractors shift attitudes.

    An unaware customer becomes aware of firm j with hazard ``p_j + q * buzz``
    per year, where buzz is the talk volume about j averaged over its contacts
    (the agent-based Bass model). Attitudes decay and move with the valence of
    what contacts say.
    """
    wom = config.market.wom
    firms = len(offers.price)
    dt = 1.0 / config.market.steps_per_year
    heard = contacts.mean(_talk(population, firms, wom.negative_reach))
    buzz, tone = heard[:, :firms], heard[:, firms:]
    hazard = offers.innovation.T[population.segment] + wom.imitation * buzz
    adopt = rng.random(hazard.shape) < -np.expm1(-hazard * dt)
    population.aware |= adopt & offers.alive[None, :]
    population.attitude *= 1.0 - wom.attitude_decay
    population.attitude += wom.attitude_influence * tone
    np.clip(population.attitude, -1.0, 1.0, out=population.attitude)


@dataclass
class Moves:
    """Customer moves of one step, as flat arrays over the customers who moved.

    Attributes:
        left: customers who ended a spell (churn), with ``left_firm`` their old firm.
        joined: customers who started a spell, with ``joined_firm``.
        winback_cost: (f,) money each firm gave away to keep leaving customers (real units).
        won_back: (f,) real customers each firm kept with a win-back offer.
    """

    left: np.ndarray
    left_firm: np.ndarray
    joined: np.ndarray
    joined_firm: np.ndarray
    winback_cost: np.ndarray
    won_back: np.ndarray


def choose_firms(
    population: Population, offers: Offers, config: SimConfig, rng: np.random.Generator
) -> Moves:
    """Non-customers shop and would-be switchers reconsider, by multinomial logit.

    Would-be switchers are customers who review this step: a base
    ``review_rate`` plus ``dissatisfaction_churn * (1 - satisfaction)^2``.
    Choosers pick the best of the firms they know and the outside option
    after a Gumbel taste shock; the incumbent gets the customer's inertia. A
    leaving customer whose firm runs win-backs is offered a discount and
    stays if that makes the incumbent the best choice.
    """
    behaviour = config.market.behaviour
    firms = len(offers.price)
    has_firm = population.firm != NO_FIRM
    knows_one = (population.aware & offers.alive[None, :]).any(axis=1)
    review = behaviour.review_rate + behaviour.dissatisfaction_churn * (1 - population.satisfaction) ** 2
    reviewing = has_firm & (rng.random(population.size) < review)
    choosers = np.flatnonzero((~has_firm & knows_one) | reviewing)

    incumbent = population.firm[choosers]
    held = incumbent != NO_FIRM
    utility = np.full((len(choosers), firms + 1), behaviour.outside_utility)
    utility[:, :firms] = (
        value(population, offers, config, choosers)
        + behaviour.attitude_weight * population.attitude[choosers]
    )
    utility[np.flatnonzero(held), incumbent[held]] += population.inertia[choosers[held]]
    usable = population.aware[choosers] & offers.alive[None, :]
    utility[:, :firms][~usable] = -np.inf
    utility += rng.gumbel(size=utility.shape)
    pick = np.argmax(utility, axis=1)
    choice = np.where(pick == firms, NO_FIRM, pick)

    winback_cost = np.zeros(firms)
    won_back = np.zeros(firms)
    leaving = np.flatnonzero(held & (choice != incumbent))
    offered = leaving[offers.winback_discount[incumbent[leaving]] > 0]
    if offered.size:
        customers, old = choosers[offered], incumbent[offered]
        discount = offers.winback_discount[old] * offers.price[old]
        sweetened = utility[offered, old] + population.price_sensitivity[customers] * discount
        stays = sweetened >= utility[offered, pick[offered]]
        choice[offered[stays]] = old[stays]
        kept_firm = old[stays]
        real = population.weight[customers[stays]]
        winback_cost += np.bincount(
            kept_firm, weights=discount[stays] * population.spend[customers[stays]] * real, minlength=firms
        )
        won_back += np.bincount(kept_firm, weights=real, minlength=firms)

    switched = choice != incumbent
    left = choosers[switched & held]
    joined = choosers[switched & (choice != NO_FIRM)]
    return Moves(
        left=left,
        left_firm=population.firm[left],
        joined=joined,
        joined_firm=choice[switched & (choice != NO_FIRM)],
        winback_cost=winback_cost,
        won_back=won_back,
    )


def apply_moves(population: Population, moves: Moves, step: int) -> None:
    """Close the spells of leavers and open those of joiners."""
    population.firm[moves.left] = NO_FIRM
    population.score[moves.left] = -1
    population.firm[moves.joined] = moves.joined_firm
    population.spell_start[moves.joined] = step


def experience(
    population: Population, offers: Offers, config: SimConfig, rng: np.random.Generator
) -> None:
    """Customers experience their firm's offer and update satisfaction (Oliver).

    Satisfaction rises with the rated experience itself and with experience
    above expectation; expectations then adapt toward experience. The 0-10
    promoter score is satisfaction on a 0-10 scale with response noise.
    Experience also moves the customer's own attitude toward the firm.
    """
    behaviour = config.market.behaviour
    customers = np.flatnonzero(population.firm != NO_FIRM)
    firm = population.firm[customers]
    experienced = rated_value(population, offers, config, customers)
    expected = population.expectation[customers]
    satisfaction = 1.0 / (1.0 + np.exp(
        -behaviour.level_weight * (experienced - behaviour.reference_value)
        - behaviour.disconfirmation_weight * (experienced - expected)
    ))
    population.satisfaction[customers] = satisfaction
    population.expectation[customers] = expected + behaviour.expectation_adaptation * (experienced - expected)
    noisy = 10.0 * satisfaction + behaviour.score_noise * rng.standard_normal(len(customers))
    population.score[customers] = np.clip(np.rint(noisy), 0, 10).astype(np.int64)
    influence = config.market.wom.attitude_influence
    own = population.attitude[customers, firm]
    population.attitude[customers, firm] = own + influence * (2.0 * satisfaction - 1.0 - own)
