"""The functions docs/design.md shows the generated code of.

    s2sad show docs/examples.py:branch --wrt x,y

(tests/e2e/test_edges.py checks that the page shows what s2sad prints today.)
"""

import numpy as np


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def branch(x, y):
    if x > 0.0:
        z = x * y
    else:
        z = np.sin(x)
    return z * z


def loop(x):
    for i in range(100):  # noqa: B007 - written as a user would
        x = x * 0.99 + np.sin(x) * 0.01
    return x


def halve_until_small(x):
    while x > 1.0:
        x = x * 0.5
    return np.sin(x)


def grow_until(x):
    y = x
    while x < 10.0:
        y = y * 1.5
        if y > 5.0:
            break
        x = x + y * 0.1
    return x * y


def square(u):
    return u * u


def calls_a_helper(x):
    return square(np.sin(x)) + x


def noisy(x):
    return x * np.random.rand()


def calls_a_noisy_helper(x):
    return noisy(x) * x


def scaled_rows(W, x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = np.dot(W[i], x)
    return np.sum(y * y)
