"""Bad input gets an error naming what was wrong; infeasible constraints get an error naming
the ones that conflict (and only constraints needed for the conflict); trades in raw token
units are exact."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zippifi.errors import (
    InvalidInputError,
    OptimizerInfeasibleError,
    OptimizerInputError,
)
from zippifi.risk import (
    Allocation,
    Category,
    Constraints,
    MaxSharpe,
    MeanVariance,
    MinCVaR,
    RiskParity,
    TradingCosts,
    optimize,
)

from .optimizer_cases import Case, cases, examples, floats

FULLY = "fully invested (weights sum to 1)"

rng = np.random.default_rng(1)
N = 4
G = rng.normal(0, 0.02, (20, N))
COV = G.T @ G
MU = np.array([0.01, 0.02, 0.005, 0.015])


def mv(**kw: object) -> MeanVariance:
    return MeanVariance(N, **kw)  # type: ignore[arg-type]


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mv().solve([0.01, np.nan, 0, 0], COV), r"mu: 1 value\(s\) are NaN .* index 1"),
        (lambda: mv().solve(MU[:3], COV), r"mu: expected 4 values \(one per asset\)"),
        (lambda: mv().solve(MU, COV[:3, :3]), r"cov: expected shape \(4, 4\), got \(3, 3\)"),
        (lambda: mv().solve(MU, np.where(np.eye(N) > 0, np.inf, COV)), r"cov: 4 value\(s\)"),
        (lambda: mv().solve(MU, COV + np.triu(COV, 1) * 0.1), r"cov: not symmetric"),
        (lambda: mv().solve(MU, -np.eye(N)), r"cov: not positive semidefinite"),
        (lambda: mv().solve(MU, np.ones((N, N)) - 2 * np.eye(N)), r"smallest eigenvalue -?\d"),
        (lambda: mv().solve(MU), r"give exactly one of cov"),
        (lambda: mv().solve(MU, COV, factor=G), r"give exactly one of cov"),
        (lambda: mv().solve(MU, factor=G[:, :3]), r"factor: expected shape \(k, 4\)"),
        (lambda: mv().solve(MU, COV, w0=[0.1] * 3), r"w0: expected 4 values"),
        (lambda: mv().solve(MU, COV, w0=[0, 0, 0, np.inf]), r"w0: 1 value\(s\) are NaN"),
        (lambda: mv().solve(MU, COV, risk_aversion=-1.0), r"risk_aversion: must be >= 0"),
        (lambda: mv().solve(MU, COV, risk_aversion=np.nan), r"risk_aversion: expected a fin"),
        (lambda: mv().solve("abc", COV), r"mu: not an array of numbers"),
        (lambda: mv().solve(MU, COV, target_return=0.01), r"build MeanVariance\(\.\.\., target"),
        (lambda: mv(target_return=True).solve(MU, COV), r"target_return: this optimizer was"),
        (lambda: MeanVariance(0), r"n_assets: expected an integer >= 1"),
        (lambda: MeanVariance(True), r"n_assets: expected an integer"),  # type: ignore[arg-type]
        (lambda: mv(costs=TradingCosts(linear=-0.01)), r"costs.linear: must be >= 0"),
        (lambda: mv(costs=TradingCosts(impact=[0, 0, -1, 0])), r"costs.impact: .* asset 2"),
        (lambda: mv(constraints=Constraints(turnover=-1)), r"turnover: must be >= 0"),
        (lambda: mv(constraints=Constraints(leverage=0.0)), r"leverage: must be positive"),
        (lambda: mv(constraints=Constraints(upper=[1, 1])), r"upper: expected 4 values"),
        (
            lambda: mv(constraints=Constraints(categories=(Category("x", (0, 9), upper=1),))),
            r"category 'x': asset 9 is not an index in 0\.\.3",
        ),
        (
            lambda: mv(constraints=Constraints(categories=(Category("x", (0, 0), upper=1),))),
            r"category 'x': needs distinct asset indices",
        ),
        (
            lambda: mv(constraints=Constraints(categories=(Category("x", (0,)),))),
            r"category 'x': give a lower or an upper bound",
        ),
        (
            lambda: mv(
                constraints=Constraints(
                    categories=(Category("x", (0,), upper=1), Category("x", (1,), upper=1))
                )
            ),
            r"categories: names must be unique",
        ),
        (
            lambda: mv(constraints=Constraints(turnover=1)).solve(MU, COV),
            None,
        ),
        (
            lambda: mv(constraints=Constraints(turnover=1)).solve(
                MU, COV, constraints=Constraints()
            ),
            r"constraints: not the structure this optimizer was built with",
        ),
        (
            lambda: mv().solve(MU, COV, costs=TradingCosts(linear=0.01)),
            r"costs: not the cost terms this optimizer was built with",
        ),
        (lambda: MinCVaR(N, 10).solve(np.zeros((9, N))), r"scenarios: expected shape \(10, 4\)"),
        (lambda: MinCVaR(N, 10).solve(np.zeros((10, N)), beta=1.0), r"beta: .* \(0, 1\)"),
        (
            lambda: MaxSharpe(N, costs=TradingCosts(impact=0.1)),
            r"max_sharpe: costs.impact is not supported",
        ),
        (
            lambda: MaxSharpe(N, constraints=Constraints(long_only=False)),
            r"max_sharpe: needs long-only, a leverage limit or both weight bounds",
        ),
        (lambda: RiskParity(N).solve(np.diag([1.0, 1.0, 0.0, 1.0])), r"asset 2 has no variance"),
        (lambda: RiskParity(N).solve(COV, budgets=[1, 1, 0, 1]), r"budgets: every risk budget"),
        (lambda: optimize("min_risk", mu=MU, cov=COV), r"objective: expected mean_variance"),  # type: ignore[arg-type]
        (lambda: optimize("min_cvar", mu=MU), r"min_cvar: needs scenarios"),
        (
            lambda: optimize("risk_parity", cov=COV, constraints=Constraints(upper=0.5)),
            r"risk_parity: takes no constraints",
        ),
        (
            lambda: optimize("risk_parity", cov=COV, constraints=Constraints(upper=np.ones(N))),
            r"risk_parity: takes no constraints",
        ),
        (lambda: optimize("risk_parity", cov=COV, constraints=Constraints()), None),
    ],
)
def test_bad_input_is_named(call: object, message: str | None) -> None:
    if message is None:  # the valid neighbour of the next case: it must pass
        assert isinstance(call(), Allocation)  # type: ignore[operator]
        return
    with pytest.raises(OptimizerInputError, match=message) as info:
        call()  # type: ignore[operator]
    # one family: callers catch bad input as InvalidInputError or ValueError
    assert isinstance(info.value, InvalidInputError)
    assert isinstance(info.value, ValueError)


@settings(max_examples=examples(30))
@given(
    which=st.sampled_from(["mu", "cov", "w0", "scenarios", "lower", "linear"]),
    data=st.data(),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_any_non_finite_entry_is_refused_and_located(
    which: str, data: st.DataObject, bad: float
) -> None:
    n = 3
    mu, cov, w0 = MU[:n].copy(), COV[:n, :n].copy(), np.full(n, 1 / n)
    scenarios = G[:, :n].copy()
    lower, linear = np.zeros(n), np.full(n, 0.001)
    arrays = {"mu": mu, "cov": cov, "w0": w0, "scenarios": scenarios, "lower": lower}
    arrays["linear"] = linear
    target = arrays[which]
    flat = data.draw(st.integers(0, target.size - 1), label="index")
    target.flat[flat] = bad
    if which == "cov":
        cov.T.flat[flat] = bad  # keep it symmetric: the NaN must be what is reported
    constraints = Constraints(lower=lower)
    costs = TradingCosts(linear=linear)
    name = "costs.linear" if which == "linear" else which

    def run() -> object:
        if which == "scenarios":
            cv = MinCVaR(n, len(scenarios), constraints=constraints, costs=costs)
            return cv.solve(scenarios, w0=w0)
        return MeanVariance(n, constraints=constraints, costs=costs).solve(mu, cov, w0=w0)

    with pytest.raises(OptimizerInputError, match=rf"^{name}: \d+ value\(s\) are NaN or inf"):
        run()


# --- infeasible constraints -------------------------------------------------------------------


def infeasible(call: object) -> tuple[str, ...]:
    with pytest.raises(OptimizerInfeasibleError) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, InvalidInputError)
    return info.value.constraints


@pytest.mark.parametrize(
    ("constraints", "w0", "names"),
    [
        (Constraints(lower=0.3), None, {"weight bounds", FULLY}),
        (Constraints(upper=0.2), None, {"weight bounds", FULLY}),
        (Constraints(lower=[0.5, 0, 0, 0], upper=[0.4, 1, 1, 1]), None, {"weight bounds"}),
        (Constraints(upper=[-0.1, 1, 1, 1]), None, {"long-only", "weight bounds"}),
        (Constraints(long_only=False, leverage=0.9), None, {"leverage", FULLY}),
        (
            Constraints(long_only=False, lower=[0.6, -1, -1, -1], leverage=1.1, upper=1.0),
            None,
            None,  # feasible: the neighbour of the next case
        ),
        (
            Constraints(long_only=False, lower=[0.6, 0.6, -1, -1], upper=1.0, leverage=1.1),
            None,
            {"weight bounds", "leverage"},
        ),
        (
            Constraints(categories=(Category("stables", (0, 1), lower=0.5, upper=0.4),)),
            None,
            {"category 'stables'"},
        ),
        (
            Constraints(lower=0.2, categories=(Category("stables", (0, 1), upper=0.3),)),
            None,
            {"category 'stables'", "weight bounds"},
        ),
        (
            Constraints(
                upper=[0.2, 0.2, 1, 1], categories=(Category("stables", (0, 1), lower=0.5),)
            ),
            None,
            {"category 'stables'", "weight bounds"},
        ),
        (Constraints(turnover=0.1), [0.25, 0.25, 0.25, 0.0], {"turnover", FULLY}),
        (Constraints(upper=0.3, turnover=0.1), [0.6, 0.4, 0.0, 0.0], {"turnover", "weight bounds"}),
        # only the solver sees these: the LP diagnosis names them
        (
            Constraints(turnover=0.1, categories=(Category("stables", (0, 1), upper=0.3),)),
            [0.4, 0.4, 0.1, 0.1],
            {"turnover", "category 'stables'"},
        ),
        (
            Constraints(
                categories=(Category("btc", (0,), lower=0.6), Category("eth", (2,), lower=0.5))
            ),
            None,
            {"category 'btc'", "category 'eth'", "long-only", FULLY},
        ),
        (
            Constraints(
                upper=[0.5, 0.5, 1, 1],
                categories=(
                    Category("majors", (0, 1), lower=0.9),
                    Category("alts", (2, 3), lower=0.2),
                ),
                turnover=2.0,
            ),
            None,
            {"category 'majors'", "category 'alts'", FULLY},
        ),
    ],
)
def test_infeasible_constraints_are_named(
    constraints: Constraints, w0: list[float] | None, names: set[str] | None
) -> None:
    opt = MeanVariance(N, constraints=constraints)
    if names is None:
        assert opt.solve(MU, COV, w0=w0).status == "optimal"
        return
    assert set(infeasible(lambda: opt.solve(MU, COV, w0=w0))) == names


def test_unreachable_target_return_is_named() -> None:
    opt = MeanVariance(N, constraints=Constraints(upper=0.5), target_return=True)
    best = float(np.sort(MU)[-2:].sum() * 0.5)  # the best: half in each of the top two
    assert opt.solve(MU, COV, target_return=best - 1e-6).status == "optimal"
    # without long-only, shorting the worst asset to buy the third would reach it
    assert set(infeasible(lambda: opt.solve(MU, COV, target_return=best + 1e-4))) == {
        "target return",
        "weight bounds",
        "long-only",
        FULLY,
    }
    scenarios = G + MU
    cv = MinCVaR(N, len(G), target_return=True)
    top = float(scenarios.mean(axis=0).max())
    assert "target return" in infeasible(lambda: cv.solve(scenarios, target_return=top + 0.01))


def test_target_return_out_of_reach_only_through_impact() -> None:
    """The linear constraints allow the target, but not once the impact of getting there is
    paid: the error says so (no constraint set to name)."""
    opt = MeanVariance(N, costs=TradingCosts(impact=5.0), target_return=True)
    names = infeasible(lambda: opt.solve(MU, COV, w0=np.zeros(N), target_return=0.019))
    assert names == ()
    with pytest.raises(OptimizerInfeasibleError, match="net of the impact term"):
        opt.solve(MU, COV, w0=np.zeros(N), target_return=0.019)


def only(constraints: Constraints, names: set[str]) -> Constraints:
    """The constraints of ``constraints`` that errors name ``names`` (fully invested is
    always there)."""
    upper = constraints.upper
    if upper is None and constraints.long_only:
        upper = 1.0  # long-only's default bound, part of "weight bounds"
    bounds = "weight bounds" in names
    return Constraints(
        long_only="long-only" in names,
        lower=constraints.lower if bounds else None,
        upper=upper if bounds else None,
        leverage=constraints.leverage if "leverage" in names else None,
        categories=tuple(c for c in constraints.categories if f"category {c.name!r}" in names),
        turnover=constraints.turnover if "turnover" in names else None,
    )


@settings(max_examples=examples(30))
@given(
    case=cases(costs=False),
    data=st.data(),
    delta=floats(0.3, 1.0),
    turnover=floats(0.0, 0.05),
)
def test_the_named_constraints_conflict_and_each_is_needed(
    case: Case, data: st.DataObject, delta: float, turnover: float
) -> None:
    """A tight turnover limit from current weights that move the known feasible portfolio by
    ``delta`` between two assets: when that is infeasible, the named constraints are
    infeasible on their own and each is needed (drop one and the rest can be met). Those
    checks go through the optimizer itself, not the LP that named them."""
    i, j = data.draw(st.permutations(range(case.n)), label="pair")[:2]
    w0 = case.point.copy()
    w0[i] += delta
    w0[j] -= delta
    broken = replace(case.constraints, turnover=turnover)
    try:
        a = MeanVariance(case.n, constraints=broken).solve(case.mu, case.cov, w0=w0)
    except OptimizerInfeasibleError as exc:
        names = set(exc.constraints)
    else:
        assert np.abs(a.weights - w0).sum() <= turnover + 1e-6
        return
    assert "turnover" in names
    assert set(infeasible(lambda: MeanVariance(case.n, constraints=only(broken, names)).solve(
        case.mu, case.cov, w0=w0))) == names  # fmt: skip
    for name in names - {FULLY}:
        relaxed = only(broken, names - {name})
        a = MeanVariance(case.n, constraints=relaxed).solve(case.mu, case.cov, w0=w0)
        assert a.status in ("optimal", "optimal_inaccurate")


# --- token units ------------------------------------------------------------------------------


def allocation(weights: list[float], current: list[float]) -> Allocation:
    a = optimize("risk_parity", cov=np.eye(len(weights)))
    return replace(a, weights=np.array(weights), current=np.array(current))


def test_token_trades_are_exact_integers_rounded_toward_zero() -> None:
    a = allocation([0.1, 0.2, 0.7], [0.3, 0.2, 0.5])
    raw = a.token_trades(Decimal("1234567.89"), [Fraction(3000), 1.0, Decimal("0.5")], [18, 6, 8])
    assert all(type(x) is int for x in raw)
    with localcontext() as ctx:
        ctx.prec = 120
        for dw, price, dec, got in zip(
            a.trades, [Decimal(3000), Decimal(1), Decimal("0.5")], [18, 6, 8], raw, strict=True
        ):
            want = Decimal(float(dw)) * Decimal("1234567.89") * 10**dec / price
            assert got == int(want.to_integral_value(rounding=ROUND_DOWN))
    assert raw[0] < 0  # a sale
    assert raw[1] == 0  # no change
    assert raw[2] > 0
    # 18 decimals: exact past a float's 16 significant digits
    assert len(str(abs(raw[0]))) >= 20


def test_dust_is_not_a_trade() -> None:
    a = allocation([0.5 + 1e-9, 0.5 - 1e-9], [0.5, 0.5])
    assert a.token_trades(10**6, [1, 1], [18, 18]) == (0, 0)
    assert a.token_trades(10**6, [1, 1], [18, 18], dust=0)[0] > 0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"nav": 0}, "nav: must be positive"),
        ({"nav": float("nan")}, "nav: expected a finite number"),
        ({"nav": "1"}, "nav: expected a number"),
        ({"prices": [1, 0]}, r"prices\[1\]: must be positive"),
        ({"prices": [1]}, "prices and decimals: expected 2 each"),
        ({"decimals": [18, 256]}, r"decimals\[1\]: expected 0\.\.255"),
        ({"decimals": [18, 1.0]}, r"decimals\[1\]: expected 0\.\.255"),
    ],
)
def test_token_trades_bad_input(kw: dict[str, object], message: str) -> None:
    a = allocation([0.4, 0.6], [0.5, 0.5])
    args: dict[str, object] = {"nav": 10**6, "prices": [1, 2], "decimals": [18, 6], **kw}
    with pytest.raises(OptimizerInputError, match=message):
        a.token_trades(**args)  # type: ignore[arg-type]


def test_allocation_arrays_are_read_only() -> None:
    a = MeanVariance(N).solve(MU, COV)
    with pytest.raises(ValueError, match="read-only"):
        a.weights[0] = 1.0
    assert not a.trades.flags.writeable
