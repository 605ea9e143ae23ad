"""The customer population as typed arrays, and each customer submodel as a vectorised phase.

Every customer is an individual agent with its own state, but the state is
held column-wise (one numpy array per attribute) and every transition is a
mask, then indices, then a bulk assignment. Shapes below use ``n`` customers,
``k`` attributes, ``f`` firms and ``s`` segments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from sim.config.schema import SimConfig
from sim.world.metrics import DETRACTOR_MAX, PROMOTER_MIN
from sim.world.network import Contacts
from sim.world.prefetch import PREFETCH_DISTANCE, prefetch
from sim.world.purchases import Habits, count_purchases, draw_habits, drop_out, purchase_worth

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
        spend: (n,) units bought per step from whichever firm they use (on average, for
            customers who buy by the Poisson process: see ``habits``).
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
        habits: how each customer buys and its dropout hazard (:class:`sim.world.purchases.Habits`, (n,) arrays).
        gone: (n,) bool, customers who dropped out of the market for good (they never choose again).
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
    habits: Habits
    gone: np.ndarray

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
    config: SimConfig,
    firms: int,
    rng: np.random.Generator,
    absent: Sequence[int] = (),
    purchases: np.random.Generator | None = None,
) -> Population:
    """Draw a population from the segment definitions.

    A share ``market.initial_penetration`` of customers starts with a firm
    drawn uniformly among the firms present (so firms start identical), or
    with the firms' ``initial_share`` odds where a config gives them;
    everyone knows their own firm and each other present firm with
    probability ``market.initial_awareness``. Firms ``absent`` at the start
    (they enter later) have no customers and nobody knows them.

    Purchase habits are drawn from their own stream ``purchases`` (default:
    ``rng``, after everything else), which a market where everyone buys
    steadily and nobody drops out never touches.
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
        habits=draw_habits([s.purchases for s in segments], segment, spend, market.steps_per_year,
                           rng if purchases is None else purchases),
        gone=np.zeros(n, dtype=bool),
    )


def _price_weight(population: Population, rated: bool) -> np.ndarray:
    """Weight of price (n,): full price sensitivity when choosing, its value-for-money share when rating."""
    weight = population.price_sensitivity
    return weight * population.value_for_money if rated else weight


@numba.njit(cache=True, nogil=True)
def _worth(i, j, needs, offering, price, service, price_weight, service_sensitivity, fit_weight):  # pragma: no cover
    """What firm ``j``'s offer is worth to customer ``i``: fit, price, service (the one formula of :func:`value`)."""
    squared = 0.0
    for a in range(needs.shape[1]):
        gap = needs[i, a] - offering[j, a]
        squared += gap * gap
    return -fit_weight * np.sqrt(squared) - price_weight[i] * (price[j] - 1.0) + service_sensitivity[i] * service[j]


@numba.njit(cache=True, nogil=True)
def _worth_to(customers, offers_of, needs, offering, price, service, price_weight, service_sensitivity,
              fit_weight):  # pragma: no cover - compiled
    """(m, c): :func:`_worth` of firm ``offers_of[row, c]`` to customer ``customers[row]``."""
    worth = np.empty(offers_of.shape)
    for row in range(customers.size):
        for column in range(offers_of.shape[1]):
            worth[row, column] = _worth(customers[row], offers_of[row, column], needs, offering, price, service,
                                        price_weight, service_sensitivity, fit_weight)
    return worth


def value(
    population: Population, offers: Offers, config: SimConfig, idx: np.ndarray, rated: bool = False
) -> np.ndarray:
    """Value (m, f) of every firm's offer to customers ``idx``: fit, price, service.

    ``rated=False`` is the value a customer chooses by; ``rated=True`` the
    experience a customer rates, where price counts only as value for money.
    """
    every_firm = np.broadcast_to(np.arange(len(offers.price)), (len(idx), len(offers.price)))
    return _worth_to(idx, every_firm, population.needs, offers.offering, offers.price, offers.service,
                     _price_weight(population, rated), population.service_sensitivity,
                     config.market.behaviour.fit_weight)


def rated_value(population: Population, offers: Offers, config: SimConfig, idx: np.ndarray) -> np.ndarray:
    """The experience (m,) customers ``idx`` rate their own firm by (``idx`` must all have a firm).

    Fit and service count as in choice; price only through the segment's
    ``value_for_money`` share, so a cheap, bare offer can be chosen and still
    be rated poorly (stated versus revealed preference).
    """
    return _worth_to(idx, population.firm[idx][:, None], population.needs, offers.offering, offers.price,
                     offers.service, _price_weight(population, rated=True), population.service_sensitivity,
                     config.market.behaviour.fit_weight)[:, 0]


