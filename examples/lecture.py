"""A first example of reverse mode: f(x1, x2) = ln(x1) + x1*x2 - sin(x2).

    python examples/lecture.py           # gradient at (2, 5), checked numerically
    s2sad show examples/lecture.py:f --wrt x1,x2
"""

import numpy as np

import s2sad


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


if __name__ == "__main__":
    df = s2sad.grad(f, wrt=("x1", "x2"))
    print("gradient at (2, 5):", df(2.0, 5.0))
    print("by hand:           ", (1 / 2.0 + 5.0, 2.0 - np.cos(5.0)))
    s2sad.check_grad(f, 2.0, 5.0, wrt=(0, 1))
    print("matches central differences")
    print()
    print(s2sad.source(f, wrt=("x1", "x2")))
