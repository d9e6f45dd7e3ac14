r"""Jitted step kernels, one body per optimizer family, dispatched by a family code.

Each ``_<family>`` function advances ``x`` (float64[d]) and the state rows ``st``
(float64[NS, d]) in place for step ``t`` (1-based) with learning rate ``lr``; ``hp`` holds
the family's hyperparameters and switch codes in the layout documented in
:mod:`optmath.kernels.plan`; ``work`` is a float64[d] scratch array.  Nothing here allocates
or draws random numbers.  ``fastmath`` is off everywhere so NaN and Inf stay visible, and
``error_model="numpy"`` makes a division by zero give Inf or NaN (IEEE) instead of raising
ZeroDivisionError, so a run reports the step where a value stopped being finite.

These kernels are written by hand from the update rules and are *checked against* the
reference step generated from each spec's SymPy equations (tests/test_kernels_vs_spec.py).
"""
from __future__ import annotations

import math

from numba import njit

SGD, ADAGRAD, RMSPROP, ADADELTA, ADAM, ADAMAX, NADAM, RADAM, ADAMP, LION = range(10)
NS = 3  # rows of the state array


@njit(cache=True, error_model="numpy")
def _sign(v):
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    if v == 0.0:
        return 0.0
    return v  # NaN stays NaN


@njit(cache=True, error_model="numpy")
def _ema(s, value, b, lerp):
    if lerp:
        return s + (1.0 - b) * (value - s)
    return b * s + (1.0 - b) * value


# -- lane functions ---------------------------------------------------------------------
# One coordinate (or one configuration's lane) of each elementwise family: pure functions of
# scalars, returning the new parameter and state values.  The per-coordinate loops below and
# the blocked sweep kernels (optmath.kernels.blocked) both call them, so the two compute the
# same floating-point operations in the same order; the ``*_times`` functions give the factors
# that depend on the step only (bias corrections, schedules), computed once per step.

@njit(cache=True, error_model="numpy")
def sgd_lane(xi, gi, b0, v0, mu, damp, wd, kind, form, first_grad, lr, t):
    gi = gi + wd * xi
    if kind == 0:
        return xi - lr * gi, b0, v0
    if form == 0:
        if t == 1 and first_grad:
            b = gi
        else:
            b = mu * b0 + (1.0 - damp) * gi
        if kind == 2:
            return xi - lr * (gi + mu * b), b, v0
        return xi - lr * b, b, v0
    v = mu * v0 - lr * gi
    if kind == 2 and form == 1:
        return xi + mu * v - lr * gi, b0, v
    return xi + v, b0, v


@njit(cache=True, error_model="numpy")
def adagrad_lr(lr, lr_decay, t):
    return lr / (1.0 + (t - 1) * lr_decay)


@njit(cache=True, error_model="numpy")
def adagrad_lane(xi, gi, s0, eps, wd, inside, clr):
    gi = gi + wd * xi
    s = s0 + gi * gi
    if inside:
        return xi - clr * gi / math.sqrt(s + eps), s
    return xi - clr * gi / (math.sqrt(s) + eps), s


@njit(cache=True, error_model="numpy")
def rmsprop_lane(xi, gi, s0, a0, b0, alpha, eps, mu, wd, centered, inside, kind, lr_inside, lr):
    gi = gi + wd * xi
    s = alpha * s0 + (1.0 - alpha) * (gi * gi)  # the order the spec prints: s - a^2 cancels
    var = s
    a = a0
    if centered:
        a = alpha * a0 + (1.0 - alpha) * gi
        var = s - a * a
    rms = math.sqrt(var + eps) if inside else math.sqrt(var) + eps
    if kind == 0:
        return xi - lr * gi / rms, s, a, b0
    scale = lr if lr_inside else 1.0
    b = mu * b0 + scale * gi / rms
    direction = b if kind == 1 else mu * b + scale * gi / rms
    return xi - (1.0 if lr_inside else lr) * direction, s, a, b


