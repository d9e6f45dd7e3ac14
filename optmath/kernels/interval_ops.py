r"""The operations of interval arithmetic with outward rounding, for the generated interval replay.

Fixed code shared by every generated interval kernel (:mod:`optmath.kernels.interval` prints
calls to these; see its docstring for the rounding argument).  Every function takes and returns
the two bounds of its intervals; conditions are three-valued (1 true, 0 false, -1 undecided).
Changing one of these changes every enclosure: bump ``INTERVAL_VERSION`` there, since Numba's
disk cache of a kernel does not see changes in the functions it calls.
"""
import math

from numba import njit

@njit(cache=True, error_model="numpy")
def _nan2(a, b):
    return (a - a) + (b - b) != 0.0


@njit(cache=True, error_model="numpy")
def _mn(a, b):
    return a if a < b else (b if b <= a else a + b)


@njit(cache=True, error_model="numpy")
def _mx(a, b):
    return a if a > b else (b if b >= a else a + b)


@njit(cache=True, error_model="numpy")
def _down(p):
    # a float64 below p by at least one ulp of p (|p| 2^-52 >= ulp(p) for normal p; the
    # smallest subnormal covers the subnormal range): a lower bound of every real number whose
    # round-to-nearest value is p
    if p == math.inf:  # an overflow: the exact value is finite, beyond the largest float
        return 1.7976931348623157e308
    return p - (abs(p) * 2.220446049250313e-16 + 5e-324)


@njit(cache=True, error_model="numpy")
def _upv(p):
    if p == -math.inf:
        return -1.7976931348623157e308
    return p + (abs(p) * 2.220446049250313e-16 + 5e-324)


@njit(cache=True, error_model="numpy")
def _dsum(s):
    return s if s == 0.0 else _down(s)


@njit(cache=True, error_model="numpy")
def _usum(s):
    return s if s == 0.0 else _upv(s)


@njit(cache=True, error_model="numpy")
def _dprod(p, a, b):
    # a lower bound of the exact a*b (or a/b) whose rounding is p: one ulp down, and a zero
    # (exact or underflowed) keeps the sign of its operands
    if p != 0.0:
        return _down(p)
    if a == 0.0 or b == 0.0:
        return 0.0
    return 0.0 if (a > 0.0) == (b > 0.0) else -5e-324


@njit(cache=True, error_model="numpy")
def _uprod(p, a, b):
    if p != 0.0:
        return _upv(p)
    if a == 0.0 or b == 0.0:
        return 0.0
    return 5e-324 if (a > 0.0) == (b > 0.0) else 0.0


@njit(cache=True, error_model="numpy")
def _add(al, ah, bl, bh):
    return _dsum(al + bl), _usum(ah + bh)


@njit(cache=True, error_model="numpy")
def _sub(al, ah, bl, bh):
    return _dsum(al - bh), _usum(ah - bl)


@njit(cache=True, error_model="numpy")
def _neg(al, ah):
    return -ah, -al


@njit(cache=True, error_model="numpy")
def _mul(al, ah, bl, bh):
    if al >= 0.0 and bl >= 0.0:
        return _dprod(al * bl, al, bl), _uprod(ah * bh, ah, bh)
    l1 = _dprod(al * bl, al, bl)
    l2 = _dprod(al * bh, al, bh)
    l3 = _dprod(ah * bl, ah, bl)
    l4 = _dprod(ah * bh, ah, bh)
    u1 = _uprod(al * bl, al, bl)
    u2 = _uprod(al * bh, al, bh)
    u3 = _uprod(ah * bl, ah, bl)
    u4 = _uprod(ah * bh, ah, bh)
    return _mn(_mn(l1, l2), _mn(l3, l4)), _mx(_mx(u1, u2), _mx(u3, u4))


@njit(cache=True, error_model="numpy")
def _div(al, ah, bl, bh):
    if not (bl > 0.0 or bh < 0.0):
        if _nan2(bl, bh) or _nan2(al, ah):
            return math.nan, math.nan
        return -math.inf, math.inf
    l1 = _dprod(al / bl, al, bl)
    l2 = _dprod(al / bh, al, bh)
    l3 = _dprod(ah / bl, ah, bl)
    l4 = _dprod(ah / bh, ah, bh)
    u1 = _uprod(al / bl, al, bl)
    u2 = _uprod(al / bh, al, bh)
    u3 = _uprod(ah / bl, ah, bl)
    u4 = _uprod(ah / bh, ah, bh)
    return _mn(_mn(l1, l2), _mn(l3, l4)), _mx(_mx(u1, u2), _mx(u3, u4))


