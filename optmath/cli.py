"""The ``optmath`` command: a thin layer that renders what library functions return.

Heavy modules (NumPy, SymPy, Numba, rich) are imported inside the commands, so ``--help`` is
instant.  Every error on bad input is one line on stderr and exit code 2.
"""
from __future__ import annotations

import os
import sys

import click

from ._version import __version__
from .errors import OptmathError


def _pairs(items, flag, convert):
    out = {}
    for item in items:
        k, eq, v = item.partition("=")
        if not eq or not k.strip():
            raise OptmathError(f"bad {flag} {item!r}; expected NAME=VALUE")
        if k.strip() in out:
            raise OptmathError(f"{flag} {k.strip()} given twice ({items_of(items, k.strip())})")
        try:
            out[k.strip()] = convert(v.strip())
        except ValueError:
            raise OptmathError(f"{flag} {k.strip()} = {v!r} is not a number") from None
    return out


def items_of(items, key):
    return " and ".join(repr(i.partition("=")[2].strip()) for i in items if i.partition("=")[0].strip() == key)


#: seeds: non-negative and at most optmath.limits.MAX_SEED (2**32 - 1)
SEED = click.IntRange(0, 2**32 - 1)


def _output_file(path, flag: str) -> None:
    """Refuse an output file that cannot be written, before any work starts: its folder must
    exist (or be creatable) and be writable, and the path must not be a folder."""
    import os

    if path is None:
        return
    p = _path(path, flag)
    if p.is_dir():
        raise OptmathError(f"{flag} {str(path)!r} is a folder, not a file")
    if p.exists() and not os.access(p, os.W_OK):
        raise OptmathError(f"{flag} {str(path)!r} is not writable")
    _writable_folder(p.parent, flag, path)  # Path("x").parent is Path(".")


def _output_dir(path, flag: str) -> None:
    """Refuse an output folder that cannot be created or written, before any work starts."""
    p = _path(path, flag)
    if p.exists() and not p.is_dir():
        raise OptmathError(f"{flag} {str(path)!r} exists and is not a folder")
    _writable_folder(p, flag, path)


def _path(path, flag: str):
    """``path`` as a Path the file system can look up (a name too long for it is one line)."""
    from pathlib import Path

    p = Path(path)
    try:
        p.exists()
    except OSError as exc:
        raise OptmathError(f"{flag} {str(path)[:80]!r}: {exc.strerror or exc}") from None
    return p


def _writable_folder(p, flag, shown) -> None:
    import os

    q = p
    while not q.exists():  # the nearest existing ancestor must let us create the rest
        if q.parent == q:
            break
        q = q.parent
    if not q.is_dir():
        raise OptmathError(f"{flag} {str(shown)!r}: {str(q)!r} is not a folder")
    import tempfile

    try:
        if not os.access(q, os.W_OK | os.X_OK):
            raise PermissionError
        with tempfile.NamedTemporaryFile(dir=q, prefix=".optmath-write-test-"):
            pass  # a read-only file system, or /proc, refuses even root
    except OSError:
        raise OptmathError(f"{flag} {str(shown)!r}: folder {str(q)!r} is not writable") from None


def _given(name: str) -> bool:
    """Was the option ``name`` given on the command line (not left at its default)?"""
    source = click.get_current_context().get_parameter_source(name)
    return source not in (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP, None)


def _axis_count(text: str) -> int:
    """How many values ``--axis TEXT`` has, read from the text without building them (so that
    the grid's size is checked before any axis is allocated); 1 where the text is malformed,
    which :func:`optmath.grid.parse_axis` then refuses with its own message."""
    spec = str(text).partition("=")[2]
    parts = spec.split(":")
    if len(parts) == 1:
        return max(1, sum(1 for v in spec.split(",") if v.strip()))
    try:
        return max(1, int(parts[-1]))
    except ValueError:
        return 1


def _problem_keys(problem: str) -> dict:
    """``{key: text}`` of the parameters fixed in ``--problem FAMILY:k=v,...`` (as the CLI wrote them)."""
    rest = str(problem).partition(":")[2]
    out = {}
    for item in filter(None, rest.split(",")):
        k, _, v = item.partition("=")
        out.setdefault(k.strip(), v.strip())
    return out


def _gib(value: float, flag: str) -> int:
    import math

    if not math.isfinite(value) or value <= 0:
        raise OptmathError(f"{flag} {value!r} must be a positive number of GiB")
    return int(value * (1 << 30))


def _parse_sets(items):
    return _pairs(items, "--set", float)


def _dask_options(f):
    """``--dask local`` / ``--scheduler tcp://HOST:PORT`` (sweep, phase and search)."""
    f = click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                     help="run the tasks on an existing Dask cluster")(f)
    return click.option("--dask", "dask_mode", default=None, type=click.Choice(["local"]),
                        help="run the tasks on a Dask LocalCluster on this machine (one worker per core)")(f)


def _scheduler(dask_mode, scheduler):
    if dask_mode and scheduler:
        raise OptmathError("give --dask local or --scheduler, not both")
    return scheduler or dask_mode


def _per_method(items, flag, convert):
    """``--eps 1e-6`` (every method: the value) or ``--eps adam=1e-6 --eps yogi=1e-3`` (a dict);
    None when not given; mixing both forms, or a method twice, is one error line."""
    if not items:
        return None
    plain = [i for i in items if "=" not in i]
    if plain and len(items) > 1:
        raise OptmathError(f"{flag} takes one value for every method or METHOD=VALUE items, not both: "
                           f"{', '.join(map(repr, items))}")
    try:
        return convert(plain[0].strip()) if plain else _pairs(items, flag, convert)
    except ValueError:
        raise OptmathError(f"{flag} {plain[0]!r} is not a number") from None