@numba.njit(cache=True, nogil=True)
def _sums_by_cell(firm, segment, weight, score, satisfaction, spend, firms, segments,
                  rows):  # pragma: no cover - compiled
    """Sums by (firm, segment) cell over customers with a firm, in real units, in one pass.

    Row 0 counts customers; with ``rows`` 5, rows 1-4 sum promoters,
    detractors, satisfaction and spend. Adds customer by customer in index order, as ``np.bincount`` does, so the
    sums are the same to the last bit.
    """
    sums = np.zeros((rows, firms * segments))
    for i in range(firm.size):
        if firm[i] < 0:
            continue
        cell = firm[i] * segments + segment[i]
        real = weight[i]
        sums[0, cell] += 1.0 * real
        if rows > 1:
            sums[1, cell] += (1.0 if score[i] >= PROMOTER_MIN else 0.0) * real
            sums[2, cell] += (1.0 if score[i] <= DETRACTOR_MAX else 0.0) * real
            sums[3, cell] += satisfaction[i] * real
            sums[4, cell] += spend[i] * real
    return sums.reshape(rows, firms, segments)


def tally(population: Population, firms: int, segments: int) -> np.ndarray:
    """Real customers by current firm and segment, (f, s): each simulated customer counts for its ``weight``."""
    return _sums_by_cell(population.firm, population.segment, population.weight, population.score,
                         population.satisfaction, population.spend, firms, segments, 1)[0]


