r"""Closed forms of the linear state recurrences found in a spec, derived by one routine.

Any state update of the form :math:`s_t = a\,s_{t-1} + c\,\phi(g_t)` (Adam's :math:`m` and
:math:`v`, RMSProp's :math:`s`, a momentum buffer, Adagrad's accumulator, a new optimizer's EMA)
is read off the spec's equations by :func:`linear_recurrence`, and :func:`analyse` derives from it

* the closed form :math:`s_t = a^t s_0 + \sum_{i=1}^t c\,a^{t-i}\phi(g_i)` (symbolic ``t`` as a
  ``Sum``; concrete ``t`` as the explicit expansion of :func:`unroll`);
* the weight :math:`w_{t,i} = c\,a^{t-i}` of each input and their sum :math:`W_t`
  (:math:`1 - b^t` for an EMA), the bias-correction factor :math:`1/W_t`;
* the effective window :math:`1/(1-a)`, mean age, half-life :math:`\ln\frac12/\ln a`, and the
  steps until :math:`a^t \le \delta`, :math:`\lceil \ln\delta / \ln a\rceil` (checked exactly);
* the bias-free form :math:`\hat s_t = \hat s_{t-1} + \frac{c}{W_t}(\phi(g_t) - \hat s_{t-1})`,
  which equals :math:`s_t / W_t` for every ``t`` when :math:`s_0 = 0`.

Nothing here trusts ``Sum``: every closed form is substituted back into its recurrence and
simplified to zero, compared with the explicit expansion for small ``t``, and evaluated at
random rational points (:mod:`optmath.symbolic.checks`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import DomainError
from ..spec import Algorithm, g, sym, t
from .assume import symbol
from .checks import simplifies_to_zero, worst_at_points

i_ = sp.Symbol("i", integer=True, positive=True)
T_ = sp.Symbol("t", integer=True, positive=True)
G = sp.IndexedBase("g", real=True)
U = sp.Symbol("u", real=True)  # the abstract input of a recurrence


def assumption_map(expr, alg: Algorithm | None = None) -> dict:
    """Hyperparameter symbols -> symbols carrying the domain assumptions of :mod:`.assume`.

    State variables, temporaries, ``x``, ``g`` and ``t`` are left alone.
    """
    from .assume import hyper_domain

    hypers = None if alg is None else {h.name: h for h in alg.spec.hypers}
    states = set() if alg is None else {v.name for v in alg.states} | {a.target for a in alg.updates}
    out = {}
    for s in sp.sympify(expr).free_symbols:
        name = str(s)
        if not isinstance(s, sp.Symbol) or name in ("x", "g", "t", "d") or name in states:
            continue
        if hypers is None or name == "lr":
            out[s] = symbol(name)
        elif name in hypers:
            out[s] = symbol(name, hyper_domain(hypers[name]))
    return out


def _update_of(alg: Algorithm, state: str) -> sp.Expr:
    """The update of ``state`` with every temporary computed before it in the step written out
    (LaProp's momentum averages ``g / D`` with ``D`` computed from ``v`` and ``t``: read as a
    constant, ``D`` would make a time-varying input look like a fixed gain)."""
    names = {v.name for v in alg.states}
    temps: dict = {}
    for a in alg.updates:
        if a.target == state:
            return a.expr.subs(temps) if temps else a.expr
        if a.target not in names and a.target not in ("x", "g"):
            temps[sym(a.target)] = a.expr.subs(temps) if temps else a.expr
    raise DomainError(f"{alg.spec.name} has no update of state {state!r}; "
                      f"its states are {', '.join(s.name for s in alg.states) or 'none'}")


@dataclass(frozen=True)
class LinearRecurrence:
    r"""``s_t = decay * s_{t-1} + gain * drive``; ``drive`` holds ``g`` (and maybe other states)."""

    optimizer: str
    profile: str
    state: str
    decay: sp.Expr
    gain: sp.Expr
    drive: sp.Expr
    init: sp.Expr

    def rhs(self, s, u=None) -> sp.Expr:
        """The right-hand side with state ``s`` and input ``u`` (default: the drive)."""
        return self.decay * s + self.gain * (self.drive if u is None else u)

    @property
    def time_invariant(self) -> bool:
        return not (self.decay.has(T_) or self.gain.has(T_))


def linear_recurrence(alg: Algorithm, state: str) -> LinearRecurrence:
    """Read ``s <- a s + c phi(g)`` off ``alg``'s update of ``state`` (no per-optimizer code)."""
    expr = _update_of(alg, state)
    if expr.has(sp.Piecewise, sp.Max, sp.Min, sp.sign, sp.Abs):
        raise DomainError(f"the update of {state!r} in {alg.spec.name} ({alg.profile}) is not a "
                          f"linear recurrence: {expr}")
    s = sym(state)
    amap = assumption_map(expr, alg)
    e = expr.subs(amap).subs(t, T_)
    if sp.diff(e, s, 2) != 0:
        raise DomainError(f"the update of {state!r} is not linear in {state}: {expr}")
    a = sp.factor(sp.diff(e, s))
    if a == 0:
        raise DomainError(f"the update of {state!r} in {alg.spec.name} ({alg.profile}) keeps no memory of "
                          f"{state} (decay 0): it holds the last input, {expr}, not an average")
    rest = sp.simplify(e.subs(s, 0))
    if rest.has(s) or a.has(g):
        raise DomainError(f"the update of {state!r} is not of the form a*{state} + c*phi(g)")
    if rest == 0:
        gain, drive = sp.Integer(0), sp.Integer(0)
    else:
        gain, drive = rest.as_independent(g, *[sym(v.name) for v in alg.states], as_Add=False)
        if drive == 1:  # no gradient in the input: the whole rest is the drive
            gain, drive = sp.Integer(1), rest
    if gain == 0:
        raise DomainError(f"the update of {state!r} in {alg.spec.name} has no input (it is a "
                          f"product, not an average): {expr}")
    init = None
    for v in alg.states:
        if v.name == state:
            init = sp.sympify(v.init).subs(assumption_map(v.init, alg))
    return LinearRecurrence(alg.spec.name, alg.profile, state, a, gain, drive,
                            sp.Integer(0) if init is None else init)


