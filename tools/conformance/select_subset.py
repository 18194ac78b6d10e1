"""Picks the CI subset from full test listings (one test name per line on stdin).

Positive tests: up to POS_PER_OP per operator, evenly spaced through the generator's
order. Negative tests: the first test of every (operator, ERROR_IF kind) pair.
Prints the chosen names, sorted.
"""

import re
import sys

POS_PER_OP = int(sys.argv[1]) if len(sys.argv) > 1 else 12

OPS = [
    "depthwise_conv2d", "transpose_conv2d", "conv2d", "max_pool2d", "avg_pool2d",
    "matmul", "rescale", "clamp", "add", "sub", "mul", "maximum", "minimum", "resize",
    "reshape", "transpose", "pad", "concat", "slice", "cast", "table", "reduce_sum",
    "reduce_max", "argmax", "sigmoid", "tanh", "exp", "reciprocal", "const",
]


def op_of(name):
    for op in OPS:
        if name == op or name.startswith(op + "_"):
            return op
    return None


def main():
    positive, negative = {}, {}
    for line in sys.stdin:
        name = line.strip()
        op = op_of(name)
        if op is None:
            continue
        m = re.search(r"_ERRORIF_([A-Za-z0-9]+)", name)
        if m:
            negative.setdefault((op, m.group(1)), name)
        else:
            positive.setdefault(op, []).append(name)
    chosen = set(negative.values())
    for names in positive.values():
        step = max(1, len(names) // POS_PER_OP)
        chosen.update(names[::step][:POS_PER_OP])
    for name in sorted(chosen):
        print(name)


if __name__ == "__main__":
    main()