def experience_tallies(
    population: Population, firms: int, segments: int, bought: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Customers, promoters (9-10), detractors (0-6) and summed satisfaction by firm and segment, (4, f, s).

    Also the month's spend, (f, s): what each customer ``bought`` (n,) this
    step (:func:`buy`; default its ``spend``); all in real units.
    """
    spend = population.spend if bought is None else bought
    sums = _sums_by_cell(population.firm, population.segment, population.weight, population.score,
                         population.satisfaction, spend, firms, segments, 5)
    return sums[:4], sums[4]


@numba.njit(cache=True, nogil=True)
def _drift(needs, perceived, segment, drift, noise, step_noise, want_lag):  # pragma: no cover - compiled
    """Needs take their segment's step and their noise; perceptions close ``want_lag`` of the gap (in place)."""
    for i in range(needs.shape[0]):
        lag = want_lag[segment[i]]
        for a in range(needs.shape[1]):
            moved = needs[i, a] + drift[segment[i], a]
            moved = moved + step_noise * noise[i, a]
            needs[i, a] = moved
            perceived[i, a] += lag * (moved - perceived[i, a])


def drift_needs(population: Population, config: SimConfig, rng: np.random.Generator) -> None:
    """Needs move with their segment's drift plus personal noise; perceptions lag behind."""
    step_noise = config.market.needs_noise / np.sqrt(config.market.steps_per_year)
    noise = rng.standard_normal(population.needs.shape)
    _drift(population.needs, population.perceived, population.segment, population.drift, noise, step_noise,
           population.want_lag)


TALK = np.dtype([("about", np.int64), ("volume", np.float64), ("valence", np.float64)])
"""What one customer says: about which firm, how loudly, how warmly. One record, so hearing a contact
far away in the array costs one cache miss rather than one per field."""


@numba.njit(cache=True, nogil=True)
def _say(firm, score, wom_activity, negative_reach, said):  # pragma: no cover - compiled
    """Fill ``said`` with what each customer says, in one pass (see :func:`_talk`)."""
    for i in range(firm.size):
        talk = said[i]
        if firm[i] == NO_FIRM:
            talk.about, talk.volume, talk.valence = 0, 0.0, 0.0
            continue
        detractor = score[i] <= DETRACTOR_MAX
        talk.about = firm[i]
        talk.volume = wom_activity[i] * (negative_reach if detractor else 1.0)
        talk.valence = talk.volume * (1.0 if score[i] >= PROMOTER_MIN else (-1.0 if detractor else 0.0))


def _talk(population: Population, negative_reach: float) -> np.ndarray:
    """What each customer says, (n,) :data:`TALK` records.

    Customers talk about their own firm; detractors reach ``negative_reach``
    times as many people as others, and their valence is negative.
    Non-customers say nothing: volume and valence 0 (credited to firm 0,
    where adding zero changes nothing), so hearing needs no branch.
    """
    said = np.empty(population.size, dtype=TALK)
    _say(population.firm, population.score, population.wom_activity, negative_reach, said)
    return said


@numba.njit(cache=True, nogil=True)
def _hear_and_adopt(indptr, indices, weights, said, innovation, segment, imitation, dt, uniform, alive, decay,
                    influence, aware, attitude):  # pragma: no cover - compiled
    """One pass over the contact matrix: what each customer hears about each firm, then awareness and attitude.

    Fuses the contact average of talk volume and valence with the Bass
    adoption draw and the attitude update, so no (n, 2f) talk or heard array
    is built; the arithmetic is the same, in the same order, as the
    array version for a fully mixed market. Records of contacts further down
    the list are prefetched (:mod:`sim.world.prefetch`), since far contacts are
    random reads.
    """
    firms = aware.shape[1]
    buzz = np.empty(firms)
    tone = np.empty(firms)
    last = indices.size - 1
    for i in range(aware.shape[0]):
        buzz[:] = 0.0
        tone[:] = 0.0
        for entry in range(indptr[i], indptr[i + 1]):
            prefetch(said, indices[min(entry + PREFETCH_DISTANCE, last)])
            talk = said[indices[entry]]
            buzz[talk.about] += weights[entry] * talk.volume
            tone[talk.about] += weights[entry] * talk.valence
        for c in range(firms):
            if not aware[i, c] and alive[c]:
                hazard = innovation[segment[i], c] + imitation * buzz[c]
                aware[i, c] = uniform[i, c] < -math.expm1(-(hazard * dt))
            mood = attitude[i, c] * (1.0 - decay) + influence * tone[c]
            attitude[i, c] = min(1.0, max(-1.0, mood))


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
    said = _talk(population, wom.negative_reach)
    uniform = rng.random((population.size, firms))
    if contacts.adjacency is not None:
        matrix = contacts.adjacency
        _hear_and_adopt(matrix.indptr, matrix.indices, matrix.data, said, offers.innovation.T, population.segment,
                        wom.imitation, dt, uniform, offers.alive, wom.attitude_decay, wom.attitude_influence,
                        population.aware, population.attitude)
        return
    talk = np.zeros((population.size, 2 * firms))
    everyone = np.arange(population.size)
    talk[everyone, said["about"]] = said["volume"]
    talk[everyone, firms + said["about"]] = said["valence"]
    heard = contacts.mean(talk)
    buzz, tone = heard[:, :firms], heard[:, firms:]
    hazard = offers.innovation.T[population.segment] + wom.imitation * buzz
    adopt = uniform < -np.expm1(-hazard * dt)
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


@numba.njit(cache=True, nogil=True)
def _utilities(choosers, incumbent, needs, offering, price, service, price_sensitivity, service_sensitivity,
               inertia, attitude, aware, alive, fit_weight, attitude_weight, outside_utility,
               taste):  # pragma: no cover - compiled
    """Utility (m, f+1) of each known firm and the outside option after the taste shock, and the best pick (m,).

    A firm a customer does not know, or that no longer trades, has utility
    minus infinity; the incumbent gets the customer's inertia. The value term
    is :func:`_worth` with the full price weight, as in :func:`value`.
    """
    firms = offering.shape[0]
    utility = np.empty((choosers.size, firms + 1))
    pick = np.empty(choosers.size, dtype=np.int64)
    for row in range(choosers.size):
        i = choosers[row]
        for j in range(firms):
            if not (aware[i, j] and alive[j]):
                utility[row, j] = -np.inf
                continue
            worth = (_worth(i, j, needs, offering, price, service, price_sensitivity, service_sensitivity, fit_weight)
                     + attitude_weight * attitude[i, j])
            if j == incumbent[row]:
                worth += inertia[i]
            utility[row, j] = worth + taste[row, j]
        utility[row, firms] = outside_utility + taste[row, firms]
        best = 0
        for j in range(1, firms + 1):
            if utility[row, j] > utility[row, best]:
                best = j
        pick[row] = best
    return utility, pick


@numba.njit(cache=True, nogil=True)
def _choosers(firm, gone, satisfaction, uniform, aware, alive, review_rate,
              dissatisfaction_churn):  # pragma: no cover - compiled
    """Who chooses this step, in index order: customers who review, and customers without a firm who know one.

    Customers who dropped out of the market (``gone``) never choose.
    """
    chosen = np.empty(firm.size, dtype=np.int64)
    count = 0
    for i in range(firm.size):
        if gone[i]:
            continue
        if firm[i] != NO_FIRM:
            choosing = uniform[i] < review_rate + dissatisfaction_churn * (1 - satisfaction[i]) ** 2
        else:
            choosing = False
            for j in range(alive.size):
                choosing |= aware[i, j] and alive[j]
        if choosing:
            chosen[count] = i
            count += 1
    return chosen[:count].copy()


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
    choosers = _choosers(population.firm, population.gone, population.satisfaction, rng.random(population.size),
                         population.aware, offers.alive, behaviour.review_rate, behaviour.dissatisfaction_churn)

    incumbent = population.firm[choosers]
    held = incumbent != NO_FIRM
    taste = rng.gumbel(size=(len(choosers), firms + 1))
    utility, pick = _utilities(choosers, incumbent, population.needs, offers.offering, offers.price, offers.service,
                               population.price_sensitivity, population.service_sensitivity, population.inertia,
                               population.attitude, population.aware, offers.alive, behaviour.fit_weight,
                               behaviour.attitude_weight, behaviour.outside_utility, taste)
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


def leave_market(population: Population, config: SimConfig, rng: np.random.Generator) -> np.ndarray:
    """Customers still in the market drop out of it for good at their personal hazard; returns those who had a firm.

    Every customer with a dropout hazard is at risk, whether or not it has
    a firm this step, so each leaves after an exponential time whatever
    firms do (the Pareto/NBD's lifetime). Those leaving are marked ``gone``;
    the caller ends the spells of the returned ones (in index order) and
    lets them go (:func:`let_go`). A market where nobody drops out draws nothing.
    """
    habits = population.habits
    if not habits.dropout.any():
        return np.empty(0, dtype=np.int64)
    at_risk = np.flatnonzero(~population.gone & (habits.dropout > 0))
    leaving = at_risk[drop_out(habits, at_risk, 1.0 / config.market.steps_per_year, rng)]
    population.gone[leaving] = True
    return leaving[population.firm[leaving] != NO_FIRM]


def let_go(population: Population, idx: np.ndarray) -> None:
    """Customers ``idx`` no longer have a firm and give no score (their spells are closed by the caller)."""
    population.firm[idx] = NO_FIRM
    population.score[idx] = -1


def apply_moves(population: Population, moves: Moves, step: int) -> None:
    """Close the spells of leavers and open those of joiners."""
    let_go(population, moves.left)
    population.firm[moves.joined] = moves.joined_firm
    population.spell_start[moves.joined] = step


@numba.njit(cache=True, nogil=True)
def _experience(customers, firm, needs, offering, price, service, price_weight, service_sensitivity, fit_weight,
                level_weight, reference_value, disconfirmation_weight, adaptation, score_noise, noise, influence,
                expectation, satisfaction, score, attitude):  # pragma: no cover - compiled
    """Each customer's rated experience, satisfaction, expectation, score and own attitude, in one pass."""
    for row in range(customers.size):
        i, j = customers[row], firm[row]
        experienced = _worth(i, j, needs, offering, price, service, price_weight, service_sensitivity, fit_weight)
        expected = expectation[i]
        feeling = 1.0 / (1.0 + np.exp(-level_weight * (experienced - reference_value)
                                       - disconfirmation_weight * (experienced - expected)))
        satisfaction[i] = feeling
        expectation[i] = expected + adaptation * (experienced - expected)
        score[i] = min(10, max(0, int(np.rint(10.0 * feeling + score_noise * noise[row]))))
        own = attitude[i, j]
        attitude[i, j] = own + influence * (2.0 * feeling - 1.0 - own)


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
    noise = rng.standard_normal(len(customers))
    _experience(customers, population.firm[customers], population.needs, offers.offering, offers.price,
                offers.service, _price_weight(population, rated=True),
                population.service_sensitivity, behaviour.fit_weight, behaviour.level_weight,
                behaviour.reference_value, behaviour.disconfirmation_weight, behaviour.expectation_adaptation,
                behaviour.score_noise, noise, config.market.wom.attitude_influence, population.expectation,
                population.satisfaction, population.score, population.attitude)


def buy(population: Population, config: SimConfig, rng: np.random.Generator) -> np.ndarray:
    """What each customer (n,) buys from its firm this step, in units of spend (read only for customers with a firm).

    Steady customers buy their ``spend``; customers of a Poisson segment buy
    a Poisson number of times in the step (their personal rate times
    ``1 / steps_per_year``), each purchase worth a gamma draw around their
    worth per purchase (:mod:`sim.world.purchases`). A market where everyone buys
    steadily returns ``spend`` itself and draws nothing.
    """
    habits = population.habits
    if not habits.poisson.any():
        return population.spend
    bought = population.spend.copy()
    buyers = np.flatnonzero(habits.poisson & (population.firm != NO_FIRM))
    counts = count_purchases(habits, buyers, 1.0 / config.market.steps_per_year, rng)
    bought[buyers] = purchase_worth(habits, buyers, counts, rng)
    return bought