def _method_sets(items) -> dict:
    """``--set yogi:acc0=1e-6`` -> ``{"yogi": {"acc0": 1e-6}}``."""
    out: dict = {}
    for item in items:
        method, colon, rest = item.partition(":")
        if not colon or not method.strip():
            raise OptmathError(f"bad --set {item!r}; expected METHOD:NAME=VALUE")
        vals = _pairs([rest], "--set", float)
        for k, v in vals.items():
            if k in out.setdefault(method.strip(), {}):
                raise OptmathError(f"--set {method.strip()}:{k} given twice")
            out[method.strip()][k] = v
    return out


def _parse_switches(items):
    return _pairs(items, "--switch", str)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="optmath")
def cli():
    """optmath: the mathematics of gradient optimizers, derived and checked."""


@cli.command("list")
def list_cmd():
    """List optimizers, their profiles and convention switches."""
    from rich.console import Console
    from rich.table import Table

    from .optimizers import REGISTRY

    table = Table(title="optmath optimizers")
    for col in ("name", "title", "profiles", "switches"):
        table.add_column(col)
    for name, spec in REGISTRY.items():
        sw = ", ".join(f"{s.name}" + (f"={spec.fixed[s.name]}" if s.name in spec.fixed else "")
                       for s in spec.switches)
        table.add_row(name, spec.title, ", ".join(spec.profiles), sw or "-")
    Console(width=160).print(table)


@cli.command()
@click.argument("name")
@click.option("--profile", "-p", default="paper", show_default=True, help="paper, pytorch, keras, optax or d2l")
@click.option("--latex", is_flag=True, help="print the LaTeX algorithm block")
@click.option("--switch", "switches", multiple=True, metavar="NAME=VALUE", help="override a convention switch")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="override a hyperparameter")
@click.option("--kernel", is_flag=True, help="print the generated Numba kernels (run, oracle and sweep modules)")
@click.option("--family", default="periodic", show_default=True,
              help="with --kernel: the problem family of the oracle and sweep modules")
def show(name, profile, latex, switches, sets, kernel, family):
    """Show one optimizer's update rule for a profile, with its notation table."""
    from .optimizers import get_spec

    alg = get_spec(name).resolve(profile, _parse_switches(switches), **_parse_sets(sets))
    if kernel:
        from .kernels import generate
        from .problems import get_family

        fam = get_family(family)
        for title, text in (("run module", generate.run_source(alg)),
                            (f"oracle module ({fam.name})", generate.oracle_source(alg, fam)),
                            (f"sweep module ({fam.name})", generate.sweep_source(alg, fam))):
            click.echo(f"# {title}: {generate.module_path(text)}")
            click.echo(text)
        return
    if latex:
        click.echo(alg.latex())
        return
    click.echo(alg.text())
    click.echo("  notation:")
    for code, tex, doc, val in alg.notation():
        click.echo(f"    {code:<10} {tex:<22} {doc}" + (f" [{val}]" if val else ""))
    known = alg.known_as()
    if known:
        click.echo("  conventions used by: " + "; ".join(
            (f"profile {n}" if n in alg.spec.profiles else n) + (f" ({p.note})" if p.note else "") for n, p in known))
    else:
        click.echo("  conventions used by: no known implementation (no profile of " + alg.spec.name
                   + " and no implementation listed in its spec uses these switch values together)")