@njit(cache=True, error_model="numpy")
def adadelta_lane(xi, gi, s0, u0, rho, eps, wd, lr):
    gi = gi + wd * xi
    s = rho * s0 + (1.0 - rho) * gi * gi
    delta = math.sqrt(u0 + eps) / math.sqrt(s + eps) * gi
    u = rho * u0 + (1.0 - rho) * delta * delta
    return xi - lr * delta, s, u


@njit(cache=True, error_model="numpy")
def adam_times(b1, b2, correct, t):
    tf = float(t)
    bc1 = 1.0 - b1**tf if correct else 1.0
    bc2 = 1.0 - b2**tf if correct else 1.0
    return bc1, bc2


@njit(cache=True, error_model="numpy")
def adam_lane(xi, gi, m0, v0, vm0, b1, b2, eps, eps_root, wd, wd_mode, second, ams, eps_hat, lerp, lr, bc1, bc2):
    er = eps_root if second != 2 else 0.0
    if wd_mode == 1:
        gi = gi + wd * xi
    elif wd_mode == 2:
        xi = xi - lr * wd * xi
    elif wd_mode == 3:
        xi = xi - wd * xi
    m = _ema(m0, gi, b1, lerp)
    v = v0
    if second == 0:
        v = b2 * v + (1.0 - b2) * gi * gi
    elif second == 1:
        g2 = gi * gi
        v = v - (1.0 - b2) * _sign(v - g2) * g2
    else:
        e = gi - m
        v = b2 * v + (1.0 - b2) * e * e + eps_root
    sec = v
    vm = vm0
    if ams == 1:
        sec = max(vm0, v)
        vm = sec
    elif ams == 2:
        sec = max(vm0, v / bc2)
        vm = sec
    if eps_hat:
        return xi - lr * math.sqrt(bc2) / bc1 * m / (math.sqrt(sec + er) + eps), m, v, vm
    vhat = sec if ams == 2 else sec / bc2
    return xi - lr * (m / bc1) / (math.sqrt(vhat + er) + eps), m, v, vm


@njit(cache=True, error_model="numpy")
def adamax_times(b1, t):
    return 1.0 - b1 ** float(t)


@njit(cache=True, error_model="numpy")
def adamax_lane(xi, gi, m0, u0, b1, b2, eps, mode, wd, lerp, lr, bc1):
    gi = gi + wd * xi
    m = _ema(m0, gi, b1, lerp)
    u = max(b2 * u0, abs(gi) + (eps if mode == 0 else 0.0))
    den = u + eps if mode == 1 else u
    return xi - lr / bc1 * m / den, m, u


@njit(cache=True, error_model="numpy")
def _nadam_mu(b1, psi, sched, step):
    if sched == 2:
        return b1
    expo = psi * step if sched == 0 else step
    return b1 * (1.0 - 0.5 * 0.96**expo)


@njit(cache=True, error_model="numpy")
def nadam_times(b1, b2, psi, sched, t):
    tf = float(t)
    return _nadam_mu(b1, psi, sched, tf), _nadam_mu(b1, psi, sched, tf + 1.0), 1.0 - b2**tf


@njit(cache=True, error_model="numpy")
def nadam_lane(xi, gi, m0, v0, p0, b1, b2, eps, wd, lerp, lr, mu_t, mu_next, bc2):
    gi = gi + wd * xi
    p = p0 * mu_t
    m = _ema(m0, gi, b1, lerp)
    v = b2 * v0 + (1.0 - b2) * gi * gi
    den = math.sqrt(v / bc2) + eps
    return (xi - lr * (1.0 - mu_t) / (1.0 - p) * gi / den - lr * mu_next / (1.0 - p * mu_next) * m / den,
            m, v, p)


@njit(cache=True, error_model="numpy")
def radam_times(b1, b2, thr, ge, t):
    """``(bc1, bc2, rect, on)``: on = 1.0 when the rectified step is used."""
    tf = float(t)
    bc1 = 1.0 - b1**tf
    bc2 = 1.0 - b2**tf
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * tf * b2**tf / bc2
    on = rho_t > thr or (ge and rho_t == thr)
    rect = 0.0
    if on:
        rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
    return bc1, bc2, rect, 1.0 if on else 0.0


