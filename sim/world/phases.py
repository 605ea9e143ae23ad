"""Each customer submodel as a vectorised phase: drift, word of mouth, choice, dropout, experience, buying.

Every transition is a mask, then indices, then a bulk assignment on the
arrays of :class:`sim.world.population.Population` (compiled kernels where a
customer's row is read many times). Shapes below use ``n`` customers, ``k``
attributes, ``f`` firms and ``s`` segments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim.config.schema import SimConfig
from sim.world.metrics import DETRACTOR_MAX, PROMOTER_MIN
from sim.world.network import Contacts
from sim.world.offers import Offers, offer_worth, price_weights
from sim.world.population import NO_FIRM, Population
from sim.world.prefetch import PREFETCH_DISTANCE, prefetch
from sim.world.purchases import count_purchases, drop_out, purchase_worth, time_alive


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
    is :func:`sim.world.offers.offer_worth` with the full price weight, as in :func:`sim.world.offers.value`.
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
            worth = (offer_worth(i, j, needs, offering, price, service, price_sensitivity, service_sensitivity,
                                 fit_weight) + attitude_weight * attitude[i, j])
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


def last_purchases(population: Population, leavers: np.ndarray, config: SimConfig,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """What customers ``leavers`` (m,), who dropped out this step, bought from their firm before they left.

    Returns the worth and the purchases (m,), as :func:`buy` does.
    Each left at an exponential time within the step
    (:func:`sim.world.purchases.time_alive`) and bought over the part of the
    step it was still there: a steady customer that share of its ``spend``,
    a Poisson customer its purchases over that time. Without this a
    customer who drops out would buy nothing in its last month, half a
    month's purchases short of the continuous-time process on average. No
    leavers, no draws.
    """
    if not leavers.size:
        return np.empty(0), np.empty(0)
    habits = population.habits
    step = 1.0 / config.market.steps_per_year
    there = time_alive(habits, leavers, np.full(leavers.size, step), np.ones(leavers.size, dtype=bool), rng)
    bought = population.spend[leavers] * there / step
    purchases = there / step
    poisson = habits.poisson[leavers]
    if poisson.any():
        who = leavers[poisson]
        counts = count_purchases(habits, who, there[poisson], rng)
        bought[poisson] = purchase_worth(habits, who, counts, rng)
        purchases[poisson] = counts
    return bought, purchases


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
        experienced = offer_worth(i, j, needs, offering, price, service, price_weight, service_sensitivity, fit_weight)
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
                offers.service, price_weights(population, rated=True),
                population.service_sensitivity, behaviour.fit_weight, behaviour.level_weight,
                behaviour.reference_value, behaviour.disconfirmation_weight, behaviour.expectation_adaptation,
                behaviour.score_noise, noise, config.market.wom.attitude_influence, population.expectation,
                population.satisfaction, population.score, population.attitude)


def buy(population: Population, config: SimConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """What each customer (n,) buys from its firm this step, and how many purchases that was.

    Returns the worth in units of spend and the purchases (n,), both read
    only for customers with a firm. Steady customers buy their ``spend``
    once; customers of a Poisson segment buy a Poisson number of times in
    the step (their personal rate times ``1 / steps_per_year``), each
    purchase worth a gamma draw around their worth per purchase
    (:mod:`sim.world.purchases`). A market where everyone buys steadily
    returns ``spend`` itself and no purchases (each customer made one), and
    draws nothing.
    """
    habits = population.habits
    if not habits.poisson.any():
        return population.spend, None
    bought = population.spend.copy()
    purchases = np.ones(population.size)
    buyers = np.flatnonzero(habits.poisson & (population.firm != NO_FIRM))
    counts = count_purchases(habits, buyers, 1.0 / config.market.steps_per_year, rng)
    bought[buyers] = purchase_worth(habits, buyers, counts, rng)
    purchases[buyers] = counts
    return bought, purchases


def purchases_by_firm(population: Population, counts: np.ndarray | None, held: np.ndarray,
                      firms: int) -> np.ndarray:
    """Purchases from each firm this step (f,), in real units, from :func:`buy`'s ``counts``.

    Without counts (everyone buys steadily) each customer made one purchase,
    so a firm's purchases are the customers it ``held`` (f, s).
    """
    if counts is None:
        return held.sum(axis=1)
    with_firm = np.flatnonzero(population.firm != NO_FIRM)
    return np.bincount(population.firm[with_firm], weights=population.weight[with_firm] * counts[with_firm],
                       minlength=firms)