class _precision_warnings:
    """Print each :class:`~optmath.errors.PrecisionWarning` of the block as one ``warning:`` line
    on stderr (the run goes on: a NaN it leads to is reported as usual)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings(record=True)
        self._seen = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        from .errors import PrecisionWarning

        seen = list(self._seen)
        self._ctx.__exit__(*exc)
        for w in seen:
            if issubclass(w.category, PrecisionWarning):
                click.echo(f"warning: {w.message}", err=True)
        return False


@cli.command("run")
@click.argument("name")
@click.option("--problem", required=True, metavar="FAMILY[:k=v,...]",
              help="quadratic[:h=,c=], reddi[:C=,n=,phase=,D=], synthetic, periodic, stochastic[:C=,p=,D=]")
@click.option("--profile", "-p", default="paper", show_default=True)
@click.option("--steps", default=1000, show_default=True, type=int)
@click.option("--x0", default=0.0, show_default=True, type=float)
@click.option("--schedule", default="constant", show_default=True, help="constant or inv_sqrt")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--switch", "switches", multiple=True, metavar="NAME=VALUE")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE")
@click.option("--plot", type=click.Path(dir_okay=False), help="write the trajectory as a PNG")
@click.option("--precision", default="float64", show_default=True,
              type=click.Choice(["float64", "float32", "float16", "bfloat16"]),
              help="the kernel's arithmetic: every operation rounded to it (float16, bfloat16 emulated)")
def run_cmd(name, problem, profile, steps, x0, schedule, seed, switches, sets, plot, precision):
    """Run an optimizer on a problem with the Numba kernel and summarise the trajectory."""
    if plot is not None and not str(plot).lower().endswith(".png"):
        raise OptmathError(f"--plot {plot!r} must name a .png file")
    _output_file(plot, "--plot")
    import time

    from .kernels import quick
    from .problems import parse_problem

    sw, st = _parse_switches(switches), _parse_sets(sets)
    prob = parse_problem(problem)
    # a command run before (same optimizer arguments, family and source) needs no spec, hence no SymPy
    plan = quick.load(name, profile, sw, st, prob.family, precision)
    alg = None
    if plan is None:
        from .optimizers import get_spec

        alg = get_spec(name).resolve(profile, sw, **st)
    t0 = time.perf_counter()
    with _precision_warnings():
        if plan is not None:
            out = quick.run(plan, prob, steps, x0=x0, schedule=schedule, seed=seed)
            xs, regrets, spec_name, title = out["xs"], out["regrets"], plan["spec"], plan["title"]
        else:
            from .kernels.runner import run

            tr = run(alg, problem=prob, steps=steps, x0=x0, schedule=schedule, seed=seed, precision=precision)
            xs, regrets, spec_name, title = tr.xs, tr.regrets, alg.spec.name, alg.spec.title
    wall = time.perf_counter() - t0
    if alg is not None:
        quick.store(name, profile, sw, st, alg, prob.family, precision)
    on = "" if precision == "float64" else f" in {precision}"
    click.echo(f"{spec_name}/{profile} on {prob.name} for {steps} steps (seed {seed}){on}")
    click.echo(f"  final x         {xs[-1][0]:+.10g}   (optimum {prob.xstar:+g})")
    click.echo(f"  average regret  {float(regrets.mean()):.6g}")
    click.echo(f"  max |x|         {abs(xs).max():.6g}")
    click.echo(f"  kernel time     {wall:.3f} s (includes compilation on a cold cache)")
    if plan is not None and not plot:
        _QUICK_EXIT.append(True)
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(xs[:, 0], lw=1)
        ax.axhline(prob.xstar, color="k", ls=":", lw=1, label="optimum")
        ax.set_xlabel("step t")
        ax.set_ylabel("x_t")
        ax.set_title(f"{title} ({profile}) on {prob.name}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=120, metadata={"Software": None})
        plt.close(fig)
        click.echo(f"  plot            {plot}")


@cli.command()
@click.option("--out", default="reports/demo", show_default=True, help="folder for the report")
@click.option("--steps", default=30000, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=SEED)
def demo(out, steps, seed):
    """Derive, verify with the kernels, search a counterexample and write a report."""
    _output_dir(out, "--out")
    from pathlib import Path

    for name in ("demo.json", "demo.md", "demo.html"):  # the files written at the end, checked first
        _output_file(Path(out) / name, "--out")
    from .demo import main as demo_main

    if steps < 100:
        raise OptmathError(f"--steps {steps} is too short for the search; use at least 100")
    result = demo_main(out, steps, seed, click.echo)
    if not result["ok"]:
        sys.exit(1)


@cli.command()
@click.argument("topic")
@click.option("--optimizer", "-o", default=None, help="optimizer name (default depends on the topic)")
@click.option("--profile", "-p", default="paper", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "json"]), default="text",
              show_default=True)
def derive(topic, optimizer, profile, fmt):
    """Derive TOPIC from a spec: ema, expectations, limits, bounds or quadratic."""
    import json

    from .symbolic.derive import derive as run_derive

    d = run_derive(topic, optimizer, profile)
    if fmt == "json":
        click.echo(json.dumps(d.as_dict(), indent=2))
    elif fmt == "latex":
        click.echo(d.latex())
    else:
        click.echo(d.text())
    if not d.ok:
        sys.exit(1)


@cli.command()
@click.option("--only", default=None, metavar="PATTERN", help="glob (ema/*) or substring of claim names")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="write every result as JSON")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="proof directory (default: proofs/ of this checkout)")
def prove(only, json_file, root):
    """Run the proof suite: every claim's symbolic and numeric check; exit 1 on a surprise."""
    _output_file(json_file, "--json")
    import json
    import time

    from rich.console import Console
    from rich.table import Table

    from ._version import __version__ as version
    from .proof import run_proofs

    console = Console(width=160, stderr=True)
    t0 = time.perf_counter()
    with console.status("proving...") as status:
        runs = run_proofs(only, root, progress=lambda n: status.update(f"proving {n}"))
    wall = time.perf_counter() - t0
    table = Table(title=f"optmath proofs ({len(runs)} claims, {wall:.1f} s)")
    for col in ("claim", "status", "expected", "kind", "numeric evidence", "s"):
        table.add_column(col, overflow="fold")
    for r in runs:
        mark = r.result.status if r.ok else f"[bold red]{r.result.status}[/]"
        table.add_row(r.name, mark, r.expected, r.result.kind, r.result.numeric, f"{r.seconds:.2f}")
    Console(width=160).print(table)
    bad = [r for r in runs if not r.ok]
    if json_file:
        with open(json_file, "w") as fh:
            json.dump({"optmath": version, "seconds": round(wall, 2), "claims": [r.as_dict() for r in runs]},
                      fh, indent=2)
        click.echo(f"wrote {json_file}")
    click.echo(f"{len(runs) - len(bad)}/{len(runs)} claims reached their expected status")
    if bad:
        for r in bad:
            click.echo(f"  UNEXPECTED {r.name}: {r.result.status} (expected {r.expected})", err=True)
        sys.exit(1)


@cli.command()
@click.argument("formula")
@click.option("--assume", "assume", multiple=True, metavar="TEXT",
              help="'0 < b < 1', 't >= 1', 'x > 0', 't integer' (repeatable)")
@click.option("--points", default=40, show_default=True, type=int, help="random rational points")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def claim(formula, assume, points, seed, as_json):
    """Prove or refute FORMULA ("LHS == RHS", <, <=, >, >=, !=); exit 1 when refuted, 3 when undecided."""
    import json

    from .symbolic.claims import decide

    r = decide(formula, assume, points=points, seed=seed)
    click.echo(json.dumps(r.as_dict(), indent=2) if as_json else str(r))
    if r.status == "refuted":
        sys.exit(1)
    if r.status == "inconclusive":
        sys.exit(3)


@cli.command()
@click.argument("a")
@click.argument("b")
@click.option("--steps", default=3, show_default=True, type=int, help="symbolic steps compared")
@click.option("--varying-lr", is_flag=True, help="give every step its own learning rate")
@click.option("--keep", multiple=True, metavar="NAME",
              help="keep NAME symbolic although it is 0 on both sides (eps, eps_root, wd, damp, acc0, lr_decay, s0 "
                   "are otherwise switched off); any other name makes no difference and is refused")