@njit(cache=True, error_model="numpy")
def radam_lane(xi, gi, m0, v0, b1, b2, eps, raw, wd, lerp, lr, bc1, bc2, rect, on):
    gi = gi + wd * xi
    m = _ema(m0, gi, b1, lerp)
    v = b2 * v0 + (1.0 - b2) * gi * gi
    mhat = m / bc1
    if on != 0.0:
        if raw:
            adaptive = math.sqrt(bc2) / (math.sqrt(v) + eps)
        else:
            adaptive = 1.0 / (math.sqrt(v / bc2) + eps)
        return xi - lr * mhat * (rect * adaptive), m, v
    return xi - lr * mhat, m, v


@njit(cache=True, error_model="numpy")
def lion_lane(xi, gi, m0, b1, b2, wd, lr):
    c = b1 * m0 + (1.0 - b1) * gi
    return xi - lr * (_sign(c) + wd * xi), b2 * m0 + (1.0 - b2) * gi


# -- per-coordinate steps ---------------------------------------------------------------

@njit(cache=True, error_model="numpy")
def _sgd(x, g, st, hp, lr, t):
    mu, damp, wd = hp[0], hp[1], hp[2]
    kind, form, first_grad = int(hp[3]), int(hp[4]), hp[5] != 0.0
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i] = sgd_lane(x[i], g[i], st[0, i], st[1, i], mu, damp, wd, kind, form,
                                            first_grad, lr, t)


@njit(cache=True, error_model="numpy")
def _adagrad(x, g, st, hp, lr, t):
    eps, lr_decay, wd, inside = hp[0], hp[1], hp[2], hp[3] != 0.0
    clr = adagrad_lr(lr, lr_decay, t)
    for i in range(x.shape[0]):
        x[i], st[0, i] = adagrad_lane(x[i], g[i], st[0, i], eps, wd, inside, clr)


@njit(cache=True, error_model="numpy")
def _rmsprop(x, g, st, hp, lr, t):
    alpha, eps, mu, wd = hp[0], hp[1], hp[2], hp[3]
    centered, inside, kind, lr_inside = hp[4] != 0.0, hp[5] != 0.0, int(hp[6]), hp[7] != 0.0
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i], st[2, i] = rmsprop_lane(x[i], g[i], st[0, i], st[1, i], st[2, i], alpha, eps, mu,
                                                          wd, centered, inside, kind, lr_inside, lr)


@njit(cache=True, error_model="numpy")
def _adadelta(x, g, st, hp, lr, t):
    rho, eps, wd = hp[0], hp[1], hp[2]
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i] = adadelta_lane(x[i], g[i], st[0, i], st[1, i], rho, eps, wd, lr)


@njit(cache=True, error_model="numpy")
def _adam(x, g, st, hp, lr, t):
    b1, b2, eps, eps_root, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    wd_mode, second, ams = int(hp[5]), int(hp[6]), int(hp[7])
    correct, eps_hat, lerp = hp[8] != 0.0, hp[9] != 0.0, hp[10] != 0.0
    bc1, bc2 = adam_times(b1, b2, correct, t)
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i], st[2, i] = adam_lane(x[i], g[i], st[0, i], st[1, i], st[2, i], b1, b2, eps,
                                                       eps_root, wd, wd_mode, second, ams, eps_hat, lerp, lr,
                                                       bc1, bc2)


@njit(cache=True, error_model="numpy")
def _adamax(x, g, st, hp, lr, t):
    b1, b2, eps, mode, wd, lerp = hp[0], hp[1], hp[2], int(hp[3]), hp[4], hp[5] != 0.0
    bc1 = adamax_times(b1, t)
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i] = adamax_lane(x[i], g[i], st[0, i], st[1, i], b1, b2, eps, mode, wd, lerp, lr, bc1)


@njit(cache=True, error_model="numpy")
def _nadam(x, g, st, hp, lr, t):
    b1, b2, eps, psi, sched, wd, lerp = hp[0], hp[1], hp[2], hp[3], int(hp[4]), hp[5], hp[6] != 0.0
    mu_t, mu_next, bc2 = nadam_times(b1, b2, psi, sched, t)
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i], st[2, i] = nadam_lane(x[i], g[i], st[0, i], st[1, i], st[2, i], b1, b2, eps, wd,
                                                        lerp, lr, mu_t, mu_next, bc2)


