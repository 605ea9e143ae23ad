"""Typed run configuration: the schema every Hydra YAML in ``conf/`` fills in.

Each config group has a dataclass here. Hydra composes the YAML against these
schemas (registered in the ConfigStore by :func:`register_configs`), the entry
point converts once with ``OmegaConf.to_object`` and every ``__post_init__``
validates its own fields, so library code only ever sees checked dataclasses.
Firm strategies are *levers* (``strategies``, ``firms``); everything else is an
assumption about the world (``market``, ``segments``, ``network``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


def _require(ok: bool, field_path: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{field_path}: {message}")


def _check_choice(value: str, field_path: str, allowed: tuple[str, ...]) -> None:
    _require(
        value in allowed,
        field_path,
        f"unknown value {value!r}; allowed: {', '.join(sorted(allowed))}",
    )


def _check_range(
    value: float, field_path: str, low: float | None = None, high: float | None = None
) -> None:
    _require(math.isfinite(value), field_path, f"must be a finite number, got {value}")
    if low is not None:
        _require(value >= low, field_path, f"must be >= {low}, got {value}")
    if high is not None:
        _require(value <= high, field_path, f"must be <= {high}, got {value}")


def _check_fields(
    section: object, path: str, names: tuple[str, ...], low: float | None = None, high: float | None = None
) -> None:
    for name in names:
        _check_range(getattr(section, name), f"{path}.{name}", low, high)


def _doc(meaning: str, unit: str = "") -> dict[str, str]:
    """A field's metadata: its meaning and unit, the one place docs/PARAMETERS.md takes them from.

    Allowed values are not declared here: ``sim.config.reference`` reads them
    from the validation below.
    """
    return {"help": meaning, "unit": unit}


@dataclass
class WordOfMouthConfig:
    """How awareness and attitudes spread (the Bass channels plus valence).

    ``innovation`` and ``imitation`` are the Bass p and q per *year*; a firm
    spending ``reference_marketing`` per potential customer per month gets
    exactly p, and q applies per unit of a contact's talk activity.
    """

    innovation: float = field(default=0.03, metadata=_doc(
        "Bass p: hazard of hearing of a firm through its marketing, at the reference spend", "per year"))
    imitation: float = field(default=0.38, metadata=_doc(
        "Bass q: hazard of hearing of a firm per unit of its contacts' talk about it", "per year"))
    reference_marketing: float = field(default=0.02, metadata=_doc(
        "marketing spend at which the marketing hazard is exactly `innovation`",
        "money per potential customer per month"))
    marketing_elasticity: float = field(default=0.5, metadata=_doc(
        "elasticity of the marketing hazard to spend: p = innovation x (spend / reference_marketing) ^ elasticity"))
    negative_reach: float = field(default=2.0, metadata=_doc(
        "how many times louder a detractor (score 0-6) talks than others", "times"))
    attitude_influence: float = field(default=0.3, metadata=_doc(
        "how far an attitude moves toward the tone of contacts' talk, and toward the customer's own satisfaction",
        "share per month"))
    attitude_decay: float = field(default=0.05, metadata=_doc(
        "share of every attitude that fades each month", "share per month"))

    def validate(self, path: str) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_fields(self, path, ("innovation", "imitation", "marketing_elasticity", "negative_reach"), low=0.0)
        _check_range(self.reference_marketing, f"{path}.reference_marketing", low=1e-12)
        _check_range(self.attitude_influence, f"{path}.attitude_influence", 0.0, 1.0)
        _check_range(self.attitude_decay, f"{path}.attitude_decay", 0.0, 1.0)


@dataclass
class BehaviourConfig:
    """Customer choice, satisfaction (expectation-disconfirmation) and churn.

    Utility of firm j to customer i is ``-fit_weight * |needs_i - offering_j|
    - price_sensitivity_i * (price_j - 1) + service_sensitivity_i * service_j
    + attitude_weight * attitude_ij (+ inertia_i for the incumbent)`` plus a
    Gumbel taste shock, so choice is multinomial logit. Satisfaction is
    ``logistic(level_weight * (value - reference) + disconfirmation_weight *
    (value - expectation))`` (Oliver); expectations adapt at
    ``expectation_adaptation`` per month.
    """

    fit_weight: float = field(default=3.0, metadata=_doc(
        "utility lost per unit of distance between a customer's needs and an offering", "utility per unit distance"))
    attitude_weight: float = field(default=1.0, metadata=_doc(
        "weight in choice of the attitude toward a firm (-1 to 1)", "utility"))
    outside_utility: float = field(default=-1.0, metadata=_doc("utility of buying from nobody", "utility"))
    review_rate: float = field(default=0.02, metadata=_doc(
        "chance a fully satisfied customer reconsiders its firm", "per month"))
    dissatisfaction_churn: float = field(default=0.25, metadata=_doc(
        "extra chance of reconsidering, times (1 - satisfaction)^2", "per month"))
    expectation_adaptation: float = field(default=0.1, metadata=_doc(
        "share of the gap from expectation to experience closed each month", "share per month"))
    level_weight: float = field(default=1.5, metadata=_doc(
        "weight in satisfaction of the experience above `reference_value` (Oliver's level effect)", "per unit utility"))
    disconfirmation_weight: float = field(default=2.0, metadata=_doc(
        "weight in satisfaction of the experience above expectation (Oliver's disconfirmation)", "per unit utility"))
    reference_value: float = field(default=-2.0, metadata=_doc(
        "experience whose level alone leaves a customer neither satisfied nor dissatisfied", "utility"))
    score_noise: float = field(default=1.0, metadata=_doc(
        "standard deviation of the noise on a customer's 0-10 score", "score points"))

    def validate(self, path: str) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        weights = ("fit_weight", "attitude_weight", "level_weight", "disconfirmation_weight", "score_noise")
        _check_fields(self, path, weights, low=0.0)
        _check_range(self.outside_utility, f"{path}.outside_utility")
        _check_range(self.reference_value, f"{path}.reference_value")
        _check_fields(self, path, ("review_rate", "dissatisfaction_churn", "expectation_adaptation"), 0.0, 1.0)


@dataclass
class CostConfig:
    """Market-wide prices of the things firms buy.

    ``survey_cost`` is the price of one survey response (stated wants, or a
    tracking score) and ``research_cost`` of one needs interview, in money:
    a sample is a count of respondents, so what a firm learns depends on what
    it buys, never on how many customers are simulated. ``tracking_cost`` is
    the price of one short tracking response (a 0-10 score and satisfaction). ``service_cost`` is
    the extra cost per unit of customer spend at service level 1 (cost grows
    with the square of the level); ``reposition_cost`` is paid per potential
    customer per unit of distance an offering moves.
    """

    survey_cost: float = field(default=50.0, metadata=_doc(
        "price of one stated-wants survey response", "money per response"))
    research_cost: float = field(default=1000.0, metadata=_doc(
        "price of one needs interview (ethnography, analytics)", "money per interview"))
    tracking_cost: float = field(default=5.0, metadata=_doc(
        "price of one tracking response (0-10 score and satisfaction)", "money per response"))
    survey_noise: float = field(default=0.15, metadata=_doc(
        "standard deviation of one survey response's error on stated wants", "attribute units"))
    research_noise: float = field(default=0.15, metadata=_doc(
        "standard deviation of one interview's error on needs", "attribute units"))
    service_cost: float = field(default=0.3, metadata=_doc(
        "extra cost at service level 1 (grows with the square of the level)", "share of customer spend"))
    reposition_cost: float = field(default=0.3, metadata=_doc(
        "cost of moving an offering", "money per potential customer per unit distance"))

    def validate(self, path: str) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_fields(self, path, tuple(vars(self)), low=0.0)


@dataclass
class MarketConfig:
    """Size, horizon and attribute space of the market, and its customer behaviour.

    ``total_customers`` is how many potential customers the market really has
    (the economics: every count and sum of money is in these real units);
    ``customers`` is how many of them are simulated (the resolution). Each
    simulated customer stands for ``scale = total_customers / customers`` real
    ones, so changing ``customers`` alone changes only the precision of a
    run. One step is one month. ``drift`` scales every segment's drift of
    needs, so ``market.drift=2`` asks "what if needs drift twice as fast?".
    """

    customers: int = field(default=10_000, metadata=_doc(
        "simulated customers: the resolution (each stands for `total_customers / customers` real ones)", "customers"))
    total_customers: int = field(default=1_000_000, metadata=_doc(
        "potential customers the market really has: every count and sum of money is in these real units", "customers"))
    steps: int = field(default=120, metadata=_doc("length of the run", "months"))
    steps_per_year: int = field(default=12, metadata=_doc(
        "steps in a year: rates given per year are divided by it", "steps per year"))
    attributes: list[str] = field(
        default_factory=lambda: ["performance", "simplicity", "connectivity", "design"], metadata=_doc(
            "names of the attributes needs, wants and offerings are placed on; every vector has one value per "
            "attribute"))
    drift: float = field(default=1.0, metadata=_doc("multiplier on every segment's drift of needs", "times"))
    needs_noise: float = field(default=0.02, metadata=_doc(
        "each customer's personal random walk of needs", "attribute units per sqrt(year)"))
    initial_penetration: float = field(default=0.5, metadata=_doc("share of customers who start with a firm", "share"))
    initial_awareness: float = field(default=0.3, metadata=_doc(
        "chance a customer knows each firm at the start (besides its own)", "probability"))
    discount_rate: float = field(default=0.10, metadata=_doc("discount rate of CLV and customer equity", "per year"))
    wom: WordOfMouthConfig = field(default_factory=WordOfMouthConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    costs: CostConfig = field(default_factory=CostConfig)

    def __post_init__(self) -> None:
        _require(self.customers >= 2, "market.customers", f"must be >= 2, got {self.customers}")
        _require(self.total_customers >= 1, "market.total_customers",
                 f"must be >= 1, got {self.total_customers}")
        _require(self.steps >= 1, "market.steps", f"must be >= 1, got {self.steps}")
        _require(self.steps_per_year >= 1, "market.steps_per_year",
                 f"must be >= 1, got {self.steps_per_year}")
        _require(len(self.attributes) >= 1, "market.attributes", "needs at least one attribute")
        _require(len(set(self.attributes)) == len(self.attributes), "market.attributes",
                 "attribute names must be unique")
        _check_range(self.drift, "market.drift", low=0.0)
        _check_range(self.needs_noise, "market.needs_noise", low=0.0)
        _check_range(self.initial_penetration, "market.initial_penetration", 0.0, 1.0)
        _check_range(self.initial_awareness, "market.initial_awareness", 0.0, 1.0)
        _check_range(self.discount_rate, "market.discount_rate", low=0.0)
        _require(self.discount_rate > 0, "market.discount_rate",
                 "must be > 0 (CLV of a customer kept for sure is unbounded without discounting)")
        self.wom.validate("market.wom")
        self.behaviour.validate("market.behaviour")
        self.costs.validate("market.costs")

    @property
    def scale(self) -> float:
        """Real potential customers each simulated customer stands for."""
        return self.total_customers / self.customers


PURCHASE_PROCESSES = ("steady", "poisson")


@dataclass
class PurchaseConfig:
    """How a segment's customers buy while they have a firm, and when they leave the market for good.

    ``steady`` (the classic model): a customer buys its ``spend`` every step.
    ``poisson``: a customer buys a Poisson number of times per step at a
    personal rate per year, gamma-distributed across customers with mean
    ``rate`` and shape ``rate_shape`` (the NBD's heterogeneity; coefficient
    of variation ``1/sqrt(rate_shape)``). Each purchase is worth the
    customer's spend per purchase times a gamma draw of mean 1 and shape
    ``amount_shape`` (0: exactly that), and the spend per purchase is set so
    a customer buying at the segment's mean rate spends its ``spend`` per
    step on average: the process changes when and how much customers buy,
    not what the segment is worth on average.

    Whatever the process, a customer drops out of the market for good (it
    never buys or chooses again) with a personal hazard per year,
    gamma-distributed with mean ``dropout`` and shape ``dropout_shape``
    (Pareto/NBD's assumptions); ``dropout`` 0 means nobody does.
    """

    process: str = field(default="steady", metadata=_doc(
        "how a customer with a firm buys: `steady` (its spend every month) or `poisson` (a Poisson number of purchases "
        "at a personal rate)"))
    rate: float = field(default=12.0, metadata=_doc(
        "mean of the personal purchase rates (`poisson` only)", "purchases per year"))
    rate_shape: float = field(default=1.0, metadata=_doc(
        "gamma shape of the personal purchase rates: their coefficient of variation is 1/sqrt(shape) (`poisson` only)"))
    amount_shape: float = field(default=0.0, metadata=_doc(
        "gamma shape of one purchase's size around the customer's mean (0: exactly the mean; `poisson` only)"))
    dropout: float = field(default=0.0, metadata=_doc(
        "mean of the personal hazards of leaving the market for good (0: nobody leaves)", "per year"))
    dropout_shape: float = field(default=1.0, metadata=_doc("gamma shape of the personal dropout hazards"))

    def validate(self, path: str) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_choice(self.process, f"{path}.process", PURCHASE_PROCESSES)
        for name in ("rate", "rate_shape", "dropout_shape"):
            _check_range(getattr(self, name), f"{path}.{name}", low=1e-9)
        _check_fields(self, path, ("amount_shape", "dropout"), low=0.0)


@dataclass
class SegmentConfig:
    """One customer segment: where its needs are, how they move, how it speaks.

    Vectors have one entry per market attribute. ``drift`` is the yearly
    movement of needs. Stated wants are a lagged, biased, noisy reading of
    needs: ``want_lag`` is the share of the gap to current needs that wants
    close each month (1 = wants track needs), ``want_bias`` a fixed segment
    offset, ``want_noise`` each customer's idiosyncratic offset.
    ``value_for_money`` is the share of the price effect on choice that
    customers also credit when they rate their firm (0: ratings judge the
    experience alone; 1: they rate as they choose). ``arrivals`` is the
    number of new potential customers a year, as a share of the segment's
    starting size: they arrive unaware of any firm, drawn from the segment's
    needs as they are then, and each simulated arrival stands for
    ``market.scale`` real ones. Against dropout (``purchases.dropout``) it
    makes the market grow, hold or shrink; 0 keeps the population closed.
    """

    share: float = field(default=0.25, metadata=_doc(
        "share of the market's potential customers in this segment", "share"))
    needs: list[float] = field(default_factory=lambda: [0.5, 0.5, 0.5, 0.5], metadata=_doc(
        "mean needs, one value per attribute", "attribute units"))
    needs_spread: float = field(default=0.1, metadata=_doc(
        "standard deviation of customers' needs around the segment's mean", "attribute units"))
    drift: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0], metadata=_doc(
        "movement of the segment's needs, one value per attribute (times `market.drift`)", "attribute units per year"))
    want_lag: float = field(default=0.1, metadata=_doc(
        "share of the gap from stated wants to needs closed each month (1: wants track needs)", "share per month"))
    want_bias: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0], metadata=_doc(
        "fixed offset of the segment's stated wants from its needs, one value per attribute", "attribute units"))
    want_noise: float = field(default=0.1, metadata=_doc(
        "standard deviation of each customer's own offset of stated wants", "attribute units"))
    spend: float = field(default=1.0, metadata=_doc(
        "mean spend of a customer with a firm, at price 1", "money per customer per month"))
    spend_spread: float = field(default=0.3, metadata=_doc(
        "log standard deviation of spend across customers (log-normal)"))
    price_sensitivity: float = field(default=2.0, metadata=_doc(
        "utility lost per unit of price above the reference price 1", "utility per unit price"))
    service_sensitivity: float = field(default=0.5, metadata=_doc(
        "utility of service, per unit of service level", "utility per unit service"))
    wom_activity: float = field(default=1.0, metadata=_doc(
        "how much its customers talk about their firm (1: the reference)", "talk volume"))
    inertia: float = field(default=1.0, metadata=_doc(
        "utility bonus of the customer's own firm when it reconsiders", "utility"))
    value_for_money: float = field(default=0.3, metadata=_doc(
        "share of the price effect on choice that customers also credit when they rate their firm", "share"))
    arrivals: float = field(default=0.0, metadata=_doc(
        "new potential customers, as a share of the segment's starting size (0: a closed population)",
        "share per year"))
    purchases: PurchaseConfig = field(default_factory=PurchaseConfig)

    def validate(self, path: str, attributes: int) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_range(self.share, f"{path}.share", 0.0, 1.0)
        _require(self.share > 0, f"{path}.share", "must be > 0 (remove the segment instead)")
        for name in ("needs", "drift", "want_bias"):
            vector = getattr(self, name)
            _require(len(vector) == attributes, f"{path}.{name}",
                     f"needs one value per market attribute ({attributes}), got {len(vector)}")
            for value in vector:
                _check_range(value, f"{path}.{name}")
        _check_range(self.want_lag, f"{path}.want_lag", 0.0, 1.0)
        _check_range(self.value_for_money, f"{path}.value_for_money", 0.0, 1.0)
        traits = ("needs_spread", "want_noise", "spend_spread", "price_sensitivity", "service_sensitivity",
                  "wom_activity", "inertia", "arrivals")
        _check_fields(self, path, traits, low=0.0)
        _check_range(self.spend, f"{path}.spend", low=1e-9)
        self.purchases.validate(f"{path}.purchases")


NETWORK_KINDS = ("small_world", "scale_free", "random", "homophilous", "fully_mixed")


@dataclass
class NetworkConfig:
    """Word-of-mouth contact network between customers."""

    kind: str = field(default="small_world", metadata=_doc(
        "contact graph: `small_world` (Watts-Strogatz), `scale_free` (Barabasi-Albert), `random` (Erdos-Renyi), "
        "`homophilous` (segments as blocks), `fully_mixed` (everyone hears everyone; no graph)"))
    mean_degree: int = field(default=10, metadata=_doc("mean number of contacts of a customer", "contacts"))
    rewiring: float = field(default=0.1, metadata=_doc(
        "share of ring ties rewired at random (`small_world` only)", "share"))
    homophily: float = field(default=0.8, metadata=_doc(
        "share of ties inside one's own segment (`homophilous` only)", "share"))

    def __post_init__(self) -> None:
        _check_choice(self.kind, "network.kind", NETWORK_KINDS)
        _require(self.mean_degree >= 2, "network.mean_degree",
                 f"must be >= 2, got {self.mean_degree}")
        _check_range(self.rewiring, "network.rewiring", 0.0, 1.0)
        _check_range(self.homophily, "network.homophily", 0.0, 1.0)

    def validate_for(self, customers: int) -> None:
        """Raise :class:`ConfigError` when the graph cannot be drawn over ``customers`` simulated customers.

        The builders (:mod:`sim.world.network`) would not refuse: a degree of
        ``customers`` or more quietly becomes the complete graph (minutes and
        gigabytes at 10,000 customers, and not the network asked for), and a
        ring lattice or preferential attachment quietly rounds an odd degree
        down (each customer ties to ``mean_degree / 2`` others).
        """
        if self.kind == "fully_mixed":
            return  # no graph is built, so the degree is not used
        even = self.kind in ("small_world", "scale_free")
        largest = customers - 1 - (customers - 1) % 2 if even else customers - 1
        fix = (f"largest allowed: {largest}" if largest >= 2
               else "too few customers for a graph; use network=fully_mixed")
        _require(self.mean_degree < customers, "network.mean_degree",
                 f"must be below market.customers ({customers}), as a customer can know at most everyone else, "
                 f"got {self.mean_degree}; {fix}")
        if even:
            nearest = " or ".join(str(d) for d in (self.mean_degree - 1, self.mean_degree + 1) if d <= largest)
            _require(self.mean_degree % 2 == 0, "network.mean_degree",
                     f"a {self.kind} network needs an even mean degree (each customer ties to mean_degree / 2 "
                     f"others), got {self.mean_degree}; use {nearest}")


INFORMATION_SOURCES = ("wants", "needs", "all")
AUDIENCES = ("customers", "target", "market")
TARGETING = ("none", "clv")
SERVICE_POLICIES = ("fixed", "value", "max")
PRICING_POLICIES = ("promotional", "value", "never_raise", "profit")


@dataclass
class StrategyConfig:
    """A strategy as a set of named dials: what a firm listens to and how it decides.

    Strategies differ only in information and decision rules, never by a
    multiplier on outcomes. ``information``: read stated wants (cheap surveys),
    needs (paid research) or all of both. ``audience``: whom it asks (its own
    customers, its target segment, the whole market). ``targeting``: treat all
    customers alike or rank segments by estimated CLV. ``lead``: months ahead
    of today's estimate it positions (0 = reactive). ``horizon``: months over
    which a change must pay back (used when ``declines_unprofitable``).
    ``survey_respondents`` (stated wants) and ``research_respondents`` (needs
    interviews) are the sample sizes bought at each review from the
    audience; ``tracking_respondents`` is the size of the tracking survey of
    its own customers (0-10 score and satisfaction) through which the firm
    knows its NPS (0: it does not track). Each respondent is paid at the
    market's price, so precision is bought, whatever the resolution.
    ``research_budget`` caps what a review's listening (surveys, interviews,
    tracking) may cost: that share of the revenue booked since the last
    review, and never more than the cash on hand; the planned respondents are
    bought in proportion. ``move_confidence`` is the confidence with which
    the firm's estimate of its audience's ideal must differ from its
    offering before it pays to move (0: it moves on any estimate of two or
    more readings). ``target_segment`` names the segment a targeting firm plans around (a
    decision taken for it, as in Best Buy's redesign); empty, it ranks
    segments by estimated CLV. ``pricing_policy``: list price with
    promotions when losing ground, price to value against the best rival,
    never raise, or ``profit``: the best response to the logit demand the firm
    estimates from its own price tests and sales (docked in ODD 8.11).
    """

    information: str = field(default="wants", metadata=_doc(
        "what it listens to: stated `wants` (surveys), `needs` (interviews) or `all` (both)"))
    audience: str = field(default="customers", metadata=_doc(
        "whom it asks: its own `customers`, its `target` segment (all of it) or the whole `market`"))
    survey_respondents: int = field(default=100, metadata=_doc(
        "stated-wants survey responses bought per review", "respondents"))
    research_respondents: int = field(default=0, metadata=_doc("needs interviews bought per review", "respondents"))
    tracking_respondents: int = field(default=400, metadata=_doc(
        "own customers asked for a 0-10 score and satisfaction per review: its NPS (0: it does not track)",
        "respondents"))
    targeting: str = field(default="none", metadata=_doc(
        "`none`: every customer counts the same; `clv`: plan around the segment of highest estimated CLV"))
    horizon: int = field(default=3, metadata=_doc(
        "months within which a change must pay back (only with `declines_unprofitable`)", "months"))
    lead: int = field(default=0, metadata=_doc(
        "how far ahead of today's estimate of needs it positions (0: reactive)", "months"))
    adjust_rate: float = field(default=0.5, metadata=_doc(
        "share of the gap to its goal (offering, value service, value or profit price) closed per review", "share"))
    service_policy: str = field(default="fixed", metadata=_doc(
        "`fixed`: keep its service; `value`: where willingness to pay for service equals its cost; `max`: level 1"))
    pricing_policy: str = field(default="promotional", metadata=_doc(
        "`promotional`: list price, cut while losing ground; `value`: against the best alternative; `never_raise`; "
        "`profit`: best response to the logit demand it estimates (ODD 7.6)"))
    promotion_depth: float = field(default=0.1, metadata=_doc(
        "price cut while losing ground (`promotional` pricing)", "share of list price"))
    reaction_threshold: float = field(default=0.03, metadata=_doc(
        "fall of share (relative) or of tracked NPS (points / 100) since the last review that counts as losing ground",
        "share"))
    acquisition_budget: float = field(default=0.02, metadata=_doc(
        "marketing spend", "money per potential customer per month"))
    acquisition_boost: float = field(default=1.0, metadata=_doc(
        "extra marketing while losing ground: the budget times (1 + boost)", "times"))
    declines_unprofitable: bool = field(default=False, metadata=_doc(
        "refuse a move whose gain does not pay its cost within `horizon`"))
    winback_discount: float = field(default=0.0, metadata=_doc(
        "discount offered to a customer about to leave (0: no win-back offers)", "share of a month's bill"))
    review_every: int = field(default=3, metadata=_doc("time between reviews", "months"))
    target_segment: str = field(default="", metadata=_doc(
        "segment a targeting firm plans around (empty: rank segments by estimated CLV)"))
    research_budget: float = field(default=0.1, metadata=_doc(
        "cap on a review's listening cost, as a share of the revenue booked since the last review (and never more than "
        "its cash)", "share of revenue"))
    move_confidence: float = field(default=0.95, metadata=_doc(
        "confidence with which its estimate of the ideal must differ from its offering before it moves (0: on any "
        "estimate of two or more readings)", "probability"))

    def validate(self, path: str) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_choice(self.information, f"{path}.information", INFORMATION_SOURCES)
        _check_choice(self.audience, f"{path}.audience", AUDIENCES)
        _check_choice(self.targeting, f"{path}.targeting", TARGETING)
        _check_choice(self.service_policy, f"{path}.service_policy", SERVICE_POLICIES)
        _check_choice(self.pricing_policy, f"{path}.pricing_policy", PRICING_POLICIES)
        _require(not (self.audience == "target" and self.targeting == "none"),
                 f"{path}.audience", "'target' needs targeting: clv")
        for name in ("survey_respondents", "research_respondents", "tracking_respondents", "horizon", "lead"):
            _require(getattr(self, name) >= 0, f"{path}.{name}",
                     f"must be >= 0, got {getattr(self, name)}")
        _require(self.review_every >= 1, f"{path}.review_every",
                 f"must be >= 1, got {self.review_every}")
        _check_range(self.adjust_rate, f"{path}.adjust_rate", 0.0, 1.0)
        _check_range(self.research_budget, f"{path}.research_budget", 0.0, 1.0)
        _check_range(self.move_confidence, f"{path}.move_confidence", 0.0, 0.999)
        _check_range(self.promotion_depth, f"{path}.promotion_depth", 0.0, 0.9)
        _check_range(self.reaction_threshold, f"{path}.reaction_threshold", 0.0, 1.0)
        _check_range(self.winback_discount, f"{path}.winback_discount", 0.0, 1.0)
        _check_range(self.acquisition_budget, f"{path}.acquisition_budget", low=0.0)
        _check_range(self.acquisition_boost, f"{path}.acquisition_boost", low=0.0)


@dataclass
class FirmConfig:
    """A firm's starting position and cost structure; ``strategy`` names a preset.

    Money is per real potential customer (``fixed_cost`` per month,
    ``initial_cash`` once, times ``market.total_customers``), so a firm's
    economics are those of the market it is in, whatever the resolution.
    ``offering`` of ``None`` starts the firm at the market's mean need.
    ``initial_share`` is the firm's share of the customers who start with a
    firm (an incumbent's head start, as Nokia's half of the market); firms
    present at the start without one split what is left equally.
    """

    strategy: str = field(default="focused", metadata=_doc("the strategy preset it runs"))
    price: float = field(default=1.0, metadata=_doc(
        "price: revenue is the customers' spend times it (1: the reference price)", "times reference price"))
    service: float = field(default=0.5, metadata=_doc("starting service level", "level"))
    unit_cost: float = field(default=0.5, metadata=_doc("cost of goods", "share of customer spend at price 1"))
    fixed_cost: float = field(default=0.03, metadata=_doc("fixed cost", "money per potential customer per month"))
    initial_cash: float = field(default=2.0, metadata=_doc("cash at the start", "money per potential customer"))
    offering: list[float] | None = field(default=None, metadata=_doc(
        "starting position, one value per attribute (null: the market's mean need)", "attribute units"))
    initial_share: float | None = field(default=None, metadata=_doc(
        "its share of the customers who start with a firm (null: an equal split of what the others leave)", "share"))

    def validate(self, path: str, attributes: int, strategies: dict[str, StrategyConfig]) -> None:
        """Raise :class:`ConfigError` naming the first bad field."""
        _check_choice(self.strategy, f"{path}.strategy", tuple(strategies))
        _check_range(self.price, f"{path}.price", low=0.0)
        _check_range(self.service, f"{path}.service", 0.0, 1.0)
        _check_fields(self, path, ("unit_cost", "fixed_cost", "initial_cash"), low=0.0)
        if self.offering is not None:
            _require(len(self.offering) == attributes, f"{path}.offering",
                     f"needs one value per market attribute ({attributes}), got "
                     f"{len(self.offering)}")
            for value in self.offering:
                _check_range(value, f"{path}.offering")
        if self.initial_share is not None:
            _check_range(self.initial_share, f"{path}.initial_share", 0.0, 1.0)


EVENT_KINDS = ("switch", "enter", "exit", "needs_shift", "segment_change", "price_cut")


@dataclass
class EventConfig:
    """Something that happens at ``month``: an entry in the top-level ``events:`` list.

    ``switch``: ``firm`` moves to the preset ``strategy`` and/or changes
    individual ``dials``, paying ``transition_cost`` per potential customer at
    once and behaving the new way only after ``lag`` months (a
    reorganisation). ``enter``: ``firm`` (defined under ``firms``) is outside
    the market until ``month``. ``exit``: ``firm`` leaves and releases its
    customers. ``needs_shift``: ``segment``'s needs jump by ``shift`` and/or
    drift from then on at ``drift`` per year. ``segment_change``:
    ``segment``'s ``price_sensitivity`` becomes the given value, its real
    size is multiplied by ``size`` (every customer of it, with a firm or not,
    stands for that many times as many real ones) and/or its ``arrivals``
    rate becomes the given value (growth or decline from then on).
    ``price_cut``: ``firm`` charges ``price`` for ``duration`` months.
    """

    kind: str = field(default=MISSING, metadata=_doc("what happens (each kind's effect: docs/ODD.md 7.8)"))
    month: int = field(default=MISSING, metadata=_doc("month at whose start it fires", "month"))
    firm: str | None = field(default=None, metadata=_doc(
        "the firm it concerns (`switch`, `enter`, `exit`, `price_cut`)"))
    segment: str | None = field(default=None, metadata=_doc(
        "the segment it concerns (`needs_shift`, `segment_change`)"))
    strategy: str | None = field(default=None, metadata=_doc("`switch`: the preset the firm moves to"))
    dials: dict[str, Any] = field(default_factory=dict, metadata=_doc(
        "`switch`: single strategy dials to change, as `{dial: value}`"))
    transition_cost: float = field(default=0.0, metadata=_doc(
        "`switch`: cost paid at once", "money per potential customer"))
    lag: int = field(default=0, metadata=_doc("`switch`: time before the firm behaves the new way", "months"))
    shift: list[float] | None = field(default=None, metadata=_doc(
        "`needs_shift`: jump of the segment's needs, one value per attribute", "attribute units"))
    drift: list[float] | None = field(default=None, metadata=_doc(
        "`needs_shift`: the segment's drift of needs from then on, one value per attribute",
        "attribute units per year"))
    price_sensitivity: float | None = field(default=None, metadata=_doc(
        "`segment_change`: the segment's new price sensitivity", "utility per unit price"))
    size: float | None = field(default=None, metadata=_doc(
        "`segment_change`: factor on the segment's real size", "times"))
    arrivals: float | None = field(default=None, metadata=_doc(
        "`segment_change`: the segment's new arrival rate", "share per year"))
    price: float | None = field(default=None, metadata=_doc(
        "`price_cut`: the price customers see and pay", "times reference price"))
    duration: int = field(default=1, metadata=_doc("`price_cut`: how long the cut lasts", "months"))

    def validate(self, path: str, config: SimConfig) -> None:
        """Raise :class:`ConfigError` naming the event and its first bad field."""
        _check_choice(self.kind, f"{path}.kind", EVENT_KINDS)
        _require(1 <= self.month <= config.market.steps, f"{path}.month",
                 f"must be within the run (1..{config.market.steps}), got {self.month}")
        needs_firm = self.kind in ("switch", "enter", "exit", "price_cut")
        needs_segment = self.kind in ("needs_shift", "segment_change")
        if needs_firm:
            _require(self.firm is not None, f"{path}.firm", f"a {self.kind} event needs a firm")
            _check_choice(str(self.firm), f"{path}.firm", tuple(config.firms))
        if needs_segment:
            _require(self.segment is not None, f"{path}.segment", f"a {self.kind} event needs a segment")
            _check_choice(str(self.segment), f"{path}.segment", tuple(config.segments))
        checks = {"switch": self._validate_switch, "needs_shift": self._validate_needs_shift,
                  "segment_change": self._validate_segment_change, "price_cut": self._validate_price_cut}
        if self.kind in checks:
            checks[self.kind](path, config)

    def _validate_switch(self, path: str, config: SimConfig) -> None:
        _require(self.strategy is not None or bool(self.dials), f"{path}.strategy",
                 "a switch event needs a strategy preset and/or dials")
        if self.strategy is not None:
            _check_choice(self.strategy, f"{path}.strategy", tuple(config.strategies))
        known = {item.name for item in fields(StrategyConfig)}
        unknown = sorted(set(self.dials) - known)
        _require(not unknown, f"{path}.dials",
                 f"unknown dial(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        switched = self.new_strategy(config)
        switched.validate(f"{path}.dials")
        if switched.target_segment:
            _check_choice(switched.target_segment, f"{path}.dials.target_segment", tuple(config.segments))
        _check_range(self.transition_cost, f"{path}.transition_cost", low=0.0)
        _require(self.lag >= 0, f"{path}.lag", f"must be >= 0, got {self.lag}")
        # a switch completes at month + lag: later, its cost is paid and the firm never changes
        steps = config.market.steps
        _require(self.month + self.lag <= steps, f"{path}.lag",
                 f"the switch would take effect at month {self.month + self.lag}, after the run ends "
                 f"(market.steps={steps}); use a lag of at most {steps - self.month} or an earlier month")

    def _validate_needs_shift(self, path: str, config: SimConfig) -> None:
        _require(self.shift is not None or self.drift is not None, f"{path}.shift",
                 "a needs_shift event needs a shift and/or a drift")
        attributes = len(config.market.attributes)
        for name in ("shift", "drift"):
            vector = getattr(self, name)
            if vector is not None:
                _require(len(vector) == attributes, f"{path}.{name}",
                         f"needs one value per market attribute ({attributes}), got {len(vector)}")
                for value in vector:
                    _check_range(value, f"{path}.{name}")

    def _validate_segment_change(self, path: str, config: SimConfig) -> None:
        changes = (self.price_sensitivity, self.size, self.arrivals)
        _require(any(change is not None for change in changes), f"{path}.price_sensitivity",
                 "a segment_change event needs a price_sensitivity, a size and/or an arrivals rate")
        if self.arrivals is not None:
            _check_range(float(self.arrivals), f"{path}.arrivals", low=0.0)
        if self.price_sensitivity is not None:
            _check_range(float(self.price_sensitivity), f"{path}.price_sensitivity", low=0.0)
        if self.size is not None:
            _require(self.size > 0, f"{path}.size", f"must be > 0 (a factor on the segment's size), got {self.size}")

    def _validate_price_cut(self, path: str, config: SimConfig) -> None:
        _require(self.price is not None, f"{path}.price", "a price_cut event needs a price")
        _check_range(float(self.price), f"{path}.price", low=0.0)
        _require(self.duration >= 1, f"{path}.duration", f"must be >= 1, got {self.duration}")

    def new_strategy(self, config: SimConfig) -> StrategyConfig:
        """The strategy a ``switch`` event moves its firm to: the preset (or the firm's own) with ``dials``."""
        preset = self.strategy if self.strategy is not None else config.firms[str(self.firm)].strategy
        return replace(config.strategies[preset], **self.dials)


FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass
class OutputConfig:
    """What a run writes besides its tables.

    ``figure_format`` and ``figure_dpi`` say how ``market.<format>`` is saved:
    png for screens, svg or pdf for slides and papers (drawn as lines, so the
    dpi matters only to any raster parts).
    """

    figure: bool = True
    figure_format: str = "png"
    figure_dpi: int = 110
    tenures: bool = True
    html: bool = False  # report.html: charts and tables in one file that opens offline

    def __post_init__(self) -> None:
        _check_choice(self.figure_format, "output.figure_format", FIGURE_FORMATS)
        _require(50 <= self.figure_dpi <= 600, "output.figure_dpi",
                 f"must be from 50 to 600 (dots per inch), got {self.figure_dpi}")


# OutputConfig's meanings and units (field name: (meaning, unit)), kept beside it rather than in its field metadata
OUTPUT_HELP = {
    "figure": ("write `market.<format>`, the run's chart", ""),
    "figure_format": ("file format of the chart: png for screens, svg or pdf for slides and papers", ""),
    "figure_dpi": ("resolution of the chart's raster parts", "dots per inch"),
    "tenures": ("write `tenures.parquet`, one row per customer spell (the largest table)", ""),
    "html": ("write `report.html`: charts and tables in one file that opens offline", ""),
}


@dataclass
class SimConfig:
    """A whole run: market assumptions, segments, network, firms and their strategies."""

    market: MarketConfig = field(default_factory=MarketConfig)
    segments: dict[str, SegmentConfig] = field(default_factory=dict)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    firms: dict[str, FirmConfig] = field(default_factory=dict)
    strategies: dict[str, StrategyConfig] = field(default_factory=dict)
    events: list[EventConfig] = field(default_factory=list)
    seed: int = field(default=0, metadata=_doc(
        "seed of every random stream of the run: the same config and seed give the same results"))
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        attributes = len(self.market.attributes)
        _require(len(self.segments) >= 1, "segments", "needs at least one segment")
        for name, segment in self.segments.items():
            segment.validate(f"segments.{name}", attributes)
        total = sum(segment.share for segment in self.segments.values())
        _require(abs(total - 1.0) < 1e-6, "segments",
                 f"shares must sum to 1, got {total:.6g} "
                 f"({', '.join(f'{n}={s.share:g}' for n, s in self.segments.items())})")
        for name, strategy in self.strategies.items():
            strategy.validate(f"strategies.{name}")
            if strategy.target_segment:
                _check_choice(strategy.target_segment, f"strategies.{name}.target_segment", tuple(self.segments))
        self.network.validate_for(self.market.customers)
        _require(len(self.firms) >= 1, "firms", "needs at least one firm")
        for name, firm in self.firms.items():
            firm.validate(f"firms.{name}", attributes, self.strategies)
        for index, event in enumerate(self.events):
            event.validate(f"events[{index}]", self)
        entering = [event.firm for event in self.events if event.kind == "enter"]
        _require(len(entering) == len(set(entering)), "events", "a firm can enter only once")
        _require(len(set(entering)) < len(self.firms), "events",
                 "at least one firm must be in the market from the start")
        for name in entering:
            _require(self.firms[str(name)].initial_share is None, f"firms.{name}.initial_share",
                     "a firm that enters later has no customers at the start; remove initial_share")
        claimed = sum(firm.initial_share or 0.0 for firm in self.firms.values())
        unclaimed = [name for name in self.firms if self.firms[name].initial_share is None and name not in entering]
        _require(claimed <= 1.0 + 1e-9, "firms",
                 f"initial_share values must sum to at most 1, got {claimed:.6g}")
        _require(bool(unclaimed) or abs(claimed - 1.0) < 1e-6, "firms",
                 f"initial_share values of the firms present at the start must sum to 1, got {claimed:.6g}")
        _require(self.seed >= 0, "seed", f"must be >= 0, got {self.seed}")

    @property
    def segment_names(self) -> list[str]:
        """Segment names in config order (the order of segment codes)."""
        return list(self.segments)

    @property
    def firm_names(self) -> list[str]:
        """Firm names in config order (the order of firm codes)."""
        return list(self.firms)

    def start_shares(self) -> list[float] | None:
        """Each firm's share of the customers who start with a firm; ``None`` when all present firms are equal."""
        if all(firm.initial_share is None for firm in self.firms.values()):
            return None
        entering = {event.firm for event in self.events if event.kind == "enter"}
        unclaimed = [name for name, firm in self.firms.items() if firm.initial_share is None and name not in entering]
        rest = max(0.0, 1.0 - sum(firm.initial_share or 0.0 for firm in self.firms.values()))
        return [firm.initial_share if firm.initial_share is not None
                else (rest / len(unclaimed) if name in unclaimed else 0.0)
                for name, firm in self.firms.items()]


def register_configs() -> None:
    """Register the schemas so Hydra type-checks every YAML value it merges."""
    store = ConfigStore.instance()
    store.store(name="sim_schema", node=SimConfig)