@click.option("--a-switch", "a_switches", multiple=True, metavar="NAME=VALUE")
@click.option("--b-switch", "b_switches", multiple=True, metavar="NAME=VALUE")
@click.option("--a-set", "a_sets", multiple=True, metavar="NAME=VALUE", help="pin a hyperparameter of A")
@click.option("--b-set", "b_sets", multiple=True, metavar="NAME=VALUE", help="pin a hyperparameter of B")
@click.option("--rules-only", is_flag=True, help="answer only (b), the update rules with shared hyperparameters")
@click.option("--json", "as_json", is_flag=True)
def equiv(a, b, steps, varying_lr, keep, a_switches, b_switches, a_sets, b_sets, rules_only, as_json):
    """Are A and B (NAME[:PROFILE]) the same optimizer?  (a) the profiles as shipped, each with its
    own defaults and the same lr, and (b) the update rules with shared hyperparameters: identical,
    shift, map, conditions, or different from step N, each with a witness."""
    import json

    from .verify.equivalence import equivalence

    r = equivalence(a, b, steps=steps, varying_lr=varying_lr, keep=tuple(keep),
                    a_switches=_parse_switches(a_switches), b_switches=_parse_switches(b_switches),
                    a_values=_parse_sets(a_sets), b_values=_parse_sets(b_sets), shipped_too=not rules_only)
    click.echo(json.dumps(r.as_dict(), indent=2, default=str) if as_json else str(r))


@cli.command()
@click.argument("target")
@click.option("--as", "as_", required=True, metavar="NAME", help="the optimizer the code claims to implement")
@click.option("--profile", "-p", default=None, help="demand this profile's conventions (default: any legitimate one)")
@click.option("--style", type=click.Choice(["torch", "optax", "keras", "d2l", "d2l-numpy", "course", "numpy"]),
              default=None,
              help="calling convention (default: d2l with --step/--init, keras if the file or module imports keras, "
                   "optax if it imports optax or jax, else torch for a torch.optim class, course for "
                   "f(w, dw, config), numpy for a class with update(w, grad))")
@click.option("--step", default=None, metavar="NAME", help="d2l style: the step function")
@click.option("--init", default=None, metavar="NAME", help="d2l style: the state initialiser")
@click.option("--examples", default=100, show_default=True, type=int, help="streams generated by Hypothesis")
@click.option("--timeout", default=60.0, show_default=True, type=float,
              help="seconds allowed per call into the target, its import included")
@click.option("--memory", default=4.0, show_default=True, type=float, metavar="GiB",
              help="memory the target may allocate beyond the framework it imports")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--json", "json_file", type=click.Path(dir_okay=False), help="also write the report as JSON")
@click.option("--sandbox", is_flag=True,
              help="run the target contained (bubblewrap, else a fallback that is not a security boundary)")
@click.option("--quiet", "-q", is_flag=True, help="no progress lines on stderr")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE",
              help="a keyword argument passed to the target as it is (repeatable; VALUE read as JSON: "
                   "true, 1e-3, [1, 1], \"text\", else as a string), e.g. -o foreach=true -o rectify=false")
@click.option("--method", default=None, metavar="NAME",
              help="a NumPy-style class's entry point: obj.NAME(w, grad) (default: update, else step)")
@click.option("--keyword", "-k", "keywords", multiple=True, metavar="HYPER=KEYWORD",
              help="the target's own keyword for a hyperparameter: NAME, NAME[i], 1 - NAME or 1 - NAME[i] "
                   "(repeatable), e.g. -k 'b1=1 - betas[0]'")
def check(target, as_, profile, style, step, init, examples, timeout, memory, seed, json_file, sandbox, quiet,
          options, method, keywords):
    """Does TARGET (file.py:Name, an installed module:Name such as torch.optim:NAdam, or file.py
    with --step/--init) implement optimizer NAME?

    Checks longer than a few seconds print their progress on stderr (streams done / total, elapsed
    seconds) unless --quiet.

    Exit code 0: conforms; 1: does not, or the target hung, crashed or raised while it ran, or its
    import exceeded --timeout or crashed its process; 2: usage error (bad option, missing file or
    name, unknown optimizer), or importing the target raised an exception (SyntaxError,
    ImportError, or MemoryError beyond --memory): nothing could be checked.
    """
    _output_file(json_file, "--json")
    from pathlib import Path

    if sandbox:
        if options or method or keywords:
            raise click.UsageError("--option, --method and --keyword are not available with --sandbox")
        return _check_sandboxed(target, as_, profile, style, step, init, examples, timeout, memory, seed, json_file)
    from .verify.conformance import check as run_check

    report = run_check(target, as_, profile=profile, style=style, step=step, init=init, examples=examples,
                       timeout=timeout, seed=seed, memory=_gib(memory, "--memory"),
                       progress=None if quiet else Progress("optmath check"), options=_parse_options(options),
                       method=method, keywords=_pairs(keywords, "--keyword", str))
    if json_file:
        Path(json_file).write_text(report.to_json())
    if report.exit_code == 2:
        click.echo(f"optmath: error: {report.reason}", err=True)
        sys.exit(2)
    click.echo(str(report))
    sys.exit(report.exit_code)


def _parse_options(items) -> dict:
    """``KEY=VALUE`` pairs; VALUE read as JSON where it is JSON, else kept as a string."""
    import json

    out = {}
    for item in items:
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise click.UsageError(f"--option {item!r} must be KEY=VALUE")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


