"""Functions s2sad must refuse, each with the construct it must name."""

import numpy as np


def uses_try(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("f") as fh:
        fh.read()
    return x


def uses_global(x):
    global COUNTER
    return x


def uses_dictcomp(x):
    d = {i: x * i for i in range(3)}
    return d[1]


def uses_setcomp(x):
    return len({v for v in x})


def passes_lambda(x):
    return np.sum(apply(lambda v: v * 2, x))


def apply(fn, x):
    return fn(x)


def recursive(x):
    if np.sum(x) > 100.0:
        return np.sum(x)
    return recursive(x * 2.0)


def calls_varargs_helper(x):
    return np.sum(varargs_helper(x, x))


def varargs_helper(*xs):
    return xs[0] * xs[1]


def uses_class(x):
    class A:
        pass

    return x


def uses_yield(x):
    yield x


def no_rule(x):
    return np.fft.fft(x).real.sum()


def unknown_method(x):
    return x.cumprod().sum()


def writes_argument(x):
    x[0] = 2.0 * x[1]
    return np.sum(x)


def writes_view(x):
    y = x.copy()
    z = y[1:]
    y[1] = 5.0
    return np.sum(z * x)


def helper(x):
    return x * x


def vector_output(x):
    return x * 2.0


def returns_nothing(x):
    y = x * 2


def uses_starargs(x, *rest):
    return np.maximum(*rest)


def uses_dict(x):
    d = {"a": x}
    return d["a"]


def uses_del(x):
    y = x
    del y
    return x


def inplace_on_alias(x):
    y = x
    x += 1.0
    return np.sum(y * x)


def inplace_on_viewed(x):
    y = np.outer(x, x)
    r = y[0]
    y += 1.0
    return np.sum(r * r)


def list_two_names(x):
    items = [1.0]
    alias = items
    alias.append(x * 2)
    return items[0] + items[1] * x


def extends_list(x):
    items = [x]
    items.extend([x * 2.0, x * 3.0])
    return sum(items)


def copyto_effect(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


def no_rule_on_constant_is_fine(x):
    order = np.argsort(np.array([3.0, 1.0, 2.0]))
    return np.sum(x * np.sort(np.array([3.0, 1.0, 2.0]))[order])


REPEATS = 3  # a global: its kind is not known when the derivative is built


def repeats_by_unknown_count(x):
    items = [x, x * 2.0] * REPEATS
    return np.sum(items)


def unpacks_wrong_count(x):
    s = 0.0
    for a, b in zip(x, x, x):
        s = s + a * b
    return s
