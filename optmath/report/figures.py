"""Figures for reports: drawn from stored data with the Agg backend and optmath's own style file,
saved without time stamps or software tags, so the same data gives the same PNG bytes."""
from __future__ import annotations

import io
from pathlib import Path

STYLE = Path(__file__).parent / "optmath.mplstyle"


def png(draw, size=(6.4, 4.0), tight: bool = True) -> bytes:
    """Call ``draw(fig)`` on a new figure and return the PNG bytes (deterministic); ``tight=False``
    leaves the layout to ``draw``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.style.context(["default", str(STYLE)]):
        fig = plt.figure(figsize=size)
        try:
            draw(fig)
            if tight:
                fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None})
        finally:
            plt.close(fig)
    return buf.getvalue()