class Progress:
    """Progress lines on stderr, ``NAME: phase done/total, elapsed s``: none in the first
    ``after`` seconds (a short check prints nothing), then at most one a second within a phase
    and one at each change of phase."""

    def __init__(self, name: str, after: float = 3.0, every: float = 1.0) -> None:
        import time

        self.name, self.after, self.every, self.clock = name, after, every, time.monotonic
        self.start, self.last, self.phase = self.clock(), None, None

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = self.clock() - self.start
        if now < self.after or (self.last is not None and now - self.last < self.every and phase == self.phase):
            return  # a new phase is shown at once: the step before a long silent one is seen
        self.last, self.phase = now, phase
        count = f" {done}/{total}" if total else ""
        click.echo(f"{self.name}: {phase}{count}, {now:.0f} s", err=True)


def _check_sandboxed(target, as_, profile, style, step, init, examples, timeout, memory, seed, json_file):
    """``check --sandbox``: the same check run by optmath.teach.sandbox; the same exit codes."""
    import json
    from pathlib import Path

    from .teach.sandbox import FALLBACK_WARNING, Limits, contain, mode

    file, colon, name = target.rpartition(":") if step is None and init is None else (target, "", "")
    if step is None and init is None and not colon:
        raise click.UsageError(f"target {target!r} must be 'path/to/file.py:Name'")
    path = Path(file)
    if path.suffix != ".py" or not path.is_file():
        raise click.UsageError(f"target file {file!r} is not an existing .py file")
    if mode() == "fallback":
        click.echo(f"optmath: warning: {FALLBACK_WARNING}", err=True)
    mem = _gib(memory, "--memory")
    limits = Limits(call=timeout, wall=max(180.0, 4 * timeout), memory=mem)
    req = {"file": str(path.resolve()) + (f":{name}" if colon else ""), "optimizer": as_, "style": style,
           "step": step, "init": init, "profile": profile, "examples": examples, "seed": seed, "timeout": timeout,
           "memory": mem}
    r = contain(req, limits, read_only=[path.resolve().parent])
    if r.report is None:
        click.echo(f"optmath: error: {r.reason}", err=True)
        sys.exit(2 if r.status == "error" else 1)
    if json_file:
        Path(json_file).write_text(json.dumps(r.report, indent=2))
    if r.report["exit_code"] == 2:
        click.echo(f"optmath: error: {r.report['reason']}", err=True)
        sys.exit(2)
    click.echo(r.text)
    sys.exit(r.report["exit_code"])


@cli.command()
@click.option("--fails", default="adam", show_default=True, help="the method that should fail or diverge")
@click.option("--converges", "converges", multiple=True, default=("yogi",), show_default=True,
              help="a method that must converge (repeatable)")
@click.option("--also-converges", "also", multiple=True, help="another method that must converge")
@click.option("--b1", default=0.9, show_default=True, type=float)
@click.option("--b2", default="0.999", show_default=True, help="a number in (0, 1), or 'reddi' for 1/(1+C^2)")
@click.option("--eps", "eps_items", multiple=True, metavar="[METHOD=]EPS",
              help="eps of every method (default 1e-8), or of one method: --eps adam=1e-6 --eps yogi=1e-3")
@click.option("--family", default="periodic", show_default=True, help="periodic or stochastic")
@click.option("--lr", default=None, type=float, help="step size scale (default: searched over a few scales)")
@click.option("--schedule", default="inv_sqrt", show_default=True, help="inv_sqrt (lr/sqrt(t)) or constant")
@click.option("--steps", default=200_000, show_default=True, type=int, help="horizon of every run")
@click.option("--budget", default=200, show_default=True, type=int, help="most problems simulated")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--profile", "-p", "profile_items", multiple=True, metavar="[METHOD=]PROFILE",
              help="profile of every method (default: pytorch, else optax, else paper), or of one: -p yogi=optax")
@click.option("--set", "sets", multiple=True, metavar="METHOD:NAME=VALUE",
              help="a hyperparameter of one method, e.g. its initial accumulator: --set yogi:acc0=1e-6")
@click.option("--switch", "switches", multiple=True, metavar="NAME=VALUE", help="a switch for every method")
@click.option("--out", default="counterexample.json", show_default=True, type=click.Path(dir_okay=False),
              help="where the JSON record goes")
@_dask_options
@click.option("--precision", default="float64", show_default=True,
              type=click.Choice(["float64", "float32", "float16", "bfloat16"]),
              help="every run's arithmetic (float16, bfloat16 emulated); a low-precision record is never certified")
