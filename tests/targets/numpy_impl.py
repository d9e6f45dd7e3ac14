"""NumPy optimizer classes with ``update(w, grad)``: one instance per parameter array, the new
``w`` returned (Adam) or written in place (RMSprop)."""
import numpy as np


class Adam:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def update(self, w, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(w), np.zeros_like(w)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad ** 2
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RMSprop:
    def __init__(self, lr=1e-2, decay=0.99, eps=1e-8):
        self.lr, self.decay, self.eps = lr, decay, eps
        self.s = None

    def update(self, w, grad):
        if self.s is None:
            self.s = np.zeros_like(w)
        self.s = self.decay * self.s + (1 - self.decay) * grad * grad
        w -= self.lr * grad / (np.sqrt(self.s) + self.eps)


class NotAnOptimizer:
    def __init__(self, lr=0.1):
        self.lr = lr


class AdamApply:
    """The same Adam behind another entry point, ``apply(w, grad)``: checked with ``--method apply``."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self._adam = Adam(lr, beta1, beta2, eps)

    def apply(self, w, grad):
        return self._adam.update(w, grad)
