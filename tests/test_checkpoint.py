"""Restart files: bitwise round trip, detection of damaged files with fallback to the previous
good one, retention, atomic writes under SIGKILL, and a resumed run identical to an
uninterrupted one."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from phasefield._pytree import replace
from phasefield.io.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    InvalidCheckpointError,
    _checksum,
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    load_latest_checkpoint,
    save_checkpoint,
)
from phasefield.state import State

SHAPE = (24, 20)


def make_state(step, dtype=np.float64, with_eta=True, shape=SHAPE):
    """A state whose content is a function of ``step``, with values that only a bitwise copy
    keeps: -0.0, +-inf, a subnormal and a NaN with a payload."""
    rng = np.random.default_rng(step)
    X = rng.standard_normal(shape).astype(dtype)
    flat = X.reshape(-1)
    flat[:4] = [-0.0, np.inf, -np.inf, np.finfo(dtype).smallest_subnormal]
    nan_bits = {np.float64: np.uint64(0x7FF8_0000_DEAD_BEEF), np.float32: np.uint32(0x7FC0_BEEF)}
    flat[4] = nan_bits[dtype].view(dtype)
    eta = rng.random((3, *shape)).astype(dtype) if with_eta else None
    s = State.create(jnp.asarray(X), eta=None if eta is None else jnp.asarray(eta),
                     t=0.1 * step + 1e-17, dt=1.0 / 3.0)
    return replace(s, step=jnp.asarray(step, dtype=jnp.int32))


def assert_bitwise(a: State, b: State):
    for name in ("X", "eta", "t", "dt", "step"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name


def ckpt_files(d):
    return sorted(os.listdir(d))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("with_eta", [True, False])
def test_round_trip_is_bitwise(tmp_path, dtype, with_eta):
    s = make_state(123456, dtype, with_eta)
    rows = [[0.1 * i, np.pi / (i + 1), 1e-300 * i] for i in range(5)]
    extra = {"next_output": 6, "observables": rows, "seed": np.int64(7)}
    path = save_checkpoint(tmp_path, s, extra=extra)
    assert path == tmp_path / "ckpt_000123456.npz" == checkpoint_path(tmp_path, 123456)
    loaded, got = load_latest_checkpoint(tmp_path, like=s)
    assert_bitwise(loaded, s)
    assert all(isinstance(x, jax.Array) for x in jax.tree_util.tree_leaves(loaded))
    assert got == {"next_output": 6, "observables": rows, "seed": 7}  # floats exact
    assert ckpt_files(tmp_path) == ["ckpt_000123456.npz"]  # no temporary left


def test_resumed_run_is_bitwise_identical(tmp_path):
    """10 + (checkpoint, reload) + 10 semi-implicit CH steps equal 20 uninterrupted steps."""
    from phasefield.energies import DoubleWell, FreeEnergy
    from phasefield.grid import Grid
    from phasefield.integrators import SemiImplicit
    from phasefield.mobility import ConstantMobility
    from phasefield.models import PhaseFieldModel
    from phasefield.run import run_fixed

    g = Grid.create((32, 32), 1.0, "periodic")
    energy = FreeEnergy(DoubleWell(jnp.asarray(5.0), jnp.asarray(0.3), jnp.asarray(0.7)),
                        kappa=jnp.asarray(2.0))
    si = SemiImplicit(PhaseFieldModel(energy, ConstantMobility(jnp.asarray(5.0))), g)
    chunk = jax.jit(lambda s: run_fixed(si.step, s, 10, jnp.asarray(0.05)))
    X0 = 0.5 + 0.05 * np.random.default_rng(0).standard_normal((32, 32))
    s0 = State.create(jnp.asarray(X0), dt=0.05)

    straight = chunk(chunk(s0))
    save_checkpoint(tmp_path, chunk(s0), extra={"next_output": 1})
    resumed, extra = load_latest_checkpoint(tmp_path, like=s0, required=True)
    resumed = chunk(resumed)
    assert int(resumed.step) == 20 and extra == {"next_output": 1}
    assert_bitwise(resumed, straight)


# --- damaged files: each is skipped with a warning naming it, and step 2 is used ------------

def _truncate_tail(p):
    data = p.read_bytes()
    p.write_bytes(data[:-200])


def _truncate_half(p):
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _flip_array_byte(p):
    data = bytearray(p.read_bytes())
    x = np.asarray(make_state(3).X).tobytes()
    i = data.find(x[64:128])
    assert i > 0
    data[i + 100] ^= 0x10
    p.write_bytes(bytes(data))


def _garbage(p):
    p.write_bytes(np.random.default_rng(1).bytes(5000))


def _empty(p):
    p.write_bytes(b"")


def _rewrite(p, edit_members):
    """Rebuild the archive with consistent zip CRCs, so only our own checks can object."""
    with np.load(p) as npz:
        members = {k: npz[k] for k in npz.files}
    edit_members(members)
    buf = io.BytesIO()
    np.savez(buf, **members)
    p.write_bytes(buf.getvalue())


def _tampered_array(p):
    def edit(m):
        m["X"] = m["X"].copy()
        m["X"][5, 5] = np.nextafter(m["X"][5, 5], np.inf)  # one ulp
    _rewrite(p, edit)


def _inconsistent_shape(p):
    """Metadata claims a shape the stored X does not have, with a checksum that matches."""
    def edit(m):
        meta = json.loads(m["__metadata__"].tobytes())
        m["X"] = m["X"][:, :10].copy()
        meta["fields"]["X"]["shape"] = list(SHAPE)
        meta["sha256"] = _checksum(meta, {k: v for k, v in m.items() if k != "__metadata__"})
        m["__metadata__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    _rewrite(p, edit)


DAMAGE = {
    "truncated tail": (_truncate_tail, "unreadable"),
    "truncated half": (_truncate_half, "unreadable"),
    "flipped byte": (_flip_array_byte, "unreadable.*CRC"),
    "garbage": (_garbage, "unreadable"),
    "empty": (_empty, "unreadable"),
    "tampered array": (_tampered_array, "SHA-256 checksum mismatch"),
    "inconsistent shape": (_inconsistent_shape, r"X is <f8\[24, 10\] but the metadata says"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_newest_falls_back_to_previous(tmp_path, damage):
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, make_state(step), extra={"step": step}, keep=5)
    corrupt, reason = DAMAGE[damage]
    corrupt(checkpoint_path(tmp_path, 3))
    with pytest.raises(InvalidCheckpointError, match=reason):
        load_checkpoint(checkpoint_path(tmp_path, 3))
    with pytest.warns(CheckpointWarning, match=f"ckpt_000000003.npz: {reason}"):
        state, extra = load_latest_checkpoint(tmp_path, like=make_state(0))
    assert extra == {"step": 2}
    assert_bitwise(state, make_state(2))


def test_wrong_shape_or_dtype_for_this_run_falls_back(tmp_path):
    like = make_state(0)
    save_checkpoint(tmp_path, make_state(1), keep=4)
    save_checkpoint(tmp_path, make_state(2, shape=(24, 21)), keep=4)
    save_checkpoint(tmp_path, make_state(3, dtype=np.float32), keep=4)
    save_checkpoint(tmp_path, make_state(4, with_eta=False), keep=4)
    with pytest.warns(CheckpointWarning) as record:
        state, _ = load_latest_checkpoint(tmp_path, like=like)
    assert_bitwise(state, make_state(1))
    messages = [str(w.message) for w in record]
    assert len(messages) == 3
    assert "ckpt_000000004.npz: eta is absent in the file but an array" in messages[0]
    assert r"ckpt_000000003.npz: X is <f4[24, 20] in the file, expected <f8[24, 20]" in messages[1]
    assert r"ckpt_000000002.npz: X is <f8[24, 21] in the file, expected <f8[24, 20]" in messages[2]
    # without ``like`` the newest file is fine as it stands
    assert int(load_latest_checkpoint(tmp_path)[0].step) == 4


def test_no_valid_checkpoint(tmp_path):
    assert load_latest_checkpoint(tmp_path / "missing") is None
    assert load_latest_checkpoint(tmp_path) is None
    with pytest.raises(CheckpointError, match="no ckpt_"):
        load_latest_checkpoint(tmp_path, required=True)
    save_checkpoint(tmp_path, make_state(1))
    _garbage(checkpoint_path(tmp_path, 1))
    with pytest.warns(CheckpointWarning, match="ckpt_000000001.npz: unreadable"):
        assert load_latest_checkpoint(tmp_path) is None
    with pytest.warns(CheckpointWarning), pytest.raises(CheckpointError, match="no valid"):
        load_latest_checkpoint(tmp_path, required=True)


def test_newer_format_version_is_an_error_not_a_skip(tmp_path):
    save_checkpoint(tmp_path, make_state(1))
    save_checkpoint(tmp_path, make_state(2))

    def edit(m):
        meta = json.loads(m["__metadata__"].tobytes())
        meta["version"] = 99
        meta["sha256"] = _checksum(meta, {k: v for k, v in m.items() if k != "__metadata__"})
        m["__metadata__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)

    _rewrite(checkpoint_path(tmp_path, 2), edit)
    with pytest.raises(CheckpointError, match="version 99 is newer"):
        load_latest_checkpoint(tmp_path)


def test_retention_keeps_newest_valid(tmp_path):
    for step in range(1, 6):
        save_checkpoint(tmp_path, make_state(step), keep=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [5, 4]
    assert ckpt_files(tmp_path) == ["ckpt_000000004.npz", "ckpt_000000005.npz"]

    for step in (6, 7, 8):
        save_checkpoint(tmp_path, make_state(step), keep=3)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [8, 7, 6]
    _truncate_half(checkpoint_path(tmp_path, 8))
    # the damaged file does not count towards keep, and 6 survives as the third valid one
    with pytest.warns(CheckpointWarning, match="ckpt_000000008.npz.*not counted"):
        save_checkpoint(tmp_path, make_state(9), keep=3)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [9, 8, 7, 6]
    with pytest.warns(CheckpointWarning, match="ckpt_000000008.npz.*not counted"):
        save_checkpoint(tmp_path, make_state(10), keep=3)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [10, 9, 8, 7]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # older files beyond keep are removed unread
        save_checkpoint(tmp_path, make_state(11), keep=1)
    assert ckpt_files(tmp_path) == ["ckpt_000000011.npz"]

    with pytest.raises(ValueError, match="keep must be an integer >= 1"):
        save_checkpoint(tmp_path, make_state(12), keep=0)


def test_later_step_from_another_run_is_kept_and_reported(tmp_path):
    save_checkpoint(tmp_path, make_state(50))
    with pytest.warns(CheckpointWarning, match="ckpt_000000050.npz is from a later step"):
        save_checkpoint(tmp_path, make_state(2), keep=1)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [50, 2]


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_checkpoint(tmp_path, make_state(1), extra={"f": object()})
    with pytest.raises(TypeError, match="expects a phasefield State"):
        save_checkpoint(tmp_path, {"X": np.zeros(3)})
    with pytest.raises(ValueError, match="State.step has shape \\(2,\\)"):
        save_checkpoint(tmp_path, jax.vmap(lambda _: make_state(1))(jnp.arange(2)))
    with pytest.raises(TypeError, match="outside jax.jit"):
        jax.jit(lambda s: save_checkpoint(tmp_path, s) and s)(make_state(1))
    assert ckpt_files(tmp_path) == []


def test_float64_without_x64_is_refused(tmp_path):
    save_checkpoint(tmp_path, make_state(1))
    code = (
        "import sys, phasefield.io.checkpoint as c\n"
        "try:\n    c.load_latest_checkpoint(sys.argv[1])\n"
        "except c.CheckpointError as e:\n    print('REFUSED', e)\n"
    )
    env = dict(os.environ, PHASEFIELD_X64="0", JAX_ENABLE_X64="0", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert "REFUSED" in out.stdout and "enable 64-bit mode" in out.stdout, out.stderr


WRITER = """
import sys
import numpy as np
from phasefield.state import State
from phasefield.io.checkpoint import load_latest_checkpoint, save_checkpoint