def search(fails, converges, also, b1, b2, eps_items, family, lr, schedule, steps, budget, seed, profile_items, sets,
           switches, out, dask_mode, scheduler, precision):
    """Find and certify a problem where --fails fails while every --converges method converges,
    with the same step sizes, start, stream, betas and eps.  Exit 0 when found and certified."""
    _output_file(out, "--out")
    from rich.progress import Progress

    from .search.search import SearchError, search as run_search, write_record

    where = _scheduler(dask_mode, scheduler)
    if b2 != "reddi":
        try:
            b2 = float(b2)
        except ValueError:
            raise SearchError(f"--b2 {b2!r} is neither a number nor 'reddi'") from None
    # a value left at its default applies to the methods that have it; one given must fit every method
    b1, b2 = (v if _given(k) else None for k, v in (("b1", b1), ("b2", b2)))
    eps = _per_method(eps_items, "--eps", float)
    profile = _per_method(profile_items, "-p/--profile", str)
    settings = _method_sets(sets)
    with Progress(transient=True) as bar:
        task = bar.add_task("simulating problems", total=budget)
        result = run_search(fails, tuple(converges) + tuple(also), b1=b1, b2=b2, eps=eps, family=family, lr=lr,
                            schedule=schedule, steps=steps, budget=budget, seed=seed, profile=profile,
                            switches=_parse_switches(switches), scheduler=where, settings=settings,
                            precision=precision,
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    for line in (result.record or {}).get("warnings", []):
        click.echo(f"warning: {line}", err=True)
    click.echo(str(result))
    if result.record:
        path = write_record(result.record, out)
        click.echo(f"record: {path} (re-verify with: optmath replay {path})")
    sys.exit(0 if result.record and result.record["certified"] else 1)


@cli.command("replay")
@click.argument("record", type=click.Path(dir_okay=False))
def replay_cmd(record):
    """Re-verify a counterexample record from scratch (exit 0 when it still holds)."""
    from .search.search import method_certificate_lines, replay_report

    holds, fresh, problems = replay_report(record)
    for m, v in fresh["verdicts"].items():
        click.echo(f"{m}: {v['class']} (x_T = {fresh['final_x'][m]:+.6f})")
        for line in method_certificate_lines(fresh, m):
            click.echo("  " + line)
    click.echo(fresh["certification"]["summary"])
    for p in problems:
        click.echo(f"not reproduced: {p}")
    click.echo("the counterexample still holds: every claim of the record is reproduced" if holds else
               "the counterexample does NOT hold: the record's claims are not all reproduced")
    sys.exit(0 if holds else 1)


@cli.command()
@click.option("--optimizer", "-o", default="adam", show_default=True)
@click.option("--family", default="reddi", show_default=True,
              help="reddi, periodic, stochastic, finite_sum, sparse or heavy_tail")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="a problem parameter (repeatable)")
@click.option("--b1", "b1", default="0:0.9:10", show_default=True, metavar="LO:HI:N")
@click.option("--b2", "b2", default="0.5:0.99:10", show_default=True, metavar="LO:HI:N")
@click.option("--horizon", default=30000, show_default=True, type=int, help="steps per cell")
@click.option("--lr", default=0.5, show_default=True, type=float)
@click.option("--schedule", default="inv_sqrt", show_default=True, help="inv_sqrt or constant")
@click.option("--x0", default=1.0, show_default=True, type=float)
@click.option("--eps", default=1e-8, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--profile", "-p", default=None)
@click.option("--switch", "switches", multiple=True, metavar="NAME=VALUE")
@click.option("--out", default="phase", show_default=True, type=click.Path(file_okay=False),
              help="folder for the JSON data and the PNG figure")
@_dask_options
@click.option("--precision", default="float64", show_default=True,
              type=click.Choice(["float64", "float32", "float16", "bfloat16"]),
              help="the cells' arithmetic: every operation rounded to it (float16, bfloat16 emulated)")
def phase(optimizer, family, params, b1, b2, horizon, lr, schedule, x0, eps, seed, profile, switches, out, dask_mode,
          scheduler, precision):
    """Map converges / fails / diverges over a (b1, b2) grid for one problem; writes JSON and PNG."""
    _output_dir(out, "--out")
    from rich.progress import Progress

    from .search.phase import parse_grid, phase as run_phase, phase_files, write_phase

    for path in phase_files(optimizer, family, out):  # the files written at the end, checked first
        _output_file(path, "--out")

    where = _scheduler(dask_mode, scheduler)
    problem = {k: (v if k == "order" else float(v)) for k, v in _pairs(params, "--param", str).items()}
    with Progress(transient=True) as bar:
        task = bar.add_task("cells", total=None)
        d = run_phase(optimizer, family, problem, b1=parse_grid(b1, "b1"), b2=parse_grid(b2, "b2"),
                      steps=horizon, lr=lr, schedule=schedule, x0=x0, eps=eps if _given("eps") else None, seed=seed,
                      profile=profile,
                      switches=_parse_switches(switches), scheduler=where, precision=precision,
                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    for line in d.settings.get("warnings", []):
        click.echo(f"warning: {line}", err=True)
    jpath, ppath = write_phase(d, out)
    click.echo(f"{optimizer} on {family} {problem or ''}: " + ", ".join(f"{k} {v}" for k, v in d.counts().items()))
    click.echo(f"wrote {jpath} and {ppath}")


@cli.command("sweep")
@click.argument("optimizer")
@click.option("--problem", default="reddi", show_default=True, help="problem family with fixed parameters, e.g. stochastic:p=0.3")
@click.option("--axis", "axes", multiple=True, required=True, metavar="NAME=LO:HI:N",
              help="a grid axis (repeatable): NAME=LO:HI:N, NAME=log:LO:HI:N or NAME=v1,v2,...; NAME is lr, x0, a "
                   "hyperparameter or a problem parameter")
@click.option("--steps", default=1000, show_default=True, type=int)
@click.option("--profile", "-p", default="paper", show_default=True)
@click.option("--switch", "switches", multiple=True, metavar="NAME=VALUE")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="a fixed hyperparameter")
@click.option("--schedule", default="constant", show_default=True, help="constant or inv_sqrt")
@click.option("--x0", default=0.0, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]))
@click.option("--backend", default="auto", show_default=True, type=click.Choice(["auto", "blocked", "scalar"]),
              help="CPU kernel: blocked (SIMD lanes) or scalar; the same bits")
@click.option("--block", default=None, type=int, help="lanes per block of the blocked kernel (default 128)")
@click.option("--chunk", default=1 << 16, show_default=True, type=int, help="configurations per chunk (Dask task)")
@_dask_options
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="write the summaries (.npz) here")
@click.option("--precision", default="float64", show_default=True,
              type=click.Choice(["float64", "float32", "float16", "bfloat16"]),
              help="the kernels' arithmetic: every operation rounded to it (float16, bfloat16 emulated)")