@njit(cache=True, error_model="numpy")
def _sq(al, ah):
    if al >= 0.0:
        return _dprod(al * al, al, al), _uprod(ah * ah, ah, ah)
    if ah <= 0.0:
        return _dprod(ah * ah, ah, ah), _uprod(al * al, al, al)
    if _nan2(al, ah):
        return math.nan, math.nan
    return 0.0, _mx(_uprod(al * al, al, al), _uprod(ah * ah, ah, ah))


@njit(cache=True, error_model="numpy")
def _sqrt(al, ah):
    if not (al >= 0.0):
        return math.nan, math.nan
    sl = math.sqrt(al)
    return (_down(sl) if sl > 0.0 else 0.0), _upv(math.sqrt(ah))


@njit(cache=True, error_model="numpy")
def _out2(l, h):
    # two ulps outwards: a library function with an error below one ulp
    return _down(_down(l)), _upv(_upv(h))


@njit(cache=True, error_model="numpy")
def _pow(al, ah, el, eh):
    if not (al > 0.0):
        if al == 0.0 and ah == 0.0 and el > 0.0:
            return 0.0, 0.0
        return math.nan, math.nan
    p1 = al ** el
    p2 = al ** eh
    p3 = ah ** el
    p4 = ah ** eh
    return _out2(_mn(_mn(p1, p2), _mn(p3, p4)), _mx(_mx(p1, p2), _mx(p3, p4)))


@njit(cache=True, error_model="numpy")
def _exp(al, ah):
    return _out2(math.exp(al), math.exp(ah))


@njit(cache=True, error_model="numpy")
def _log(al, ah):
    if not (al > 0.0):
        return math.nan, math.nan
    return _out2(math.log(al), math.log(ah))


@njit(cache=True, error_model="numpy")
def _abs(al, ah):
    if al >= 0.0:
        return al, ah
    if ah <= 0.0:
        return -ah, -al
    if _nan2(al, ah):
        return math.nan, math.nan
    return 0.0, _mx(-al, ah)


@njit(cache=True, error_model="numpy")
def _sgn(al, ah):
    if _nan2(al, ah):
        return math.nan, math.nan
    lo = 1.0 if al > 0.0 else (0.0 if al == 0.0 else -1.0)
    hi = -1.0 if ah < 0.0 else (0.0 if ah == 0.0 else 1.0)
    return lo, hi


@njit(cache=True, error_model="numpy")
def _max(al, ah, bl, bh):
    return _mx(al, bl), _mx(ah, bh)


@njit(cache=True, error_model="numpy")
def _min(al, ah, bl, bh):
    return _mn(al, bl), _mn(ah, bh)


@njit(cache=True, error_model="numpy")
def _gt(al, ah, bl, bh):
    # three-valued: 1 true for every pair of values, 0 false for every pair, -1 undecided
    if al > bh:
        return 1
    if ah <= bl:
        return 0
    return -1


@njit(cache=True, error_model="numpy")
def _ge(al, ah, bl, bh):
    if al >= bh:
        return 1
    if ah < bl:
        return 0
    return -1


@njit(cache=True, error_model="numpy")
def _eq(al, ah, bl, bh):
    if al == ah and bl == bh and al == bl:
        return 1
    if ah < bl or bh < al:
        return 0
    return -1


@njit(cache=True, error_model="numpy")
def _not(c):
    return -1 if c < 0 else 1 - c


@njit(cache=True, error_model="numpy")
def _and(a, b):
    if a == 0 or b == 0:
        return 0
    return 1 if (a == 1 and b == 1) else -1


@njit(cache=True, error_model="numpy")
def _or(a, b):
    if a == 1 or b == 1:
        return 1
    return 0 if (a == 0 and b == 0) else -1


@njit(cache=True, error_model="numpy")
def _pick(c, al, ah, bl, bh):
    if c == 1:
        return al, ah
    if c == 0:
        return bl, bh
    return _mn(al, bl), _mx(ah, bh)



__all__ = ['_nan2', '_mn', '_mx', '_down', '_upv', '_dsum', '_usum', '_dprod', '_uprod', '_add', '_sub', '_neg', '_mul', '_div', '_sq', '_sqrt', '_out2', '_pow', '_exp', '_log', '_abs', '_sgn', '_max', '_min', '_gt', '_ge', '_eq', '_not', '_and', '_or', '_pick']
