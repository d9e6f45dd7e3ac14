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


@njit(cache=True, error_model="numpy")
def _sgd(x, g, st, hp, lr, t):
    mu, damp, wd = hp[0], hp[1], hp[2]
    kind, form, first_grad = int(hp[3]), int(hp[4]), hp[5] != 0.0
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        if kind == 0:
            x[i] = x[i] - lr * gi
        elif form == 0:
            if t == 1 and first_grad:
                b = gi
            else:
                b = mu * st[0, i] + (1.0 - damp) * gi
            st[0, i] = b
            if kind == 2:
                x[i] = x[i] - lr * (gi + mu * b)
            else:
                x[i] = x[i] - lr * b
        else:
            v = mu * st[1, i] - lr * gi
            st[1, i] = v
            if kind == 2 and form == 1:
                x[i] = x[i] + mu * v - lr * gi
            else:
                x[i] = x[i] + v


@njit(cache=True, error_model="numpy")
def _adagrad(x, g, st, hp, lr, t):
    eps, lr_decay, wd, inside = hp[0], hp[1], hp[2], hp[3] != 0.0
    clr = lr / (1.0 + (t - 1) * lr_decay)
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        s = st[0, i] + gi * gi
        st[0, i] = s
        if inside:
            x[i] = x[i] - clr * gi / math.sqrt(s + eps)
        else:
            x[i] = x[i] - clr * gi / (math.sqrt(s) + eps)


@njit(cache=True, error_model="numpy")
def _rmsprop(x, g, st, hp, lr, t):
    alpha, eps, mu, wd = hp[0], hp[1], hp[2], hp[3]
    centered, inside, kind, lr_inside = hp[4] != 0.0, hp[5] != 0.0, int(hp[6]), hp[7] != 0.0
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        s = alpha * st[0, i] + (1.0 - alpha) * (gi * gi)  # the order the spec prints: s - a^2 cancels
        st[0, i] = s
        var = s
        if centered:
            a = alpha * st[1, i] + (1.0 - alpha) * gi
            st[1, i] = a
            var = s - a * a
        rms = math.sqrt(var + eps) if inside else math.sqrt(var) + eps
        if kind == 0:
            x[i] = x[i] - lr * gi / rms
        else:
            scale = lr if lr_inside else 1.0
            b = mu * st[2, i] + scale * gi / rms
            st[2, i] = b
            direction = b if kind == 1 else mu * b + scale * gi / rms
            x[i] = x[i] - (1.0 if lr_inside else lr) * direction


@njit(cache=True, error_model="numpy")
def _adadelta(x, g, st, hp, lr, t):
    rho, eps, wd = hp[0], hp[1], hp[2]
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        s = rho * st[0, i] + (1.0 - rho) * gi * gi
        st[0, i] = s
        delta = math.sqrt(st[1, i] + eps) / math.sqrt(s + eps) * gi
        st[1, i] = rho * st[1, i] + (1.0 - rho) * delta * delta
        x[i] = x[i] - lr * delta


@njit(cache=True, error_model="numpy")
def _adam(x, g, st, hp, lr, t):
    b1, b2, eps, eps_root, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    wd_mode, second, ams = int(hp[5]), int(hp[6]), int(hp[7])
    correct, eps_hat, lerp = hp[8] != 0.0, hp[9] != 0.0, hp[10] != 0.0
    tf = float(t)
    bc1 = 1.0 - b1**tf if correct else 1.0
    bc2 = 1.0 - b2**tf if correct else 1.0
    er = eps_root if second != 2 else 0.0
    for i in range(x.shape[0]):
        xi, gi = x[i], g[i]
        if wd_mode == 1:
            gi = gi + wd * xi
        elif wd_mode == 2:
            xi = xi - lr * wd * xi
        elif wd_mode == 3:
            xi = xi - wd * xi
        m = _ema(st[0, i], gi, b1, lerp)
        v = st[1, i]
        if second == 0:
            v = b2 * v + (1.0 - b2) * gi * gi
        elif second == 1:
            g2 = gi * gi
            v = v - (1.0 - b2) * _sign(v - g2) * g2
        else:
            e = gi - m
            v = b2 * v + (1.0 - b2) * e * e + eps_root
        st[0, i], st[1, i] = m, v
        sec = v
        if ams == 1:
            sec = max(st[2, i], v)
            st[2, i] = sec
        elif ams == 2:
            sec = max(st[2, i], v / bc2)
            st[2, i] = sec
        if eps_hat:
            xi = xi - lr * math.sqrt(bc2) / bc1 * m / (math.sqrt(sec + er) + eps)
        else:
            vhat = sec if ams == 2 else sec / bc2
            xi = xi - lr * (m / bc1) / (math.sqrt(vhat + er) + eps)
        x[i] = xi