def sweep_cmd(optimizer, problem, axes, steps, profile, switches, sets, schedule, x0, seed, device, backend, block,
              chunk, dask_mode, scheduler, out, precision):
    """Run a grid of configurations and summarise each (final x, regret, max |x|, first non-finite step)."""
    if out is not None and not str(out).endswith(".npz"):
        raise OptmathError(f"--out {out!r} must name a .npz file (NumPy would write {str(out) + '.npz'!r})")
    _output_file(out, "--out")
    import time

    import numpy as np
    from rich.progress import Progress

    from .grid import Grid, parse_axis, sweep_grid

    where = _scheduler(dask_mode, scheduler)
    names = [str(a).partition("=")[0].strip() for a in axes]
    if len(set(names)) != len(names):
        raise OptmathError(f"--axis names repeat: {', '.join(names)}")
    fixed = {k: f"--problem {problem}" for k in _problem_keys(problem)}  # key -> where else it is given
    fixed.update({k: f"--set {k}={v}" for k, v in _pairs(sets, "--set", str).items()})
    if _given("x0"):
        fixed["x0"] = f"--x0 {x0:g}"
    for a, k in zip(axes, names):  # one key, one source: the axis would silently win
        if k in fixed:
            raise OptmathError(f"{k} is given by both {fixed[k]} and --axis {a}; give it once")
    _check_sweep_size(axes, steps, chunk, where)
    parsed = [parse_axis(a) for a in axes]
    grid = Grid.make(optimizer, problem, dict(parsed), steps=steps, profile=profile,
                     switches=_parse_switches(switches), values=_parse_sets(sets), schedule=schedule, x0=x0, seed=seed,
                     precision=precision)
    t0 = time.perf_counter()
    with _precision_warnings(), Progress(transient=True) as bar:
        task = bar.add_task("chunks", total=None)
        res = sweep_grid(grid, backend=backend, device=device, block=block, chunk=chunk,
                         scheduler=where, progress=lambda d, n: bar.update(task, completed=d, total=n))
    dt = time.perf_counter() - t0
    where = {None: device, "local": "Dask LocalCluster"}.get(where, where)
    click.echo(f"{optimizer}/{profile} on {problem}: {grid.size} configurations x {steps} steps in {dt:.2f} s "
               f"({grid.size * steps / dt:.3e} config-steps/s, {where}, {res.chunks} chunk(s))")
    fin = res.first_nonfinite_step == 0
    click.echo(f"final x: min {np.min(res.final_x):.6g}, max {np.max(res.final_x):.6g}; "
               f"non-finite: {int((~fin).sum())}; average regret: min {np.min(res.average_regret):.6g}, "
               f"max {np.max(res.average_regret):.6g}")
    if out:
        np.savez_compressed(out, final_x=res.final_x, average_regret=res.average_regret, max_abs_x=res.max_abs_x,
                            first_nonfinite_step=res.first_nonfinite_step, shape=np.array(grid.shape),
                            **{f"axis_{k}": v for k, v in grid.axes})
        click.echo(f"wrote {out}")


def _check_sweep_size(axes, steps, chunk, where) -> None:
    """The grid's size, total work and memory from the axis texts alone, before any axis or
    table is built: configurations (``MAX_CONFIGURATIONS``), configurations x steps
    (``MAX_WORK``) and the memory of the summaries, the chunks in flight and the per-step arrays
    (learning-rate multipliers and draws, ``STEP_ARRAY_BYTES`` a step)."""
    import math

    from . import limits
    from .grid import CHUNK_BYTES, RESULT_BYTES

    counts = [_axis_count(a) for a in axes]
    n = math.prod(counts)
    limits.check_count(f"grid configurations ({' x '.join(map(str, counts))})", n, limits.MAX_CONFIGURATIONS)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        return  # Grid.make refuses it with its own message
    limits.check_count("steps", steps, limits.MAX_STEPS)
    limits.check_work((("configurations", n), ("steps", steps)), "the sweep")
    workers = 1 if where is None else 2  # a local chunk, or what one Dask worker holds
    chunk = max(1, min(int(chunk), n)) if isinstance(chunk, int) else n
    limits.check_memory(RESULT_BYTES * n + workers * (CHUNK_BYTES * chunk + limits.STEP_ARRAY_BYTES * steps),
                        f"a sweep of {n:,} configurations x {steps:,} steps (summaries, chunks and per-step arrays)")


@cli.command()
@click.argument("topics", nargs=-1, metavar="[TOPIC]...")
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="folder holding TOPIC/results.json and the rendered files")
@click.option("--format", "fmt", default="md,html", show_default=True, help="md, html or md,html")
@click.option("--compute", is_flag=True, help="first compute the results (runs the library) and store them as JSON")
@click.option("--seed", default=0, show_default=True, type=SEED, help="seed of the computations (with --compute)")
@click.option("--list", "list_topics", is_flag=True, help="list the topics and exit")
def report(topics, out, fmt, compute, seed, list_topics):
    """Render derivation reports (Markdown and standalone HTML) from stored results.

    TOPIC: ema, momentum, adam-bounds, frameworks, counterexamples, proofs, literature.  Without a TOPIC:
    all of them plus OUT/demo and OUT/exercises, so `optmath report --compute` regenerates the
    whole folder.  Rendering reads the stored JSON only; --compute first recomputes and stores it.
    """
    from .report.build import check_formats, report as run_report
    from .report.topics import TOPICS

    if list_topics:
        for name, doc in TOPICS.items():
            click.echo(f"{name:<16} {doc}")
        return
    formats = check_formats(fmt)
    _output_dir(out, "--out")
    for path in run_report(topics, out, formats, recompute=compute, seed=seed,
                           progress=lambda msg: click.echo(msg, err=True)):
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--topic", default=None, help="only one topic (ema, momentum, sgd, rmsprop, adam)")
@click.option("--seed", default=0, show_default=True, type=SEED)
@click.option("--out", default="exercises", show_default=True, type=click.Path(file_okay=False))
@click.option("--roster", type=click.Path(dir_okay=False), default=None,
              help="CSV with an 'id' column: one sheet and key per student in OUT/<id>/, seeds from the ids")
