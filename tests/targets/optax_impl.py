"""Hand-written optax GradientTransformation factories, as a user would write them (correct).

Parameters are a list of arrays; each factory loops over the leaves explicitly.  A callable
learning_rate is a schedule evaluated at the step count, as in optax.
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class State(NamedTuple):
    count: Any
    slots: Any


def _lr(learning_rate, count):
    return learning_rate(count) if callable(learning_rate) else learning_rate


def _zeros(params, n):
    return [[jnp.zeros_like(p) for p in params] for _ in range(n)]


class AdamState(NamedTuple):
    count: Any  # the step counter of the bias correction
    step: Any  # the counter of the learning-rate schedule (optax keeps it in its own state)
    slots: Any


def adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    def init(params):
        return AdamState(jnp.zeros([], jnp.int32), jnp.zeros([], jnp.int32), _zeros(params, 2))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.step)
        t = state.count + 1
        ms, vs, out = [], [], []
        for g, m, v in zip(grads, *state.slots):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** t)
            v_hat = v / (1 - b2 ** t)
            out.append(-lr * m_hat / (jnp.sqrt(v_hat) + eps))
            ms.append(m)
            vs.append(v)
        return out, AdamState(t, state.step + 1, [ms, vs])

    return optax.GradientTransformation(init, update)


def adamw(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4):
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 2))

    def update(grads, state, params):
        lr = _lr(learning_rate, state.count)
        t = state.count + 1
        ms, vs, out = [], [], []
        for g, m, v, p in zip(grads, *state.slots, params):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            u = (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + eps)
            out.append(-lr * (u + weight_decay * p))
            ms.append(m)
            vs.append(v)
        return out, State(t, [ms, vs])

    return optax.GradientTransformation(init, update)


def yogi(learning_rate=1e-2, b1=0.9, b2=0.999, eps=1e-3, initial_accumulator_value=1e-6):
    def init(params):
        return State(jnp.zeros([], jnp.int32),
                     [[jnp.full_like(p, initial_accumulator_value) for p in params] for _ in range(2)])

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        t = state.count + 1
        ms, vs, out = [], [], []
        for g, m, v in zip(grads, *state.slots):
            g2 = g * g
            m = b1 * m + (1 - b1) * g
            v = v - (1 - b2) * jnp.sign(v - g2) * g2
            m_hat = m / (1 - b1 ** t)
            v_hat = v / (1 - b2 ** t)
            out.append(-lr * m_hat / (jnp.sqrt(v_hat) + eps))
            ms.append(m)
            vs.append(v)
        return out, State(t, [ms, vs])

    return optax.GradientTransformation(init, update)


def amsgrad(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """optax's convention: the maximum is taken of the bias-corrected second moment."""
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 3))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        t = state.count + 1
        ms, vs, vmaxs, out = [], [], [], []
        for g, m, v, vmax in zip(grads, *state.slots):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            vmax = jnp.maximum(vmax, v / (1 - b2 ** t))
            out.append(-lr * (m / (1 - b1 ** t)) / (jnp.sqrt(vmax) + eps))
            ms.append(m)
            vs.append(v)
            vmaxs.append(vmax)
        return out, State(t, [ms, vs, vmaxs])

    return optax.GradientTransformation(init, update)


def rmsprop(learning_rate=1e-2, decay=0.9, eps=1e-8):
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 1))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        ss, out = [], []
        for g, s in zip(grads, *state.slots):
            s = decay * s + (1 - decay) * g * g
            out.append(-lr * g / jnp.sqrt(s + eps))
            ss.append(s)
        return out, State(state.count + 1, [ss])

    return optax.GradientTransformation(init, update)


def adadelta(learning_rate=1.0, rho=0.9, eps=1e-6):
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 2))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        ss, us, out = [], [], []
        for g, s, u in zip(grads, *state.slots):
            s = rho * s + (1 - rho) * g * g
            delta = jnp.sqrt(u + eps) / jnp.sqrt(s + eps) * g
            u = rho * u + (1 - rho) * delta * delta
            out.append(-lr * delta)
            ss.append(s)
            us.append(u)
        return out, State(state.count + 1, [ss, us])

    return optax.GradientTransformation(init, update)


def momentum(learning_rate=1e-2, momentum=0.9):
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 1))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        bufs, out = [], []
        for g, buf in zip(grads, *state.slots):
            buf = momentum * buf + g
            out.append(-lr * buf)
            bufs.append(buf)
        return out, State(state.count + 1, [bufs])

    return optax.GradientTransformation(init, update)


def nesterov(learning_rate=1e-2, momentum=0.9):
    def init(params):
        return State(jnp.zeros([], jnp.int32), _zeros(params, 1))

    def update(grads, state, params=None):
        lr = _lr(learning_rate, state.count)
        bufs, out = [], []
        for g, buf in zip(grads, *state.slots):
            buf = momentum * buf + g
            out.append(-lr * (g + momentum * buf))
            bufs.append(buf)
        return out, State(state.count + 1, [bufs])

    return optax.GradientTransformation(init, update)


def optax_adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """optax's own Adam, to check that the reference implementation conforms too."""
    return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)


jax.config.update("jax_enable_x64", True)