@dataclass(frozen=True)
class Unrolled:
    state: str
    steps: int
    expansion: sp.Expr  # s_T in terms of g_1..g_T and s_0
    gradients: tuple[sp.Symbol, ...]
    initial: sp.Symbol
    partial: tuple[sp.Expr, ...] = ()  # s_1 .. s_T, the expansion after each step


def unroll(alg: Algorithm, state: str, steps: int) -> Unrolled:
    """Explicit ``s_T`` after ``steps`` updates, with gradients ``g_1..g_T`` and start ``s_0``.

    This substitutes the spec's own update into itself; it is the independent check of every
    closed form.
    """
    if not isinstance(steps, int) or steps < 1:
        raise DomainError(f"steps = {steps!r} must be a positive integer")
    linear_recurrence(alg, state)  # refuses non-linear updates with a clear message
    s = sym(state)
    expr = _update_of(alg, state)
    s0 = sp.Symbol(f"{state}_0", real=True)
    gs = tuple(sp.Symbol(f"g_{k}", real=True) for k in range(1, steps + 1))
    cur = s0
    partial = []
    for k in range(steps):
        cur = sp.expand(expr.subs({s: cur, g: gs[k], t: k + 1}, simultaneous=True))
        partial.append(cur)
    return Unrolled(state, steps, cur, gs, s0, tuple(partial))


def weights(u: Unrolled) -> list[sp.Expr]:
    """The weight of each ``g_i`` in the expansion (``i = 1..T``; linear drives)."""
    return [sp.factor(u.expansion.coeff(gi)) for gi in u.gradients]