@click.option("--format", "fmt", type=click.Choice(["md", "otter"]), default="md", show_default=True,
              help="md: sheet and key (Markdown, HTML, JSON); otter: an otter-grader master notebook")
def exercises(topic, seed, out, roster, fmt):
    """Write an exercise sheet (sheet.md, sheet.json) and its answer key (key.md).

    With --roster: one sheet and key per student (OUT/<id>/), each with a seed derived from the
    student id (SHA-256), so the same roster always gives the same sheets.  With --format otter:
    OUT/optmath-exercises.ipynb for `otter assign`, whose autograded cells call optmath's graders."""
    _output_dir(out, "--out")
    from pathlib import Path

    if fmt == "otter":
        if roster is not None:
            raise click.UsageError("--format otter writes one assignment; it does not take --roster")
        from .teach.exercises import make_sheet
        from .teach.otter import NAME, write_otter

        for name in (f"{NAME}.ipynb", "sheet.json"):
            _output_file(Path(out) / name, "--out")
        for path in write_otter(make_sheet(seed, topic), out):
            click.echo(f"wrote {path}")
        click.echo(f"next: otter assign {Path(out) / (NAME + '.ipynb')} dist; "
                   "otter run -a dist/autograder/<zip> SUBMISSION.ipynb -o results")
        return
    if roster is not None:
        from .teach.roster import read_roster, write_roster_sheets

        rows = read_roster(roster)  # checked before any work
        for row in rows:
            _output_dir(Path(out) / row["id"], "--out")
        paths = write_roster_sheets(roster, out, topic)
        click.echo(f"wrote {len(rows)} sheets and keys under {out} (index {paths[-1]})")
        return
    for name in ("sheet.json", "sheet.md", "key.md", "sheet.html", "key.html"):  # checked before any work
        _output_file(Path(out) / name, "--out")
    from .teach.exercises import make_sheet, write_sheet

    for path in write_sheet(make_sheet(seed, topic), out):
        click.echo(f"wrote {path}")


@cli.command("grade")
@click.argument("sheet", type=click.Path(dir_okay=False), required=False)
@click.argument("answers", type=click.Path(dir_okay=False), required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("--batch", type=click.Path(file_okay=False), default=None,
              help="grade DIR/<id>/answers.json for every student (SHEET: one sheet.json, or --sheets)")
@click.option("--sheets", type=click.Path(file_okay=False), default=None,
              help="with --batch: the folder written by `optmath exercises --roster` (OUT/<id>/sheet.json)")
@click.option("--out", default="gradebook", show_default=True, type=click.Path(file_okay=False),
              help="with --batch: folder for gradebook.csv and summary.md/.json")
@click.option("--jobs", default=1, show_default=True, type=int, help="with --batch: students graded at once")
@click.option("--progress/--no-progress", default=None, help="progress bar on stderr (default: when it is a terminal)")
def grade_cmd(sheet, answers, as_json, batch, sheets, out, jobs, progress):
    """Grade ANSWERS (JSON or 'ID: answer' lines) against SHEET (sheet.json); exit 0 when all are right.

    Code answers run contained (bubblewrap when available; otherwise a fallback that is not a
    security boundary, and says so).  With --batch DIR: every student folder, into a gradebook."""
    import json

    if batch is not None:
        if answers is not None or (sheet is None) == (sheets is None):
            raise click.UsageError("--batch DIR takes either one SHEET or --sheets FOLDER, and no ANSWERS")
        _output_dir(out, "--out")
        return _grade_batch(batch, sheets or sheet, out, jobs, progress)
    if sheet is None or answers is None:
        raise click.UsageError("give SHEET and ANSWERS (or --batch DIR)")
    from .teach.exercises import grade

    report = grade(sheet, answers)  # the fallback's warning, when it ran, heads the report
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else str(report))
    got, total = report.score
    sys.exit(0 if got == total else 1)


def _grade_batch(batch, sheets, out, jobs, progress):
    from .teach.batch import grade_batch, students_of, write_gradebook

    total = len(students_of(batch))
    show = sys.stderr.isatty() if progress is None else progress
    if show:
        from rich.progress import Progress

        with Progress(transient=False, console=_stderr_console()) as bar:
            task = bar.add_task("grading", total=total)
            res = grade_batch(batch, sheets, jobs=jobs, progress=lambda d, n: bar.update(task, completed=d))
    else:
        res = grade_batch(batch, sheets, jobs=jobs)
    for note in res.notes:
        click.echo(f"optmath: warning: {note}", err=True)
    for path in write_gradebook(res, out):
        click.echo(f"wrote {path}")
    s = res.summary()
    click.echo(f"graded {s['students']} students in {s['seconds']} s ({s['per_minute']} per minute)")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


#: set by a command whose process has nothing left to clean up (a warm ``optmath run``): the
#: console script then ends it without the interpreter's teardown, which costs a loaded Numba
#: about 0.13 s, more than the run (see :mod:`optmath.kernels.quick`)
_QUICK_EXIT: list = []


def main(argv=None):
    _QUICK_EXIT.clear()
    try:
        cli.main(args=argv, prog_name="optmath", standalone_mode=False)
        if _QUICK_EXIT and argv is None:  # the console script itself, never a caller's process
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
    except click.exceptions.Abort:
        click.echo("optmath: aborted", err=True)
        sys.exit(2)
    except click.ClickException as e:
        click.echo(f"optmath: error: {e.format_message()}", err=True)
        sys.exit(2)
    except OptmathError as e:
        click.echo(f"optmath: error: {e}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
