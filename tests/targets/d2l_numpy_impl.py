"""The d2l.ai-style optimizers of d2l_impl.py with NumPy arrays and a separate grads argument.

``params = [w, b]`` and ``grads`` are float64 arrays of shapes (d, 1) and (1,); the step
functions take ``(params, grads, states, hyperparams)``; each ``init_*`` returns the states;
``hyperparams`` holds 'lr', 't' (from 1; the step function increments it) and the chapter's
names ('momentum', 'gamma', 'rho'); other constants are written into the code as the chapter does.
"""
import numpy as np


def init_adam_states(feature_dim):
    v_w, v_b = np.zeros((feature_dim, 1)), np.zeros(1)
    s_w, s_b = np.zeros((feature_dim, 1)), np.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, grads, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, g, (v, s) in zip(params, grads, states):
        t = hyperparams['t']
        v[:] = beta1 * v + (1 - beta1) * g
        s[:] = beta2 * s + (1 - beta2) * np.square(g)
        v_bias_corr = v / (1 - beta1 ** t)
        s_bias_corr = s / (1 - beta2 ** t)
        p[:] -= hyperparams['lr'] * v_bias_corr / (np.sqrt(s_bias_corr) + eps)
    hyperparams['t'] += 1


def adamw(params, grads, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    lr, wd, t = hyperparams['lr'], hyperparams['wd'], hyperparams['t']
    for p, g, (v, s) in zip(params, grads, states):
        p[:] -= lr * wd * p
        v[:] = beta1 * v + (1 - beta1) * g
        s[:] = beta2 * s + (1 - beta2) * np.square(g)
        p[:] -= lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)
    hyperparams['t'] += 1


def yogi(params, grads, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-3
    for p, g, (v, s) in zip(params, grads, states):
        g2 = np.square(g)
        v[:] = beta1 * v + (1 - beta1) * g
        s[:] = s + (1 - beta2) * np.sign(g2 - s) * g2
        v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
        s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
        p[:] -= hyperparams['lr'] * v_bias_corr / (np.sqrt(s_bias_corr) + eps)
    hyperparams['t'] += 1


def init_amsgrad_states(feature_dim):
    return tuple((np.zeros(shape), np.zeros(shape), np.zeros(shape))
             for shape in ((feature_dim, 1), (1,)))


def amsgrad(params, grads, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for p, g, (m, v, v_max) in zip(params, grads, states):
        m[:] = beta1 * m + (1 - beta1) * g
        v[:] = beta2 * v + (1 - beta2) * np.square(g)
        v_max[:] = np.maximum(v_max, v)
        m_hat = m / (1 - beta1 ** hyperparams['t'])
        p[:] -= hyperparams['lr'] * m_hat / (np.sqrt(v_max / (1 - beta2 ** hyperparams['t'])) + eps)
    hyperparams['t'] += 1


def init_rmsprop_states(feature_dim):
    s_w, s_b = np.zeros((feature_dim, 1)), np.zeros(1)
    return (s_w, s_b)


def rmsprop(params, grads, states, hyperparams):
    gamma, eps = hyperparams['gamma'], 1e-6
    for p, g, s in zip(params, grads, states):
        s[:] = gamma * s + (1 - gamma) * np.square(g)
        p[:] -= hyperparams['lr'] * g / np.sqrt(s + eps)


def init_adadelta_states(feature_dim):
    s_w, s_b = np.zeros((feature_dim, 1)), np.zeros(1)
    delta_w, delta_b = np.zeros((feature_dim, 1)), np.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))


def adadelta(params, grads, states, hyperparams):
    rho, eps = hyperparams['rho'], 1e-5
    for p, g, (s, delta) in zip(params, grads, states):
        s[:] = rho * s + (1 - rho) * np.square(g)
        g = (np.sqrt(delta + eps) / np.sqrt(s + eps)) * g
        p[:] -= g
        delta[:] = rho * delta + (1 - rho) * g * g


def init_momentum_states(feature_dim):
    v_w = np.zeros((feature_dim, 1))
    v_b = np.zeros(1)
    return (v_w, v_b)


def sgd_momentum(params, grads, states, hyperparams):
    for p, g, v in zip(params, grads, states):
        v[:] = hyperparams['momentum'] * v + g
        p[:] -= hyperparams['lr'] * v


def sgd_nesterov(params, grads, states, hyperparams):
    for p, g, v in zip(params, grads, states):
        v[:] = hyperparams['momentum'] * v + g
        p[:] -= hyperparams['lr'] * (g + hyperparams['momentum'] * v)