def limit_t_inf(expr, var=None, simplify: bool = True):
    r""":math:`\lim_{t\to\infty}` with every decay symbol known to lie in (0, 1).

    Each decay ``b`` is written ``1/(1 + r_b)`` with ``r_b > 0`` for the limit (so SymPy knows
    :math:`b^t \to 0`) and mapped back afterwards.  ``simplify=False`` leaves the result as the
    limit gives it (callers holding ``sign`` or ``Max`` keep them unrewritten).
    """
    from .assume import decays_inside

    var = T_ if var is None else var
    expr = sp.sympify(expr)
    fwd, back = decays_inside(expr)
    tt = sp.Dummy("t", positive=True)
    finish = sp.simplify if simplify else (lambda e: e)
    try:
        return finish(sp.limit(expr.subs(var, tt).subs(fwd), tt, sp.oo).subs(back))
    except NotImplementedError:
        # SymPy cannot sign log(base): decide |base| < 1 at random points of the domains and
        # drop those powers (stated as a numeric step, not a proof)
        from .checks import evaluate
        from .assume import sample

        def small(p):
            base, ex = p.as_base_exp()
            if not ex.has(var):
                return False
            pts = sample(base.free_symbols, 20, 0)
            return all(abs(complex(evaluate(base, pt))) < 1 for pt in pts)

        combined = sp.powsimp(sp.expand(sp.factor(expr)), force=True, combine="all")
        reduced = combined.replace(lambda e: isinstance(e, sp.Pow) and small(e), lambda e: sp.Integer(0))
        return finish(reduced if not reduced.has(var) else sp.limit(reduced.subs(var, tt), tt, sp.oo))


def _below_one(a) -> bool:
    """|a| < 1 on the declared domains: by assumption for a decay symbol, else by SymPy, else
    at 40 random rational points (a numeric step, used only to accept a limit)."""
    from .assume import is_decay, sample
    from .checks import evaluate

    if isinstance(a, sp.Symbol) and is_decay(a):
        return True
    try:
        if sp.simplify(sp.Abs(a) < 1) == sp.true:
            return True
    except TypeError:
        pass
    return all(abs(complex(evaluate(a, pt))) < 1 for pt in sample(a.free_symbols, 40, 0))


def _drop_unit_branch(expr):
    """Take the ``a != 1`` branch of a ``Piecewise`` returned by ``summation``."""
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        for val, cond in expr.args:
            if cond == sp.true or (cond.has(sp.Ne) or not cond.has(sp.Eq)):
                return val
        return expr.args[-1][0]
    return expr


@dataclass
class EMAForm:
    """Everything :func:`analyse` derives for one linear state, with its checks."""

    recurrence: LinearRecurrence
    closed_form: sp.Expr  # s_t for symbolic t (a Sum, or a Sum of Products)
    weight: sp.Expr  # w_{t,i}
    weight_sum: sp.Expr | None  # W_t
    correction: sp.Expr | None  # 1 / W_t
    limit_sum: sp.Expr | None  # W_oo (None when it diverges or a depends on t)
    window: sp.Expr | None
    mean_age: sp.Expr | None
    half_life: sp.Expr | None
    bias_free: sp.Expr | None  # update of s_hat in terms of s_hat (the state symbol) and drive
    checks: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        def s(e):
            return None if e is None else str(e)
        r = self.recurrence
        return {"optimizer": r.optimizer, "profile": r.profile, "state": r.state,
                "recurrence": f"{r.state}_t = {r.rhs(sp.Symbol(r.state + '_{t-1}'))}",
                "decay": s(r.decay), "gain": s(r.gain), "drive": s(r.drive), "init": s(r.init),
                "closed_form": s(self.closed_form), "weight": s(self.weight),
                "weight_sum": s(self.weight_sum), "correction": s(self.correction),
                "limit_sum": s(self.limit_sum), "window": s(self.window),
                "mean_age": s(self.mean_age), "half_life": s(self.half_life),
                "bias_free": s(self.bias_free), "checks": self.checks}


def _sum_check(W, a, c, T_max=6) -> dict:
    """W_t against its recurrence (symbolic), base case, and the explicit sums t = 1..T_max."""
    rec = simplifies_to_zero(W - a * W.subs(T_, T_ - 1) - c) if not a.has(T_) else None
    base = simplifies_to_zero(W.subs(T_, 1) - c.subs(T_, 1))
    explicit = all(
        simplifies_to_zero(W.subs(T_, n) - sum(c.subs(T_, k) * sp.Mul(*[a.subs(T_, j) for j in range(k + 1, n + 1)])
                                               for k in range(1, n + 1)))
        for n in range(1, T_max + 1))
    pts = worst_at_points((W - a * W.subs(T_, T_ - 1) - c), n=12, seed=1) if rec is not None else None
    return {"weight_sum_satisfies_recurrence": rec, "weight_sum_base_case": base,
            "weight_sum_matches_explicit_sums_t_1_to_6": explicit,
            "weight_sum_recurrence_at_random_points": None if pts is None else pts.zero}