@njit(cache=True, error_model="numpy")
def _radam(x, g, st, hp, lr, t):
    b1, b2, eps, thr, ge, raw, wd, lerp = (hp[0], hp[1], hp[2], hp[3], hp[4] != 0.0,
                                           hp[5] == 0.0, hp[6], hp[7] != 0.0)
    bc1, bc2, rect, on = radam_times(b1, b2, thr, ge, t)
    for i in range(x.shape[0]):
        x[i], st[0, i], st[1, i] = radam_lane(x[i], g[i], st[0, i], st[1, i], b1, b2, eps, raw, wd, lerp, lr,
                                              bc1, bc2, rect, on)


@njit(cache=True, error_model="numpy")
def _adamp(x, g, st, hp, lr, t, work):
    b1, b2, eps, wd, delta, wd_ratio, nest = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6] != 0.0
    tf = float(t)
    bc1 = 1.0 - b1**tf
    bc2 = 1.0 - b2**tf
    n = x.shape[0]
    xg = 0.0
    xx = 0.0
    gg = 0.0
    for i in range(n):
        gi = g[i]
        m = b1 * st[0, i] + (1.0 - b1) * gi
        v = b2 * st[1, i] + (1.0 - b2) * gi * gi
        st[0, i], st[1, i] = m, v
        num = b1 * m + (1.0 - b1) * gi if nest else m
        work[i] = num / (math.sqrt(v) / math.sqrt(bc2) + eps)
        xg += x[i] * gi
        xx += x[i] * x[i]
        gg += gi * gi
    cos = abs(xg) / max(math.sqrt(xx) * math.sqrt(gg), eps)
    ratio = 1.0
    if cos < delta / math.sqrt(float(n)):
        nx = math.sqrt(xx) + eps
        xq = 0.0
        for i in range(n):
            xq += (x[i] / nx) * work[i]
        for i in range(n):
            work[i] = work[i] - (x[i] / nx) * xq
        ratio = wd_ratio
    for i in range(n):
        xi = x[i] * (1.0 - lr * wd * ratio)
        x[i] = xi - lr / bc1 * work[i]


@njit(cache=True, error_model="numpy")
def _lion(x, g, st, hp, lr, t):
    b1, b2, wd = hp[0], hp[1], hp[2]
    for i in range(x.shape[0]):
        x[i], st[0, i] = lion_lane(x[i], g[i], st[0, i], b1, b2, wd, lr)


@njit(cache=True, error_model="numpy")
def step(fam, x, g, st, hp, lr, t, work):
    """Advance ``x`` and ``st`` by one step of family ``fam`` (see module docstring)."""
    if fam == SGD:
        _sgd(x, g, st, hp, lr, t)
    elif fam == ADAGRAD:
        _adagrad(x, g, st, hp, lr, t)
    elif fam == RMSPROP:
        _rmsprop(x, g, st, hp, lr, t)
    elif fam == ADADELTA:
        _adadelta(x, g, st, hp, lr, t)
    elif fam == ADAM:
        _adam(x, g, st, hp, lr, t)
    elif fam == ADAMAX:
        _adamax(x, g, st, hp, lr, t)
    elif fam == NADAM:
        _nadam(x, g, st, hp, lr, t)
    elif fam == RADAM:
        _radam(x, g, st, hp, lr, t)
    elif fam == ADAMP:
        _adamp(x, g, st, hp, lr, t, work)
    else:
        _lion(x, g, st, hp, lr, t)


@njit(cache=True, error_model="numpy")
def eval_point(fam, x, st, hp, out):
    """Where the gradient of the next step is taken: ``x``, or ``x + mu v`` for Sutskever's
    look-ahead Nesterov form."""
    look = fam == SGD and int(hp[3]) == 2 and int(hp[4]) == 2
    for i in range(x.shape[0]):
        out[i] = x[i] + hp[0] * st[1, i] if look else x[i]