@njit(cache=True, error_model="numpy")
def _adamax(x, g, st, hp, lr, t):
    b1, b2, eps, mode, wd, lerp = hp[0], hp[1], hp[2], int(hp[3]), hp[4], hp[5] != 0.0
    bc1 = 1.0 - b1 ** float(t)
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        m = _ema(st[0, i], gi, b1, lerp)
        u = max(b2 * st[1, i], abs(gi) + (eps if mode == 0 else 0.0))
        st[0, i], st[1, i] = m, u
        den = u + eps if mode == 1 else u
        x[i] = x[i] - lr / bc1 * m / den


@njit(cache=True, error_model="numpy")
def _nadam_mu(b1, psi, sched, step):
    if sched == 2:
        return b1
    expo = psi * step if sched == 0 else step
    return b1 * (1.0 - 0.5 * 0.96**expo)


@njit(cache=True, error_model="numpy")
def _nadam(x, g, st, hp, lr, t):
    b1, b2, eps, psi, sched, wd, lerp = hp[0], hp[1], hp[2], hp[3], int(hp[4]), hp[5], hp[6] != 0.0
    tf = float(t)
    mu_t = _nadam_mu(b1, psi, sched, tf)
    mu_next = _nadam_mu(b1, psi, sched, tf + 1.0)
    bc2 = 1.0 - b2**tf
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        p = st[2, i] * mu_t
        m = _ema(st[0, i], gi, b1, lerp)
        v = b2 * st[1, i] + (1.0 - b2) * gi * gi
        st[0, i], st[1, i], st[2, i] = m, v, p
        den = math.sqrt(v / bc2) + eps
        x[i] = x[i] - lr * (1.0 - mu_t) / (1.0 - p) * gi / den - lr * mu_next / (1.0 - p * mu_next) * m / den


@njit(cache=True, error_model="numpy")
def _radam(x, g, st, hp, lr, t):
    b1, b2, eps, thr, ge, raw, wd, lerp = (hp[0], hp[1], hp[2], hp[3], hp[4] != 0.0,
                                           hp[5] == 0.0, hp[6], hp[7] != 0.0)
    tf = float(t)
    bc1 = 1.0 - b1**tf
    bc2 = 1.0 - b2**tf
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * tf * b2**tf / bc2
    on = rho_t > thr or (ge and rho_t == thr)
    rect = 0.0
    if on:
        rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
    for i in range(x.shape[0]):
        gi = g[i] + wd * x[i]
        m = _ema(st[0, i], gi, b1, lerp)
        v = b2 * st[1, i] + (1.0 - b2) * gi * gi
        st[0, i], st[1, i] = m, v
        mhat = m / bc1
        if on:
            if raw:
                adaptive = math.sqrt(bc2) / (math.sqrt(v) + eps)
            else:
                adaptive = 1.0 / (math.sqrt(v / bc2) + eps)
            x[i] = x[i] - lr * mhat * (rect * adaptive)
        else:
            x[i] = x[i] - lr * mhat


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
        m = st[0, i]
        c = b1 * m + (1.0 - b1) * g[i]
        x[i] = x[i] - lr * (_sign(c) + wd * x[i])
        st[0, i] = b2 * m + (1.0 - b2) * g[i]


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