def analyse(alg: Algorithm, state: str) -> EMAForm:
    """Derive the closed form, weights, correction, window and bias-free form of ``state``.

    Examples
    --------
    >>> from optmath import get_spec
    >>> f = analyse(get_spec("adam").resolve("paper"), "m")
    >>> f.weight_sum, f.correction
    (1 - b1**t, 1/(1 - b1**t))
    """
    rec = linear_recurrence(alg, state)
    a, c = rec.decay, rec.gain
    phi_i = rec.drive.subs({g: G[i_], T_: i_})  # the input of step i (LaProp's reads the step's t)
    s0 = sp.Symbol(f"{state}_0", real=True)
    checks: dict = {}
    if not (a.has(T_) or c.has(T_)):
        weight = c * a ** (T_ - i_)
        closed = a**T_ * s0 + sp.Sum(weight * phi_i, (i_, 1, T_))
        W = sp.factor(sp.simplify(_drop_unit_branch(sp.summation(weight, (i_, 1, T_)))))
        checks.update(_sum_check(W, a, c))
        corr = sp.simplify(1 / W)
        if a == 1:
            lim = window = mean_age = half = None
        else:
            lim = sp.simplify(c / (1 - a))
            # W_t = W_oo (1 - a^t), and a^t -> 0 because |a| < 1 on the domain
            rest = W - lim * (1 - a**T_)
            checks["limit_of_weight_sum"] = ((simplifies_to_zero(rest) or
                                              worst_at_points(rest, n=30, seed=2).zero)
                                             and _below_one(a))
            window = sp.simplify(1 / (1 - a))
            k = sp.Dummy("k", integer=True, nonnegative=True)
            mean_age = sp.simplify(_drop_unit_branch(sp.summation(k * (1 - a) * a**k, (k, 0, sp.oo))))
            checks["mean_age_equals_a_over_1_minus_a"] = simplifies_to_zero(mean_age - a / (1 - a))
            half = sp.log(sp.Rational(1, 2)) / sp.log(a)
    else:
        # time-varying coefficients: the closed form is a Sum of Products, no closed W_t claimed
        j = sp.Symbol("j", integer=True, positive=True)
        weight = c.subs(T_, i_) * sp.Product(a.subs(T_, j), (j, i_ + 1, T_))
        closed = sp.Product(a.subs(T_, j), (j, 1, T_)) * s0 + sp.Sum(weight * phi_i, (i_, 1, T_))
        W = corr = lim = window = mean_age = half = None
    # the closed form against the explicit expansion of the spec's own update
    exp_ok = True
    u = unroll(alg, state, 5)
    amap = assumption_map(u.expansion, alg)
    for n in range(1, 6):
        expansion = u.partial[n - 1].subs(amap)
        expected = closed.subs(T_, n).doit().subs({G[k]: u.gradients[k - 1] for k in range(1, n + 1)})
        exp_ok &= simplifies_to_zero(sp.expand(expansion - expected.subs(s0, u.initial)))
    checks["closed_form_matches_expansion_t_1_to_5"] = exp_ok
    bias_free = None
    if W is not None:
        s = sp.Symbol(state, real=True)
        bias_free = s + (c / W) * (rec.drive - s)
        checks["bias_free_equals_corrected_all_t"] = _bias_free_induction(a, c, W)
    return EMAForm(rec, closed, weight, W, corr, lim, window, mean_age, half, bias_free, checks)