N = 256  # X and eta (2, N, N) in float64: 1.5 MiB per checkpoint


def make(step):
    rng = np.random.default_rng(step)
    return State(X=rng.standard_normal((N, N)), eta=rng.standard_normal((2, N, N)),
                 t=np.float64(0.5 * step), dt=np.float64(0.5), step=np.int32(step))


if __name__ == "__main__":
    got = load_latest_checkpoint(sys.argv[1], required=False)
    step = 0 if got is None else int(got[0].step)
    while True:
        step += 1
        save_checkpoint(sys.argv[1], make(step), extra={"step": step}, keep=3)
        if step == (0 if got is None else int(got[0].step)) + 1:
            print("resumed and saved", step, flush=True)
"""


def test_sigkill_never_leaves_a_partial_checkpoint(tmp_path):
    """Kill a writer at random moments; each time the newest file verifies and is the exact
    state of its step, every ``ckpt_*`` file is complete, and the next writer resumes."""
    (tmp_path / "writer.py").write_text(textwrap.dedent(WRITER))
    namespace = {"__name__": "writer"}
    exec(textwrap.dedent(WRITER), namespace)
    make = namespace["make"]
    d = tmp_path / "ckpt"
    rng = np.random.default_rng(2024)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    like = jax.tree_util.tree_map(jnp.asarray, make(0))
    last, temporaries = 0, 0
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, str(tmp_path / "writer.py"), str(d)],
                                stdout=subprocess.PIPE, text=True, env=env)
        line = proc.stdout.readline()
        assert line == f"resumed and saved {last + 1}\n", line
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no file may need skipping
            state, extra = load_latest_checkpoint(d, like=like, required=True)
        step = int(state.step)
        assert step > last and extra == {"step": step}
        assert_bitwise(state, make(step))
        files = list_checkpoints(d)
        assert 1 <= len(files) <= 4  # keep=3, plus one if killed between rename and prune
        for s, path in files:
            assert_bitwise(load_checkpoint(path, like=like)[0], make(s))
        for name in os.listdir(d):  # a temporary is either rejected or complete
            if name.endswith(".tmp"):
                temporaries += 1
                try:
                    s = load_checkpoint(d / name)[0]
                except InvalidCheckpointError:
                    continue
                assert_bitwise(s, make(int(s.step)))
        last = step
    # the next save removes temporaries of the killed writers
    save_checkpoint(d, make(last + 1), keep=3)
    assert not [n for n in os.listdir(d) if n.endswith(".tmp")]
    assert last >= 6