def _bias_free_induction(a, c, W) -> bool:
    r"""Prove :math:`\hat s_t = s_t / W_t` for all t >= 1 by induction (with :math:`s_0 = 0`).

    Base: :math:`\hat s_1 = \hat s_0 + (c/W_1)(u_1 - \hat s_0) = u_1 = s_1/W_1` since
    :math:`W_1 = c` and :math:`s_1 = c u_1`.  Step: assume :math:`\hat s_{t-1} = s_{t-1}/W_{t-1}`
    and simplify :math:`\hat s_t - (a s_{t-1} + c u_t)/W_t` to zero.
    """
    sprev, u, hat0 = sp.symbols("s_prev u hat_0", real=True)
    base = simplifies_to_zero(hat0 + (c.subs(T_, 1) / W.subs(T_, 1)) * (u - hat0) - c.subs(T_, 1) * u / W.subs(T_, 1))
    Wp = W.subs(T_, T_ - 1)
    hat_prev = sprev / Wp
    hat = hat_prev + (c / W) * (u - hat_prev)
    step = simplifies_to_zero(sp.together(hat - (a * sprev + c * u) / W))
    return bool(base and step)


# --- numbers derived from the closed forms ------------------------------------------------
def steps_until(decay, delta, kind: str = "weight") -> int:
    r"""Smallest ``t`` with :math:`a^t \le \delta` (``kind="weight"``: the weight sum
    :math:`1 - a^t` is within ``delta`` of 1) or with :math:`1/(1-a^t) \le 1 + \delta`
    (``kind="factor"``: the correction factor is within ``delta`` of 1).

    The closed form :math:`\lceil \ln\delta / \ln a\rceil` is evaluated and then confirmed (and
    corrected if rounding put it off by one) by comparing :math:`a^t` with the bound at 50 digits.

    >>> steps_until(0.999, 0.01)
    4603
    """
    a = Fraction(str(decay)) if not isinstance(decay, Fraction) else decay
    dl = Fraction(str(delta)) if not isinstance(delta, Fraction) else delta
    if not 0 < a < 1:
        raise DomainError(f"decay = {decay} must lie in (0, 1)")
    if not 0 < dl < 1:
        raise DomainError(f"delta = {delta} must lie in (0, 1)")
    if kind not in ("weight", "factor"):
        raise DomainError(f"kind = {kind!r} must be 'weight' or 'factor'")
    bound = dl if kind == "weight" else dl / (1 + dl)
    with mpmath.workdps(50):
        la = mpmath.log(mpmath.mpf(a.numerator) / a.denominator)
        lb = mpmath.log(mpmath.mpf(bound.numerator) / bound.denominator)
        n = max(1, int(mpmath.ceil(lb / la)))

        def ok(k):
            return k * la <= lb

        while not ok(n):
            n += 1
        while n > 1 and ok(n - 1):
            n -= 1
    return n


def weight_table(alg: Algorithm, state: str, T: int, **values) -> list[dict]:
    r"""Exact rational weights of a linear state for ``t = 1..T``: for every ``i <= t``, the raw
    weight of :math:`\phi(g_i)` in :math:`s_t`, its share of the total :math:`w_{t,i}/W_t`, and
    its share relative to a uniform average, :math:`t\,w_{t,i}/W_t`.

    Values come from ``values`` (e.g. ``b1=Fraction(999, 1000)`` or ``0.999``, read as the
    decimal it prints as) or the algorithm's defaults.  The weights are read off the explicit
    expansion of the spec's update, not off the closed form.
    """
    if not isinstance(T, int) or T < 1 or T > 2000:
        raise DomainError(f"T = {T!r} must be an integer in [1, 2000]")
    rec = linear_recurrence(alg, state)
    subs = {}
    for sname in (rec.decay.free_symbols | rec.gain.free_symbols) - {T_}:
        v = values.get(str(sname), alg.values.get(str(sname)))
        if v is None:
            raise DomainError(f"no value for {sname}")
        subs[sname] = sp.Rational(str(v)) if not isinstance(v, Fraction) else sp.Rational(v.numerator, v.denominator)
    a, c = rec.decay.subs(subs), rec.gain.subs(subs)
    rows = []
    coeffs: list = []  # coefficient of u_i in s_t, updated by the recurrence itself
    for n in range(1, T + 1):
        an, cn = a.subs(T_, n), c.subs(T_, n)
        coeffs = [an * w for w in coeffs] + [cn]
        total = sum(coeffs)
        for k, w in enumerate(coeffs, 1):
            share = w / total
            rows.append({"t": n, "i": k, "raw": w, "share": share, "relative": share * n})
    return rows
